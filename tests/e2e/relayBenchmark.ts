/**
 * Benchmark of the Telegram relay on the e2e enclave: prints figures, asserts nothing.
 *
 *   flock /tmp/secureclaw-e2e.lock npx ts-node --transpile-only tests/e2e/relayBenchmark.ts
 *
 * What the relay adds to a Bot API call. Both paths run from the agent box,
 * with the same Node client, on kept connections (what OpenClaw's client and
 * the relay both do), against the same Telegram stand-in, interleaved in
 * rounds in the same run:
 *  - relay: agent -> relay (HTTP, enclave network) -> kept CONNECT tunnel
 *    through the proxy -> stand-in, the relay adding the token and its checks;
 *  - proxy path alone (baseline): agent -> kept CONNECT tunnel through the
 *    proxy -> the same stand-in (as relay.e2e.test, the agent's allowlisted
 *    name for it), TLS from the agent.
 * The figure is getMe's p50, and the relay's added p50 is their difference.
 */
import { destroy } from "./harness";
import { RELAY_ROOT, AGENT_RELAY_TOKEN } from "./relay";
import { PREFIX, stackSecrets, STACK, buildStandinImages, cleanE2E, destroyHooks, materials, realizeE2E, teardownE2E } from "./setup";
import { health, sh, waitFor } from "./support";

const AGENT = `${PREFIX}-agent`;
const ROUNDS = 5;
const PER_ROUND = 200;

/** Runs in the agent box: n sequential getMe calls on one kept connection, after a warm-up; prints the samples' percentiles. */
const CLIENT = `
const http = require("http"), https = require("https"), tls = require("tls"), fs = require("fs");
const [mode, n, relayRoot, token] = process.argv.slice(2);
class Tunnel extends https.Agent {
  createConnection(o, done) {
    const c = http.request({ host: "egress-proxy", port: 3128, method: "CONNECT", path: o.host + ":443" });
    c.once("connect", (res, socket) => {
      if (res.statusCode !== 200) return done(new Error("CONNECT " + res.statusCode));
      const s = tls.connect({ socket, servername: o.host, ca: fs.readFileSync("/etc/openclaw/ca/extra.pem") });
      s.once("secureConnect", () => done(null, s)); s.once("error", done);
    });
    c.once("error", done); c.end();
  }
}
const agent = mode === "relay" ? new http.Agent({ keepAlive: true, maxSockets: 1 }) : new Tunnel({ keepAlive: true, maxSockets: 1 });
const once = () => new Promise((resolve, reject) => {
  const start = process.hrtime.bigint();
  const root = new URL(relayRoot);
  const target = mode === "relay" ? { host: root.hostname, port: Number(root.port), path: "/bot" + token + "/getMe" } : { host: "relay.e2e.test", port: 443, path: "/bot1:bench/getMe" };
  const req = (mode === "relay" ? http : https).request({ ...target, method: "POST", agent, headers: { "content-type": "application/json", "content-length": 2 } }, (res) => {
    res.resume(); res.on("end", () => res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error("status " + res.statusCode)));
  });
  req.on("error", reject); req.end("{}");
});
(async () => {
  for (let i = 0; i < 10; i++) await once();
  const samples = [];
  for (let i = 0; i < Number(n); i++) samples.push(await once());
  samples.sort((a, b) => a - b);
  const pick = (q) => Math.round(samples[Math.min(samples.length - 1, Math.floor(q * samples.length))] * 100) / 100;
  console.log(JSON.stringify({ n: samples.length, p50_ms: pick(0.5), p95_ms: pick(0.95) }));
  process.exit(0);
})().catch((e) => { console.log(JSON.stringify({ error: String(e) })); process.exit(1); });
`;

async function measure(mode: "relay" | "proxy"): Promise<{ p50_ms: number; p95_ms: number; n: number }> {
    const r = await sh("docker", ["exec", "-i", AGENT, "node", "-", mode, String(PER_ROUND), RELAY_ROOT, AGENT_RELAY_TOKEN], CLIENT);
    const out = JSON.parse(r.stdout.trim().split("\n").pop() ?? "{}");
    if (out.p50_ms === undefined) throw new Error(`${mode}: ${r.stdout}${r.stderr}`);
    return out;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
    buildStandinImages();
    const m = materials();
    const secrets = stackSecrets(m);
    await cleanE2E();
    try {
        await realizeE2E(m, secrets);
        await waitFor("agent healthy", async () => health(AGENT) === "healthy" || undefined, 180_000, 500);
        await rounds();
    } finally {
        if (process.env.SECURECLAW_E2E_KEEP !== "1") {
            await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
            await teardownE2E();
        }
    }
}

async function rounds(): Promise<void> {
    const relay: number[] = [], proxy: number[] = [], relay95: number[] = [], proxy95: number[] = [];
    for (let i = 0; i < ROUNDS; i++) {
        const a = await measure("proxy");
        const b = await measure("relay");
        proxy.push(a.p50_ms), proxy95.push(a.p95_ms), relay.push(b.p50_ms), relay95.push(b.p95_ms);
    }
    console.log("\nSecureClaw Telegram relay benchmark (getMe on kept connections, from the agent box)\n");
    console.log(`  proxy path alone (baseline)   p50 ${median(proxy)} ms, p95 ${median(proxy95)} ms (median of ${ROUNDS} rounds x ${PER_ROUND}; p50 by round ${proxy.join(", ")})`);
    console.log(`  through the relay             p50 ${median(relay)} ms, p95 ${median(relay95)} ms (median of ${ROUNDS} rounds x ${PER_ROUND}; p50 by round ${relay.join(", ")})`);
    console.log(`  added by the relay            p50 +${(median(relay) - median(proxy)).toFixed(2)} ms (target <= 5 ms)`);
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
