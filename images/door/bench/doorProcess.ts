/**
 * Starts the real door (src/main.ts) as a child Node process on 127.0.0.1,
 * with its settings and usage log in a fresh temporary directory: how the
 * unit tests and the benchmark run it. No relative imports (see fakeLiteLLM.ts).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface DoorProcess {
    port: number;
    dir: string;
    settingsPath: string;
    usagePath: string;
    /** Everything the door wrote to stderr so far. */
    stderr(): string;
    stop(): Promise<void>;
}

export interface SpawnDoorOptions {
    /** Path of images/door/src/main.ts. */
    mainPath: string;
    /** Rendered door.json. */
    settings: string;
    masterKey: string;
    upstreamPort: number;
    /** An existing usage log (JSON lines), as a door restarted over its volume would find it. */
    usageLog?: string;
    /** Listen address; default 127.0.0.1 ("::" takes IPv4 peers as ::ffff:a.b.c.d, as a dual-stack socket in a container does). */
    listenHost?: string;
}

const START_TIMEOUT_MS = 10_000;

/** Node strips types by default from 22.18 (and in 23.6+); 22.6–22.17 need the flag. */
function typeStrippingFlag(): string[] {
    const [major, minor] = process.versions.node.split(".").map(Number);
    return major === 22 && minor < 18 ? ["--experimental-strip-types"] : [];
}

export function spawnDoor(options: SpawnDoorOptions): Promise<DoorProcess> {
    const dir = mkdtempSync(join(tmpdir(), "secureclaw-door-"));
    const settingsPath = join(dir, "door.json");
    const usagePath = join(dir, "usage.jsonl");
    writeFileSync(settingsPath, options.settings);
    if (options.usageLog !== undefined) writeFileSync(usagePath, options.usageLog);
    const child = spawn(process.execPath, [
        ...typeStrippingFlag(),
        options.mainPath,
        "--settings", settingsPath,
        "--usage", usagePath,
        "--listen", `${options.listenHost ?? "127.0.0.1"}:0`,
        "--upstream", `127.0.0.1:${options.upstreamPort}`,
    ], { env: { PATH: process.env.PATH ?? "", DOOR_UPSTREAM_KEY: options.masterKey }, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stderr.on("data", (c: Buffer) => { stderr += c.toString(); });
    const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));

    return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
            child.kill("SIGKILL");
            reject(new Error(`the door did not start within ${START_TIMEOUT_MS} ms: ${stderr}`));
        }, START_TIMEOUT_MS);
        const onEarlyExit = (code: number | null) => {
            clearTimeout(timer);
            reject(new Error(`the door exited with ${code}: ${stderr}`));
        };
        child.once("exit", onEarlyExit);
        child.stdout.on("data", (c: Buffer) => {
            stdout += c.toString();
            const line = stdout.split("\n").find((l) => l.includes('"event":"listening"'));
            if (!line) return;
            clearTimeout(timer);
            child.off("exit", onEarlyExit);
            resolve({
                port: JSON.parse(line).port,
                dir,
                settingsPath,
                usagePath,
                stderr: () => stderr,
                stop: async () => {
                    child.kill("SIGTERM");
                    await exited;
                    rmSync(dir, { recursive: true, force: true });
                },
            });
        });
    });
}
