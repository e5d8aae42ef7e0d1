/**
 * The model path as the e2e suite sees it: requests from the agent box to the
 * gateway (the door), every answer kept for the final "nothing names the
 * upstream" check, and what reached LiteLLM and the vLLM stand-in.
 */
import { probe, sh } from "./support";

/** The agent's own credential, by the name of the environment variable probe.py reads it from. */
export const AGENT_KEY = "SECURECLAW_GATEWAY_KEY";
const GATEWAY_HOST = "model-gateway";
const GATEWAY_PORT = "4000";

export interface RawRequest {
    method: string;
    /** Sent byte for byte as the request target. */
    target: string;
    /** An environment variable in the agent holding the key, or the key itself; null for none. */
    key?: string | null;
    body?: string;
}

export interface Answer {
    code: number;
    status: string;
    headers: Array<[string, string]>;
    body: string;
    error?: string;
}

/** One answer the gateway gave, and which request it was for. */
export interface RecordedAnswer extends Answer {
    request: string;
}

/** Every answer the suite received from the gateway, in order. */
export const gatewayAnswers: RecordedAnswer[] = [];

function keep(spec: RawRequest, answer: Answer): Answer {
    gatewayAnswers.push({ ...answer, request: `${spec.method} ${spec.target}` });
    return answer;
}

/** Several requests from the agent box to the gateway, one connection each, in one docker exec. */
export async function askGatewayMany(container: string, specs: RawRequest[]): Promise<Answer[]> {
    const withKey = specs.map((s) => ({ ...s, key: s.key === undefined ? AGENT_KEY : s.key }));
    const r = await probe(container, "raw", [GATEWAY_HOST, GATEWAY_PORT, JSON.stringify(withKey)]);
    return (r.results as Answer[]).map((answer, i) => keep(specs[i], answer));
}

export async function askGateway(container: string, spec: RawRequest): Promise<Answer> {
    return (await askGatewayMany(container, [spec]))[0];
}

/** `n` identical POSTs from the agent, back to back. */
export async function burst(container: string, n: number, target: string, body: string): Promise<Answer[]> {
    const r = await probe(container, "burst", [String(n), `http://${GATEWAY_HOST}:${GATEWAY_PORT}${target}`, AGENT_KEY, body]);
    return (r.results as Answer[]).map((answer) => keep({ method: "POST", target }, answer));
}

export function chatBody(text: string, extra: Record<string, unknown> = {}): string {
    return JSON.stringify({ model: "secureclaw-model", messages: [{ role: "user", content: text }], ...extra });
}

export function header(answer: Answer, name: string): string | undefined {
    return answer.headers.find(([n]) => n.toLowerCase() === name.toLowerCase())?.[1];
}

/** The `data:` payloads of an SSE body, in order; throws on a block that is not a data event. */
export function sseData(body: string): string[] {
    return body.split("\n\n").filter((block) => block !== "").map((block) => {
        if (!block.startsWith("data: ")) throw new Error(`not an SSE data event: ${JSON.stringify(block.slice(0, 120))}`);
        return block.slice("data: ".length);
    });
}

/** A request line from uvicorn's access log in LiteLLM's output. */
export interface AccessLine {
    client: string;
    method: string;
    path: string;
    status: string;
}

/**
 * Requests LiteLLM logged since `sinceMs` (ms since the epoch), except its
 * own health check from loopback. Uvicorn logs one line per request it
 * routes, whatever the route, so an empty list means nothing got in.
 */
export async function liteLLMRequests(container: string, sinceMs: number): Promise<AccessLine[]> {
    const r = await sh("docker", ["logs", "--since", (sinceMs / 1000).toFixed(3), container]);
    if (r.code !== 0) throw new Error(`docker logs ${container}: ${r.stderr}`);
    return (r.stdout + r.stderr).split("\n").flatMap((line) => {
        const m = /INFO:\s+([\d.]+):\d+ - "(\S+) (\S+) HTTP\/[\d.]+" (\d+)/.exec(line);
        return m && m[1] !== "127.0.0.1" ? [{ client: m[1], method: m[2], path: m[3], status: m[4] }] : [];
    });
}

/** One POST the vLLM stand-in received (tests/e2e/images/gpu-host/vllm_standin.py). */
export interface StandinRequest {
    time: number;
    path: string;
    authorized: boolean;
    model: string | null;
    max_tokens: number | null;
    max_completion_tokens: number | null;
    stream: boolean | null;
    /** The first 80 characters of the last user message. */
    tag: string;
}

export async function standinRequests(gpuHost: string): Promise<StandinRequest[]> {
    const r = await sh("docker", ["exec", gpuHost, "sh", "-c", "cat /var/log/vllm-standin/requests.jsonl 2>/dev/null || true"]);
    return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** A marker unique to one test's requests, so the stand-in's records can be told apart. */
export function tag(what: string): string {
    return `e2e-${what}-${Date.now().toString(36)}`;
}

/** Which of `needles` (case-insensitive) each answer contains: the answers that name the upstream. */
export function revealing(answers: RecordedAnswer[], needles: string[]): string[] {
    return answers.flatMap((a) => {
        const text = [a.status, ...a.headers.map(([n, v]) => `${n}: ${v}`), a.body].join("\n").toLowerCase();
        const found = needles.filter((n) => text.includes(n.toLowerCase()));
        return found.length > 0 ? [`${a.request} -> ${a.code} contains ${found.join(", ")}`] : [];
    });
}

const CHAT = chatBody("route probe");
const ANTHROPIC = JSON.stringify({ model: "claude-sonnet-4-5", max_tokens: 16, messages: [{ role: "user", content: "exfiltrate" }] });

/**
 * Requests the door must refuse before LiteLLM, with the status it answers:
 * 404 for any target not in its table, 405 for a listed path with another
 * method. Each group is what a hijacked agent would try with its key.
 */
export const REFUSED_ROUTES: Array<{ group: string; method: string; target: string; status: 404 | 405; body?: string }> = [
    // LiteLLM's admin surface: keys, users, teams, models, config, spend, UI, health, metrics.
    ...([
        ["POST", "/key/generate", "{}"],
        ["GET", "/key/list"],
        ["POST", "/key/delete", "{}"],
        ["POST", "/user/new", "{}"],
        ["POST", "/team/new", "{}"],
        ["POST", "/model/new", JSON.stringify({ model_name: "x", litellm_params: { model: "openai/gpt-4o", api_key: "sk-attacker" } })],
        ["GET", "/model/info"],
        ["GET", "/v1/model/info"],
        ["POST", "/config/update", "{}"],
        ["GET", "/get/config/callbacks"],
        ["GET", "/global/spend/logs"],
        ["GET", "/spend/logs"],
        ["GET", "/ui"],
        ["GET", "/health"],
        ["GET", "/health/readiness"],
        ["GET", "/health/liveliness"],
        ["GET", "/healthz"],
        ["GET", "/metrics"],
        ["GET", "/routes"],
        ["GET", "/openapi.json"],
        ["POST", "/v1/embeddings", JSON.stringify({ model: "secureclaw-model", input: "x" })],
        ["POST", "/v1/responses", JSON.stringify({ model: "secureclaw-model", input: "x" })],
    ] as Array<[string, string, string?]>).map(([method, target, body]) => ({ group: "admin", method, target, status: 404 as const, body })),
    // Provider pass-through: each would make LiteLLM connect to a hosted provider, around the proxy.
    ...([
        ["/anthropic/v1/messages", ANTHROPIC],
        ["/v1/messages", ANTHROPIC],
        ["/openai/v1/chat/completions", CHAT],
        ["/gemini/v1beta/models/gemini-pro:generateContent", "{}"],
        ["/vertex-ai/v1/projects/p/locations/l/publishers/google/models/m:generateContent", "{}"],
        ["/bedrock/model/anthropic.claude-v2/invoke", "{}"],
        ["/azure/openai/deployments/d/chat/completions", CHAT],
        ["/cohere/v1/chat", "{}"],
        ["/mistral/v1/chat/completions", CHAT],
        ["/vllm/tokenize", JSON.stringify({ model: "secureclaw-model", prompt: "x" })],
        ["/vllm/../pause", JSON.stringify({ model: "secureclaw-model" })],
        ["/vllm/invocations", CHAT],
    ] as Array<[string, string]>).map(([target, body]) => ({ group: "pass-through", method: "POST", target, status: 404 as const, body })),
    // Path tricks: each names an allowed route or an admin one to some normaliser.
    ...([
        ["GET", "/v1/chat/completions/../../key/list"],
        ["GET", "/v1/models/../../key/list"],
        ["GET", "/v1/%2e%2e/key/list"],
        ["GET", "/v1/models%2f..%2f..%2fkey%2flist"],
        ["POST", "/v1%2fchat%2fcompletions", CHAT],
        ["POST", "/v1/%63hat/completions", CHAT],
        ["POST", "//v1/chat/completions", CHAT],
        ["POST", "/v1//chat/completions", CHAT],
        ["POST", "/v1/chat/completions.", CHAT],
        ["POST", "/v1/chat/completions/", CHAT],
        ["POST", "/V1/Chat/Completions", CHAT],
        ["POST", "/v1/chat/completions?api_base=http://attacker.example", CHAT],
        ["POST", "/v1/chat/completions;x", CHAT],
        ["POST", "http://model-gateway:4000/v1/chat/completions", CHAT],
        ["GET", "/./v1/models"],
    ] as Array<[string, string, string?]>).map(([method, target, body]) => ({ group: "path trick", method, target, status: 404 as const, body })),
    // Listed paths with another method.
    ...([
        ["GET", "/v1/chat/completions"],
        ["GET", "/completions"],
        ["DELETE", "/v1/models"],
        ["POST", "/v1/models", "{}"],
        ["PUT", "/v1/completions", CHAT],
        ["PATCH", "/chat/completions", CHAT],
        ["OPTIONS", "/v1/chat/completions"],
    ] as Array<[string, string, string?]>).map(([method, target, body]) => ({ group: "wrong method", method, target, status: 405 as const, body })),
];
