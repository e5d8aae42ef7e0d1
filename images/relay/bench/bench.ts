/**
 * The relay's own cost on loopback, beside its baseline in the same run:
 * getMe on kept connections through the relay (relay -> CONNECT proxy ->
 * Bot API stand-in) vs the same call over a kept CONNECT tunnel to the
 * stand-in without the relay. No network, no containers: what the relay's
 * code adds. The enclave figure is tests/e2e/relayBenchmark.ts.
 *
 *   node images/relay/bench/bench.ts
 */
import { createHmac } from "node:crypto";
import { request as httpRequest, Agent as HttpAgent } from "node:http";
import { Agent as HttpsAgent, request as httpsRequest } from "node:https";
import type { AddressInfo } from "node:net";
import { dirname, join } from "node:path";
import { connect as tlsConnect } from "node:tls";
import { fileURLToPath } from "node:url";
import { connectProxy } from "./connectProxy.ts";
import { startFakeTelegram } from "./fakeTelegram.ts";
import { spawnRelay } from "./relayProcess.ts";

const N = 2000;
const ROUNDS = 5;
const TOKEN = "424242:BENCH-token-aaaaaaaaaaaaaaaaaaaa";
const credential = `424242:relay-${createHmac("sha256", TOKEN).update("secureclaw-relay:main").digest("hex")}`;

const telegram = await startFakeTelegram();
const proxy = connectProxy({ "api.telegram.org:443": `127.0.0.1:${telegram.port}` });
await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
const proxyPort = (proxy.address() as AddressInfo).port;
const relay = await spawnRelay({
    mainPath: join(dirname(fileURLToPath(import.meta.url)), "..", "src", "main.ts"),
    settings: JSON.stringify({ version: 1, upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: { main: { allowFrom: ["1"], sendsPerMinute: 1000, sources: ["127.0.0.0/8"] } } }),
    botTokens: { main: TOKEN }, proxyPort, caPem: telegram.caPem,
});

class Tunnel extends HttpsAgent {
    override createConnection(o: Record<string, any>, done?: (err: Error | null, s: any) => void): undefined {
        const c = httpRequest({ host: "127.0.0.1", port: proxyPort, method: "CONNECT", path: `${o.host}:443` });
        c.once("connect", (_res, socket) => {
            const s = tlsConnect({ socket, servername: o.host, ca: telegram.caPem });
            s.once("secureConnect", () => done?.(null, s));
        });
        c.end();
        return undefined;
    }
}
const direct = new Tunnel({ keepAlive: true, maxSockets: 1 });
const toRelay = new HttpAgent({ keepAlive: true, maxSockets: 1 });

function once(mode: "relay" | "proxy"): Promise<number> {
    return new Promise((resolve, reject) => {
        const start = process.hrtime.bigint();
        const done = (res: import("node:http").IncomingMessage) => {
            res.resume();
            res.on("end", () => (res.statusCode === 200 ? resolve(Number(process.hrtime.bigint() - start) / 1e6) : reject(new Error(`status ${res.statusCode}`))));
        };
        const headers = { "content-type": "application/json", "content-length": 2 };
        const req = mode === "relay"
            ? httpRequest({ host: "127.0.0.1", port: relay.port, path: `/bot${credential}/getMe`, method: "POST", agent: toRelay, headers }, done)
            : httpsRequest({ host: "api.telegram.org", port: 443, path: `/bot${TOKEN}/getMe`, method: "POST", agent: direct, headers }, done);
        req.on("error", reject);
        req.end("{}");
    });
}

async function p50(mode: "relay" | "proxy"): Promise<number> {
    for (let i = 0; i < 50; i++) await once(mode);
    const samples: number[] = [];
    for (let i = 0; i < N; i++) samples.push(await once(mode));
    samples.sort((a, b) => a - b);
    return Math.round(samples[Math.floor(N / 2)] * 1000) / 1000;
}

const base: number[] = [], via: number[] = [];
for (let r = 0; r < ROUNDS; r++) {
    base.push(await p50("proxy"));
    via.push(await p50("relay"));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`getMe on kept connections, loopback, p50 (median of ${ROUNDS} rounds x ${N})`);
console.log(`  proxy tunnel alone (baseline)  ${median(base)} ms  (rounds ${base.join(", ")})`);
console.log(`  through the relay              ${median(via)} ms  (rounds ${via.join(", ")})`);
console.log(`  added by the relay             +${(median(via) - median(base)).toFixed(3)} ms`);
await relay.stop();
proxy.close();
await telegram.close();
process.exit(0);
