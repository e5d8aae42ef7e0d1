import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HARDENED, tmpfs } from "../shared/hardening";
import { pinnedImage } from "../shared/images";
import { labels } from "../shared/labels";
import { VLLM_CONTAINER_PORT, vllmArgs, VllmModelArgs } from "./launch";

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

export const VLLM_ALIAS = "vllm";

/**
 * vLLM as a container on this Docker host (the single-DGX topology). It
 * publishes no port: the gateway reaches it on the internal model network,
 * which the agent does not join. It also sits on the egress network to
 * download weights from Hugging Face; the agent can't reach that network.
 */
export class LocalVllm extends pulumi.ComponentResource {
    /** OpenAI base URL the gateway uses. */
    public readonly baseUrl = `http://${VLLM_ALIAS}:${VLLM_CONTAINER_PORT}/v1`;
    public readonly container: docker.Container;

    constructor(name: string, args: LocalVllmArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:vllm:LocalVllm", name, {}, opts);
        const image = pinnedImage(`${name}-image`, args.image, this);
        const cache = new docker.Volume(`${name}-hf-cache`, {
            name: `${args.namePrefix}-hf-cache`,
            labels: labels(args.namePrefix, "hf-cache"),
        }, { parent: this, retainOnDelete: true });

        this.container = new docker.Container(name, {
            name: `${args.namePrefix}-vllm`,
            image,
            ...HARDENED,
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
                { name: args.modelNetwork, aliases: [VLLM_ALIAS] },
                { name: args.downloadNetwork },
            ],
            volumes: [{ volumeName: cache.name, containerPath: "/root/.cache/huggingface" }],
            healthcheck: {
                tests: ["CMD", "python3", "-c", `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${VLLM_CONTAINER_PORT}/health", timeout=5)`],
                interval: "15s",
                timeout: "6s",
                retries: 3,
                startPeriod: "30m",
            },
            labels: labels(args.namePrefix, "vllm"),
        }, { parent: this, deleteBeforeReplace: true });

        this.registerOutputs({ baseUrl: this.baseUrl });
    }
}
