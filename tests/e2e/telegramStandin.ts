/**
 * The Telegram stand-in's TEST-ONLY control API (tests/e2e/images/telegram-standin/server.py):
 * queue updates for getUpdates, register files for getFile, and read back
 * every Bot API request it received. The host reaches it on the egress
 * network; the enclave never can.
 */
import { TELEGRAM_IP } from "./setup";

const CONTROL = `http://${TELEGRAM_IP}:8081/control`;

/** One Bot API request the stand-in received. */
export interface StandinRequest {
    time: number;
    /** The address it came from (the proxy's on the egress network). */
    client: string;
    http: string;
    /** Bot API method, "file" for a download, null for an unknown path. */
    method: string | null;
    /** The bot token in the URL, in full. */
    token: string;
    token_sha256: string | null;
    chat_id: string | null;
    text: string | null;
    bytes: number;
}

async function control(path: string, body?: unknown): Promise<any> {
    const res = await fetch(`${CONTROL}/${path}`, body === undefined ? {} : { method: "POST", body: JSON.stringify(body) });
    const json = await res.json();
    if (!res.ok || !json.ok) throw new Error(`telegram stand-in control ${path}: ${res.status} ${JSON.stringify(json)}`);
    return json;
}

/** Queues a private text message from user `from` (its chat defaults to the same id) for bot `bot` (default: main's); returns its update_id. */
export async function queueMessage(from: string | number, text: string, chat?: string | number, bot?: string): Promise<number> {
    return (await control("updates", { from: Number(from), text, ...(chat !== undefined ? { chat: Number(chat) } : {}), ...(bot !== undefined ? { bot } : {}) })).update_id;
}

/** Queues a raw Update (the stand-in adds update_id). */
export async function queueUpdate(update: Record<string, unknown>): Promise<number> {
    return (await control("updates", { update })).update_id;
}

/** Makes getFile know `fileId`, `size` bytes long (the download serves that many). */
export async function registerFile(fileId: string, size: number): Promise<void> {
    await control("files", { file_id: fileId, size });
}

export async function standinBotRequests(): Promise<StandinRequest[]> {
    return (await control("requests")).requests;
}

export async function resetStandin(): Promise<void> {
    await control("reset", {});
}
