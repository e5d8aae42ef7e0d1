import { AgentConfig, ModelConfig, TelegramConfig } from "../../config/schema";

/**
 * What the agent box is made from, secrets aside: the plain values that both
 * its rendered files and its environment come from.
 */
export interface AgentSettings {
    /** Resource limits and extra trust. */
    agent: AgentConfig;
    /** The model behind the gateway (context size and output cap for the agent). */
    model: ModelConfig;
    /** The Telegram channel, or none. */
    telegram: TelegramConfig;
    /** Gateway timeout in seconds, mirrored in OpenClaw and Aider so they wait as long as the gateway. */
    requestTimeoutSeconds: number;
    /**
     * OpenAI-compatible base URL of the model gateway on the enclave network,
     * ending in `/v1` (e.g. `http://model-gateway:4000/v1`). Model calls go
     * there directly; its host is the one name the proxy is bypassed for.
     */
    gatewayUrl: string;
    /** URL of the egress proxy on the enclave network (e.g. `http://egress-proxy:3128`), the agent's only way out. */
    proxyUrl: string;
    /** Bot API root of the Telegram relay on the enclave network (e.g. `http://telegram-relay:8081`); required when telegram is on. */
    telegramRelayUrl?: string;
}

/** Environment variables that carry secrets (the Telegram one: the agent's relay credential, never the bot token). The rendered files only ever name them. */
export const GATEWAY_KEY_ENV = "SECURECLAW_GATEWAY_KEY";
export const TELEGRAM_TOKEN_ENV = "TELEGRAM_BOT_TOKEN";
