/**
 * Small helpers shared by the realizing harness: stable hashing, Pulumi's
 * secret wrappers as the mock monitor delivers them, Go-style durations, and
 * running a child process with input, environment and a timeout.
 */
import { spawn } from "child_process";
import { createHash, randomBytes } from "crypto";

/** JSON with sorted keys, so equal values always serialise the same way. */
export function stableStringify(value: unknown): string {
    return JSON.stringify(sortDeep(normalize(value)));
}

function sortDeep(value: unknown): unknown {
    if (Array.isArray(value)) return value.map(sortDeep);
    if (value && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const key of Object.keys(value as object).sort()) out[key] = sortDeep((value as Record<string, unknown>)[key]);
        return out;
    }
    return value;
}

/**
 * Terraform-style emptiness: an unset input, null, false, 0, "", an empty
 * list and an empty map are the same thing to the bridged provider's diff
 * (SDKv2 zero values). Inputs whose provider default is not the zero value
 * (a container's `start`, `mustRun`, ...) must have their defaults applied
 * before comparing.
 */
export function normalize(value: unknown): unknown {
    if (value === null || value === undefined || value === false || value === 0 || value === "") return undefined;
    if (Array.isArray(value)) {
        const items = value.map(normalize);
        return items.length === 0 ? undefined : items;
    }
    if (typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
            const n = normalize(v);
            if (n !== undefined) out[k] = n;
        }
        return Object.keys(out).length === 0 ? undefined : out;
    }
    return value;
}

export function sameValue(a: unknown, b: unknown): boolean {
    return stableStringify(a) === stableStringify(b);
}

export function hashOf(value: unknown): string {
    return createHash("sha256").update(stableStringify(value)).digest("hex");
}

export function randomHex(chars: number): string {
    return randomBytes(Math.ceil(chars / 2)).toString("hex").slice(0, chars);
}

/** Top-level input keys whose values differ (after normalisation). */
export function changedKeys(olds: Record<string, unknown>, news: Record<string, unknown>): string[] {
    const keys = new Set([...Object.keys(olds), ...Object.keys(news)]);
    return [...keys].filter((k) => !sameValue(olds[k], news[k])).sort();
}

// Signatures of @pulumi/pulumi's wire format (runtime/rpc.ts). The mock
// monitor hands newResource the deserialised request, in which a secret is
// still an object { [SIG_KEY]: SECRET_SIG, value } (measured with
// @pulumi/pulumi 3.276: secrets are NOT unwrapped for mocks).
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";
const RESOURCE_SIG = "5cf8f73096256a8f31e491e813e4eb8e";
const OUTPUT_SIG = "d0e6a833031e9bbcd3f4e8bde6ca49a4";
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

/**
 * Removes secret wrappers. Returns the plain inputs and the top-level keys
 * that held a secret anywhere inside (so outputs can be marked secret again).
 */
export function unwrapSecrets(inputs: Record<string, unknown>): { plain: Record<string, any>; secretKeys: string[] } {
    const secretKeys: string[] = [];
    const plain: Record<string, any> = {};
    for (const [key, value] of Object.entries(inputs ?? {})) {
        const found = { secret: false };
        plain[key] = unwrap(value, found, key);
        if (found.secret) secretKeys.push(key);
    }
    return { plain, secretKeys };
}

function unwrap(value: unknown, found: { secret: boolean }, path: string): unknown {
    if (value === UNKNOWN) throw new Error(`e2e harness: input ${path} is unknown (computed) at registration; mocks run as an update, not a preview`);
    if (Array.isArray(value)) return value.map((v, i) => unwrap(v, found, `${path}[${i}]`));
    if (value && typeof value === "object") {
        const obj = value as Record<string, unknown>;
        if (SIG_KEY in obj) {
            if (obj[SIG_KEY] === SECRET_SIG) {
                found.secret = true;
                return unwrap(obj.value, found, path);
            }
            if (obj[SIG_KEY] === RESOURCE_SIG || obj[SIG_KEY] === OUTPUT_SIG) {
                throw new Error(`e2e harness: input ${path} is a resource reference or output value, which the harness does not realize`);
            }
        }
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(obj)) out[k] = unwrap(v, found, `${path}.${k}`);
        return out;
    }
    return value;
}

/** Wraps the given top-level keys of a state object as secrets again. */
export function rewrapSecrets(state: Record<string, unknown>, secretKeys: string[]): Record<string, unknown> {
    const out = { ...state };
    for (const key of secretKeys) {
        if (out[key] !== undefined) out[key] = { [SIG_KEY]: SECRET_SIG, value: out[key] };
    }
    return out;
}

const DURATION_UNITS: Record<string, number> = { ns: 1, us: 1e3, "µs": 1e3, ms: 1e6, s: 1e9, m: 60e9, h: 3600e9 };

/** Go's time.ParseDuration, in nanoseconds ("1m30s", "500ms", "0"). */
export function parseGoDuration(text: string, what: string): number {
    const s = text.trim();
    if (s === "0" || s === "") return 0;
    const re = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|ms|s|m|h)/gy;
    let total = 0;
    let consumed = 0;
    for (let m = re.exec(s); m; m = re.exec(s)) {
        total += parseFloat(m[1]) * DURATION_UNITS[m[2]];
        consumed = re.lastIndex;
    }
    if (consumed !== s.length || consumed === 0) throw new Error(`e2e harness: ${what}: "${text}" is not a Go duration`);
    return Math.round(total);
}

/**
 * Go's time.Duration.String() ("0s", "250ms", "1.5s", "1m0s", "1h0m0s"): the
 * form in which the Docker provider reads back healthcheck durations.
 */
export function goDurationString(nanoseconds: number): string {
    if (!Number.isSafeInteger(nanoseconds)) throw new Error(`e2e harness: ${nanoseconds} ns is not a whole number of nanoseconds`);
    if (nanoseconds === 0) return "0s";
    const sign = nanoseconds < 0 ? "-" : "";
    const ns = BigInt(Math.abs(nanoseconds));
    // Under a second: one unit, with a fraction (Go picks ns, µs or ms).
    if (ns < 1_000n) return `${sign}${ns}ns`;
    if (ns < 1_000_000n) return `${sign}${decimal(ns, 3)}µs`;
    if (ns < 1_000_000_000n) return `${sign}${decimal(ns, 6)}ms`;
    const seconds = decimal(ns % 60_000_000_000n, 9);
    const minutes = (ns / 60_000_000_000n) % 60n;
    const hours = ns / 3_600_000_000_000n;
    if (hours > 0n) return `${sign}${hours}h${minutes}m${seconds}s`;
    if (minutes > 0n) return `${sign}${minutes}m${seconds}s`;
    return `${sign}${seconds}s`;
}

/** `value / 10^digits` with the fraction's trailing zeros (and a bare ".") dropped, like Go's fmtFrac. */
function decimal(value: bigint, digits: number): string {
    const scale = 10n ** BigInt(digits);
    const fraction = (value % scale).toString().padStart(digits, "0").replace(/0+$/, "");
    return `${value / scale}${fraction ? `.${fraction}` : ""}`;
}

export interface RunResult {
    code: number | null;
    signal: NodeJS.Signals | null;
    stdout: string;
    stderr: string;
    /** stdout and stderr interleaved as they arrived. */
    combined: string;
    timedOut: boolean;
}

export interface RunOptions {
    input?: string | Buffer;
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    timeoutMs?: number;
}

/** Runs a program (no shell) and collects its output. Never rejects on a non-zero exit. */
export function runProcess(file: string, args: string[], options: RunOptions = {}): Promise<RunResult> {
    return new Promise((resolve, reject) => {
        const child = spawn(file, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ["pipe", "pipe", "pipe"] });
        const out: Buffer[] = [];
        const err: Buffer[] = [];
        const all: Buffer[] = [];
        let timedOut = false;
        const timer = options.timeoutMs
            ? setTimeout(() => {
                  timedOut = true;
                  child.kill("SIGKILL");
              }, options.timeoutMs)
            : undefined;
        child.stdout.on("data", (d: Buffer) => {
            out.push(d);
            all.push(d);
        });
        child.stderr.on("data", (d: Buffer) => {
            err.push(d);
            all.push(d);
        });
        child.on("error", (e) => {
            if (timer) clearTimeout(timer);
            reject(e);
        });
        child.on("close", (code, signal) => {
            if (timer) clearTimeout(timer);
            resolve({
                code,
                signal,
                stdout: Buffer.concat(out).toString("utf8"),
                stderr: Buffer.concat(err).toString("utf8"),
                combined: Buffer.concat(all).toString("utf8"),
                timedOut,
            });
        });
        // A command that doesn't read its input closes the pipe early; that is not an error.
        child.stdin.on("error", () => undefined);
        if (options.input !== undefined && options.input.length > 0) child.stdin.end(options.input);
        else child.stdin.end();
    });
}

export function sleep(ms: number): Promise<void> {
    return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Retries `attempt` (which returns true when done) until it succeeds or `timeoutMs` passes. */
export async function retryUntil(what: string, timeoutMs: number, intervalMs: number, attempt: () => Promise<boolean>): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        if (await attempt()) return;
        if (Date.now() >= deadline) throw new Error(`e2e harness: timed out after ${timeoutMs / 1000}s: ${what}`);
        await sleep(intervalMs);
    }
}

/** A value that isn't the provider's default: set, non-empty, not false/0. */
export function isSet(value: unknown): boolean {
    return normalize(value) !== undefined;
}
