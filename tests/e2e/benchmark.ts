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
 *  - the model path three ways, same client, same CPU share: agent -> door ->
 *    LiteLLM -> stand-in; LiteLLM -> stand-in from the door's own network
 *    namespace (the path without the door); and the stand-in directly from
 *    LiteLLM's namespace. Non-streaming p50/p95 at concurrency 1 and 8, the
 *    first streamed event p50, and chunks/s of 2,000-chunk streams (the
 *    stand-in emits them as fast as it can) at concurrency 1 and 8;
 *  - time from an allowlist change to its effect;
 *  - memory of each container, and the marginal memory of one more agent.
 * The "vLLM" is the stand-in (no GPU): model time is not in these figures,
 * only what the enclave adds.
 */
import { destroy, realize } from "./harness";
import { E2E_SECRETS, GPU_HOST_IP, PREFIX, STACK, TELEGRAM_IP, buildStandinImages, cleanE2E, destroyHooks, e2eConfig, materials, standinHooks, teardownE2E } from "./setup";
import { docker, health, probe, sh, waitFor } from "./support";
import * as fs from "fs";
import * as path from "path";

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
 * The model path measured three ways, interleaved in rounds, with the same
 * probe client under the same CPU share (the agent's: one CPU):
 *  - door: from the agent box, with its door credential;
 *  - LiteLLM: a throwaway container in the door's network namespace, with the master key;
 *  - direct: a throwaway container in LiteLLM's network namespace, to the vLLM stand-in.
 */
async function modelPath(agentImage: string, figures: Array<[string, string]>): Promise<void> {
    const litellmIp = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-gateway").IPAddress}}`, LITELLM);
    const targets: Array<{ name: string; run: (cmd: string, args: string[]) => Promise<any> }> = [
        { name: "door (agent -> door -> LiteLLM -> stand-in)", run: (cmd, args) => probe(AGENT, cmd, [args[0], "http://model-gateway:4000/v1/chat/completions", "SECURECLAW_GATEWAY_KEY", "secureclaw-model", ...args.slice(1)]) },
        { name: "LiteLLM (door's namespace -> LiteLLM -> stand-in)", run: (cmd, args) => namespaceProbe(agentImage, DOOR, "BENCH_KEY", E2E_SECRETS.gatewayMasterKey, cmd, [args[0], `http://${litellmIp}:4000/v1/chat/completions`, "BENCH_KEY", "secureclaw-model", ...args.slice(1)]) },
        { name: "direct (LiteLLM's namespace -> stand-in)", run: (cmd, args) => namespaceProbe(agentImage, LITELLM, "BENCH_KEY", E2E_SECRETS.vllmApiKey, cmd, [args[0], `http://${GPU_HOST_IP}:8000/v1/chat/completions`, "BENCH_KEY", "qwen3-4b", ...args.slice(1)]) },
    ];
    const measures: Array<{ what: string; cmd: string; args: string[]; show: (rounds: any[]) => string }> = [
        { what: "chat, non-streaming, concurrency 1", cmd: "bench-chat", args: [String(PER_ROUND * 2), "1"], show: merge },
        { what: "chat, non-streaming, concurrency 8", cmd: "bench-chat", args: [String(PER_ROUND * 8), "8"], show: merge },
        { what: "first streamed event (16-chunk reply), concurrency 1", cmd: "bench-stream", args: [String(PER_ROUND), "16", "1"], show: (r) => merge(r.map((x) => x.first_event)) },
        { what: `stream of ${STREAM_CHUNKS} chunks, concurrency 1`, cmd: "bench-stream", args: ["4", String(STREAM_CHUNKS), "1"], show: chunkRate },
        { what: `${STREAM_CHUNKS}-chunk streams, concurrency 8 (aggregate)`, cmd: "bench-stream", args: ["16", String(STREAM_CHUNKS), "8"], show: chunkRate },
    ];
    for (const measure of measures) {
        const rounds = targets.map(() => [] as any[]);
        for (let i = 0; i < ROUNDS; i++) {
            for (const [k, target] of targets.entries()) {
                const r = await target.run(measure.cmd, measure.args);
                if (r.error_count > 0 || r.incomplete > 0) throw new Error(`${target.name}, ${measure.what}: ${JSON.stringify(r)}`);
                rounds[k].push(r);
            }
        }
        for (const [k, target] of targets.entries()) figures.push([`${measure.what}: ${target.name}`, measure.show(rounds[k])]);
    }
}

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

function chunkRate(rounds: any[]): string {
    const rates = rounds.map((r) => r.chunks_per_second).sort((a, b) => a - b);
    return `${rates[Math.floor(rates.length / 2)]} chunks/s (median of ${rounds.length} rounds x ${rounds[0].streams} streams; rounds ${rates.join(", ")})`;
}

function merge(rounds: any[]): string {
    const p50 = rounds.map((r) => r.p50_ms).sort((a, b) => a - b);
    const p95 = rounds.map((r) => r.p95_ms).sort((a, b) => a - b);
    return `p50 ${p50[Math.floor(p50.length / 2)]} ms, p95 ${p95[Math.floor(p95.length / 2)]} ms (median of ${rounds.length} rounds x ${rounds[0].n})`;
}

async function main(): Promise<void> {
    buildStandinImages();
    const m = materials();
    const secrets = { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey };
    // The agent's default budget (120 requests a minute, 4 at once) would refuse the benchmark itself.
    const up = (paths: Record<string, unknown> = {}) => realize(STACK, e2eConfig(m, { ...BENCH_LIMITS, ...paths }), secrets, standinHooks(m));
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
