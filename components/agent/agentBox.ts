import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AgentConfig, ModelConfig, TelegramConfig } from "../../config/schema";
import { renderAiderModelMetadata, renderAiderModelSettings, renderAiderSkillMd, renderAiderWrapper } from "./aiderSkill";
import { renderOpenClawConfig } from "./openclawConfig";
import { ConfigVolume } from "../shared/configVolume";
import { AGENT_MODEL_ALIAS } from "../gateway/litellmConfig";
import { GATEWAY_ALIAS, GATEWAY_URL } from "../gateway/modelGateway";
import { PROXY_URL } from "../egress/egressProxy";
import { HARDENED, tmpfs } from "../shared/hardening";
import { buildRepoImage } from "../shared/images";
import { labels } from "../shared/labels";

export interface AgentBoxArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** Resource limits and extra trust. */
    agent: AgentConfig;
    /** The model behind the gateway (context size and output cap for the agent). */
    model: ModelConfig;
    telegram: TelegramConfig;
    /** Gateway timeout, mirrored in the agent so it waits as long as the gateway. */
    requestTimeoutSeconds: number;
    /** Key the agent presents to the gateway (secret). */
    gatewayKey: pulumi.Input<string>;
    /** Telegram bot token (secret); required when telegram is enabled. */
    telegramBotToken?: pulumi.Input<string>;
    /** The internal enclave network, the only network the agent joins. */
    enclaveNetwork: pulumi.Input<string>;
    /** An enclave address nothing holds, used as the agent's DNS upstream. */
    dnsSink: string;
    /** Sidecars that must be up before the agent starts. */
    sidecars: pulumi.Input<pulumi.Resource>[];
}

/** Paths inside the agent box. */
export const AGENT_PATHS = {
    config: "/etc/openclaw",
    state: "/var/lib/openclaw",
    workspace: "/workspace",
    home: "/home/node",
} as const;
export const AGENT_UID = 1000;
export const OPENCLAW_PORT = 18789;
const GATEWAY_KEY_ENV = "SECURECLAW_GATEWAY_KEY";
const TELEGRAM_TOKEN_ENV = "TELEGRAM_BOT_TOKEN";
const EXTRA_CA = "ca/extra.pem";
/** Skill folders OpenClaw reads besides ours; each gets an empty read-only mount. */
export const SHADOWING_SKILL_DIRS = [
    `${AGENT_PATHS.workspace}/skills`,
    `${AGENT_PATHS.workspace}/.agents/skills`,
    `${AGENT_PATHS.state}/skills`,
];

/**
 * The agent box: OpenClaw with the Aider skill, on the enclave network only.
 *
 * Everything here assumes the agent is hostile. It has no capabilities, can't
 * gain any, runs as uid 1000 on a read-only root, and can write only its
 * workspace, its state and two small tmpfs mounts. Its config and skills are
 * mounted read-only, so a hijacked agent can't persist a backdoor in them.
 * It has no ports, no GPU, no Docker socket and no host paths. The network
 * gives it two peers: the gateway (models) and the proxy (allowlisted TLS).
 */
export class AgentBox extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Docker name of the workspace volume. */
    public readonly workspaceVolumeName: pulumi.Output<string>;

    constructor(name: string, args: AgentBoxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:agent:AgentBox", name, {}, opts);
        if (args.telegram.enabled && args.telegramBotToken === undefined) {
            throw new Error("AgentBox: telegram is enabled but no bot token was given");
        }
        const image = buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "agent" }, this);

        const skillInput = {
            gatewayBaseUrl: GATEWAY_URL,
            gatewayApiKeyEnv: GATEWAY_KEY_ENV,
            modelName: AGENT_MODEL_ALIAS,
            contextWindow: args.model.maxModelLen,
            maxOutputTokens: args.model.maxOutputTokens,
            requestTimeoutSeconds: args.requestTimeoutSeconds,
            workspaceDir: AGENT_PATHS.workspace,
            configDir: AGENT_PATHS.config,
        };
        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "agent-config",
            writerImage: image,
            files: [
                {
                    path: "openclaw.json",
                    content: renderOpenClawConfig({
                        gatewayBaseUrl: GATEWAY_URL,
                        gatewayApiKeyEnv: GATEWAY_KEY_ENV,
                        model: {
                            id: AGENT_MODEL_ALIAS,
                            displayName: `${args.model.servedName} (local vLLM)`,
                            contextWindow: args.model.maxModelLen,
                            maxTokens: args.model.maxOutputTokens,
                            reasoning: false,
                        },
                        requestTimeoutSeconds: args.requestTimeoutSeconds,
                        workspaceDir: AGENT_PATHS.workspace,
                        skillsDir: `${AGENT_PATHS.config}/skills`,
                        ...(args.telegram.enabled
                            ? { telegram: { botTokenEnv: TELEGRAM_TOKEN_ENV, allowFrom: args.telegram.allowFrom, proxyUrl: PROXY_URL, ...(args.telegram.apiRoot ? { apiRoot: args.telegram.apiRoot } : {}) } }
                            : {}),
                    }),
                },
                { path: "skills/aider/SKILL.md", content: renderAiderSkillMd(skillInput) },
                { path: "skills/aider/run-aider.sh", content: renderAiderWrapper(skillInput), executable: true },
                { path: "aider/model.metadata.json", content: renderAiderModelMetadata(skillInput) },
                { path: "aider/model.settings.yml", content: renderAiderModelSettings(skillInput) },
                // Always present, so no stale CA outlives its removal from config
                // (the provider refuses an empty upload, hence the comment line).
                { path: EXTRA_CA, content: args.agent.extraCaCertificates ?? "# no extra CA certificates\n" },
            ],
        }, { parent: this });

        const volume = (suffix: string, role: "workspace" | "agent-state") => new docker.Volume(`${name}-${suffix}`, {
            name: `${args.namePrefix}-${role}`,
            labels: labels(args.namePrefix, role),
        }, { parent: this, retainOnDelete: role === "workspace" });
        const workspace = volume("workspace", "workspace");
        const state = volume("state", "agent-state");
        this.workspaceVolumeName = workspace.name;

        const noProxy = [GATEWAY_ALIAS, "localhost", "127.0.0.1"].join(",");
        const envs = pulumi.secret(
            pulumi.all([args.gatewayKey, args.telegramBotToken ?? ""]).apply(([gatewayKey, botToken]) => [
                `${GATEWAY_KEY_ENV}=${gatewayKey}`,
                ...(args.telegram.enabled ? [`${TELEGRAM_TOKEN_ENV}=${botToken}`] : []),
                // Every outbound request goes through the proxy, except model calls to the gateway.
                ...["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map((v) => `${v}=${PROXY_URL}`),
                `NO_PROXY=${noProxy}`,
                `no_proxy=${noProxy}`,
                `OPENCLAW_CONFIG_PATH=${AGENT_PATHS.config}/openclaw.json`,
                `OPENCLAW_STATE_DIR=${AGENT_PATHS.state}`,
                // Refuse every config writer: the agent must not rewrite its own rules.
                "OPENCLAW_CONFIG_READONLY=1",
                // No update checks, telemetry, helper downloads or LAN discovery.
                "OPENCLAW_NO_AUTO_UPDATE=1",
                "OPENCLAW_OFFLINE=1",
                "OPENCLAW_DISABLE_BONJOUR=1",
                "DO_NOT_TRACK=1",
                `HOME=${AGENT_PATHS.home}`,
                ...(args.agent.extraCaCertificates ? [`NODE_EXTRA_CA_CERTS=${AGENT_PATHS.config}/${EXTRA_CA}`] : []),
            ]),
        );

        this.container = new docker.Container(name, {
            name: `${args.namePrefix}-agent`,
            image,
            ...HARDENED,
            user: `${AGENT_UID}:${AGENT_UID}`,
            tmpfs: {
                "/tmp": tmpfs(512, "noexec"),
                [AGENT_PATHS.home]: tmpfs(256, `uid=${AGENT_UID},gid=${AGENT_UID}`),
                // OpenClaw also loads skills from the workspace and the state
                // dir, and those win over ours: an empty read-only mount on each
                // keeps a hijacked agent from shadowing the Aider skill.
                ...Object.fromEntries(SHADOWING_SKILL_DIRS.map((dir) => [dir, "ro,nosuid,nodev,noexec,size=1k"])),
            },
            memory: args.agent.memoryMb,
            memorySwap: args.agent.memoryMb,
            cpus: String(args.agent.cpus),
            ulimits: [
                { name: "nofile", soft: 4096, hard: 8192 },
                { name: "core", soft: 0, hard: 0 },
            ],
            networksAdvanced: [{ name: args.enclaveNetwork, aliases: ["agent"] }],
            // Docker's embedded resolver forwards names it doesn't know to the
            // container's upstream servers. An internal network has no route
            // to a real one, but engines before 26.0 (CVE-2024-29018) forward
            // from the host's namespace when the upstream is on the host's
            // loopback. An upstream that is an unassigned enclave address
            // leaves only the sidecars' names resolvable and nothing to leak to.
            dns: [args.dnsSink],
            sysctls: { "net.ipv6.conf.all.disable_ipv6": "1" },
            envs,
            volumes: [
                { volumeName: workspace.name, containerPath: AGENT_PATHS.workspace },
                { volumeName: state.name, containerPath: AGENT_PATHS.state },
                { volumeName: config.volumeName, containerPath: AGENT_PATHS.config, readOnly: true },
            ],
            healthcheck: {
                tests: ["CMD", "node", "-e", `fetch("http://127.0.0.1:${OPENCLAW_PORT}/healthz").then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
                interval: "15s",
                timeout: "5s",
                retries: 3,
                startPeriod: "60s",
            },
            labels: labels(args.namePrefix, "agent"),
        }, { parent: this, dependsOn: [config.writer, ...args.sidecars], deleteBeforeReplace: true });

        // @pulumi/docker has no pids-limit input, and ulimit nproc counts every
        // process of the uid on the host, not the container. The engine's
        // cgroup limit is set here and set again whenever the container is replaced.
        new command.local.Command(`${name}-pids-limit`, {
            create: pulumi.interpolate`docker update --pids-limit ${args.agent.pids} ${this.container.id}`,
            triggers: [this.container.id, args.agent.pids],
        }, { parent: this });

        this.registerOutputs({ container: this.container.name, workspaceVolumeName: this.workspaceVolumeName });
    }
}
