/** Small helpers for the end-to-end suite: docker exec, probes, a host listener, waiting, and the attack tally. */
import { execFile, execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";

const PROBE = fs.readFileSync(path.join(__dirname, "probes", "probe.py"), "utf8");

export interface ExecResult {
    code: number;
    stdout: string;
    stderr: string;
}

/** Runs a command, never through a shell; resolves with its exit code instead of throwing. `env` adds to the process's environment. */
export function sh(cmd: string, args: string[], input?: string, timeoutMs = 120_000, env: Record<string, string> = {}): Promise<ExecResult> {
    return new Promise((resolve) => {
        const child = execFile(cmd, args, { timeout: timeoutMs, maxBuffer: 32 * 1024 * 1024, env: { ...process.env, ...env } }, (err, stdout, stderr) => {
            const code = err ? (typeof (err as any).code === "number" ? (err as any).code : 1) : 0;
            resolve({ code, stdout: String(stdout), stderr: String(stderr) });
        });
        // A command that exits without reading its input (docker exec into a
        // container that is gone) closes the pipe: EPIPE on a stream without
        // an 'error' listener would be an uncaught exception that fails the
        // whole suite. The exit code above already tells what happened.
        child.stdin!.on("error", () => undefined);
        if (input !== undefined) child.stdin!.end(input);
    });
}

export function docker(...args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] }).trim();
}

export function engineAvailable(): string | undefined {
    try {
        docker("info", "--format", "{{.ServerVersion}}");
        return undefined;
    } catch (err) {
        return `no Docker engine answers (${String((err as Error).message).split("\n")[0]})`;
    }
}

/**
 * Runs probe.py inside a container (the agent by default) and parses its JSON.
 * `env` entries are prefixed as `env -u NAME` (unset) or `NAME=value`.
 */
export async function probe(container: string, command: string, args: string[] = [], env: string[] = []): Promise<any> {
    const result = await sh("docker", ["exec", "-i", container, "env", ...env, "python3", "-", command, ...args], PROBE);
    const line = result.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`probe ${command} ${args.join(" ")} printed no JSON (exit ${result.code}): ${result.stdout}${result.stderr}`);
    }
}

/** Like probe, in a throwaway container from `image` on `network` (controls that show a probe can succeed). */
export async function probeFrom(image: string, network: string, command: string, args: string[] = []): Promise<any> {
    const result = await sh("docker", ["run", "--rm", "-i", "--network", network, "--entrypoint", "python3", image, "-", command, ...args], PROBE);
    return JSON.parse(result.stdout.trim().split("\n").pop() ?? "{}");
}

/** A TCP service on the Docker host: the target of attack 2. */
export interface HostListener {
    port: number;
    /** Connections accepted so far. */
    accepted: number;
    /** Error codes of accepted connections (ECONNRESET from a peer that left without reading the reply). */
    connectionErrors: string[];
    /** Resolves once every accepted connection has closed. */
    idle(): Promise<void>;
    /** Stops listening and destroys the connections still open. */
    close(): Promise<void>;
}

/**
 * Listens on every host address and answers each connection with `reply`.
 *
 * Probes connect and close at once, often before the reply arrives, and a
 * socket closed with unread data is reset: the server side then sees
 * `read ECONNRESET`. Without an 'error' listener on the accepted socket that
 * error is uncaught and jest fails the whole suite after its tests passed
 * ("Test suite failed to run: read ECONNRESET"). Here it is expected, so it
 * is recorded, not thrown.
 */
export async function listenOnHost(reply: string): Promise<HostListener> {
    const sockets = new Set<net.Socket>();
    const connectionErrors: string[] = [];
    let accepted = 0;
    let idleWaiters: Array<() => void> = [];
    const server = net.createServer((socket) => {
        accepted++;
        sockets.add(socket);
        socket.on("error", (err: NodeJS.ErrnoException) => connectionErrors.push(err.code ?? err.message));
        socket.on("close", () => {
            sockets.delete(socket);
            if (sockets.size === 0) {
                for (const wake of idleWaiters) wake();
                idleWaiters = [];
            }
        });
        socket.end(reply);
    });
    await new Promise<void>((resolve, reject) => {
        server.once("error", reject);
        server.listen(0, "0.0.0.0", () => {
            server.off("error", reject);
            resolve();
        });
    });
    // Failed accepts (EMFILE, ...) are emitted on the server: count them as connection errors.
    server.on("error", (err: NodeJS.ErrnoException) => connectionErrors.push(err.code ?? err.message));
    return {
        port: (server.address() as net.AddressInfo).port,
        get accepted() {
            return accepted;
        },
        connectionErrors,
        idle: () => (sockets.size === 0 ? Promise.resolve() : new Promise<void>((resolve) => idleWaiters.push(resolve))),
        close: () =>
            new Promise<void>((resolve) => {
                for (const socket of sockets) socket.destroy();
                server.close(() => resolve());
            }),
    };
}

export async function waitFor<T>(what: string, fn: () => Promise<T | undefined>, timeoutMs: number, everyMs = 1000): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let last: unknown;
    for (;;) {
        try {
            const value = await fn();
            if (value !== undefined && value !== false) return value;
        } catch (err) {
            last = err;
        }
        if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${String(last)}` : ""}`);
        await new Promise((r) => setTimeout(r, everyMs));
    }
}

/**
 * The engine's event actions ("create", "update", "start", ...) for one
 * container between two moments (ms since the epoch), oldest first.
 */
export function containerEvents(id: string, sinceMs: number, untilMs: number): string[] {
    const seconds = (ms: number) => (ms / 1000).toFixed(3);
    return docker("events", "--since", seconds(sinceMs), "--until", seconds(untilMs), "--filter", `container=${id}`, "--format", "{{.Action}}")
        .split("\n")
        .filter(Boolean);
}

export function containerId(name: string): string {
    return docker("inspect", "-f", "{{.Id}}", name);
}

export function health(name: string): string {
    return docker("inspect", "-f", "{{if .State.Health}}{{.State.Health.Status}}{{else}}none{{end}}", name);
}

/** The attack tally printed at the end of the run. */
export class Tally {
    private readonly rows: Array<{ attack: string; blocked: boolean; detail: string }> = [];
    readonly notes: string[] = [];

    record(attack: string, blocked: boolean, detail: unknown): void {
        this.rows.push({ attack, blocked, detail: typeof detail === "string" ? detail : JSON.stringify(detail) });
    }

    summary(): string {
        const blocked = this.rows.filter((r) => r.blocked).length;
        const lines = this.rows.map((r) => `  ${r.blocked ? "BLOCKED" : "OPEN   "} ${r.attack}  ${r.detail.slice(0, 160)}`);
        return [`SecureClaw e2e: ${this.rows.length} attacks tried, ${blocked} blocked`, ...lines, ...this.notes.map((n) => `  note: ${n}`)].join("\n");
    }
}
