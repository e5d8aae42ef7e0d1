import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { CONFIG_HASH_LABEL, dockerName, GATEWAY } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { ConfigVolume } from "../shared/configVolume";
import { HARDENED, tmpfs } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { buildRepoImage, pinnedImage } from "../shared/images";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { CONFIG_FILE, litellmCommand, MASTER_KEY_ENV, renderLiteLLMConfig, VLLM_KEY_ENV } from "./litellmConfig";

export interface ModelGatewayArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** Pinned LiteLLM image; undefined builds images/litellm. */
    image?: string;
    /** vLLM's OpenAI base URLs (ending in /v1), one per deployment. */
    vllmBaseUrls: string[];
    /** What must exist before the gateway starts (the vLLM launch). */
    upstream: pulumi.Input<pulumi.Resource>[];
    /** Name vLLM serves the model under. */
    servedName: string;
    requestTimeoutSeconds: number;
    maxOutputTokens: number;
    /** Key callers present to the gateway (secret). */
    masterKey: pulumi.Input<string>;
    /** Key the gateway presents to vLLM (secret). */
    vllmApiKey: pulumi.Input<string>;
    /** The network only the door and LiteLLM join (the door calls from there). */
    doorNetwork: pulumi.Input<string>;
    /** The internal network vLLM (local) or the model links (GPU hosts) are reached on. */
    upstreamNetwork: pulumi.Input<string>;
}

/** LiteLLM's own limits: two workers (LITELLM_WORKERS), a few hundred threads at most. */
const LIMITS = { memoryMb: 2048, cpus: 2, pids: 512 };

/**
 * LiteLLM, behind the door: it holds the vLLM key and the master key, so the
 * agent never does, and it forwards to the stack's vLLM and nowhere else.
 * Only the door reaches it (the gateway network); the agent's network does
 * not. Both its networks are internal: it has no route out at all.
 */
export class ModelGateway extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;

    constructor(name: string, args: ModelGatewayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:gateway:ModelGateway", name, {}, opts);

        const image = args.image
            ? pinnedImage(`${name}-image`, args.image, this)
            : buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "litellm" }, this);

        // Why a volume: the container's root stays read-only and the keys stay out of the file.
        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "gateway-config",
            writerImage: image,
            files: [{
                path: CONFIG_FILE,
                content: renderLiteLLMConfig({
                    vllmBaseUrls: args.vllmBaseUrls,
                    servedName: args.servedName,
                    requestTimeoutSeconds: args.requestTimeoutSeconds,
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

        // Why no start here: it starts under its pids limit (startUnderPidsLimit).
        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "model-gateway"),
            image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            tmpfs: { "/tmp": tmpfs(256) },
            memory: LIMITS.memoryMb,
            memorySwap: LIMITS.memoryMb,
            cpus: dockerCpus(LIMITS.cpus),
            command: litellmCommand(GATEWAY.configDir, GATEWAY.port),
            envs,
            networksAdvanced: [
                { name: args.doorNetwork, aliases: [GATEWAY.litellmAlias] },
                { name: args.upstreamNetwork },
            ],
            volumes: [{ volumeName: config.volumeName, containerPath: GATEWAY.configDir, readOnly: true }],
            healthcheck: healthcheck(
                ["python3", "-c", `import urllib.request; urllib.request.urlopen("http://127.0.0.1:${GATEWAY.port}/health/liveliness", timeout=5)`],
                { interval: 10, timeout: 6, startPeriod: 60 },
            ),
            // LiteLLM can't reload its file, so the config's hash is a label:
            // a changed config replaces the gateway on purpose.
            labels: labels(args.namePrefix, "model-gateway", { [CONFIG_HASH_LABEL]: config.hash }),
        }, { parent: this, dependsOn: [...config.writers, ...args.upstream], deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, LIMITS.pids, this);

        this.registerOutputs({ container: this.container.name });
    }
}
