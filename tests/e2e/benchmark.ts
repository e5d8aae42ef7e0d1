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
 *  - chat-completion latency through LiteLLM vs directly to the vLLM stand-in;
 *  - time from an allowlist change to its effect;
 *  - memory of each container, and the marginal memory of one more agent.
 * The "vLLM" is the stand-in (no GPU): model time is not in these figures,
 * only what the enclave adds.
 */
import { destroy, realize } from "./harness";
import { E2E_SECRETS, GPU_HOST_IP, PREFIX, STACK, TELEGRAM_IP, buildStandinImages, destroyHooks, e2eConfig, materials, standinHooks, teardownE2E } from "./setup";
import { docker, health, probe, sh, waitFor } from "./support";
import * as fs from "fs";
import * as path from "path";

const AGENT = `${PREFIX}-agent`;
const ROUNDS = 3;
const PER_ROUND = 20;

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

function merge(rounds: any[]): string {
    const p50 = rounds.map((r) => r.p50_ms).sort((a, b) => a - b);
    const p95 = rounds.map((r) => r.p95_ms).sort((a, b) => a - b);
    return `p50 ${p50[Math.floor(p50.length / 2)]} ms, p95 ${p95[Math.floor(p95.length / 2)]} ms (median of ${rounds.length} rounds x ${rounds[0].n})`;
}

async function main(): Promise<void> {
    buildStandinImages();
    const m = materials();
    const secrets = { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey };
    const up = (paths: Record<string, unknown> = {}) => realize(STACK, e2eConfig(m, paths), secrets, standinHooks(m));
    const figures: Array<[string, string]> = [];
    const push = figures.push.bind(figures);
    figures.push = (...rows: Array<[string, string]>) => {
        for (const [what, value] of rows) console.log(`  ${what.padEnd(52)} ${value}`);
        return push(...rows);
    };

    await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
    await teardownE2E();
    let t = Date.now();
    const first = await up();
    const realized = Date.now() - t;
    await waitFor("agent healthy", async () => health(AGENT) === "healthy" || undefined, 180_000, 500);
    figures.push(["realize from cold (images cached)", `${(realized / 1000).toFixed(1)} s to realize ${first.resources.length} resources, ${((Date.now() - t) / 1000).toFixed(1)} s until the agent is healthy`]);
    const agentImage = first.resources.find((r) => r.name === "secureclaw-agent-image")!.outputs.repoDigest as string;

    const viaProxy: any[] = [];
    const direct: any[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        viaProxy.push(await probe(AGENT, "bench-tls", [String(PER_ROUND), "api.telegram.org", TELEGRAM_IP, "/etc/openclaw/ca/extra.pem", "proxy"]));
        direct.push(await baselineProbe(agentImage, path.join(m.dir, "tls"), "bench-tls", [String(PER_ROUND), "api.telegram.org", TELEGRAM_IP, "/certs/ca.crt", "direct"]));
    }
    figures.push(["CONNECT+TLS+GET through Squid (agent)", merge(viaProxy)]);
    figures.push(["same, direct from the egress network (baseline)", merge(direct)]);

    const gateway: any[] = [];
    const vllm: any[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        gateway.push(await probe(AGENT, "bench-chat", [String(PER_ROUND), "http://model-gateway:4000/v1/chat/completions", "SECURECLAW_GATEWAY_KEY", "secureclaw-model"]));
        vllm.push(await baselineProbe(agentImage, path.join(m.dir, "tls"), "bench-chat", [String(PER_ROUND), `http://${GPU_HOST_IP}:8000/v1/chat/completions`, E2E_SECRETS.vllmApiKey, "qwen3-4b"]));
    }
    figures.push(["chat completion through LiteLLM (agent)", merge(gateway)]);
    figures.push(["same, direct to the vLLM stand-in (baseline)", merge(vllm)]);

    t = Date.now();
    await up({ "egress.allowlist": ["api.telegram.org", "relay.e2e.test"], "egress.pinnedHosts": { "api.telegram.org": TELEGRAM_IP, "relay.e2e.test": TELEGRAM_IP } });
    const rerun = Date.now() - t;
    await waitFor("new name allowed", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 200 || undefined, 60_000, 200);
    figures.push(["allowlist change to effect", `${((Date.now() - t) / 1000).toFixed(1)} s (re-run ${(rerun / 1000).toFixed(1)} s, then the proxy's reload)`]);
    await up();

    for (const role of ["agent", "egress-proxy", "model-gateway"]) {
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
