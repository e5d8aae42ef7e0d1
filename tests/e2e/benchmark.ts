/**
 * Benchmark of the e2e enclave: prints figures, asserts nothing.
 *
 *   npx ts-node --transpile-only tests/e2e/benchmark.ts
 *
 * Each figure is measured side by side with its baseline in the same run,
 * interleaved in rounds, because these machines are noisy:
 *  - time to realize the enclave from cold (images cached) until the agent is healthy;
 *  - CONNECT + TLS + one request through Squid vs the same directly from a
 *    container on the egress network, against the Telegram stand-in;
 *  - the model path four ways, kept-alive connections, side by side on one
 *    row per measure: the vLLM stand-in alone on its GPU host's loopback (the
 *    baseline); through the model link from LiteLLM's namespace; LiteLLM from
 *    the door's namespace (the path without the door); and agent -> door ->
 *    LiteLLM -> link -> stand-in. Non-streaming p50/p95 at concurrency 1 and
 *    8, the first streamed event p50/p95 (of a stream paced like decode
 *    steps), and chunks/s of 2,000-chunk streams (the stand-in emits them as
 *    fast as it can) at concurrency 1 and 8;
 *  - a new tunnel (CONNECT + TLS handshake) through the SNI-checking proxy vs
 *    plain Squid as it was before the SNI check (its image and squid.conf
 *    rebuilt from git at PLAIN_SQUID_COMMIT, run beside it on the same
 *    networks), same client, interleaved rounds; target <= 1.2x;
 *  - time from an allowlist change to its effect;
 *  - memory of each container, and the marginal memory of one more agent.
 * The "vLLM" is the stand-in (no GPU): model time is not in these figures,
 * only what the enclave adds. SECURECLAW_BENCH_ONLY=sni or =model measures
 * only that section (after the realize).
 */
import { destroy } from "./harness";
import { E2E_SECRETS, PREFIX, stackSecrets, STACK, STANDINS, TELEGRAM_IP, buildStandinImages, cleanE2E, destroyHooks, e2eConfig, materials, realizeE2E, teardownE2E } from "./setup";
import { docker, health, probe, sh, waitFor } from "./support";
import { TLS_STANDIN } from "./egressAudit";
import { GATEWAY_KEY_ENV } from "../../components/agent/agentSettings";
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as ts from "typescript";

const AGENT = `${PREFIX}-agent`;
const DOOR = `${PREFIX}-model-door`;
const LITELLM = `${PREFIX}-model-gateway`;
const ROUNDS = 3;
const PER_ROUND = 20;
const BENCH_LIMITS = {
    "agent.requestsPerMinute": 100000,
    "agent.tokensPerMinute": 1e9,
    "agent.tokensPerDay": 1e12,
    "agent.concurrentRequests": 64,
};
/**
 * The first-event figure's stream: the stand-in sends the role and first
 * word at once, then a word per step, as a model's decode steps come. With
 * all 16 words in one write (the throughput source) LiteLLM reads them in
 * one go and, uvloop sending at the end of a loop turn, writes nothing
 * before the last is processed: that figure timed the whole stream.
 */
const DECODE_STEP_MS = 5;
/** Streams of this many one-word chunks measure throughput. */
const STREAM_CHUNKS = 2000;

function memoryMiB(container: string): number {
    const usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).split("/")[0].trim();
    const n = parseFloat(usage);
    return usage.endsWith("GiB") ? n * 1024 : usage.endsWith("KiB") ? n / 1024 : n;
}

async function baselineProbe(image: string, mount: string, command: string, args: string[]): Promise<any> {
    const probeText = fs.readFileSync(path.join(__dirname, "probes", "probe.py"), "utf8");
    const r = await sh("docker", ["run", "--rm", "-i", "--network", `${PREFIX}-egress`, "-v", `${mount}:/certs:ro`, "--entrypoint", "python3", image, "-", command, ...args], probeText);
    return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

/**
 * The model path measured four ways, interleaved in rounds, each client on
 * its own kept-alive connection (as LiteLLM's pool and agents' HTTP clients
 * are; a new TCP connection per call would measure the handshake):
 *  - direct: inside the GPU-host stand-in, to vLLM on its loopback (the baseline; no tunnel);
 *  - link: a throwaway container in LiteLLM's network namespace, through the model link (what LiteLLM itself does);
 *  - LiteLLM: a throwaway container in the door's network namespace, with the master key (the path without the door);
 *  - door: a throwaway container in the agent's network namespace, with the agent's door credential (the whole path).
 * The three throwaway clients run under one CPU each: no row's client shares
 * a CPU quota with a busy OpenClaw, as a `docker exec` in the agent box did
 * (whose wait then counted as the door's share).
 * Printed side by side, one row per measure, with the overhead over direct
 * and the door's own share (door minus LiteLLM).
 */
async function modelPath(agentImage: string, figures: Array<[string, string]>): Promise<void> {
    const litellmIp = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-gateway").IPAddress}}`, LITELLM);
    const doorKey = (JSON.parse(docker("inspect", AGENT))[0].Config.Env as string[]).find((e) => e.startsWith(`${GATEWAY_KEY_ENV}=`))!.slice(GATEWAY_KEY_ENV.length + 1);
    const throttledBefore = THROTTLE_WATCH.map(cfsThrottling);
    const targets: Array<{ name: string; run: (cmd: string, args: string[]) => Promise<any> }> = [
        { name: "direct", run: (cmd, args) => probe(STANDINS.gpuHost.name, cmd, [args[0], "http://127.0.0.1:8000/v1/chat/completions", "BENCH_KEY", "qwen3-4b", ...args.slice(1)], [`BENCH_KEY=${E2E_SECRETS.vllmApiKey}`]) },
        { name: "link", run: (cmd, args) => namespaceProbe(agentImage, LITELLM, "BENCH_KEY", E2E_SECRETS.vllmApiKey, cmd, [args[0], "http://model-link-0:8000/v1/chat/completions", "BENCH_KEY", "qwen3-4b", ...args.slice(1)]) },
        { name: "LiteLLM", run: (cmd, args) => namespaceProbe(agentImage, DOOR, "BENCH_KEY", E2E_SECRETS.gatewayMasterKey, cmd, [args[0], `http://${litellmIp}:4000/v1/chat/completions`, "BENCH_KEY", "secureclaw-model", ...args.slice(1)]) },
        { name: "door", run: (cmd, args) => namespaceProbe(agentImage, AGENT, "BENCH_KEY", doorKey, cmd, [args[0], "http://model-gateway:4000/v1/chat/completions", "BENCH_KEY", "secureclaw-model", ...args.slice(1)]) },
    ];
    const latency = (pick: (r: any) => any) => (rounds: any[]) => {
        const p50 = median(rounds.map((r) => pick(r).p50_ms));
        return { value: p50, text: `p50 ${p50.toFixed(2)} / p95 ${median(rounds.map((r) => pick(r).p95_ms)).toFixed(2)} ms` };
    };
    const rate = (rounds: any[]) => {
        const v = median(rounds.map((r) => r.chunks_per_second));
        return { value: v, text: `${Math.round(v).toLocaleString("en")} chunks/s` };
    };
    const measures: Array<{ what: string; cmd: string; args: string[]; show: (rounds: any[]) => { value: number; text: string }; higherIsBetter?: boolean }> = [
        { what: "chat, non-streaming, c=1", cmd: "bench-chat", args: [String(PER_ROUND * 2), "1"], show: latency((r) => r) },
        { what: "chat, non-streaming, c=8", cmd: "bench-chat", args: [String(PER_ROUND * 8), "8"], show: latency((r) => r) },
        { what: `first streamed event, c=1, a word per ${DECODE_STEP_MS} ms`, cmd: "bench-stream", args: [String(PER_ROUND), "16", "1", String(DECODE_STEP_MS)], show: latency((r) => r.first_event) },
        { what: `one ${STREAM_CHUNKS}-chunk stream, c=1`, cmd: "bench-stream", args: ["4", String(STREAM_CHUNKS), "1"], show: rate, higherIsBetter: true },
        { what: `${STREAM_CHUNKS}-chunk streams, c=8, aggregate`, cmd: "bench-stream", args: ["16", String(STREAM_CHUNKS), "8"], show: rate, higherIsBetter: true },
    ];
    console.log(`  model path (${ROUNDS} interleaved rounds, medians): ${targets.map((t) => t.name).join(" | ")} | overhead over direct | the door's share`);
    for (const measure of measures) {
        const rounds = targets.map(() => [] as any[]);
        for (let i = 0; i < ROUNDS; i++) {
            for (const [k, target] of targets.entries()) {
                const r = await target.run(measure.cmd, measure.args);
                if (r.error_count > 0 || r.incomplete > 0) throw new Error(`${target.name}, ${measure.what}: ${JSON.stringify(r)}`);
                rounds[k].push(r);
            }
        }
        const [direct, link, litellm, door] = rounds.map(measure.show);
        const over = measure.higherIsBetter
            ? `${(direct.value / door.value).toFixed(1)}x slower`
            : `+${(door.value - direct.value).toFixed(2)} ms`;
        const doorShare = measure.higherIsBetter
            ? `${(100 * door.value / litellm.value).toFixed(0)}% of LiteLLM alone`
            : `+${(door.value - litellm.value).toFixed(2)} ms`;
        figures.push([`model path: ${measure.what}`, `${direct.text} | ${link.text} | ${litellm.text} | ${door.text} | ${over} | ${doorShare}`]);
    }
    for (const [i, name] of THROTTLE_WATCH.entries()) {
        const [before, after] = [throttledBefore[i], cfsThrottling(name)];
        figures.push([`CFS throttling during the model path: ${name.slice(PREFIX.length + 1)}`, before && after
            ? `${after.throttled - before.throttled} of ${after.periods - before.periods} periods throttled, ${((after.throttledNs - before.throttledNs) / 1e6).toFixed(0)} ms in all`
            : "cpu.stat not readable"]);
    }
}

/** The containers whose CPU quota could slow the model path (the door and LiteLLM run under `cpus` limits). */
const THROTTLE_WATCH = [DOOR, LITELLM];

/**
 * A container's CFS counters (periods, throttled periods, throttled ns),
 * read on the Docker host (cgroup v1 with the cgroupfs driver, or v2 with
 * systemd); undefined where neither file exists.
 */
function cfsThrottling(container: string): { periods: number; throttled: number; throttledNs: number } | undefined {
    const id = docker("inspect", "-f", "{{.Id}}", container);
    for (const file of [`/sys/fs/cgroup/cpu/docker/${id}/cpu.stat`, `/sys/fs/cgroup/system.slice/docker-${id}.scope/cpu.stat`]) {
        if (!fs.existsSync(file)) continue;
        const stat = Object.fromEntries(fs.readFileSync(file, "utf8").trim().split("\n").map((l) => l.split(" ")).map(([k, v]) => [k, Number(v)]));
        return { periods: stat.nr_periods, throttled: stat.nr_throttled, throttledNs: stat.throttled_time ?? stat.throttled_usec * 1000 };
    }
    return undefined;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * probe.py in a throwaway container from the agent image that shares
 * `container`'s network namespace (so it stands where that container
 * stands), limited to one CPU like the agent. The key reaches it through the
 * environment, not the command line.
 */
async function namespaceProbe(image: string, container: string, keyVar: string, key: string, command: string, args: string[]): Promise<any> {
    const probeText = fs.readFileSync(path.join(__dirname, "probes", "probe.py"), "utf8");
    const r = await sh("docker", ["run", "--rm", "-i", "--network", `container:${container}`, "--cpus", "1", "-e", keyVar, "--entrypoint", "python3", image, "-", command, ...args], probeText, 10 * 60_000, { [keyVar]: key });
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`probe ${command} in ${container}'s namespace printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
}

/** The last commit whose proxy was plain Squid (no SNI check): the baseline of the proxy section. */
const PLAIN_SQUID_COMMIT = "4f35c7e";
const PLAIN_SQUID = `${PREFIX}-bench-plain-squid`;

/**
 * Plain Squid as it was at PLAIN_SQUID_COMMIT: its image (images/squid from
 * git) and its squid.conf (rendered by that commit's squidConf.ts for this
 * stack's pinned hosts), on the enclave and egress networks like the proxy.
 * Returns the address the agent reaches it at.
 */
async function startPlainSquid(repoRoot: string, pinnedHosts: Record<string, string>, allowlist: string[]): Promise<string> {
    const git = (...args: string[]) => execFileSync("git", ["-C", repoRoot, ...args], { encoding: "utf8", maxBuffer: 64 * 1024 * 1024 });
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secureclaw-plain-squid-"));
    fs.mkdirSync(path.join(dir, "image"));
    fs.mkdirSync(path.join(dir, "conf"));
    for (const file of ["Dockerfile", "run-squid.sh"]) {
        fs.writeFileSync(path.join(dir, "image", file), git("show", `${PLAIN_SQUID_COMMIT}:images/squid/${file}`), { mode: 0o755 });
    }
    const image = `secureclaw-e2e/plain-squid:${PLAIN_SQUID_COMMIT}`;
    await sh("docker", ["build", "-q", "-t", image, path.join(dir, "image")], undefined, 10 * 60_000, { DOCKER_BUILDKIT: "0" });
    // That commit's renderer, compiled and run with today's contract (the names it reads did not change).
    const source = ts.transpileModule(git("show", `${PLAIN_SQUID_COMMIT}:components/egress/squidConf.ts`), { compilerOptions: { module: ts.ModuleKind.CommonJS } }).outputText;
    const contract = require("../../policy/contract/contract");
    const mod: any = { exports: {} };
    new Function("require", "module", "exports", source)(() => contract, mod, mod.exports);
    fs.writeFileSync(path.join(dir, "conf", "squid.conf"), mod.exports.renderSquidConf({ pinnedHosts, maxConnectionsPerClient: 64 }));
    fs.writeFileSync(path.join(dir, "conf", "hosts"), mod.exports.renderHostsFile(pinnedHosts));
    fs.writeFileSync(path.join(dir, "conf", "allowlist.txt"), mod.exports.renderAllowlistFile(allowlist));
    fs.chmodSync(path.join(dir, "conf"), 0o755);
    await sh("docker", ["rm", "-f", PLAIN_SQUID]);
    const run = await sh("docker", ["run", "-d", "--name", PLAIN_SQUID, "--network", `${PREFIX}-enclave`, "--read-only", "--cap-drop", "ALL",
        "--security-opt", "no-new-privileges:true", "--memory", "256m", "--cpus", "1", "--tmpfs", "/tmp", "--tmpfs", "/run", "--tmpfs", "/var/log/squid:uid=13,gid=13",
        "-v", `${path.join(dir, "conf")}:/etc/squid/secureclaw:ro`, image]);
    if (run.code !== 0) throw new Error(`plain Squid did not start: ${run.stderr}`);
    docker("network", "connect", `${PREFIX}-egress`, PLAIN_SQUID);
    return docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-enclave").IPAddress}}`, PLAIN_SQUID);
}

/**
 * A new tunnel's CONNECT + TLS handshake from the agent, through the
 * SNI-checking proxy and through plain Squid taking turns tunnel by tunnel
 * (same client, same moments of a noisy machine).
 */
async function sniProxyHandshake(repoRoot: string, config: Record<string, any>, figures: Array<[string, string]>): Promise<void> {
    const plain = await startPlainSquid(repoRoot, config.egress.pinnedHosts, config.egress.allowlist);
    const ca = "/etc/openclaw/ca/extra.pem";
    try {
        await waitFor("plain Squid to answer", async () => (await probe(AGENT, "bench-handshake", ["1", TLS_STANDIN, ca, `${plain}:3128`])).results?.[0]?.n === 1 || undefined, 60_000, 500);
        const rounds: any[][] = [];
        for (let i = 0; i < ROUNDS; i++) {
            rounds.push((await probe(AGENT, "bench-handshake", [String(PER_ROUND * 5), TLS_STANDIN, ca, `egress-proxy:3128,${plain}:3128`])).results);
        }
        const sni = rounds.map((r) => r[0]);
        const base = rounds.map((r) => r[1]);
        const ratios = rounds.map((r) => r[0].p50_ms / r[1].p50_ms).sort((a, b) => a - b);
        figures.push(["new tunnel (CONNECT+TLS handshake), SNI-checking proxy", merge(sni)]);
        figures.push([`same, plain Squid of ${PLAIN_SQUID_COMMIT} (baseline)`, merge(base)]);
        figures.push(["SNI-checking / plain, p50", `${ratios[Math.floor(ratios.length / 2)].toFixed(2)}x, median of rounds ${ratios.map((x) => x.toFixed(2)).join(", ")} (target <= 1.2x)`]);
    } finally {
        await sh("docker", ["rm", "-f", PLAIN_SQUID]);
    }
}

function merge(rounds: any[]): string {
    const p50 = rounds.map((r) => r.p50_ms).sort((a, b) => a - b);
    const p95 = rounds.map((r) => r.p95_ms).sort((a, b) => a - b);
    return `p50 ${p50[Math.floor(p50.length / 2)]} ms, p95 ${p95[Math.floor(p95.length / 2)]} ms (median of ${rounds.length} rounds x ${rounds[0].n})`;
}

async function main(): Promise<void> {
    buildStandinImages();
    const m = materials();
    const secrets = stackSecrets(m);
    // The agent's default budget (120 requests a minute, 4 at once) would refuse the benchmark itself.
    const up = (paths: Record<string, unknown> = {}) => realizeE2E(m, secrets, { ...BENCH_LIMITS, ...paths });
    const figures: Array<[string, string]> = [];
    const push = figures.push.bind(figures);
    figures.push = (...rows: Array<[string, string]>) => {
        for (const [what, value] of rows) console.log(`  ${what.padEnd(52)} ${value}`);
        return push(...rows);
    };

    await cleanE2E();
    let t = Date.now();
    const first = await up();
    const realized = Date.now() - t;
    await waitFor("agent healthy", async () => health(AGENT) === "healthy" || undefined, 180_000, 500);
    figures.push(["realize from cold (images cached)", `${(realized / 1000).toFixed(1)} s to realize ${first.resources.length} resources, ${((Date.now() - t) / 1000).toFixed(1)} s until the agent is healthy`]);
    const agentImage = first.resources.find((r) => r.name === "secureclaw-agent-image")!.outputs.repoDigest as string;

    // The agent can be healthy before LiteLLM answers (its workers load for a while); the model rows need it.
    await waitFor("LiteLLM healthy", async () => health(LITELLM) === "healthy" || undefined, 180_000, 500);
    if (process.env.SECURECLAW_BENCH_ONLY === "model") {
        await modelPath(agentImage, figures);
        return finish(figures);
    }
    await sniProxyHandshake(path.join(__dirname, "..", ".."), e2eConfig(m) as Record<string, any>, figures);
    if (process.env.SECURECLAW_BENCH_ONLY === "sni") return finish(figures);

    const viaProxy: any[] = [];
    const direct: any[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        // relay.e2e.test: the Telegram stand-in under the agent's allowlisted name (api.telegram.org is the relay's alone).
        viaProxy.push(await probe(AGENT, "bench-tls", [String(PER_ROUND), "relay.e2e.test", TELEGRAM_IP, "/etc/openclaw/ca/extra.pem", "proxy"]));
        direct.push(await baselineProbe(agentImage, path.join(m.dir, "tls"), "bench-tls", [String(PER_ROUND), "relay.e2e.test", TELEGRAM_IP, "/certs/ca.crt", "direct"]));
    }
    figures.push(["CONNECT+TLS+GET through Squid (agent)", merge(viaProxy)]);
    figures.push(["same, direct from the egress network (baseline)", merge(direct)]);

    await modelPath(agentImage, figures);

    t = Date.now();
    await up({ "egress.allowlist": ["relay.e2e.test", "other.e2e.test"], "egress.pinnedHosts": { "api.telegram.org": TELEGRAM_IP, "relay.e2e.test": TELEGRAM_IP, "other.e2e.test": TELEGRAM_IP } });
    const rerun = Date.now() - t;
    await waitFor("new name allowed", async () => (await probe(AGENT, "connect", ["other.e2e.test", "443"])).code === 200 || undefined, 60_000, 200);
    figures.push(["allowlist change to effect", `${((Date.now() - t) / 1000).toFixed(1)} s (re-run ${(rerun / 1000).toFixed(1)} s, then the proxy's reload)`]);
    await up();

    for (const role of ["agent", "egress-proxy", "model-door", "model-gateway", "telegram-relay"]) {
        figures.push([`memory: ${role}`, `${memoryMiB(`${PREFIX}-${role}`).toFixed(0)} MiB`]);
    }
    // One more agent: same image, limits, read-only config and network; its own state and workspace.
    const extra = `${PREFIX}-bench-extra-agent`;
    await sh("docker", ["rm", "-f", extra]);
    const agentInfo = JSON.parse(docker("inspect", AGENT))[0];
    const env = (agentInfo.Config.Env as string[]).flatMap((e) => ["-e", e]);
    await sh("docker", [
        "run", "-d", "--name", extra, "--network", `${PREFIX}-enclave`, "--user", "1000:1000", "--read-only",
        "--cap-drop", "ALL", "--security-opt", "no-new-privileges:true", "--memory", "1536m", "--pids-limit", "256",
        "--tmpfs", "/tmp:rw,nosuid,nodev,size=512m,noexec", "--tmpfs", "/home/node:rw,nosuid,nodev,size=256m,uid=1000,gid=1000",
        "-v", `${PREFIX}-agent-config:/etc/openclaw:ro`, "--mount", "type=volume,dst=/var/lib/openclaw", "--mount", "type=volume,dst=/workspace",
        "--dns", agentInfo.HostConfig.Dns[0], "--health-interval", "5s",
        "--health-cmd", `node -e "fetch('http://127.0.0.1:18789/healthz').then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))"`,
        ...env, agentInfo.Config.Image,
    ]);
    try {
        await waitFor("extra agent healthy", async () => health(extra) === "healthy" || undefined, 180_000, 1000);
        await new Promise((r) => setTimeout(r, 5000));
        figures.push(["marginal memory of one more agent (idle, healthy)", `${memoryMiB(extra).toFixed(0)} MiB`]);
    } finally {
        await sh("docker", ["rm", "-f", "-v", extra]);
    }

    await finish(figures);
}

async function finish(figures: Array<[string, string]>): Promise<void> {
    console.log("\nSecureClaw e2e benchmark (vLLM is a stand-in: no GPU, no model time)\n");
    for (const [what, value] of figures) console.log(`  ${what.padEnd(52)} ${value}`);
    if (process.env.SECURECLAW_E2E_KEEP !== "1") {
        await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
        await teardownE2E();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
