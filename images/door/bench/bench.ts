/**
 * Benchmark of the door: every figure beside its baseline (the same request
 * straight to the LiteLLM stand-in), measured in the same run, interleaved in
 * rounds because small machines are noisy. Prints figures, asserts nothing.
 *
 *   node images/door/bench/bench.ts            (Node ≥ 22.18, from the repo root or anywhere)
 *
 * The stand-in runs in its own process and the door in another, as in the
 * enclave; this process is the agent. Model time is not in these figures
 * (the stand-in answers at once), only what the door adds.
 */
import { spawn } from "node:child_process";
import { createHmac } from "node:crypto";
import { Agent } from "node:http";
import { fileURLToPath } from "node:url";
import { send } from "./client.ts";
import { spawnDoor } from "./doorProcess.ts";

const MASTER_KEY = "bench-master-key";
const MODEL = "secureclaw-model";
const ROUNDS = 3;
const REQUESTS_PER_ROUND = 300;
const FIRST_CHUNK_PER_ROUND = 100;
const STREAM_CHUNKS = 2000;
const STREAMS_AT_1 = 4;
const UNLIMITED = { requestsPerMinute: 1_000_000_000, tokensPerMinute: 1_000_000_000_000, tokensPerDay: 1_000_000_000_000, concurrentRequests: 1000 };

interface Target {
    name: string;
    port: number;
    headers: Record<string, string>;
    agent: Agent;
}

async function startStandIn(): Promise<{ port: number; stop: () => void }> {
    const child = spawn(process.execPath, [fileURLToPath(new URL("./fakeLiteLLMMain.ts", import.meta.url))], { stdio: ["ignore", "pipe", "inherit"] });
    const port = await new Promise<number>((resolve) => child.stdout.once("data", (c: Buffer) => resolve(JSON.parse(c.toString()).port)));
    return { port, stop: () => child.kill("SIGTERM") };
}

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))];
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** `total` requests, `concurrency` at a time; returns each one's latency (or first-byte time). */
async function latencies(target: Target, total: number, concurrency: number, body: object, pick: "totalMs" | "firstByteMs"): Promise<number[]> {
    const out: number[] = [];
    let next = 0;
    const worker = async () => {
        while (next < total) {
            next++;
            const r = await send(target.port, "POST", "/v1/chat/completions", { headers: target.headers, body, agent: target.agent });
            if (r.status !== 200) throw new Error(`${target.name}: ${r.status} ${r.text}`);
            out.push(r[pick]);
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return out.sort((a, b) => a - b);
}

/** Aggregate chunks per second of `streams` streams of STREAM_CHUNKS, `concurrency` at a time. */
async function chunksPerSecond(target: Target, streams: number, concurrency: number): Promise<number> {
    const body = { model: MODEL, messages: [{ role: "user", content: "stream" }], stream: true, max_tokens: STREAM_CHUNKS };
    let next = 0;
    let chunks = 0;
    const started = performance.now();
    const worker = async () => {
        while (next < streams) {
            next++;
            const r = await send(target.port, "POST", "/v1/chat/completions", { headers: target.headers, body, agent: target.agent });
            const got = r.text.split("\n\n").filter((e) => e.includes('"delta"')).length;
            if (got !== STREAM_CHUNKS) throw new Error(`${target.name}: ${got} chunks, expected ${STREAM_CHUNKS}`);
            chunks += got;
        }
    };
    await Promise.all(Array.from({ length: concurrency }, worker));
    return chunks / ((performance.now() - started) / 1000);
}

async function main(): Promise<void> {
    const standIn = await startStandIn();
    const settings = JSON.stringify({ version: 1, maxBodyBytes: 1 << 20, requestTimeoutSeconds: 60, maxConcurrentCalls: 1000, agents: { bench: { model: MODEL, maxOutputTokens: STREAM_CHUNKS, limits: UNLIMITED } } });
    const door = await spawnDoor({ mainPath: fileURLToPath(new URL("../src/main.ts", import.meta.url)), settings, masterKey: MASTER_KEY, upstreamPort: standIn.port });
    const credential = `sk-door-${createHmac("sha256", MASTER_KEY).update("secureclaw-door:bench").digest("hex")}`;
    const keepAlive = () => new Agent({ keepAlive: true, maxSockets: 64 });
    const targets: Target[] = [
        { name: "door", port: door.port, headers: { authorization: `Bearer ${credential}` }, agent: keepAlive() },
        { name: "direct", port: standIn.port, headers: { authorization: `Bearer ${MASTER_KEY}` }, agent: keepAlive() },
    ];
    const small = { model: MODEL, messages: [{ role: "user", content: "hello" }], max_tokens: 16 };
    const firstChunk = { ...small, stream: true };

    try {
        // Warm both paths (JIT, sockets) before measuring.
        for (const t of targets) await latencies(t, 200, 8, small, "totalMs");

        const figure = (what: string, door: string, direct: string) => {
            console.log(`  ${what.padEnd(44)} door ${door.padEnd(30)} direct ${direct}`);
        };
        console.log(`door benchmark: Node ${process.versions.node}, ${ROUNDS} interleaved rounds`);
        for (const concurrency of [1, 8]) {
            const runs: Record<string, number[][]> = { door: [], direct: [] };
            for (let round = 0; round < ROUNDS; round++) {
                for (const t of targets) runs[t.name].push(await latencies(t, REQUESTS_PER_ROUND, concurrency, small, "totalMs"));
            }
            const fmt = (name: string) => `p50 ${median(runs[name].map((r) => percentile(r, 50))).toFixed(2)} ms, p95 ${median(runs[name].map((r) => percentile(r, 95))).toFixed(2)} ms`;
            figure(`chat completion, concurrency ${concurrency}`, fmt("door"), fmt("direct"));
        }
        {
            const runs: Record<string, number[][]> = { door: [], direct: [] };
            for (let round = 0; round < ROUNDS; round++) {
                for (const t of targets) runs[t.name].push(await latencies(t, FIRST_CHUNK_PER_ROUND, 1, firstChunk, "firstByteMs"));
            }
            const fmt = (name: string) => `p50 ${median(runs[name].map((r) => percentile(r, 50))).toFixed(2)} ms, p95 ${median(runs[name].map((r) => percentile(r, 95))).toFixed(2)} ms`;
            figure("first streamed chunk, concurrency 1", fmt("door"), fmt("direct"));
        }
        for (const [concurrency, streams] of [[1, STREAMS_AT_1], [8, 8]]) {
            const runs: Record<string, number[]> = { door: [], direct: [] };
            for (let round = 0; round < ROUNDS; round++) {
                for (const t of targets) runs[t.name].push(await chunksPerSecond(t, streams, concurrency));
            }
            const fmt = (name: string) => `${Math.round(median(runs[name])).toLocaleString("en")} chunks/s`;
            figure(`${STREAM_CHUNKS}-chunk streams, concurrency ${concurrency}`, fmt("door"), fmt("direct"));
        }
    } finally {
        for (const t of targets) t.agent.destroy();
        await door.stop();
        standIn.stop();
    }
}

await main();
