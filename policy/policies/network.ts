import { ENABLE_IP_MASQUERADE as IP_MASQUERADE, GATEWAY_MODE_IPV4, INHIBIT_IPV4 } from "../contract/contract";
import { resourcePolicy } from "./define";
import { isTrue, isUnknown, j, T } from "./util";


/**
 * The enclave network is the agent's whole world. `internal: true` removes
 * its route out, but on the engines we measured a container on an internal
 * bridge still reached services on the Docker host through the bridge's
 * gateway address; `inhibit_ipv4` takes that address off the host.
 */
export function checkEnclaveNetwork(props: Record<string, any>): string[] {
    const out: string[] = [];
    const internal = props.internal;
    if (!isUnknown(internal) && !isTrue(internal)) {
        out.push(`enclave network must be internal: set internal: true (found internal: ${j(internal ?? null)}); without it Docker gives the network a route to the internet`);
    }
    const ipv6 = props.ipv6;
    if (!isUnknown(ipv6) && isTrue(ipv6)) {
        out.push(`enclave network must not carry IPv6: remove ipv6 or set ipv6: false (found ipv6: true); the IPv4 isolation options below do not cover a second address family`);
    }
    const driver = props.driver;
    if (!isUnknown(driver) && driver !== undefined && driver !== null && driver !== "" && driver !== "bridge") {
        out.push(`enclave network must use the bridge driver: remove driver or set driver: "bridge" (found driver: ${j(driver)}); the isolation options only exist for bridge networks`);
    }
    const options = props.options;
    if (isUnknown(options)) return out;
    const opts: Record<string, unknown> = options && typeof options === "object" ? options : {};
    const inhibit = opts[INHIBIT_IPV4];
    if (!isUnknown(inhibit) && String(inhibit) !== "true") {
        out.push(`enclave network must not give the Docker host an address on it: set options[${j(INHIBIT_IPV4)}] to "true" (found ${inhibit === undefined ? "no such option" : j(inhibit)}); with internal: true alone a container still reaches services on the host through the bridge gateway`);
    }
    const masquerade = opts[IP_MASQUERADE];
    if (masquerade !== undefined && !isUnknown(masquerade) && String(masquerade) !== "false") {
        out.push(`enclave network must not masquerade traffic out: set options[${j(IP_MASQUERADE)}] to "false" or remove it (found ${j(masquerade)})`);
    }
    const gatewayMode = opts[GATEWAY_MODE_IPV4];
    if (gatewayMode !== undefined && !isUnknown(gatewayMode) && String(gatewayMode) !== "isolated") {
        out.push(`enclave network's gateway must be isolated: set options[${j(GATEWAY_MODE_IPV4)}] to "isolated" or remove it (found ${j(gatewayMode)})`);
    }
    return out;
}

export const enclaveNetworkIsolated = resourcePolicy({
    name: "enclave-network-isolated",
    description:
        "The enclave network (secureclaw.role=enclave) is internal, IPv4-only, on the bridge driver, and gives the Docker host no address on it (inhibit_ipv4), so the agent can reach neither the internet nor the host.",
    enforcementLevel: "mandatory",
    types: [T.network],
    roles: ["enclave"],
    check: (props) => checkEnclaveNetwork(props),
});
