/**
 * The door (images/door) as it runs in its image: the real program in a
 * child Node process, in front of a LiteLLM stand-in on 127.0.0.1 that
 * records every request it receives. Each refusal is checked twice: the
 * answer the agent gets, and that the stand-in never saw the request.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { doorCredential } from "../../components/door/credentials";
import { DoorAgent, renderDoorSettings } from "../../components/door/doorSettings";
import { summariseUsage } from "../../components/door/usageSummary";
import { Answer, send as sendRaw, SendOptions } from "../../images/door/bench/client";
import { spawnDoor, DoorProcess } from "../../images/door/bench/doorProcess";
import { FakeLiteLLM, LEAKY_HEADERS, startFakeLiteLLM } from "../../images/door/bench/fakeLiteLLM";

const MAIN = path.resolve(__dirname, "..", "..", "images", "door", "src", "main.ts");
const MASTER_KEY = "sk-test-master-key-ffffffffffffffff";
const MODEL = "secureclaw-model";
const CAP = 1000;
const GENEROUS = { requestsPerMinute: 1000, tokensPerMinute: 10_000_000, tokensPerDay: 100_000_000, concurrentRequests: 16 };
/** Loopback is the test's cell: every agent here may call from 127.0.0.0/8 unless a test narrows it. */
const agent = (name: string, limits: Partial<DoorAgent["limits"]> = {}, model = MODEL, sources = ["127.0.0.0/8"]): DoorAgent => ({ name, model, maxOutputTokens: CAP, limits: { ...GENEROUS, ...limits }, sources });
const credential = (name: string) => doorCredential(MASTER_KEY, name);

/** A request from an agent: its credential in the Authorization header. */
function send(port: number, method: string, target: string, o: SendOptions & { as?: string } = {}): Promise<Answer> {
    return sendRaw(port, method, target, { ...o, headers: { ...(o.as ? { authorization: `Bearer ${credential(o.as)}` } : {}), ...o.headers } });
}

const chat = (extra: Record<string, unknown> = {}) => ({ model: MODEL, messages: [{ role: "user", content: "hello" }], ...extra });

async function startPair(agents: DoorAgent[], usageLog?: string, maxConcurrentCalls = 64, listenHost?: string): Promise<{ fake: FakeLiteLLM; door: DoorProcess }> {
    const fake = await startFakeLiteLLM();
    const door = await spawnDoor({ mainPath: MAIN, settings: renderDoorSettings({ agents, requestTimeoutSeconds: 30, maxBodyBytes: 64 * 1024, maxConcurrentCalls }), masterKey: MASTER_KEY, upstreamPort: fake.port, usageLog, listenHost });
    return { fake, door };
}

/** Usage lines written so far (the door appends asynchronously; wait until `count` are there). */
async function usageLines(door: DoorProcess, count: number): Promise<any[]> {
    for (let i = 0; i < 200; i++) {
        const text = fs.existsSync(door.usagePath) ? fs.readFileSync(door.usagePath, "utf8") : "";
        // A line is read only once its newline is there: the door may be mid-append.
        const lines = text.split("\n").slice(0, -1).filter(Boolean).map((l) => JSON.parse(l));
        if (lines.length >= count) return lines;
        await new Promise((r) => setTimeout(r, 20));
    }
    throw new Error(`fewer than ${count} usage lines`);
}

describe("the door in front of LiteLLM", () => {
    let fake: FakeLiteLLM;
    let door: DoorProcess;
    beforeAll(async () => ({ fake, door } = await startPair([agent("alice"), agent("bob", {}, "bobs-model")])));
    afterAll(async () => {
        await door?.stop();
        await fake?.close();
    });
    beforeEach(() => { fake.received.length = 0; });

    const REFUSED: Array<[string, string, number]> = [
        // admin, UI, docs, key/user/team/model management, spend, config, health detail
        ["GET", "/ui", 404], ["GET", "/ui/", 404], ["GET", "/", 404], ["GET", "/docs", 404], ["GET", "/openapi.json", 404],
        ["POST", "/key/generate", 404], ["GET", "/key/list", 404], ["POST", "/key/delete", 404],
        ["POST", "/user/new", 404], ["POST", "/team/new", 404], ["POST", "/model/new", 404],
        ["GET", "/model/info", 404], ["GET", "/v1/model/info", 404], ["GET", "/model_group/info", 404],
        ["GET", "/global/spend/logs", 404], ["GET", "/spend/logs", 404],
        ["POST", "/config/update", 404], ["GET", "/get/config/callbacks", 404],
        ["GET", "/health", 404], ["GET", "/health/readiness", 404], ["GET", "/health/liveliness", 404], ["GET", "/metrics", 404], ["GET", "/routes", 404],
        // provider pass-through
        ["POST", "/anthropic/v1/messages", 404], ["POST", "/openai/v1/chat/completions", 404], ["POST", "/gemini/v1beta/models/g:generateContent", 404],
        ["POST", "/vertex-ai/v1/projects/p/models/m:predict", 404], ["POST", "/bedrock/model/m/invoke", 404], ["POST", "/azure/openai/deployments/d/chat/completions", 404],
        ["POST", "/cohere/v1/chat", 404], ["POST", "/mistral/v1/chat/completions", 404], ["POST", "/vllm/../pause", 404], ["POST", "/vllm/tokenize", 404],
        // other model APIs LiteLLM serves
        ["POST", "/v1/messages", 404], ["POST", "/v1/embeddings", 404], ["POST", "/v1/responses", 404], ["POST", "/v1/images/generations", 404],
        ["POST", "/v1/audio/transcriptions", 404], ["POST", "/v1/files", 404], ["POST", "/v1/batches", 404], ["POST", "/v1/fine_tuning/jobs", 404],
        // path tricks: never normalised, so never matched
        ["POST", "/v1/../key/generate", 404], ["POST", "/v1/chat/completions/../../key/generate", 404], ["POST", "/v1/%2e%2e/key/generate", 404],
        ["POST", "/v1/%2E%2E/model/new", 404], ["POST", "/v1%2fchat%2fcompletions", 404], ["POST", "/v1/chat%2Fcompletions", 404],
        ["POST", "//v1/chat/completions", 404], ["POST", "/v1//chat/completions", 404], ["POST", "/v1/chat/completions/", 404],
        ["POST", "/v1/chat/completions.", 404], ["POST", "/V1/chat/completions", 404], ["POST", "/v1/Chat/Completions", 404],
        ["POST", "/v1/chat/completions?api_base=http://evil", 404], ["GET", "/v1/models?x=1", 404], ["POST", "/v1/chat/completions%00", 404],
        ["POST", "/v1/chat/completions;x", 404], ["POST", "/v1/./chat/completions", 404], ["POST", "/%76%31/chat/completions", 404],
        ["POST", "http://litellm:4000/v1/chat/completions", 404], ["GET", "http://127.0.0.1:4000/v1/models", 404],
        // right path, wrong method
        ["GET", "/v1/chat/completions", 405], ["PUT", "/v1/chat/completions", 405], ["DELETE", "/v1/models", 405],
        ["POST", "/v1/models", 405], ["OPTIONS", "/chat/completions", 405], ["PATCH", "/v1/completions", 405],
    ];

    test(`the table has at least 30 refused cases (${REFUSED.length})`, () => {
        expect(REFUSED.length).toBeGreaterThanOrEqual(30);
    });

    test.each(REFUSED)("%s %s is refused with %i and never reaches LiteLLM", async (method, target, status) => {
        const r = await send(door.port, method, target, { as: "alice", body: method === "GET" ? undefined : chat() });
        expect(r.status).toBe(status);
        expect(JSON.parse(r.text).error.message).toMatch(/not found|not allowed/);
        expect(fake.received).toEqual([]);
    });

    test("HEAD on the model list is refused too (405, no body)", async () => {
        const r = await send(door.port, "HEAD", "/v1/models", { as: "alice" });
        expect(r.status).toBe(405);
        expect(fake.received).toEqual([]);
    });

    test.each(["/v1/chat/completions", "/chat/completions"])("POST %s is forwarded to the same path with the master key instead of the agent's credential", async (target) => {
        const r = await send(door.port, "POST", target, {
            as: "alice",
            body: chat(),
            headers: { "x-litellm-api-key": "sk-attacker", "api-key": "sk-attacker", "x-api-key": "sk-attacker", cookie: "a=b", "x-forwarded-for": "1.2.3.4" },
        });
        expect(r.status).toBe(200);
        expect(JSON.parse(r.text).choices[0].message.content).toBe("fake reply");
        expect(fake.received).toHaveLength(1);
        const seen = fake.received[0];
        expect(seen.url).toBe(target);
        expect(seen.headers.authorization).toBe(`Bearer ${MASTER_KEY}`);
        expect(Object.keys(seen.headers).sort()).toEqual(["accept", "authorization", "connection", "content-length", "content-type", "host"]);
        expect(JSON.stringify(seen.headers)).not.toContain(credential("alice"));
    });

    test.each(["/v1/completions", "/completions"])("POST %s (legacy completions) is forwarded", async (target) => {
        const r = await send(door.port, "POST", target, { as: "alice", body: { model: MODEL, prompt: "def f():" } });
        expect(r.status).toBe(200);
        expect(fake.received.map((x) => x.url)).toEqual([target]);
    });

    test.each(["/v1/models", "/models"])("GET %s lists the agent's own model, answered by the door", async (target) => {
        const alice = await send(door.port, "GET", target, { as: "alice" });
        const bob = await send(door.port, "GET", target, { as: "bob" });
        expect(JSON.parse(alice.text).data.map((m: any) => m.id)).toEqual([MODEL]);
        expect(JSON.parse(bob.text).data.map((m: any) => m.id)).toEqual(["bobs-model"]);
        expect(fake.received).toEqual([]);
    });

    test.each<[string, Record<string, string>]>([
        ["no credential", {}],
        ["an unknown credential", { authorization: "Bearer sk-door-0000" }],
        ["LiteLLM's master key itself", { authorization: `Bearer ${MASTER_KEY}` }],
        ["a credential derived from another key", { authorization: `Bearer ${doorCredential("another-key", "alice")}` }],
        ["a credential for an agent the door does not serve", { authorization: `Bearer ${credential("mallory")}` }],
        ["the credential in another scheme", { authorization: `Basic ${credential("alice")}` }],
        ["the credential with trailing junk", { authorization: `Bearer ${credential("alice")} x` }],
    ])("%s: 401, nothing forwarded", async (_title, headers) => {
        const r = await send(door.port, "POST", "/v1/chat/completions", { body: chat(), headers });
        expect(r.status).toBe(401);
        expect(r.headers["www-authenticate"]).toBe("Bearer");
        expect(fake.received).toEqual([]);
    });

    test("each agent's credential opens the door for that agent only (its model, not the other's)", async () => {
        expect((await send(door.port, "POST", "/v1/chat/completions", { as: "bob", body: chat({ model: "bobs-model" }) })).status).toBe(200);
        expect((await send(door.port, "POST", "/v1/chat/completions", { as: "bob", body: chat() })).status).toBe(400);
        expect((await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat({ model: "bobs-model" }) })).status).toBe(400);
        expect(fake.received).toHaveLength(1);
    });

    test.each<[string, number | undefined, Record<string, unknown>]>([
        ["max_tokens above the cap is clamped", CAP, { max_tokens: 60_000 }],
        ["max_completion_tokens above the cap is clamped", CAP, { max_completion_tokens: 50_000 }],
        ["no max_tokens gets the cap", CAP, {}],
        ["a smaller max_tokens is kept", 300, { max_tokens: 300 }],
        ["the smaller of both names wins", 200, { max_tokens: 900, max_completion_tokens: 200 }],
    ])("%s", async (_title, expected, extra) => {
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat(extra) });
        expect(r.status).toBe(200);
        expect(fake.received[0].body.max_tokens).toBe(expected);
        expect(fake.received[0].body).not.toHaveProperty("max_completion_tokens");
    });

    test("parameters that could change the upstream or the credentials never reach LiteLLM", async () => {
        const dangerous = {
            api_base: "http://evil:1", base_url: "http://evil:1", api_key: "sk-attacker", custom_llm_provider: "openai",
            extra_headers: { x: "y" }, metadata: { tags: ["x"] }, user_config: { model_list: [] }, fallbacks: ["gpt-4o"],
            mock_response: "pwned", litellm_params: {}, api_version: "x", aws_access_key_id: "x", vertex_credentials: "x",
            headers: { x: "y" }, user: "u", caching: true, guardrails: ["x"], tags: ["x"],
        };
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat({ ...dangerous, temperature: 0.2, tools: [] }) });
        expect(r.status).toBe(200);
        const forwarded = fake.received[0].body;
        for (const key of Object.keys(dangerous)) expect(forwarded).not.toHaveProperty(key);
        expect(forwarded).toMatchObject({ model: MODEL, temperature: 0.2, tools: [], messages: [{ role: "user", content: "hello" }] });
    });

    test.each<[string, unknown, number, Record<string, string>]>([
        ["another model", chat({ model: "gpt-4o" }), 400, {}],
        ["no model", { messages: [] }, 400, {}],
        ["a body that is not JSON", "{nope", 400, {}],
        ["a JSON array", "[]", 400, {}],
        ["messages that are not an array", chat({ messages: "hi" }), 400, {}],
        ["n above 1", chat({ n: 3 }), 400, {}],
        ["a max_tokens that is not a positive whole number", chat({ max_tokens: -5 }), 400, {}],
        ["a body that is not application/json", chat(), 415, { "content-type": "text/plain" }],
        ["a body over the size cap", chat({ messages: [{ role: "user", content: "x".repeat(70 * 1024) }] }), 413, {}],
    ])("%s is refused before LiteLLM", async (_title, body, status, headers) => {
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body, headers });
        expect(r.status).toBe(status);
        expect(JSON.parse(r.text).error.code).toEqual(expect.any(String));
        expect(fake.received).toEqual([]);
    });

    const ALLOWED_RESPONSE_HEADERS = ["cache-control", "connection", "content-length", "content-type", "date", "keep-alive", "transfer-encoding"];

    test("no upstream header reaches the agent", async () => {
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat() });
        expect(r.status).toBe(200);
        for (const name of Object.keys(r.headers)) expect(ALLOWED_RESPONSE_HEADERS).toContain(name);
        for (const value of Object.values(LEAKY_HEADERS)) expect(JSON.stringify(r.headers)).not.toContain(value);
    });

    const UPSTREAM_TEXT = "litellm.InternalServerError: Hosted_vllmException - Cannot connect to host 10.201.1.250:8000 ssl:default [Connection refused] (litellm 1.83.14)";
    test.each<[number, number, string]>([
        [500, 502, "model_unavailable"],
        [503, 502, "model_unavailable"],
        [401, 502, "model_unavailable"],
        [404, 502, "model_unavailable"],
        [429, 429, "model_busy"],
        [408, 504, "model_timeout"],
        [400, 400, "model_rejected_request"],
    ])("an upstream %i becomes the door's own %i (%s), without the upstream's words", async (upstream, status, code) => {
        fake.failNext(upstream, JSON.stringify({ error: { message: UPSTREAM_TEXT, type: "None", param: "None", code: String(upstream) } }));
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat() });
        expect(r.status).toBe(status);
        expect(JSON.parse(r.text).error.code).toBe(code);
        expect(r.text + JSON.stringify(r.headers)).not.toMatch(/10\.201\.1\.250|8000|litellm|vllm|1\.83|uvicorn/i);
    });

    test("a context overflow is told apart (agents compact on it), in the door's words", async () => {
        fake.failNext(400, JSON.stringify({ error: { message: `${UPSTREAM_TEXT}: This model's maximum context length is 32768 tokens` } }));
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat() });
        expect(r.status).toBe(400);
        expect(JSON.parse(r.text).error).toMatchObject({ code: "context_length_exceeded", message: expect.stringMatching(/maximum context length/) });
        expect(r.text).not.toMatch(/10\.201|32768|litellm/i);
    });

    test("LiteLLM unreachable: 502 in the door's words", async () => {
        const closed = await startFakeLiteLLM();
        await closed.close();
        const lonely = await spawnDoor({ mainPath: MAIN, settings: renderDoorSettings({ agents: [agent("alice")], requestTimeoutSeconds: 5, maxBodyBytes: 1024 }), masterKey: MASTER_KEY, upstreamPort: closed.port });
        try {
            const r = await send(lonely.port, "POST", "/v1/chat/completions", { as: "alice", body: chat() });
            expect(r.status).toBe(502);
            expect(r.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|\d{4,5}/);
        } finally {
            await lonely.stop();
        }
    });

    test("a stream passes every chunk in order, ends with [DONE], and asks upstream for usage", async () => {
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat({ stream: true, max_tokens: 50 }) });
        expect(r.status).toBe(200);
        expect(r.headers["content-type"]).toBe("text/event-stream");
        for (const name of Object.keys(r.headers)) expect(ALLOWED_RESPONSE_HEADERS).toContain(name);
        const events = r.text.split("\n\n").filter(Boolean);
        expect(events[events.length - 1]).toBe("data: [DONE]");
        const contents = events.slice(0, -1).map((e) => JSON.parse(e.slice(6))).filter((e) => e.choices.length > 0).map((e) => e.choices[0].delta.content);
        expect(contents).toEqual(Array.from({ length: 50 }, (_, i) => `tok${i} `));
        expect(fake.received[0].body.stream_options).toEqual({ include_usage: true });
    });

    test("an error inside a stream is replaced by the door's own event", async () => {
        fake.breakNextStream(3, UPSTREAM_TEXT);
        const r = await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat({ stream: true, max_tokens: 10 }) });
        const events = r.text.split("\n\n").filter(Boolean);
        expect(events).toHaveLength(4);
        expect(JSON.parse(events[3].slice(6)).error.code).toBe("stream_failed");
        expect(r.text).not.toMatch(/10\.201|litellm|vllm/i);
    });

    test("/healthz answers on 127.0.0.1 only, without details", async () => {
        const local = await send(door.port, "GET", "/healthz");
        expect(local.status).toBe(200);
        expect(JSON.parse(local.text)).toEqual({ ok: true });
        const other = await send(door.port, "GET", "/healthz", { localAddress: "127.0.0.2" });
        expect(other.status).toBe(404);
    });

    test("usage is recorded per agent, from the response and from the stream's last chunk", async () => {
        fake.usage = { prompt_tokens: 120, completion_tokens: 30 };
        const before = (await usageLines(door, 0)).length;
        await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat() });
        await send(door.port, "POST", "/v1/chat/completions", { as: "bob", body: chat({ model: "bobs-model", stream: true, max_tokens: 5 }) });
        const lines = (await usageLines(door, before + 2)).slice(before);
        expect(lines).toEqual([
            expect.objectContaining({ agent: "alice", route: "/v1/chat/completions", status: 200, stream: false, prompt_tokens: 120, completion_tokens: 30 }),
            expect.objectContaining({ agent: "bob", route: "/v1/chat/completions", status: 200, stream: true, prompt_tokens: 120, completion_tokens: 30 }),
        ]);
        expect(lines[0]).not.toHaveProperty("estimated");
        const summary = summariseUsage(lines.map((l) => JSON.stringify(l)).join("\n"));
        expect(summary.agents.map((a) => [a.agent, a.requests, a.promptTokens, a.completionTokens])).toEqual([["alice", 1, 120, 30], ["bob", 1, 120, 30]]);
    });

    test("the usage log holds no credential and no prompt", async () => {
        await send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat({ messages: [{ role: "user", content: "secret prompt text" }] }) });
        await usageLines(door, 1);
        const text = fs.readFileSync(door.usagePath, "utf8");
        expect(text).not.toContain(MASTER_KEY);
        expect(text).not.toContain(credential("alice"));
        expect(text).not.toContain("secret prompt text");
    });
});

describe("per-agent limits, enforced before LiteLLM", () => {
    const pairs: Array<{ fake: FakeLiteLLM; door: DoorProcess }> = [];
    const start = async (agents: DoorAgent[], usageLog?: string, maxConcurrentCalls?: number) => {
        const pair = await startPair(agents, usageLog, maxConcurrentCalls);
        pairs.push(pair);
        return pair;
    };
    afterEach(async () => {
        for (const { door, fake } of pairs.splice(0)) {
            await door.stop();
            await fake.close();
        }
    });
    const post = (door: DoorProcess, as: string, extra: Record<string, unknown> = {}) => send(door.port, "POST", "/v1/chat/completions", { as, body: chat(extra) });
    const refusal = (r: Answer) => ({ status: r.status, code: JSON.parse(r.text).error.code, retryAfter: Number(r.headers["retry-after"]) });

    test("requests per minute: the 4th of 3 allowed gets 429 with Retry-After, and LiteLLM saw 3; the other agent is unaffected", async () => {
        const { fake, door } = await start([agent("alice", { requestsPerMinute: 3 }), agent("bob")]);
        for (let i = 0; i < 3; i++) expect((await post(door, "alice")).status).toBe(200);
        const r = await post(door, "alice");
        expect(refusal(r)).toEqual({ status: 429, code: "requests_per_minute", retryAfter: expect.any(Number) });
        expect(refusal(r).retryAfter).toBeGreaterThanOrEqual(1);
        expect(refusal(r).retryAfter).toBeLessThanOrEqual(60);
        expect(JSON.parse(r.text).error.message).toMatch(/requests per minute \(3\).*retry in \d+ s/);
        expect((await post(door, "bob")).status).toBe(200);
        expect(fake.received).toHaveLength(4);
    });

    test("concurrent requests: the third while two are in flight gets 429 at once; LiteLLM saw two", async () => {
        const { fake, door } = await start([agent("alice", { concurrentRequests: 2 })]);
        const release = fake.hold();
        const inFlight = [post(door, "alice"), post(door, "alice")];
        for (let i = 0; i < 100 && fake.received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        const third = await post(door, "alice");
        expect(refusal(third)).toMatchObject({ status: 429, code: "concurrent_requests" });
        release();
        expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
        expect(fake.received).toHaveLength(2);
        expect((await post(door, "alice")).status).toBe(200);
    });

    test("calls in flight over all agents: past the gateway's cap the next agent gets 429 at once; LiteLLM saw the cap", async () => {
        const { fake, door } = await start([agent("alice"), agent("bob")], undefined, 2);
        const release = fake.hold();
        const inFlight = [post(door, "alice"), post(door, "bob")];
        for (let i = 0; i < 100 && fake.received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        expect(refusal(await post(door, "bob"))).toMatchObject({ status: 429, code: "gateway_busy" });
        expect(refusal(await post(door, "alice"))).toMatchObject({ status: 429, code: "gateway_busy" });
        release();
        expect((await Promise.all(inFlight)).map((r) => r.status)).toEqual([200, 200]);
        expect(fake.received).toHaveLength(2);
        // The slots come back when the calls end.
        expect((await post(door, "alice")).status).toBe(200);
        expect((await post(door, "bob")).status).toBe(200);
    });

    test("tokens per minute: a burst is stopped by the estimate before any usage is known, then the real usage frees the room", async () => {
        // Each call reserves ~1,000 (max_tokens) + its prompt; two fit under 2,500, a third does not.
        const { fake, door } = await start([agent("alice", { tokensPerMinute: 2500 })]);
        fake.usage = { prompt_tokens: 10, completion_tokens: 5 };
        const release = fake.hold();
        const inFlight = [post(door, "alice"), post(door, "alice")];
        for (let i = 0; i < 100 && fake.received.length < 2; i++) await new Promise((r) => setTimeout(r, 10));
        const third = await post(door, "alice");
        expect(refusal(third)).toMatchObject({ status: 429, code: "tokens_per_minute" });
        expect(fake.received).toHaveLength(2);
        release();
        await Promise.all(inFlight);
        // Settled to 15 tokens each: room again.
        expect((await post(door, "alice")).status).toBe(200);
        expect(fake.received.every((r) => r.body.max_tokens <= CAP)).toBe(true);
    });

    test("tokens per day: past the budget, 429 with a retry within 24 h", async () => {
        const { fake, door } = await start([agent("alice", { tokensPerDay: 1500 })]);
        fake.usage = { prompt_tokens: 600, completion_tokens: 400 };
        expect((await post(door, "alice")).status).toBe(200);
        const r = await post(door, "alice");
        expect(refusal(r)).toMatchObject({ status: 429, code: "tokens_per_day" });
        expect(refusal(r).retryAfter).toBeGreaterThan(60);
        expect(refusal(r).retryAfter).toBeLessThanOrEqual(86_400);
        expect(fake.received).toHaveLength(1);
    });

    test("a request that could never fit a limit is refused as such (400), not told to retry", async () => {
        const { fake, door } = await start([agent("alice", { tokensPerMinute: 500 })]);
        const r = await post(door, "alice");
        expect(refusal(r)).toMatchObject({ status: 400, code: "tokens_per_minute" });
        expect(r.headers["retry-after"]).toBeUndefined();
        expect(fake.received).toHaveLength(0);
    });

    test("refusals are recorded with the limit's name, batched: a flood of them is one line, not one per request", async () => {
        const { door } = await start([agent("alice", { requestsPerMinute: 1 })]);
        await post(door, "alice");
        for (let i = 0; i < 50; i++) await post(door, "alice");
        const lines = await usageLines(door, 2);
        expect(lines.map((l) => [l.status, l.refused, l.count])).toEqual([[200, undefined, undefined], [429, "requests_per_minute", 50]]);
        expect(summariseUsage(lines.map((l) => JSON.stringify(l)).join("\n")).agents[0]).toMatchObject({ requests: 1, refused: { requests_per_minute: 50 } });
    });

    test("a restarted door still counts the last 24 hours of usage from its log", async () => {
        const earlier = JSON.stringify({ time: new Date(Date.now() - 3_600_000).toISOString(), agent: "alice", route: "/v1/chat/completions", status: 200, stream: false, prompt_tokens: 900, completion_tokens: 500, ms: 10 });
        const old = JSON.stringify({ time: new Date(Date.now() - 2 * 86_400_000).toISOString(), agent: "bob", route: "/v1/chat/completions", status: 200, stream: false, prompt_tokens: 900, completion_tokens: 500, ms: 10 });
        const { fake, door } = await start([agent("alice", { tokensPerDay: 2000 }), agent("bob", { tokensPerDay: 2000 })], `${earlier}\n${old}\n`);
        expect(refusal(await post(door, "alice"))).toMatchObject({ status: 429, code: "tokens_per_day" });
        expect((await post(door, "bob")).status).toBe(200);
        expect(fake.received).toHaveLength(1);
    });

    test("settings change in place: a new agent is let in and a removed one is refused, without a restart", async () => {
        const { door } = await start([agent("alice")]);
        expect((await post(door, "carol")).status).toBe(401);
        fs.writeFileSync(door.settingsPath, renderDoorSettings({ agents: [agent("carol")], requestTimeoutSeconds: 30, maxBodyBytes: 64 * 1024 }));
        let status = 0;
        for (let i = 0; i < 40 && status !== 200; i++) {
            await new Promise((r) => setTimeout(r, 100));
            status = (await post(door, "carol")).status;
        }
        expect(status).toBe(200);
        expect((await post(door, "alice")).status).toBe(401);
    });

    test("an agent added while the door runs: its credential works without a restart; the others' open keep-alive connection and call in flight carry on", async () => {
        const { fake, door } = await start([agent("alice"), agent("bob")]);
        const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const sockets = new Set<unknown>();
        keepAlive.on("free", (socket) => sockets.add(socket));
        const asAlice = () => send(door.port, "POST", "/v1/chat/completions", { as: "alice", body: chat(), agent: keepAlive });
        expect((await asAlice()).status).toBe(200);
        const release = fake.hold();
        const inFlight = send(door.port, "POST", "/v1/chat/completions", { as: "bob", body: chat() });
        while (fake.received.length < 2) await new Promise((r) => setTimeout(r, 10));

        fs.writeFileSync(door.settingsPath, renderDoorSettings({ agents: [agent("alice"), agent("bob"), agent("carol")], requestTimeoutSeconds: 30, maxBodyBytes: 64 * 1024 }));
        // The model list is answered by the door itself, so it passes while LiteLLM holds bob's call.
        let carol = 0;
        for (let i = 0; i < 40 && carol !== 200; i++) {
            await new Promise((r) => setTimeout(r, 100));
            carol = (await send(door.port, "GET", "/v1/models", { as: "carol" })).status;
        }
        expect(carol).toBe(200);
        release();
        expect((await inFlight).status).toBe(200);
        expect((await asAlice()).status).toBe(200);
        expect((await post(door, "carol")).status).toBe(200);
        expect(sockets.size).toBe(1);
        expect(fake.received).toHaveLength(4);
        keepAlive.destroy();
    });

    test("an invalid settings change is ignored: the door keeps serving with the last good settings", async () => {
        const { door } = await start([agent("alice")]);
        fs.writeFileSync(door.settingsPath, '{"version": 1, "agents": {}}');
        for (let i = 0; i < 40 && !door.stderr().includes("settings-ignored"); i++) await new Promise((r) => setTimeout(r, 100));
        expect(door.stderr()).toContain("settings-ignored");
        expect((await post(door, "alice")).status).toBe(200);
    });
});

describe("each credential is bound to its agent's cell", () => {
    // alice's cell is 127.0.0.2 alone, bob's all of loopback: the client picks its source address.
    const agents = [agent("alice", {}, MODEL, ["127.0.0.2/32"]), agent("bob")];
    const post = (door: DoorProcess, as: string | undefined, from: string, token?: string) =>
        send(door.port, "POST", "/v1/chat/completions", { as, body: chat(), localAddress: from, headers: token ? { authorization: `Bearer ${token}` } : {} });
    const reply = (r: Answer) => ({ status: r.status, text: r.text, authenticate: r.headers["www-authenticate"], connection: r.headers.connection });

    test.each<[string, string | undefined]>([
        ["listening on IPv4: peers are plain a.b.c.d", undefined],
        ["listening dual-stack: peers are ::ffff:a.b.c.d", "::"],
    ])("%s", async (_what, listenHost) => {
        const { fake, door } = await startPair(agents, undefined, 64, listenHost);
        try {
            expect((await post(door, "alice", "127.0.0.2")).status).toBe(200);
            expect(fake.received).toHaveLength(1);
            const bad = await post(door, undefined, "127.0.0.2", `sk-door-${"0".repeat(64)}`);
            const wrongCell = await post(door, "alice", "127.0.0.3");
            // The same answer, byte for byte, as for a credential that opens nothing: the caller learns nothing.
            expect(reply(wrongCell)).toEqual(reply(bad));
            expect(bad.status).toBe(401);
            expect(fake.received).toHaveLength(1);
            expect((await post(door, "bob", "127.0.0.3")).status).toBe(200);
            // Recorded under the credential's agent with its own reason (refusals are flushed every 2 s).
            const lines = await usageLines(door, 3);
            expect(lines.filter((l) => l.refused)).toEqual([expect.objectContaining({ agent: "alice", status: 401, refused: "wrong-cell", count: 1 })]);
        } finally {
            await door.stop();
            await fake.close();
        }
    });
});
