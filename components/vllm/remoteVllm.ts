import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { GpuHost } from "../../config/schema";
import { dockerName } from "../../policy/contract/contract";
import { linkAuthorizedKey, renderAuthorizeLinkScript, renderLaunchScript, renderRevokeLinkScript, renderStopScript, VllmModelArgs, vllmModelArgs } from "./launch";

export interface RemoteVllmArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** The GPU host and how to reach it. */
    host: GpuHost;
    /** How long the launch waits for vLLM's /health. */
    startupTimeoutSeconds: number;
    /** Model to serve. */
    model: VllmModelArgs;
    /** Pinned vLLM image. */
    image: string;
    /** SSH private key for the GPU host (secret). */
    sshPrivateKey: pulumi.Input<string>;
    /** The model link's public key ("ssh-ed25519 AAAA..."), authorized for the one forward to vLLM. */
    linkPublicKey: pulumi.Input<string>;
    /** Comment that marks this stack's link line in authorized_keys. */
    linkKeyMarker: string;
    /** Key vLLM requires on /v1 (secret). */
    vllmApiKey: pulumi.Input<string>;
    /** Hugging Face token for gated models (secret, optional). */
    hfToken?: pulumi.Input<string>;
}

/**
 * vLLM on one GPU host, launched over SSH as a Docker container published on
 * the host's loopback only, plus the authorized_keys line that lets the model
 * link forward to that port and do nothing else. The launch is replaced when
 * anything vLLM runs with changes, and only then; deleting it stops the
 * container, and deleting the authorization removes the line.
 *
 * vLLM's --api-key guards only /v1 (/health, /tokenize, /pause and others
 * answer anyone who reaches the port), so the port is never on the LAN.
 */
export class RemoteVllm extends pulumi.ComponentResource {
    public readonly launch: command.remote.Command;
    public readonly linkAuthorization: command.remote.Command;

    constructor(name: string, args: RemoteVllmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:vllm:RemoteVllm", name, {}, opts);
        const containerName = dockerName(args.namePrefix, "vllm");
        const launchInput = {
            containerName,
            cacheVolume: dockerName(args.namePrefix, "hf-cache"),
            image: args.image,
            port: args.host.port,
            gpuCount: args.model.tensorParallelSize,
            startupTimeoutSeconds: args.startupTimeoutSeconds,
            model: vllmModelArgs(args.model),
        };
        const warning = insecureHostKeyWarning(args.host);
        if (warning) pulumi.log.warn(warning, this);
        const connection = {
            host: args.host.host,
            port: args.host.sshPort,
            user: args.host.sshUser,
            privateKey: args.sshPrivateKey,
            ...(args.host.sshHostKey ? { hostKey: args.host.sshHostKey } : {}),
            dialErrorLimit: 5,
        };

        this.launch = new command.remote.Command(name, {
            connection,
            create: renderLaunchScript(launchInput),
            delete: renderStopScript(containerName),
            // Secrets travel on standard input, never in the script or argv.
            stdin: pulumi.secret(pulumi.all([args.vllmApiKey, args.hfToken ?? ""]).apply(([key, hf]) => `${key}\n${hf}\n`)),
            // Anything vLLM runs with relaunches it; nothing else does.
            triggers: [JSON.stringify(launchInput)],
            addPreviousOutputInEnv: false,
            logging: "stdoutAndStderr",
        }, {
            parent: this,
            // The old launch's delete would remove the new container (same name).
            deleteBeforeReplace: true,
            customTimeouts: { create: `${args.startupTimeoutSeconds + 300}s` },
        });

        const line = pulumi.output(args.linkPublicKey).apply((key) => linkAuthorizedKey(key, args.host.port, args.linkKeyMarker));
        this.linkAuthorization = new command.remote.Command(`${name}-link-key`, {
            connection,
            create: line.apply((l) => renderAuthorizeLinkScript(l, args.linkKeyMarker)),
            delete: renderRevokeLinkScript(args.linkKeyMarker),
            addPreviousOutputInEnv: false,
            logging: "stdoutAndStderr",
        }, {
            parent: this,
            // A changed key or port re-runs create (an update), which replaces the line in place.
            // On a replacement both find the line by the same marker: the old delete must run first.
            deleteBeforeReplace: true,
        });

        this.registerOutputs({});
    }
}

/** What `pulumi up` prints when the stack opted out of the host-key check; undefined when the key is pinned. */
export function insecureHostKeyWarning(host: GpuHost): string | undefined {
    if (host.sshHostKey !== undefined) return undefined;
    return `INSECURE: secureclaw:gpu.insecureAnyHostKey is true, so the vLLM launch and the model link trust whatever host key ${host.host} shows, and the launch hands that host the vLLM key and the HF token. Pin the key: pulumi config set --path 'secureclaw:gpu.sshHostKey' "$(ssh-keyscan -t ed25519 ${host.host} | cut -d' ' -f2-)"`;
}
