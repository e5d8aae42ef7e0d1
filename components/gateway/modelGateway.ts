import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { ConfigVolume } from "../shared/configVolume";
import { GATEWAY_CONFIG_DIR, GATEWAY_PORT, MASTER_KEY_ENV, renderLiteLLMConfig, VLLM_KEY_ENV } from "./litellmConfig";
import { HARDENED, tmpfs } from "../shared/hardening";
import { buildRepoImage, pinnedImage } from "../shared/images";
import { labels } from "../shared/labels";

export interface ModelGatewayArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** Pinned LiteLLM image; undefined builds images/litellm. */
    image?: string;
    /** vLLM's OpenAI base URL (ending in /v1). */
    vllmBaseUrl: string;
    /** What must exist before the gateway starts (the vLLM launch). */
    upstream: pulumi.Input<pulumi.Resource>[];
    /** Name vLLM serves the model under. */
    servedName: string;
    requestTimeoutSeconds: number;
    maxParallelRequests: number;
    maxOutputTokens: number;
    /** Key callers present to the gateway (secret). */
    masterKey: pulumi.Input<string>;
    /** Key the gateway presents to vLLM (secret). */
    vllmApiKey: pulumi.Input<string>;
    /** Enclave network (where the agent calls from). */
    enclaveNetwork: pulumi.Input<string>;
    /** The network vLLM is reached on: the model network (local vLLM) or the egress network (remote GPU host). */
    upstreamNetwork: pulumi.Input<string>;
}

/** The name the agent reaches the gateway by on the enclave network. */
export const GATEWAY_ALIAS = "model-gateway";
export const GATEWAY_URL = `http://${GATEWAY_ALIAS}:${GATEWAY_PORT}/v1`;

/**
 * LiteLLM, the agent's only route to a model. It holds the vLLM key, so the
 * agent never does, and it forwards to exactly one upstream.
 */
export class ModelGateway extends pulumi.ComponentResource {
    public readonly container: docker.Container;

    constructor(name: string, args: ModelGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:gateway:ModelGateway", name, {}, opts);

        const image = args.image
            ? pinnedImage(`${name}-image`, args.image, this)
            : buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "litellm" }, this);

        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "gateway-config",
            writerImage: image,
            files: [{
                path: "config.yaml",
                content: renderLiteLLMConfig({
                    vllmBaseUrl: args.vllmBaseUrl,
                    servedName: args.servedName,
                    requestTimeoutSeconds: args.requestTimeoutSeconds,
                    maxParallelRequests: args.maxParallelRequests,
                    maxOutputTokens: args.maxOutputTokens,
                }),
            }],
        }, { parent: this });

        const envs = pulumi.secret(
            pulumi.all([args.masterKey, args.vllmApiKey]).apply(([masterKey, vllmKey]) => [
                `${MASTER_KEY_ENV}=${masterKey}`,
                `${VLLM_KEY_ENV}=${vllmKey}`,
                // No start-up download of the model price list.
                "LITELLM_LOCAL_MODEL_COST_MAP=True",
                // No admin UI and no API docs to browse.
                "DISABLE_ADMIN_UI=True",
                "NO_DOCS=True",
                "NO_REDOC=True",
                "LITELLM_TELEMETRY=False",
                "HOME=/tmp",
            ]),
        );

        this.container = new docker.Container(name, {
            name: `${args.namePrefix}-model-gateway`,
            image,
            ...HARDENED,
            tmpfs: { "/tmp": tmpfs(256) },
            memory: 2048,
            memorySwap: 2048,
            cpus: "2",
            command: ["--config", `${GATEWAY_CONFIG_DIR}/config.yaml`, "--port", String(GATEWAY_PORT), "--num_workers", "1"],
            envs,
            networksAdvanced: [
                { name: args.enclaveNetwork, aliases: [GATEWAY_ALIAS] },
                { name: args.upstreamNetwork },
            ],
            volumes: [{ volumeName: config.volumeName, containerPath: GATEWAY_CONFIG_DIR, readOnly: true }],
            healthcheck: {
                tests: ["CMD", "python3", "-c", `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${GATEWAY_PORT}/health/liveliness", timeout=5)`],
                interval: "10s",
                timeout: "6s",
                retries: 3,
                startPeriod: "60s",
            },
            // LiteLLM can't reload its file, so the config's hash is a label:
            // a changed config replaces the gateway on purpose.
            labels: labels(args.namePrefix, "model-gateway", { "secureclaw.config-sha256": config.hash }),
        }, { parent: this, dependsOn: [config.writer, ...args.upstream], deleteBeforeReplace: true });

        this.registerOutputs({ container: this.container.name });
    }
}
