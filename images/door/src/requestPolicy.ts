/**
 * What a model request may carry. The body is rebuilt from an allowlist of
 * OpenAI parameters, so nothing else reaches LiteLLM: no api_base, base_url,
 * api_key, custom_llm_provider, extra_headers, metadata, user_config,
 * fallbacks, mock_response or whatever LiteLLM learns to read next.
 * `model` must be the agent's own, max_tokens is clamped to its cap (and set
 * when absent), and a stream always asks for the usage chunk the door counts.
 */
import type { RouteKind } from "./routes.ts";
import type { AgentPolicy } from "./settings.ts";

const SHARED = ["model", "max_tokens", "stream", "stream_options", "temperature", "top_p", "stop", "seed",
    "presence_penalty", "frequency_penalty", "logit_bias", "logprobs", "n"];
const ALLOWED_KEYS: Record<Exclude<RouteKind, "models">, ReadonlySet<string>> = {
    chat: new Set([...SHARED, "messages", "max_completion_tokens", "top_logprobs", "tools", "tool_choice",
        "parallel_tool_calls", "response_format", "functions", "function_call", "reasoning_effort"]),
    completion: new Set([...SHARED, "prompt", "suffix", "echo", "best_of"]),
};

/** Rough bytes per token for the pre-call estimate; the settlement after the call uses the real count. */
const BYTES_PER_TOKEN = 4;

export interface ForwardRequest {
    body: Buffer;
    stream: boolean;
    /** Prompt estimate + max_tokens: reserved against the token limits before the call. */
    estimatedTokens: number;
}

export type PolicyResult = { ok: true; request: ForwardRequest } | { ok: false; message: string; code: string };

export function applyRequestPolicy(kind: Exclude<RouteKind, "models">, raw: Buffer, agent: AgentPolicy): PolicyResult {
    let parsed: unknown;
    try {
        parsed = JSON.parse(raw.toString("utf8"));
    } catch {
        return refuse("invalid_json", "the body is not valid JSON");
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return refuse("invalid_body", "the body must be a JSON object");
    const body = parsed as Record<string, unknown>;

    if (body.model !== agent.model) return refuse("model_not_allowed", `model must be "${agent.model}"`);
    if (kind === "chat" && !Array.isArray(body.messages)) return refuse("invalid_messages", "messages must be an array");
    if (kind === "completion" && typeof body.prompt !== "string" && !Array.isArray(body.prompt)) return refuse("invalid_prompt", "prompt must be a string or an array");
    for (const key of ["n", "best_of"]) {
        if (body[key] !== undefined && body[key] !== 1) return refuse("unsupported_parameter", `${key} must be 1`);
    }
    if (body.stream !== undefined && typeof body.stream !== "boolean") return refuse("invalid_stream", "stream must be true or false");

    const asked: number[] = [];
    for (const key of ["max_tokens", "max_completion_tokens"]) {
        const v = body[key];
        if (v === undefined || v === null) continue;
        if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 1) return refuse("invalid_max_tokens", `${key} must be a positive whole number`);
        asked.push(v);
    }
    const maxTokens = Math.min(agent.maxOutputTokens, ...asked);

    const allowed = ALLOWED_KEYS[kind];
    const forwarded: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(body)) if (allowed.has(key)) forwarded[key] = value;
    // One cap, one name: vLLM and LiteLLM both honour max_tokens.
    delete forwarded.max_completion_tokens;
    forwarded.max_tokens = maxTokens;
    const stream = body.stream === true;
    if (stream) forwarded.stream_options = { include_usage: true };
    else delete forwarded.stream_options;

    return {
        ok: true,
        request: {
            body: Buffer.from(JSON.stringify(forwarded)),
            stream,
            estimatedTokens: Math.ceil(raw.length / BYTES_PER_TOKEN) + maxTokens,
        },
    };
}

function refuse(code: string, message: string): PolicyResult {
    return { ok: false, code, message };
}
