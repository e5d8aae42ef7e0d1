import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ConfigVolume } from "../shared/configVolume";
import { renderAllowlistFile, renderHostsFile, renderSquidConf, SQUID_CONFIG_DIR, SQUID_PORT } from "./squidConf";
import { buildRepoImage } from "../shared/images";
import { HARDENED, tmpfs } from "../shared/hardening";
import { labels } from "../shared/labels";

export interface EgressProxyArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** Normalised allowlist; empty means no egress at all. */
    allowlist: string[];
    /** Allowlisted names pinned to an address instead of DNS. */
    pinnedHosts: Record<string, string>;
    /** Enclave network (the agent's side). */
    enclaveNetwork: pulumi.Input<string>;
    /** Egress network (the outside side). */
    egressNetwork: pulumi.Input<string>;
}

/** The name the agent reaches the proxy by on the enclave network. */
export const PROXY_ALIAS = "egress-proxy";
export const PROXY_URL = `http://${PROXY_ALIAS}:${SQUID_PORT}`;

/**
 * Squid, the agent's only route out: CONNECT to port 443 of allowlisted names.
 *
 * squid.conf, the allowlist and the pinned hosts live in a volume (see ConfigVolume), not in
 * the container's inputs: changing the allowlist replaces only the writer,
 * and the proxy's entrypoint sees the new files and reloads in place (SIGHUP),
 * so the proxy, the agent and the gateway keep running.
 */
export class EgressProxy extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Docker name of the volume holding the access log. */
    public readonly logVolumeName: pulumi.Output<string>;

    constructor(name: string, args: EgressProxyArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:egress:EgressProxy", name, {}, opts);

        const image = buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "squid" }, this);

        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "egress-config",
            writerImage: image,
            files: [
                { path: "squid.conf", content: renderSquidConf({ pinnedHosts: args.pinnedHosts, maxConnectionsPerClient: 64 }) },
                { path: "allowlist.txt", content: renderAllowlistFile(args.allowlist) },
                { path: "hosts", content: renderHostsFile(args.pinnedHosts) },
            ],
        }, { parent: this });

        const logs = new docker.Volume(`${name}-logs`, {
            name: `${args.namePrefix}-egress-log`,
            labels: labels(args.namePrefix, "egress-log"),
        }, { parent: this });
        this.logVolumeName = logs.name;

        this.container = new docker.Container(name, {
            name: `${args.namePrefix}-egress-proxy`,
            image: image,
            ...HARDENED,
            user: "proxy",
            tmpfs: { "/tmp": tmpfs(64), "/run": tmpfs(8) },
            memory: 256,
            memorySwap: 256,
            cpus: "1",
            networksAdvanced: [
                { name: args.enclaveNetwork, aliases: [PROXY_ALIAS] },
                { name: args.egressNetwork },
            ],
            volumes: [
                { volumeName: config.volumeName, containerPath: SQUID_CONFIG_DIR, readOnly: true },
                { volumeName: logs.name, containerPath: "/var/log/squid" },
            ],
            labels: labels(args.namePrefix, "egress-proxy"),
        }, { parent: this, dependsOn: [config.writer], deleteBeforeReplace: true });

        this.registerOutputs({ container: this.container.name, logVolumeName: this.logVolumeName });
    }
}
