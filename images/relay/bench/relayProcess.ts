/**
 * Starts the real relay (src/main.ts) as a child Node process on 127.0.0.1,
 * with its settings, token files and audit log in a fresh temporary directory:
 * how the unit tests and the benchmark run it. Each agent's token reaches it
 * as a file `<tokenDir>/<agent>.bot-token`, as in the image; its environment
 * holds nothing but PATH.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RelayProcess {
    port: number;
    dir: string;
    settingsPath: string;
    /** Where the agents' token files are; write one to add an agent while the relay runs. */
    tokenDir: string;
    auditPath: string;
    output(): string;
    stop(): Promise<void>;
}

/** Writes an agent's token file the way the program's writer does (0400). */
export function writeBotToken(tokenDir: string, agent: string, botToken: string): void {
    writeFileSync(join(tokenDir, `${agent}.bot-token`), `${botToken}\n`, { mode: 0o400 });
}

/** `botTokens`: agent name → its bot token. */
/** `listenHost` "::" takes IPv4 peers as ::ffff:a.b.c.d, as a dual-stack socket in a container does. */
export function spawnRelay(options: { mainPath: string; settings: string; botTokens: Record<string, string>; proxyPort: number; caPem?: string; listenHost?: string }): Promise<RelayProcess> {
    const dir = mkdtempSync(join(tmpdir(), "secureclaw-relay-"));
    const settingsPath = join(dir, "relay.json");
    const auditPath = join(dir, "audit.jsonl");
    writeFileSync(settingsPath, options.settings);
    const tokenDir = join(dir, "secret");
    mkdirSync(tokenDir);
    for (const [agent, token] of Object.entries(options.botTokens)) writeBotToken(tokenDir, agent, token);
    if (options.caPem) writeFileSync(join(dir, "ca.pem"), options.caPem);
    const child = spawn(process.execPath, [
        options.mainPath,
        "--settings", settingsPath,
        "--token-dir", tokenDir,
        "--audit", auditPath,
        "--listen", `${options.listenHost ?? "127.0.0.1"}:0`,
        "--proxy", `127.0.0.1:${options.proxyPort}`,
        ...(options.caPem ? ["--extra-ca", join(dir, "ca.pem")] : []),
    ], { env: { PATH: process.env.PATH ?? "" }, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stderr.on("data", (c: Buffer) => { out += c.toString(); });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`the relay did not start: ${out}`)), 10_000);
        child.stdout.on("data", (c: Buffer) => {
            out += c.toString();
            const match = /"event":"listening","port":(\d+)/.exec(out);
            if (!match) return;
            clearTimeout(timer);
            resolve({ port: Number(match[1]), dir, settingsPath, tokenDir, auditPath, output: () => out, stop: () => (child.kill("SIGTERM"), exited) });
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the relay exited ${code}: ${out}`));
        });
    });
}
