/**
 * What one more agent costs: prints figures, asserts nothing.
 *
 *   flock /tmp/secureclaw-e2e.lock npx ts-node --transpile-only tests/e2e/cellsBenchmark.ts
 *
 * Realizes the e2e stack (two agents: main under runc, bob under runsc),
 * then measures, each beside its baseline in the same run:
 *  - marginal memory of one more agent: each agent container alone (the
 *    sidecars are shared), idle, under runc and under runsc;
 *  - `up` adding a third agent (carol) to the running stack, against a
 *    no-op `up` of the same stack, with what it created and replaced (the
 *    proof that nothing else was), and `up` removing it again;
 *  - the gateway path p50 (agent -> door -> LiteLLM -> link -> stand-in,
 *    non-streaming, c=1) of main calling alone, against main and bob
 *    calling at once, in interleaved rounds.
 * The "vLLM" is the stand-in (no GPU): the figures are what the enclave adds.
 */
import { destroy } from "./harness";
import { agentContainer } from "./cells";
import { buildStandinImages, cleanE2E, destroyHooks, materials, stackSecrets, PREFIX, realizeE2E, STACK, teardownE2E } from "./setup";
import { docker, health, probe, waitFor } from "./support";

const ROUNDS = 3;
const CALLS = 40;
const LIMITS = { "agent.requestsPerMinute": 100000, "agent.tokensPerMinute": 1e9, "agent.tokensPerDay": 1e12, "agent.concurrentRequests": 64 };
const CAROL = { "agents.carol": { subnet: "10.201.9.0/24", egress: { allowlist: ["relay.e2e.test"] }, telegram: { enabled: false } } };

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** The container's memory as `docker stats` shows it (the cgroup's usage less its page cache), in MiB. */
function memoryMiB(container: string): number {
    const usage = docker("stats", "--no-stream", "--format", "{{.MemUsage}}", container).split("/")[0].trim();
    const n = parseFloat(usage);
    return usage.endsWith("GiB") ? n * 1024 : usage.endsWith("KiB") ? n / 1024 : n;
}

/** p50 of CALLS chat completions from `box` through its door, one at a time. */
async function gatewayP50(box: string): Promise<number> {
    const r = await probe(box, "bench-chat", [String(CALLS), "http://model-gateway:4000/v1/chat/completions", "SECURECLAW_GATEWAY_KEY", "secureclaw-model", "1"]);
    if (r.error_count > 0) throw new Error(`bench-chat from ${box}: ${JSON.stringify(r)}`);
    return r.p50_ms;
}

async function main(): Promise<void> {
    const figures: Array<[string, string]> = [];
    buildStandinImages();
    const m = materials();
    const secrets = stackSecrets(m);
    const up = (paths: Record<string, unknown> = {}) => realizeE2E(m, secrets, { ...LIMITS, ...paths });
    await cleanE2E();
    try {
        await up();
        const [MAIN, BOB] = [agentContainer("main"), agentContainer("bob")];
        for (const box of [MAIN, BOB]) await waitFor(`${box} healthy`, async () => health(box) === "healthy" || undefined, 5 * 60_000, 2000);

        // Idle for 20 s after both answered, as the gVisor benchmark does.
        await new Promise((r) => setTimeout(r, 20_000));
        figures.push(["marginal memory of one more agent (its container alone, idle)", `runc (main) ${memoryMiB(MAIN).toFixed(0)} MiB | runsc (bob) ${memoryMiB(BOB).toFixed(0)} MiB`]);

        const noop = Date.now();
        const same = await up();
        const noopMs = Date.now() - noop;
        const added = Date.now();
        const withCarol = await up(CAROL);
        const addMs = Date.now() - added;
        const changed = withCarol.resources.filter((r) => r.action !== "same");
        const replaced = changed.filter((r) => r.action === "replace").map((r) => r.name);
        const created = changed.filter((r) => r.action === "create").map((r) => r.name);
        figures.push(["up adding agent carol to the running stack", `${(addMs / 1000).toFixed(1)} s (no-op up of the same stack: ${(noopMs / 1000).toFixed(1)} s, ${same.resources.filter((r) => r.action !== "same").length} changes)`]);
        figures.push(["  what that up did", `${created.length} created (${created.filter((n) => !/carol/.test(n)).join(", ") || "all carol's"}); ${replaced.length} replaced: ${replaced.join(", ") || "none"}; updated: ${changed.filter((r) => r.action === "update").map((r) => r.name).join(", ") || "none"}`]);
        await waitFor("carol healthy", async () => health(agentContainer("carol")) === "healthy" || undefined, 5 * 60_000, 2000);
        const removed = Date.now();
        const without = await up();
        figures.push(["up removing agent carol", `${((Date.now() - removed) / 1000).toFixed(1)} s; ${without.deleted.length} deleted, ${without.resources.filter((r) => r.action === "replace").map((r) => r.name).join(", ") || "nothing"} replaced`]);

        const alone: number[] = [];
        const together: number[] = [];
        const bobTogether: number[] = [];
        await gatewayP50(MAIN); // warm-up: connections, LiteLLM's first calls
        for (let i = 0; i < ROUNDS; i++) {
            alone.push(await gatewayP50(MAIN));
            const [a, b] = await Promise.all([gatewayP50(MAIN), gatewayP50(BOB)]);
            together.push(a);
            bobTogether.push(b);
        }
        figures.push([`gateway path p50, ${CALLS} calls c=1 (${ROUNDS} interleaved rounds, median)`, `main alone ${median(alone).toFixed(1)} ms | main with bob calling at once ${median(together).toFixed(1)} ms (bob, under runsc: ${median(bobTogether).toFixed(1)} ms)`]);
    } finally {
        console.log("\nSecureClaw cells benchmark (the model is a stand-in; figures are the enclave's own cost):");
        for (const [what, value] of figures) console.log(`  ${what}: ${value}`);
        await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
        await teardownE2E();
        console.log(`  (${PREFIX} torn down)`);
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
