/**
 * What gVisor costs the agent box: prints figures, asserts nothing.
 *
 *   flock /tmp/secureclaw-e2e.lock npx ts-node --transpile-only tests/e2e/gvisorBenchmark.ts
 *
 * The e2e enclave is realized once; then the agent box is switched between
 * runc (the baseline) and runsc by `up` with agent.runtime, in alternating
 * order over ROUNDS rounds, and each time measured the same way:
 *  - `up` replacing the box (create, pids limit, start);
 *  - `docker start` of the stopped box until OpenClaw's /healthz answers,
 *    polled from inside the box (so the figure includes one `docker exec`,
 *    also measured on its own);
 *  - memory of the idle, healthy box (cgroup: what `docker stats` shows, and
 *    anonymous + shared memory, where gVisor keeps its guest's memory);
 *  - a syscall loop inside the box (getpid, stat, open+close, 1-byte read,
 *    each minus an empty loop) and `dd` of 512-byte blocks (a read and a
 *    write per block);
 *  - and, outside the enclave, `docker run --rm <agent image> true`: the
 *    runtime's floor for a container's whole life.
 * The stack is torn down at the end (SECURECLAW_E2E_KEEP=1 keeps it).
 */
import * as fs from "fs";
import { destroy, realize } from "./harness";
import { E2E_SECRETS, PREFIX, STACK, buildStandinImages, cleanE2E, destroyHooks, e2eConfig, materials, standinHooks, teardownE2E } from "./setup";
import { docker, health, probe, sh, waitFor } from "./support";

const AGENT = `${PREFIX}-agent`;
const ROUNDS = 2;
const RUNTIMES = ["runc", "runsc"] as const;
type Runtime = (typeof RUNTIMES)[number];
const HEALTHZ = "import urllib.request; urllib.request.urlopen('http://127.0.0.1:18789/healthz', timeout=2)";

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const seconds = async <T>(fn: () => Promise<T>): Promise<[number, T]> => {
    const t = process.hrtime.bigint();
    const value = await fn();
    return [Number(process.hrtime.bigint() - t) / 1e9, value];
};

/** The agent's memory cgroup (v1, as on the engines here): what docker stats shows, and rss + shmem. */
function memory(): { statsMiB: number; anonShmemMiB: number } {
    const id = docker("inspect", "-f", "{{.Id}}", AGENT);
    const dir = `/sys/fs/cgroup/memory/docker/${id}`;
    const stat = Object.fromEntries(fs.readFileSync(`${dir}/memory.stat`, "utf8").trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
    const usage = Number(fs.readFileSync(`${dir}/memory.usage_in_bytes`, "utf8"));
    const MiB = 1024 * 1024;
    return { statsMiB: (usage - stat.total_inactive_file) / MiB, anonShmemMiB: (stat.total_rss + stat.total_shmem) / MiB };
}

/** `docker start` of the stopped box until /healthz answers; and one `docker exec` alone. */
async function startToHealthz(): Promise<{ startS: number; healthzS: number; execS: number }> {
    docker("stop", "-t", "10", AGENT);
    const t0 = process.hrtime.bigint();
    docker("start", AGENT);
    const startS = Number(process.hrtime.bigint() - t0) / 1e9;
    await waitFor("/healthz", async () => (await sh("docker", ["exec", AGENT, "python3", "-c", HEALTHZ])).code === 0 || undefined, 180_000, 100);
    const healthzS = Number(process.hrtime.bigint() - t0) / 1e9;
    const [execS] = await seconds(() => sh("docker", ["exec", AGENT, "true"]));
    return { startS, healthzS, execS };
}

async function ddMicros(): Promise<number> {
    const r = await sh("docker", ["exec", AGENT, "dd", "if=/dev/zero", "of=/dev/null", "bs=512", "count=100000"]);
    const s = Number(/copied, ([\d.]+) s/.exec(r.stderr)?.[1]);
    return (s / 100000) * 1e6;
}

async function main(): Promise<void> {
    buildStandinImages();
    const m = materials();
    const secrets = { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey };
    const up = (runtime: Runtime) => realize(STACK, e2eConfig(m, { "agent.runtime": runtime }), secrets, standinHooks(m));
    const samples: Record<Runtime, Record<string, number[]>> = { runc: {}, runsc: {} };
    const add = (rt: Runtime, what: string, value: number) => (samples[rt][what] ??= []).push(value);

    await cleanE2E();
    const first = await up("runc");
    await waitFor("agent healthy", async () => health(AGENT) === "healthy" || undefined, 180_000, 500);
    const image = first.resources.find((r) => r.name === "secureclaw-agent-image")!.outputs.repoDigest as string;
    try {
        for (let round = 0; round < ROUNDS; round++) {
            for (const rt of round % 2 === 0 ? [...RUNTIMES].reverse() : RUNTIMES) {
                const [upS] = await seconds(() => up(rt));
                if (docker("inspect", "-f", "{{.HostConfig.Runtime}}", AGENT) !== rt) throw new Error(`the agent is not under ${rt}`);
                add(rt, "up replacing the box (s)", upS);
                const start = await startToHealthz();
                add(rt, "docker start returns (s)", start.startS);
                add(rt, "docker start to /healthz answering (s)", start.healthzS);
                add(rt, "one docker exec (s)", start.execS);
                // Idle: OpenClaw's start-up work done, nothing asked of it.
                await new Promise((r) => setTimeout(r, 20_000));
                const mem = memory();
                add(rt, "memory idle, as docker stats (MiB)", mem.statsMiB);
                add(rt, "memory idle, anon + shmem (MiB)", mem.anonShmemMiB);
                const sys = (await probe(AGENT, "bench-syscalls", ["100000"])).ns_per_call as Record<string, number>;
                for (const [call, ns] of Object.entries(sys)) add(rt, `syscall ${call} (us)`, ns / 1000);
                add(rt, "dd 512-byte block, read + write (us)", await ddMicros());
                const [lifeS] = await seconds(() => sh("docker", ["run", "--rm", "--runtime", rt, "--network", "none", "--entrypoint", "true", image]));
                add(rt, "docker run --rm image true (s)", lifeS);
            }
        }
    } finally {
        // The engine is shared: tear the stack down, as every benchmark does.
        if (process.env.SECURECLAW_E2E_KEEP !== "1") {
            await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
            await teardownE2E();
        }
    }

    const engine = docker("info", "--format", "{{.ServerVersion}}");
    const runscVersion = (await sh("runsc", ["--version"])).stdout.split("\n")[0];
    console.log(`\ngVisor vs runc, the e2e agent box (${ROUNDS} rounds, alternating; median of the rounds). Engine ${engine}, ${runscVersion}, host kernel ${docker("info", "--format", "{{.KernelVersion}}")}\n`);
    console.log(`  ${"".padEnd(44)} ${"runc".padStart(9)} ${"runsc".padStart(9)}   runsc/runc`);
    for (const what of Object.keys(samples.runc)) {
        const a = median(samples.runc[what]);
        const b = median(samples.runsc[what]);
        const digits = a < 10 ? 2 : 0;
        console.log(`  ${what.padEnd(44)} ${a.toFixed(digits).padStart(9)} ${b.toFixed(digits).padStart(9)}   ${(b / a).toFixed(1)}x`);
    }
    console.log(`\n  raw samples: ${JSON.stringify(samples)}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
