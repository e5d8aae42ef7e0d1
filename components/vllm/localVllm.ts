import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, VLLM } from "../../policy/contract/contract";
import { HARDENED, tmpfs } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { pinnedImage } from "../shared/images";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { vllmArgs, VllmModelArgs, VLLM_PIDS_LIMIT } from "./launch";

export interface LocalVllmArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Model to serve. */
    model: VllmModelArgs;
    /** Pinned vLLM image. */
    image: string;
    /** Key vLLM requires on /v1 (secret). */
    vllmApiKey: pulumi.Input<string>;
    /** Hugging Face token for gated models (secret, optional). */
    hfToken?: pulumi.Input<string>;
    /** Internal network shared with the gateway only. */
    modelNetwork: pulumi.Input<string>;
    /** Non-internal network vLLM downloads weights through. */
    downloadNetwork: pulumi.Input<string>;
}

/**
 * vLLM as a container on this Docker host (the single-DGX topology). It
 * publishes no port: the gateway reaches it on the internal model network,
 * which the agent does not join. It also sits on the egress network to
 * download weights from Hugging Face; the agent can't reach that network.
 */
export class LocalVllm extends pulumi.ComponentResource {
    /** OpenAI base URL the gateway uses. */
    public readonly baseUrl = `http://${VLLM.alias}:${VLLM.containerPort}/v1`;
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;

    constructor(name: string, args: LocalVllmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:vllm:LocalVllm", name, {}, opts);
        const image = pinnedImage(`${name}-image`, args.image, this);
        const cache = new docker.Volume(`${name}-hf-cache`, {
            name: dockerName(args.namePrefix, "hf-cache"),
            labels: labels(args.namePrefix, "hf-cache"),
        }, { parent: this, retainOnDelete: true });

        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "vllm"),
            image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            // vLLM compiles kernels and writes caches under its home at start.
            readOnly: false,
            tmpfs: { "/tmp": tmpfs(1024) },
            command: vllmArgs(args.model),
            gpus: "all",
            shmSize: 16384,
            envs: pulumi.secret(pulumi.all([args.vllmApiKey, args.hfToken ?? ""]).apply(([key, hf]) => [
                `VLLM_API_KEY=${key}`,
                ...(hf ? [`HF_TOKEN=${hf}`] : []),
                "VLLM_NO_USAGE_STATS=1",
                "DO_NOT_TRACK=1",
            ])),
            networksAdvanced: [
                { name: args.modelNetwork, aliases: [VLLM.alias] },
                { name: args.downloadNetwork },
            ],
            volumes: [{ volumeName: cache.name, containerPath: "/root/.cache/huggingface" }],
            // A cold start of a large model takes many minutes: a long grace period.
            healthcheck: healthcheck(
                ["python3", "-c", `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${VLLM.containerPort}/health", timeout=5)`],
                { interval: 15, timeout: 6, startPeriod: 1800 },
            ),
            labels: labels(args.namePrefix, "vllm"),
        }, { parent: this, deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, VLLM_PIDS_LIMIT, this);

        this.registerOutputs({ baseUrl: this.baseUrl });
    }
}
