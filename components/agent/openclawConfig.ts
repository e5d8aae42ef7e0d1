/**
 * Renders `openclaw.json` for the agent box (OpenClaw 2026.9.6).
 *
 * OpenClaw validates its config strictly: an unknown key or a bad enum value
 * stops start-up. Every key below was checked against the JSON schema that
 * `openclaw config schema` prints for 2026.9.6, and the rendered file is
 * validated by the real CLI in `scripts/check-openclaw-config.sh`.
 *
 * The file is JSON (a subset of JSON5, which OpenClaw reads). JSON has no
 * comments, so the reasons for each setting live here.
 *
 * Secrets never appear in the file. OpenClaw replaces `${VAR}` in any string
 * value with the process environment at activation time; the renderer only
 * ever writes the variable's name. A missing variable is reported as
 * "configured but unavailable" and the feature stays off (measured for both
 * the provider key and the Telegram token): OpenClaw never sends the literal
 * `${VAR}` text as a credential.
 *
 * One start-up request no key turns off in 2026.9.6: after "ready", the
 * gateway prefetches the ClawHub plugin feed (https://clawhub.ai/v1/feeds/plugins,
 * a plugin-dashboard prewarm). It resolves the name itself first, so inside
 * the enclave it dies at DNS; the proxy would refuse it too.
 */

import { AGENT } from "../../policy/contract/contract";
import { AIDER_SKILL_NAME } from "./aiderSkill";

/** The one model the agent may use, as the gateway serves it. */
export interface OpenClawModelInput {
    /** Model name served by the gateway: the exact `model` value of a chat completion request (e.g. `secureclaw-model`). */
    id: string;
    /** Human-readable name shown in OpenClaw's model lists. */
    displayName: string;
    /** Context window of the served model, in tokens (positive integer). */
    contextWindow: number;
    /** Cap on output tokens per request (positive integer, at most `contextWindow`). */
    maxTokens: number;
    /** Whether the model emits reasoning ("thinking") output that OpenClaw should treat as such. */
    reasoning: boolean;
}

/** The Telegram channel. Absent means no channel at all. */
export interface OpenClawTelegramInput {
    /** NAME of the environment variable that holds the bot token (e.g. `TELEGRAM_BOT_TOKEN`). Never the token itself. */
    botTokenEnv: string;
    /** Numeric Telegram user IDs allowed to message the bot. At least one. */
    allowFrom: string[];
    /** Proxy for every Bot API request, e.g. `http://egress-proxy:3128`; omit when apiRoot is the relay on the enclave network. Set on the channel because it beats the environment. */
    proxyUrl?: string;
    /** Bot API root (the SecureClaw relay, or a test server) instead of https://api.telegram.org; no `/bot<TOKEN>` suffix. */
    apiRoot?: string;
}

export interface OpenClawConfigInput {
    /** OpenAI-compatible base URL of the model gateway, ending in `/v1` (e.g. `http://model-gateway:4000/v1`). */
    gatewayBaseUrl: string;
    /** NAME of the environment variable that holds the gateway key (e.g. `SECURECLAW_GATEWAY_KEY`). Rendered as `${NAME}`. */
    gatewayApiKeyEnv: string;
    /** The single model behind the gateway. */
    model: OpenClawModelInput;
    /** Per-request timeout for model calls, in seconds (positive integer). */
    requestTimeoutSeconds: number;
    /** Telegram channel; omit to run without any channel. */
    telegram?: OpenClawTelegramInput;
    /** Absolute path of the agent workspace inside the container (e.g. `/workspace`). */
    workspaceDir: string;
    /** Absolute path of the read-only skills directory (`skills/` under AGENT.paths.config). */
    skillsDir: string;
}

/** Provider id in model references (`secureclaw/<model id>`). */
const PROVIDER_ID = "secureclaw";

/**
 * Tools the agent never gets, on top of the `coding` profile.
 * Each entry is a tool or tool group name from OpenClaw's tool-policy docs.
 */
export const DENIED_TOOLS: readonly string[] = [
    // browser, screen, canvas, dashboard, terminal, portal, widgets: UI and
    // remote-control surfaces with no use in a headless box.
    "group:ui",
    // nodes and computer use: reaching other paired devices.
    "group:nodes",
    // web_search, x_search, web_fetch: arbitrary URL fetching. The proxy would
    // refuse most of it; denying it keeps the agent from trying.
    "group:web",
    // The gateway tool reads config and can trigger update/restart of OpenClaw itself.
    "gateway",
    // Plugin management and the setup/repair helper change what OpenClaw loads.
    "plugins",
    "openclaw",
    // Agent-authored skills would let a hijacked turn persist instructions for later turns.
    "skill_workshop",
    // Remote Python on xAI's servers.
    "code_execution",
    // Asks the human for credentials into OpenClaw's store (a phishing prompt
    // for a hijacked agent); the store's only consumer, the secret egress
    // proxy, is off here. Enabled by default in 2026.9.6.
    "secrets",
];

/**
 * Bundled plugins allowed to load. Without a list 2026.9.6 loads 14 by
 * default (browser, computer use, device pairing, file transfer, GitHub,
 * geolocation, several hosted providers...). The agent needs memory; the
 * Telegram channel plugin is added when the channel is on.
 */
export const BASE_PLUGINS: readonly string[] = ["memory-core"];

const ENV_NAME = /^[A-Z_][A-Z0-9_]*$/; // the only names OpenClaw substitutes in `${...}`
const TELEGRAM_USER_ID = /^[1-9][0-9]{0,19}$/;

function fail(message: string): never {
    throw new Error(`renderOpenClawConfig: ${message}`);
}

/** Plain values must not contain `${`: OpenClaw would treat them as env references. */
function plain(label: string, value: string): string {
    if (typeof value !== "string" || value.trim() === "") fail(`${label} must be a non-empty string`);
    if (value.includes("${")) fail(`${label} must not contain "\${" (OpenClaw would substitute it)`);
    if (/[\u0000-\u001f]/.test(value)) fail(`${label} must not contain control characters`);
    return value;
}

function envName(label: string, value: string): string {
    if (!ENV_NAME.test(value)) fail(`${label} must be an environment variable name matching ${ENV_NAME} (got ${JSON.stringify(value)})`);
    return value;
}

function positiveInt(label: string, value: number): number {
    if (!Number.isSafeInteger(value) || value <= 0) fail(`${label} must be a positive integer (got ${value})`);
    return value;
}

function absolutePath(label: string, value: string): string {
    plain(label, value);
    if (!value.startsWith("/") || value.split("/").includes("..")) fail(`${label} must be an absolute path without ".." (got ${JSON.stringify(value)})`);
    return value.length > 1 ? value.replace(/\/+$/, "") : value;
}

function httpUrl(label: string, value: string, schemes: readonly string[]): string {
    plain(label, value);
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        fail(`${label} is not a URL: ${JSON.stringify(value)}`);
    }
    if (!schemes.includes(url.protocol)) fail(`${label} must use ${schemes.join(" or ")} (got ${url.protocol})`);
    // Credentials in a URL would end up in a world-readable config file.
    if (url.username !== "" || url.password !== "") fail(`${label} must not contain credentials`);
    if (url.search !== "" || url.hash !== "") fail(`${label} must not contain a query or fragment`);
    return value;
}

export function renderOpenClawConfig(input: OpenClawConfigInput): string {
    const baseUrl = httpUrl("gatewayBaseUrl", input.gatewayBaseUrl, ["http:", "https:"]).replace(/\/+$/, "");
    const keyEnv = envName("gatewayApiKeyEnv", input.gatewayApiKeyEnv);
    const model = input.model;
    const modelId = plain("model.id", model.id);
    const displayName = plain("model.displayName", model.displayName);
    const contextWindow = positiveInt("model.contextWindow", model.contextWindow);
    const maxTokens = positiveInt("model.maxTokens", model.maxTokens);
    if (maxTokens > contextWindow) fail("model.maxTokens must not exceed model.contextWindow");
    if (typeof model.reasoning !== "boolean") fail("model.reasoning must be a boolean");
    const timeoutSeconds = positiveInt("requestTimeoutSeconds", input.requestTimeoutSeconds);
    const workspaceDir = absolutePath("workspaceDir", input.workspaceDir);
    const skillsDir = absolutePath("skillsDir", input.skillsDir);

    const telegram = input.telegram === undefined ? undefined : renderTelegram(input.telegram);

    const config = {
        gateway: {
            // OpenClaw refuses to start unless mode is "local" (the box runs its own gateway).
            mode: "local",
            // 127.0.0.1 inside the container only. The box publishes no ports and
            // the healthcheck runs inside it; nothing else may reach this listener.
            bind: "loopback",
            // The health check probes this port.
            port: AGENT.port,
            // No browser control surface: nobody can reach it, and a hosted UI
            // only adds routes (and favicon/preview fetches) to the process.
            controlUi: { enabled: false },
            // The operator terminal is a PTY shell served over the gateway
            // (default ON in 2026.9.6). Never in this box.
            terminal: { enabled: false },
            // Tailscale Serve/Funnel would publish the gateway; there is no tailnet here.
            tailscale: { mode: "off" },
        },
        // Phone-home, off by config (not only by env): the update check
        // (https://telemetry.openclaw.ai/api/latest-version) runs at start and
        // daily unless checkOnStart is false; auto-update would replace the
        // pinned package. Measured: with these keys and no env switches, no
        // request to telemetry.openclaw.ai is made.
        update: { checkOnStart: false, auto: { enabled: false } },
        // Headless node hosts have their own hourly auto-update policy.
        nodeHost: { autoUpdate: { enabled: false } },
        // Anonymous feature statistics (already off by default; pinned off).
        telemetry: { enabled: false },
        // No mDNS advertising on the (internal) network.
        discovery: { mdns: { mode: "off" } },
        // OpenClaw's managed proxy mode would send LAN hosts such as the model
        // gateway through Squid. Pinned off so an OPENCLAW_PROXY_URL in the
        // environment cannot turn it on; HTTP(S)_PROXY/NO_PROXY decide routing.
        proxy: { enabled: false },
        models: {
            // Only the providers below: no built-in provider catalogs, no discovery.
            mode: "replace",
            // The hosted model catalog (catalog.openclaw.ai) is fetched at start
            // and every six hours unless this is false. Measured: off here.
            catalogRefresh: { enabled: false },
            providers: {
                [PROVIDER_ID]: {
                    baseUrl,
                    // Name of the env var only; OpenClaw substitutes it at run time.
                    apiKey: `\${${keyEnv}}`,
                    // LiteLLM speaks /v1/chat/completions.
                    api: "openai-completions",
                    timeoutSeconds,
                    models: [
                        {
                            id: modelId,
                            name: displayName,
                            reasoning: model.reasoning,
                            input: ["text"],
                            // Local hardware: no per-token cost, so no spend figures to trust.
                            cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                            contextWindow,
                            maxTokens,
                        },
                    ],
                },
            },
        },
        agents: {
            defaults: {
                workspace: workspaceDir,
                // The only model, and no fallbacks to anything else.
                model: { primary: `${PROVIDER_ID}/${modelId}`, fallbacks: [] },
                // The container is the sandbox. OpenClaw's sandbox backends need a
                // Docker socket (or SSH/OpenShell), which this box must never have.
                sandbox: { mode: "off" },
                // Elevated mode escapes a sandbox onto the host path; nothing to escalate to.
                elevatedDefault: "off",
                // A repository in the workspace may carry `.openclaw/settings.json`;
                // "ignore" disregards it entirely (default "sanitize" still applies most of it).
                embeddedAgent: { projectSettingsPolicy: "ignore" },
                // Only the skill we ship is visible (bundled skills are not).
                skills: [AIDER_SKILL_NAME],
            },
        },
        tools: {
            // Files, exec, sessions, memory, cron; then the deny list below.
            profile: "coding",
            deny: [...DENIED_TOOLS],
            // No elevated exec for anyone.
            elevated: { enabled: false },
            exec: {
                // Run commands in this process's container; never "sandbox"
                // (needs Docker) or "node" (another machine).
                host: "gateway",
                // No approval prompts: an autonomous agent has nobody to ask, and the
                // container (no capabilities, read-only root, no route out) is the
                // boundary. The Aider skill needs exec.
                mode: "full",
            },
            // read/write/edit/apply_patch stay inside the workspace (exec is not
            // limited by this; the container is).
            fs: { workspaceOnly: true },
            // Belt and braces with the group:web deny.
            web: { search: { enabled: false }, fetch: { enabled: false } },
        },
        skills: {
            // Our skills live on the read-only config mount.
            load: { extraDirs: [skillsDir], watch: false },
            // No autonomous skill capture and no agent-applied proposals.
            workshop: { autonomous: { mode: "off" }, approvalPolicy: "pending" },
        },
        plugins: {
            allow: [...BASE_PLUGINS, ...(telegram ? ["telegram"] : [])],
        },
        // Enabled without a policy command, every skill/plugin install fails closed.
        security: { installPolicy: { enabled: true } },
        // Keyword (FTS) memory search only. The default embedding provider is
        // OpenAI's hosted API; "none" means no embedding requests at all.
        memory: { search: { provider: "none", fallback: "none" } },
        // ACP spawns external coding-agent CLIs and can run install commands.
        acp: { enabled: false },
        // No managed browser.
        browser: { enabled: false },
        commands: {
            // Chat commands that run shells or edit config/plugins/MCP: all off.
            bash: false,
            config: false,
            mcp: false,
            plugins: false,
            debug: false,
            // /restart, /update and SIGUSR2 restarts: the container is managed from outside.
            restart: false,
            // The allowlisted Telegram users are the owners (heartbeat DMs, owner-only commands).
            ...(telegram ? { ownerAllowFrom: telegram.allowFrom.map((id) => `telegram:${id}`) } : {}),
        },
        ...(telegram ? { channels: { telegram } } : {}),
    };
    return `${JSON.stringify(config, null, 2)}\n`;
}

function renderTelegram(t: OpenClawTelegramInput) {
    const tokenEnv = envName("telegram.botTokenEnv", t.botTokenEnv);
    if (!Array.isArray(t.allowFrom) || t.allowFrom.length === 0) {
        // dmPolicy "allowlist" with nobody on it blocks every DM (and fails validation).
        fail("telegram.allowFrom must list at least one numeric Telegram user ID");
    }
    const allowFrom = t.allowFrom.map((id) => {
        const s = String(id).trim();
        if (!TELEGRAM_USER_ID.test(s)) fail(`telegram.allowFrom entries must be numeric Telegram user IDs (got ${JSON.stringify(id)})`);
        return s;
    });
    const proxy = t.proxyUrl === undefined ? undefined : httpUrl("telegram.proxyUrl", t.proxyUrl, ["http:", "https:"]);
    const apiRoot = t.apiRoot === undefined ? undefined : httpUrl("telegram.apiRoot", t.apiRoot, ["https:", "http:"]).replace(/\/+$/, "");
    if (apiRoot !== undefined && /\/bot[^/]*$/.test(apiRoot)) fail("telegram.apiRoot is the Bot API root, without /bot<TOKEN>");
    return {
        enabled: true,
        // Env reference, never a token: the variable holds the agent's relay credential. (tokenFile would beat it; not used.)
        botToken: `\${${tokenEnv}}`,
        // Only the listed users; no pairing flow that strangers could start.
        dmPolicy: "allowlist",
        allowFrom: [...new Set(allowFrom)],
        // No groups: a group would let anyone in it address the agent.
        groupPolicy: "disabled",
        // Telegram events and /config from chat must not rewrite config.
        configWrites: false,
        // Channel-level proxy beats HTTP(S)_PROXY (measured: with a different
        // env proxy, every Bot API CONNECT went to this one).
        ...(proxy !== undefined ? { proxy } : {}),
        ...(apiRoot !== undefined ? { apiRoot } : {}),
    };
}
