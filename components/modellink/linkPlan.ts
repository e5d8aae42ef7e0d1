/**
 * Where each model link sits and what it runs with. Pure.
 *
 * A link listens on one fixed address of the model network, in the upper
 * half of its subnet (Docker hands out only the lower half there, planSubnet),
 * and never
 * on its egress-network address: nothing on the egress side can use the
 * tunnel, only LiteLLM beside it on the model network.
 */
import { parseCidr } from "../../config/net";
import { GpuHost } from "../../config/schema";
import { LINK } from "../../policy/contract/contract";

/** Link `index`'s address: the first addresses of the subnet's upper half. */
export function linkAddress(subnet: string, index: number): string {
    const cidr = parseCidr(subnet);
    if (!cidr) throw new Error(`not an IPv4 subnet: ${subnet}`);
    const half = 2 ** (32 - cidr.prefix) / 2;
    // The last address is the broadcast address.
    if (index < 0 || index >= half - 1) throw new Error(`model subnet ${subnet} has no room for link ${index}`);
    return toIp(cidr.base + half + index);
}

/** Name LiteLLM reaches link `index` by. */
export function linkAlias(index: number): string {
    return `${LINK.aliasPrefix}-${index}`;
}

/** vLLM's base URL through link `index`, as LiteLLM's api_base. */
export function linkBaseUrl(index: number): string {
    return `http://${linkAlias(index)}:${LINK.port}/v1`;
}

/** The known_hosts line that pins the host's key (ssh writes `[host]:port` for a port other than 22). */
export function knownHostsLine(host: GpuHost): string {
    if (host.sshHostKey === undefined) return "";
    const pattern = host.sshPort === 22 ? host.host : `[${host.host}]:${host.sshPort}`;
    return `${pattern} ${host.sshHostKey}\n`;
}

/** The link's environment: where to connect and what to forward (no secret; the key is a file). */
export function linkEnvironment(host: GpuHost, listenAddress: string): string[] {
    return [
        `LINK_HOST=${host.host}`,
        `LINK_SSH_PORT=${host.sshPort}`,
        `LINK_SSH_USER=${host.sshUser}`,
        `LINK_LISTEN=${listenAddress}:${LINK.port}`,
        `LINK_FORWARD_TO=${LINK.vllmHost}:${host.port}`,
        // Without a pinned key (gpu.insecureAnyHostKey) the link trusts whatever key it is shown, as the launch does.
        `LINK_HOST_KEY=${host.sshHostKey === undefined ? "any" : host.sshHostKey.split(" ")[0]}`,
        "HOME=/tmp",
    ];
}

function toIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}
