/**
 * What gVisor costs the agent box: prints figures, asserts nothing.
 *
 *   npx ts-node --transpile-only tests/e2e/gvisorBenchmark.ts [agent image]
 *
 * The box is the program's own: the agent image (default: the one the e2e
 * stack builds), its config files, environment, tmpfs mounts, process limits
 * and hardening from the same builders AgentBox uses, with the e2e stack's
 * limits, on an internal network of its own (no model door: OpenClaw starts
 * and idles without one). Not the shared e2e stack, so no lock is needed.
 * It runs under runc (the baseline) and runsc, alternating over ROUNDS
 * rounds, each time from fresh volumes, and measures:
 *  - `docker run` returning, and until OpenClaw's /healthz answers (polled
 *    from inside the box, so one `docker exec` is included; also shown alone);
 *  - memory of the idle box 20 s after it answered (cgroup v1: what `docker
 *    stats` shows, and anonymous + shared memory, where gVisor keeps its
 *    guest's memory);
 *  - a syscall loop inside the box (each call minus an empty loop) and `dd`
 *    of 512-byte blocks (a read and a write per block);
 *  - `docker run --rm <image> true`: the runtime's floor for a whole life.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { agentConfigFiles } from "../../components/agent/agentConfigFiles";
import { agentEnvironment } from "../../components/agent/agentEnvironment";
import { agentProcessLimits } from "../../components/agent/agentProcessLimits";
import { AgentSettings } from "../../components/agent/agentSettings";
import { agentTmpfs } from "../../components/agent/agentTmpfs";
import { DEFAULT_DOOR_LIMITS } from "../../components/door/doorSettings";
import { MODEL_PRESETS } from "../../config/presets";
import { AGENT, AgentRuntime } from "../../policy/contract/contract";
import { stackFile } from "./setup";
import { docker, probe, sh, waitFor } from "./support";

const IMAGE = process.argv[2] ?? "secureclaw/agent:secureclaw-e2e";
const NAME = "secureclaw-bench-gvisor";
const ROUNDS = 2;
const RUNTIMES: AgentRuntime[] = ["runc", "runsc"];
const HEALTHZ = `import urllib.request; urllib.request.urlopen('http://127.0.0.1:${AGENT.port}/healthz', timeout=2)`;
const MiB = 1024 * 1024;

const median = (xs: number[]) => {
    const sorted = [...xs].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const since = (t: bigint) => Number(process.hrtime.bigint() - t) / 1e9;

function settings(runtime: AgentRuntime): AgentSettings {
    const { memoryMb, cpus, pids } = stackFile().agent;
    return {
        agent: { memoryMb, cpus, pids, runtime, ...DEFAULT_DOOR_LIMITS },
        model: { size: "small", ...MODEL_PRESETS.small },
        telegram: { enabled: false },
        requestTimeoutSeconds: 600,
        gatewayUrl: "http://model-gateway:4000/v1",
        proxyUrl: "http://egress-proxy:3128",
    };
}

/** The box's config directory, rendered by the program's own builder. */
function renderConfig(s: AgentSettings): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "gvisor-bench-"));
    for (const f of agentConfigFiles(s)) {
        const file = path.join(dir, f.path);
        fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o755 });
        fs.writeFileSync(file, f.content, { mode: f.executable ? 0o755 : 0o644 });
    }
    fs.chmodSync(dir, 0o755);
    return dir;
}

/** `docker run` arguments for the box as AgentBox declares it. */
function runArgs(s: AgentSettings, configDir: string): string[] {
    const limits = agentProcessLimits(s.agent.runtime, s.agent.pids, s.agent.memoryMb);
    const env = agentEnvironment(s, { gatewayKey: "sk-bench" });
    return [
        "run", "-d", "--name", NAME, "--runtime", s.agent.runtime, "--network", NAME, "--hostname", AGENT.hostname,
        "--user", `${AGENT.uid}:${AGENT.uid}`, "--read-only", "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true",
        "--memory", `${s.agent.memoryMb}m`, "--memory-swap", `${s.agent.memoryMb}m`, "--cpus", String(s.agent.cpus), "--pids-limit", String(limits.hostPidsLimit),
        "--ulimit", "nofile=4096:8192", "--ulimit", "core=0:0", ...(limits.nproc ? ["--ulimit", `nproc=${limits.nproc}:${limits.nproc}`] : []),
        "--sysctl", "net.ipv6.conf.all.disable_ipv6=1",
        ...Object.entries(agentTmpfs()).flatMap(([dst, opts]) => ["--tmpfs", `${dst}:${opts}`]),
        "-v", `${configDir}:${AGENT.paths.config}:ro`, "-v", `${NAME}-state:${AGENT.paths.state}`, "-v", `${NAME}-workspace:${AGENT.paths.workspace}`,
        ...env.flatMap((e) => ["-e", e]), IMAGE,
    ];
}

/** The box's memory cgroup (v1, as on the engines here). */
function memory(): { statsMiB: number; anonShmemMiB: number } {
    const dir = `/sys/fs/cgroup/memory/docker/${docker("inspect", "-f", "{{.Id}}", NAME)}`;
    const stat = Object.fromEntries(fs.readFileSync(`${dir}/memory.stat`, "utf8").trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
    const usage = Number(fs.readFileSync(`${dir}/memory.usage_in_bytes`, "utf8"));
    return { statsMiB: (usage - stat.total_inactive_file) / MiB, anonShmemMiB: (stat.total_rss + stat.total_shmem) / MiB };
}

async function removeBox(): Promise<void> {
    await sh("docker", ["rm", "-f", NAME]);
    await sh("docker", ["volume", "rm", `${NAME}-state`, `${NAME}-workspace`]);
}

async function measure(runtime: AgentRuntime, add: (what: string, value: number) => void): Promise<void> {
    const s = settings(runtime);
    const configDir = renderConfig(s);
    await removeBox();
    try {
        const t0 = process.hrtime.bigint();
        const run = await sh("docker", runArgs(s, configDir));
        if (run.code !== 0) throw new Error(`docker run (${runtime}): ${run.stderr}`);
        add("docker run returns (s)", since(t0));
        await waitFor(`/healthz under ${runtime}`, async () => (await sh("docker", ["exec", NAME, "python3", "-c", HEALTHZ])).code === 0 || undefined, 240_000, 100);
        add("start until OpenClaw's /healthz answers (s)", since(t0));
        const t1 = process.hrtime.bigint();
        await sh("docker", ["exec", NAME, "true"]);
        add("one docker exec (s)", since(t1));
        await new Promise((r) => setTimeout(r, 20_000));
        const mem = memory();
        add("memory idle, as docker stats (MiB)", mem.statsMiB);
        add("memory idle, anon + shmem (MiB)", mem.anonShmemMiB);
        const calls = (await probe(NAME, "bench-syscalls", ["100000"])).ns_per_call as Record<string, number>;
        for (const [call, ns] of Object.entries(calls)) add(`syscall ${call} (us)`, ns / 1000);
        const dd = await sh("docker", ["exec", NAME, "dd", "if=/dev/zero", "of=/dev/null", "bs=512", "count=100000"]);
        add("dd 512-byte block, read + write (us)", (Number(/copied, ([\d.]+) s/.exec(dd.stderr)?.[1]) / 100000) * 1e6);
        const t2 = process.hrtime.bigint();
        await sh("docker", ["run", "--rm", "--runtime", runtime, "--network", "none", "--entrypoint", "true", IMAGE]);
        add("docker run --rm image true (s)", since(t2));
    } finally {
        await removeBox();
        fs.rmSync(configDir, { recursive: true, force: true });
    }
}

async function main(): Promise<void> {
    if ((await sh("docker", ["image", "inspect", IMAGE])).code !== 0) throw new Error(`no image ${IMAGE}: build the agent image first (the e2e suite or cli.ts up e2e does)`);
    const samples: Record<AgentRuntime, Record<string, number[]>> = { runc: {}, runsc: {} };
    await sh("docker", ["network", "rm", NAME]);
    docker("network", "create", "--internal", NAME);
    try {
        for (let round = 0; round < ROUNDS; round++) {
            for (const rt of round % 2 === 0 ? [...RUNTIMES].reverse() : RUNTIMES) {
                await measure(rt, (what, value) => (samples[rt][what] ??= []).push(value));
            }
        }
    } finally {
        await removeBox();
        await sh("docker", ["network", "rm", NAME]);
    }
    const runsc = (await sh("runsc", ["--version"])).stdout.split("\n")[0];
    console.log(`\ngVisor vs runc, the agent box (${IMAGE}), ${ROUNDS} rounds alternating, median. Engine ${docker("info", "--format", "{{.ServerVersion}}")}, ${runsc}, host kernel ${os.release()}\n`);
    console.log(`  ${"".padEnd(46)} ${"runc".padStart(9)} ${"runsc".padStart(9)}   runsc/runc`);
    for (const what of Object.keys(samples.runc)) {
        const a = median(samples.runc[what]);
        const b = median(samples.runsc[what]);
        const digits = a < 10 ? 2 : 0;
        console.log(`  ${what.padEnd(46)} ${a.toFixed(digits).padStart(9)} ${b.toFixed(digits).padStart(9)}   ${(b / a).toFixed(1)}x`);
    }
    console.log(`\n  samples: ${JSON.stringify(samples)}`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
