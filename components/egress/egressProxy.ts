import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AUDIT, dockerName, PROXY, RELAY } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { ConfigVolume } from "../shared/configVolume";
import { HARDENED, tmpfs } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { buildRepoImage } from "../shared/images";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { allowlistFileName, renderAllowlistFile, renderHostsFile, renderSquidConf, type EgressCell } from "./squidConf";

export interface EgressProxyArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /**
     * One cell per agent (at least one): its name, its network's subnet (the
     * proxy must be attached to that network; it does not join it here) and its
     * allowlist, applied to requests from that subnet only.
     */
    cells: EgressCell[];
    /** Allowlisted names pinned to an address instead of DNS. */
    pinnedHosts: Record<string, string>;
    /** Enclave network (the agent's side; the proxy's alias lives here). */
    enclaveNetwork: pulumi.Input<string>;
    /** Egress network (the outside side). */
    egressNetwork: pulumi.Input<string>;
    /** The Telegram relay's network and subnet, and the API host only it may reach; omit without a relay. */
    relay?: { network: pulumi.Input<string>; sourceSubnet: string; destination: string };
}

/** Squid's own limits: small, since it only peeks at ClientHellos and splices TLS tunnels. */
const LIMITS = { memoryMb: 256, cpus: 1, pids: 256, maxConnectionsPerClient: 64 };

/**
 * Squid, the agent's only route out: CONNECT to port 443 of allowlisted names,
 * spliced only when the tunnel's TLS SNI is the CONNECT name (see squidConf.ts).
 *
 * Each agent's requests come from its own cell network, and get its own
 * allowlist (see cells.ts). squid.conf, one allowlist file per agent and the
 * pinned hosts live in a volume (see ConfigVolume), not in the container's
 * inputs: changing an allowlist replaces only its writer, adding an agent adds
 * a writer and rewrites squid.conf,
 * and the proxy's entrypoint sees the new files and reloads in place (SIGHUP),
 * so the proxy, the agent and the gateway keep running.
 */
export class EgressProxy extends pulumi.ComponentResource {
    /** The proxy URL the enclave's clients use. */
    public readonly url = `http://${PROXY.alias}:${PROXY.port}`;
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;
    /** Docker name of the volume holding the audit trail (audit.jsonl and its rotations). */
    public readonly logVolumeName: pulumi.Output<string>;

    constructor(name: string, args: EgressProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:egress:EgressProxy", name, {}, opts);

        const image = buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "squid" }, this);

        // Why a volume: the allowlist must change without replacing the proxy.
        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "egress-config",
            writerImage: image,
            files: [
                { path: "squid.conf", content: renderSquidConf({ cells: args.cells, pinnedHosts: args.pinnedHosts, maxConnectionsPerClient: LIMITS.maxConnectionsPerClient, relay: args.relay && { sourceSubnet: args.relay.sourceSubnet, destination: args.relay.destination } }) },
                // One file (and writer) per agent: an agent's allowlist edit touches its file alone.
                ...args.cells.map((c) => ({ path: allowlistFileName(c.agent), content: renderAllowlistFile(c.allowlist) })),
                { path: "hosts", content: renderHostsFile(args.pinnedHosts) },
            ],
        }, { parent: this });

        // Why a volume: the audit trail outlives a replaced proxy. The label is how scripts/audit.ts finds it.
        const logs = new docker.Volume(`${name}-logs`, {
            name: dockerName(args.namePrefix, "egress-log"),
            labels: labels(args.namePrefix, "egress-log", { [AUDIT.label]: "proxy" }),
        }, { parent: this });
        this.logVolumeName = logs.name;

        // Why no start here: it starts under its pids limit (startUnderPidsLimit).
        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "egress-proxy"),
            image: image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            user: "proxy",
            tmpfs: { "/tmp": tmpfs(64), "/run": tmpfs(8) },
            memory: LIMITS.memoryMb,
            memorySwap: LIMITS.memoryMb,
            cpus: dockerCpus(LIMITS.cpus),
            networksAdvanced: [
                { name: args.enclaveNetwork, aliases: [PROXY.alias] },
                { name: args.egressNetwork },
                ...(args.relay ? [{ name: args.relay.network, aliases: [RELAY.proxyAlias] }] : []),
            ],
            volumes: [
                { volumeName: config.volumeName, containerPath: PROXY.configDir, readOnly: true },
                { volumeName: logs.name, containerPath: PROXY.logDir },
            ],
            // Healthy when Squid accepts a connection on its port (bash's /dev/tcp: no client tool in the image).
            healthcheck: healthcheck(["bash", "-c", `exec 3<>/dev/tcp/127.0.0.1/${PROXY.port}`], { interval: 15, timeout: 5, startPeriod: 10 }),
            labels: labels(args.namePrefix, "egress-proxy"),
        }, { parent: this, dependsOn: config.writers, deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, LIMITS.pids, this);

        this.registerOutputs({ url: this.url, container: this.container.name, logVolumeName: this.logVolumeName });
    }
}
