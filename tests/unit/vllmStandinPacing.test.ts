/**
 * The vLLM stand-in's paced benchmark streams (TEST-ONLY,
 * tests/e2e/images/gpu-host/vllm_standin.py): the benchmark's first-event
 * figure means something only if the first word leaves at once and the rest
 * come a decode step apart, as a model sends them. Served in-process on
 * loopback; each read is timed as it arrives.
 */
import { execFileSync } from "child_process";
import * as path from "path";

const MODULE_DIR = path.join(__dirname, "..", "e2e", "images", "gpu-host");

/** Per message: every read of the stream as [ms since the request, data events in it]. */
function streams(messages: string[]): Array<Array<[number, number]>> {
    const program = [
        "import json, sys, threading, time, http.client",
        "import vllm_standin as v",
        "from http.server import ThreadingHTTPServer",
        "ns, unknown = v.parse_vllm_args(['--served-model-name', 'm'])",
        "v.Handler.standin = v.StandIn(ns, unknown, None)",
        "v.REQUEST_LOG = '/dev/null'",
        "v.Handler.log_message = lambda *a: None",
        "srv = ThreadingHTTPServer(('127.0.0.1', 0), v.Handler)",
        "threading.Thread(target=srv.serve_forever, daemon=True).start()",
        "def stream(text):",
        "    c = http.client.HTTPConnection('127.0.0.1', srv.server_address[1])",
        "    body = json.dumps({'model': 'm', 'stream': True, 'messages': [{'role': 'user', 'content': text}]})",
        "    t0 = time.perf_counter()",
        "    c.request('POST', '/v1/chat/completions', body, {'Content-Type': 'application/json'})",
        "    r, reads = c.getresponse(), []",
        "    while True:",
        "        d = r.read1(65536)",
        "        if not d: break",
        "        reads.append([1000 * (time.perf_counter() - t0), d.count(b'data: {')])",
        "    return reads",
        "print(json.dumps([stream(m) for m in json.load(sys.stdin)]))",
    ].join("\n");
    const stdout = execFileSync("python3", ["-B", "-c", program], { cwd: MODULE_DIR, input: JSON.stringify(messages), encoding: "utf8", timeout: 30_000 });
    return JSON.parse(stdout);
}

const events = (reads: Array<[number, number]>) => reads.reduce((n, [, k]) => n + k, 0);

/** When the stream's n-th data event (1-based; the role is the first) had arrived, in ms. */
function arrival(reads: Array<[number, number]>, n: number): number {
    let seen = 0;
    for (const [ms, k] of reads) {
        seen += k;
        if (seen >= n) return ms;
    }
    throw new Error(`the stream had only ${seen} events, not ${n}`);
}

describe("vLLM stand-in: paced benchmark streams", () => {
    const [paced, batched, capped] = streams([
        "secureclaw-bench: emit 4 chunks, 40 ms apart",
        "secureclaw-bench: emit 4 chunks",
        "secureclaw-bench: emit 2 chunks, 5000 ms apart",
    ]);

    it("sends the role and the first word at once, then a word per step", () => {
        // Role + 4 words + the finish event.
        expect(events(paced)).toBe(6);
        // A step (40 ms; sleeps are never shorter) after the first word, and three between it and the last.
        const firstWord = arrival(paced, 2);
        expect(arrival(paced, 3) - firstWord).toBeGreaterThanOrEqual(40 - 1);
        expect(arrival(paced, 5) - firstWord).toBeGreaterThanOrEqual(3 * 40 - 1);
    });

    it("without a step, the same stream leaves in one write", () => {
        expect(events(batched)).toBe(6);
        expect(batched).toHaveLength(1);
    });

    it("caps a step at one second", () => {
        expect(events(capped)).toBe(4);
        const span = capped[capped.length - 1][0] - capped[0][0];
        expect(span).toBeGreaterThanOrEqual(999);
        expect(span).toBeLessThan(4000);
    });
});
