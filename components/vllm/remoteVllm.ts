import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { RemoteGpu } from "../../config/schema";
import { dockerName } from "../../policy/contract/contract";
import { renderLaunchScript, renderStopScript, VllmModelArgs, vllmModelArgs } from "./launch";

export interface RemoteVllmArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** The GPU host and how to reach it. */
    gpu: RemoteGpu;
    /** Model to serve. */
    model: VllmModelArgs;
    /** Pinned vLLM image. */
    image: string;
    /** SSH private key for the GPU host (secret). */
    sshPrivateKey: pulumi.Input<string>;
    /** Key vLLM requires on /v1 (secret). */
    vllmApiKey: pulumi.Input<string>;
    /** Hugging Face token for gated models (secret, optional). */
    hfToken?: pulumi.Input<string>;
}

/**
 * vLLM on a GPU host, launched over SSH as a Docker container published on
 * one address of that host. The launch is replaced when anything vLLM runs
 * with changes, and only then; deleting it stops the container.
 *
 * vLLM's --api-key guards only /v1: /health, /tokenize, /pause and others
 * answer anyone who can reach the port. Publishing on one address (not
 * 0.0.0.0) narrows who that is; firewall the port to the Docker host on a
 * shared LAN.
 */
export class RemoteVllm extends pulumi.ComponentResource {
    /** OpenAI base URL the gateway uses. */
    public readonly baseUrl: string;
    public readonly launch: command.remote.Command;

    constructor(name: string, args: RemoteVllmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:vllm:RemoteVllm", name, {}, opts);
        const containerName = dockerName(args.namePrefix, "vllm");
        const launchInput = {
            containerName,
            cacheVolume: dockerName(args.namePrefix, "hf-cache"),
            image: args.image,
            bindAddress: args.gpu.bindAddress,
            port: args.gpu.port,
            gpuCount: args.model.tensorParallelSize,
            startupTimeoutSeconds: args.gpu.startupTimeoutSeconds,
            model: vllmModelArgs(args.model),
        };
        this.baseUrl = `http://${args.gpu.bindAddress}:${args.gpu.port}/v1`;

        this.launch = new command.remote.Command(name, {
            connection: {
                host: args.gpu.host,
                port: args.gpu.sshPort,
                user: args.gpu.sshUser,
                privateKey: args.sshPrivateKey,
                ...(args.gpu.sshHostKey ? { hostKey: args.gpu.sshHostKey } : {}),
                dialErrorLimit: 5,
            },
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
            customTimeouts: { create: `${args.gpu.startupTimeoutSeconds + 300}s` },
        });

        this.registerOutputs({ baseUrl: this.baseUrl });
    }
}
