/**
 * Who is calling. Each agent has a bot of its own. Its Telegram channel uses,
 * as its "bot token", a relay credential: `<bot id>:relay-<hex>` where hex is
 * HMAC-SHA256(that agent's real bot token, "secureclaw-relay:" + agent name).
 * It keeps the shape OpenClaw expects (the bot id before the colon) and is
 * worthless anywhere else: Telegram refuses it, and it says nothing about the
 * real token. The relay keeps only the SHA-256 of each agent's credential, so
 * a lookup compares nothing byte by byte.
 *
 * Keep deriveCredential identical to components/relay/credentials.ts (a unit
 * test presents the program's credential to this relay).
 */
import { createHash, createHmac } from "node:crypto";

const DERIVATION_LABEL = "secureclaw-relay:";

/** The numeric bot id before the colon of a Bot API token. */
export function botIdOf(botToken: string): string {
    const match = /^(\d{1,20}):[A-Za-z0-9_-]{1,100}$/.exec(botToken);
    if (!match) throw new Error("the bot token is not <digits>:<secret>");
    return match[1];
}

export function deriveCredential(botToken: string, agentName: string): string {
    return `${botIdOf(botToken)}:relay-${createHmac("sha256", botToken).update(DERIVATION_LABEL + agentName).digest("hex")}`;
}

/**
 * Refuses two agents on one bot: Telegram hands each update to one getUpdates
 * caller, so two agents polling one bot would take each other's messages, and
 * one could write as the other. Names the agents and the bot id, never a token.
 */
export function checkOneBotPerAgent(tokens: ReadonlyMap<string, string>): void {
    const agentByBot = new Map<string, string>();
    for (const [agent, token] of [...tokens].sort(([a], [b]) => a.localeCompare(b))) {
        const bot = botIdOf(token);
        const other = agentByBot.get(bot);
        if (other !== undefined) throw new Error(`agents ${other} and ${agent} use the same bot (id ${bot}): give each agent a bot of its own (@BotFather /newbot)`);
        agentByBot.set(bot, agent);
    }
}

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

export class Identities {
    private readonly agentByHash: Map<string, string>;

    /** `tokens`: each agent's own bot token, by agent name. */
    constructor(tokens: ReadonlyMap<string, string>) {
        this.agentByHash = new Map([...tokens].map(([name, token]) => [sha256Hex(deriveCredential(token, name)), name]));
    }

    /** The agent a credential from the URL belongs to, or undefined. */
    identify(credential: string): string | undefined {
        return credential.length > 256 ? undefined : this.agentByHash.get(sha256Hex(credential));
    }
}
