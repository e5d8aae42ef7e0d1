/**
 * Who is calling. The agent's Telegram channel uses, as its "bot token", a
 * relay credential: `<bot id>:relay-<hex>` where hex is
 * HMAC-SHA256(real bot token, "secureclaw-relay:" + agent name). It keeps the
 * shape OpenClaw expects (the bot id before the colon) and is worthless
 * anywhere else: Telegram refuses it, and it says nothing about the real
 * token. The relay keeps only the SHA-256 of each agent's credential, so a
 * lookup compares nothing byte by byte.
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

const sha256Hex = (text: string) => createHash("sha256").update(text).digest("hex");

export class Identities {
    private readonly agentByHash: Map<string, string>;

    constructor(botToken: string, agentNames: readonly string[]) {
        this.agentByHash = new Map(agentNames.map((name) => [sha256Hex(deriveCredential(botToken, name)), name]));
    }

    /** The agent a credential from the URL belongs to, or undefined. */
    identify(credential: string): string | undefined {
        return credential.length > 256 ? undefined : this.agentByHash.get(sha256Hex(credential));
    }
}
