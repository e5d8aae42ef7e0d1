/**
 * The user story on the live enclave: the owner asks the bot over Telegram
 * for a code change, OpenClaw asks the model, runs the Aider skill, Aider
 * asks the model for the edit, the file changes and the owner gets the reply.
 *
 * The model is the vLLM stand-in's TEST-ONLY script
 * (tests/e2e/images/gpu-host/scripted_model.py); the story's constants are its
 * values (storyScript.ts), and tests/unit/scriptedModel.test.ts fails if the
 * two drift apart.
 * Telegram is the stand-in's control API (tests/e2e/telegramStandin.ts): it
 * sees the bot's requests whether they come from OpenClaw through the proxy
 * or from a relay in front of it, so nothing here depends on that route.
 */
import { StandinRequest, standinRequests } from "./gateway";
import { sh } from "./support";
import { queueMessage, standinBotRequests, StandinRequest as BotRequest } from "./telegramStandin";

import { SEED_HELLO } from "./storyScript";

export { DONE_TEXT, GREET_REQUEST, SEED_HELLO, STORY_STEPS } from "./storyScript";

/** A vLLM stand-in record with the script's fields. */
export interface ScriptedRecord extends StandinRequest {
    /** The scripted step that answered, null for the echo. */
    script: string | null;
    /** Every user message of the request, OpenClaw's injected context removed. */
    user_texts: string[];
}

export async function modelRecords(gpuHost: string, sinceMs: number): Promise<ScriptedRecord[]> {
    return ((await standinRequests(gpuHost)) as ScriptedRecord[]).filter((r) => r.time * 1000 >= sinceMs);
}

/** Writes hello.py into the agent's workspace as the agent user (the box's own uid). */
export async function seedHello(agent: string): Promise<void> {
    const r = await sh("docker", ["exec", "-i", agent, "sh", "-c", "cat > /workspace/hello.py"], SEED_HELLO);
    if (r.code !== 0) throw new Error(`seeding hello.py: ${r.stderr}`);
}

export async function readHello(agent: string): Promise<string> {
    const r = await sh("docker", ["exec", agent, "cat", "/workspace/hello.py"]);
    if (r.code !== 0) throw new Error(`reading hello.py: ${r.stderr}`);
    return r.stdout;
}

/** Imports hello.py inside the box and calls greet(): the edit is code that runs, not just text. */
export async function callGreet(agent: string): Promise<string> {
    const r = await sh("docker", ["exec", "-w", "/workspace", agent, "python3", "-B", "-c", "import hello; print(hello.greet())"]);
    if (r.code !== 0) throw new Error(`calling greet(): ${r.stderr}`);
    return r.stdout.trim();
}

/** The text of a Bot API send as the owner reads it (OpenClaw sends HTML: `hello.py` arrives as <code>hello.py</code>). */
export function plainText(html: string | null): string {
    return (html ?? "").replace(/<[^>]+>/g, "").replace(/&lt;/g, "<").replace(/&gt;/g, ">").replace(/&quot;/g, '"').replace(/&amp;/g, "&");
}

/** Bot API requests since `sinceMs` that address chat `chat`. */
export async function botRequestsTo(chat: string, sinceMs: number): Promise<BotRequest[]> {
    return (await standinBotRequests()).filter((r) => r.time * 1000 >= sinceMs && r.chat_id === chat);
}

export { queueMessage };

/** What the story got to, for a failure message: the model calls, the Bot API calls to the owner, the agent's last log lines. */
export async function storyDiagnostics(agent: string, gpuHost: string, owner: string, sinceMs: number): Promise<string> {
    const calls = (await modelRecords(gpuHost, sinceMs)).map((r) => `${r.script ?? "echo"}${r.authorized ? "" : " (unauthorized)"}: ${JSON.stringify(r.user_texts.filter(Boolean).pop()?.slice(0, 100) ?? "")}`);
    const bot = (await botRequestsTo(owner, sinceMs)).map((r) => `${r.method} ${JSON.stringify(r.text ?? "").slice(0, 100)}`);
    const logs = await sh("docker", ["logs", "--tail", "30", agent]);
    return [
        `model calls since the story started: ${calls.length ? calls.join("; ") : "none"}`,
        `Bot API calls to the owner's chat: ${bot.length ? bot.join("; ") : "none"}`,
        `agent log (last 30 lines):\n${(logs.stdout + logs.stderr).trimEnd()}`,
    ].join("\n");
}
