/**
 * An agent's relay credential, what its Telegram channel uses as the "bot
 * token": `<bot id>:relay-<hex>`, hex = HMAC-SHA256(bot token,
 * "secureclaw-relay:" + agent), where the bot token is that agent's own. It
 * keeps the shape OpenClaw expects and is worthless anywhere else (Telegram
 * refuses it; it tells nothing about the token). The relay derives the same
 * value (images/relay/src/identity.ts) and keeps only its SHA-256. Rotating
 * an agent's bot token rotates its credential and no other.
 */
import { createHmac } from "crypto";

export function relayCredential(botToken: string, agentName: string): string {
    const match = /^(\d{1,20}):[A-Za-z0-9_-]{1,100}$/.exec(botToken);
    if (!match) throw new Error("relayCredential: the bot token is not <digits>:<secret> (as @BotFather gives it)");
    return `${match[1]}:relay-${createHmac("sha256", botToken).update(`secureclaw-relay:${agentName}`).digest("hex")}`;
}
