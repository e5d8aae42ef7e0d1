import { AGENT, AGENT_FILES } from "../../policy/contract/contract";
import { AgentSettings, GATEWAY_KEY_ENV, TELEGRAM_TOKEN_ENV } from "./agentSettings";

/** The secret values, resolved; only the call site (inside an apply) has them. */
export interface AgentSecrets {
    /** Key the agent presents to the gateway. */
    gatewayKey: string;
    /** The agent's relay credential, its channel's "bot token" (worthless but at the relay); used only when the channel is enabled. */
    telegramBotToken?: string;
}

/** The agent container's environment, `NAME=value` entries, secrets included. */
export function agentEnvironment(s: AgentSettings, secrets: AgentSecrets): string[] {
    // Every outbound request goes through the proxy, except model calls to the gateway.
    // ... and Bot API calls to the Telegram relay, which sits on the enclave network too.
    const noProxy = [new URL(s.gatewayUrl).hostname, ...(s.telegram.enabled && s.telegramRelayUrl ? [new URL(s.telegramRelayUrl).hostname] : []), "localhost", "127.0.0.1"].join(",");
    return [
        `${GATEWAY_KEY_ENV}=${secrets.gatewayKey}`,
        ...(s.telegram.enabled ? [`${TELEGRAM_TOKEN_ENV}=${secrets.telegramBotToken ?? ""}`] : []),
        ...["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"].map((v) => `${v}=${s.proxyUrl}`),
        `NO_PROXY=${noProxy}`,
        `no_proxy=${noProxy}`,
        `OPENCLAW_CONFIG_PATH=${AGENT.paths.config}/${AGENT_FILES.openclaw}`,
        `OPENCLAW_STATE_DIR=${AGENT.paths.state}`,
        // Refuse every config writer: the agent must not rewrite its own rules.
        "OPENCLAW_CONFIG_READONLY=1",
        // No update checks, telemetry, helper downloads or LAN discovery.
        "OPENCLAW_NO_AUTO_UPDATE=1",
        "OPENCLAW_OFFLINE=1",
        "OPENCLAW_DISABLE_BONJOUR=1",
        "DO_NOT_TRACK=1",
        `HOME=${AGENT.paths.home}`,
        ...(s.agent.extraCaCertificates ? [`NODE_EXTRA_CA_CERTS=${AGENT.paths.config}/${AGENT_FILES.extraCa}`] : []),
        // OpenClaw's file helper opens its state with openat2(RESOLVE_BENEATH), which
        // gVisor 2022-12 lacks (ENOSYS, and the gateway won't start); "off" keeps its
        // path checks and no-follow opens, without the kernel-atomic openat2.
        ...(s.agent.runtime === "runsc" ? ["FS_SAFE_NATIVE_MODE=off"] : []),
    ];
}
