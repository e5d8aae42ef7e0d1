import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { GpuHost } from "../../config/schema";
import { dockerName, LINK } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { HARDENED, tmpfs } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { volumeWriter } from "../shared/volumeWriter";
import { knownHostsLine, linkAlias, linkEnvironment } from "./linkPlan";

export interface ModelLinkArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Which link of the stack (one per GPU host): its alias, address and Docker names. */
    index: number;
    /** The GPU host the link tunnels to. */
    host: GpuHost;
    /** The link image (images/model-link). */
    image: pulumi.Input<string>;
    /** The link's own SSH private key (secret); the GPU host lets it forward vLLM's port and nothing else. */
    linkKey: pulumi.Input<string>;
    /** Internal network shared with LiteLLM, where the link listens. */
    modelNetwork: pulumi.Input<string>;
    /** The link's fixed address on the model network (the only address it listens on). */
    listenAddress: string;
    /** The network with a route to the GPU hosts. */
    egressNetwork: pulumi.Input<string>;
    /** What must exist before the link connects (the host's authorization of the link key). */
    dependsOn: pulumi.Input<pulumi.Resource>[];
}

/** Enough for ssh and a shell loop. */
const LIMITS = { memoryMb: 64, cpus: 0.5, pids: 32 };

/**
 * An SSH tunnel from the model network to vLLM on one GPU host's loopback:
 * LiteLLM's only way to that vLLM, so LiteLLM itself needs no route out.
 * OpenSSH, host key pinned, a key of its own that the host restricts to this
 * one forward; a loop reconnects whenever ssh exits. The key reaches it as a
 * file only the link user can read, never in its environment or command.
 */
export class ModelLink extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;

    constructor(name: string, args: ModelLinkArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:modellink:ModelLink", name, {}, opts);
        const suffix = String(args.index);
        const volume = new docker.Volume(`${name}-key`, {
            name: dockerName(args.namePrefix, "link-key", suffix),
            labels: labels(args.namePrefix, "link-key"),
        }, { parent: this });
        const keyId = String(LINK.uid);
        // One never-started writer per file (see volumeWriter).
        const files = [
            { slug: "key", file: LINK.keyFile, content: pulumi.secret(args.linkKey), permissions: "0400", owner: keyId, group: keyId },
            { slug: "known-hosts", file: LINK.knownHostsFile, content: knownHostsLine(args.host), permissions: "0444" },
        ];
        const writers = files.map(({ slug, file, ...upload }) => volumeWriter(`${name}-writer-${slug}`, {
            name: dockerName(args.namePrefix, "link-key", `${suffix}-writer-${slug}`),
            namePrefix: args.namePrefix,
            image: args.image,
            volumeName: volume.name,
            mountPath: LINK.keyDir,
            upload: { file: `${LINK.keyDir}/${file}`, ...upload },
        }, { parent: this }));

        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "model-link", suffix),
            image: args.image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            user: `${LINK.uid}:${LINK.uid}`,
            tmpfs: { "/tmp": tmpfs(8) },
            memory: LIMITS.memoryMb,
            memorySwap: LIMITS.memoryMb,
            cpus: dockerCpus(LIMITS.cpus),
            envs: linkEnvironment(args.host, args.listenAddress),
            networksAdvanced: [
                { name: args.modelNetwork, aliases: [linkAlias(args.index)], ipv4Address: args.listenAddress },
                { name: args.egressNetwork },
            ],
            volumes: [{ volumeName: volume.name, containerPath: LINK.keyDir, readOnly: true }],
            // Healthy only when vLLM answers through the tunnel.
            healthcheck: healthcheck(["/usr/local/bin/link-health"], { interval: 10, timeout: 5, startPeriod: 30 }),
            labels: labels(args.namePrefix, "model-link"),
        }, { parent: this, dependsOn: [...writers, ...args.dependsOn], deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, LIMITS.pids, this);

        this.registerOutputs({ container: this.container.name });
    }
}
