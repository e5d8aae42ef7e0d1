/**
 * Starts the real relay (src/main.ts) as a child Node process on 127.0.0.1,
 * with its settings, token file and audit log in a fresh temporary directory:
 * how the unit tests and the benchmark run it. The token reaches it as a
 * file, as in the image; its environment holds nothing but PATH.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface RelayProcess {
    port: number;
    dir: string;
    settingsPath: string;
    auditPath: string;
    output(): string;
    stop(): Promise<void>;
}

export function spawnRelay(options: { mainPath: string; settings: string; botToken: string; proxyPort: number; caPem?: string }): Promise<RelayProcess> {
    const dir = mkdtempSync(join(tmpdir(), "secureclaw-relay-"));
    const settingsPath = join(dir, "relay.json");
    const auditPath = join(dir, "audit.jsonl");
    writeFileSync(settingsPath, options.settings);
    writeFileSync(join(dir, "bot-token"), `${options.botToken}\n`, { mode: 0o400 });
    if (options.caPem) writeFileSync(join(dir, "ca.pem"), options.caPem);
    const child = spawn(process.execPath, [
        options.mainPath,
        "--settings", settingsPath,
        "--token-file", join(dir, "bot-token"),
        "--audit", auditPath,
        "--listen", "127.0.0.1:0",
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
            resolve({ port: Number(match[1]), dir, settingsPath, auditPath, output: () => out, stop: () => (child.kill("SIGTERM"), exited) });
        });
        child.once("exit", (code) => {
            clearTimeout(timer);
            reject(new Error(`the relay exited ${code}: ${out}`));
        });
    });
}
