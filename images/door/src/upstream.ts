/**
 * The call to LiteLLM and the way back. The door adds the master key and a
 * fixed set of headers (none of the agent's), then returns only what it
 * chooses: the status, a content type it sets itself and the body. No
 * upstream header crosses (x-litellm-model-api-base names the GPU host), and
 * an upstream error body is replaced by the door's own message.
 *
 * Streams pass through chunk by chunk without parsing: each chunk is cut at
 * its last event boundary (a native lastIndexOf) and searched once for an
 * error event (a native indexOf); only the last few kilobytes are kept, to
 * read the final usage chunk when the stream ends.
 */
import { Agent, request, type IncomingMessage, type ServerResponse } from "node:http";
import { sendError, type DoorError } from "./replies.ts";
import type { Route } from "./routes.ts";

export interface Usage {
    promptTokens: number;
    completionTokens: number;
}

/** How a call ended: its status, and its usage when the response reported one. */
export interface CallOutcome {
    status: number;
    usage?: Usage;
    /** False when the model surely did no work (LiteLLM unreachable or refusing): nothing to charge. */
    modelMayHaveWorked: boolean;
}

export interface UpstreamOptions {
    host: string;
    port: number;
    /** LiteLLM's master key: never leaves this process except towards LiteLLM. */
    key: string;
    /** Longest silence from LiteLLM before the call is abandoned. */
    timeoutMs: number;
}

const EVENT_END = Buffer.from("\n\n");
/** How LiteLLM reports a failure inside a stream (`data: {"error": …}`), with the upstream's text in it. */
const ERROR_EVENT = Buffer.from('data: {"error"');
const STREAM_FAILED = Buffer.from(`data: ${JSON.stringify({ error: { message: "the model stream failed; retry", type: "upstream_error", code: "stream_failed" } })}\n\n`);
/** The usage chunk and [DONE] are the last ~500 bytes; 16 KiB leaves room for a long final chunk. */
const TAIL_BYTES = 16_384;
/** A single SSE event larger than this is not a model's. */
const MAX_PENDING_EVENT_BYTES = 1 << 20;
const MAX_RESPONSE_BYTES = 32 << 20;
const MAX_ERROR_BODY_BYTES = 64 << 10;
/**
 * An idle kept-alive socket is closed after this long: well before LiteLLM
 * closes it (LITELLM_KEEPALIVE_SECONDS in components/gateway/litellmConfig.ts),
 * so the door never sends a call down a socket the server is closing.
 */
const IDLE_SOCKET_MS = 30_000;

export class Upstream {
    private readonly options: UpstreamOptions;
    private readonly agent: Agent;

    constructor(options: UpstreamOptions) {
        this.options = options;
        // Kept-alive sockets: a new TCP connection per call is what makes a gateway slow.
        // (A call's own timeout replaces the idle one while it runs.)
        this.agent = new Agent({ keepAlive: true, maxSockets: 256, maxFreeSockets: 64, noDelay: true, timeout: IDLE_SOCKET_MS });
    }

    /** Forwards one checked request and answers the client; resolves when the answer is complete. */
    forward(route: Route, body: Buffer, stream: boolean, res: ServerResponse): Promise<CallOutcome> {
        return new Promise((resolve) => {
            const call = request({
                agent: this.agent,
                host: this.options.host,
                port: this.options.port,
                method: route.method,
                path: route.path,
                timeout: this.options.timeoutMs,
                headers: {
                    authorization: `Bearer ${this.options.key}`,
                    "content-type": "application/json",
                    "content-length": body.length,
                    accept: stream ? "text/event-stream" : "application/json",
                },
            });
            let settled = false;
            const finish = (outcome: CallOutcome) => {
                if (settled) return;
                settled = true;
                resolve(outcome);
            };
            call.on("timeout", () => call.destroy(new Error("upstream timeout")));
            call.on("error", (e) => {
                const timedOut = e.message === "upstream timeout";
                if (res.headersSent) res.destroy();
                else answer(res, timedOut ? TIMED_OUT : UNAVAILABLE);
                finish({ status: timedOut ? 504 : 502, modelMayHaveWorked: timedOut });
            });
            // The agent hung up: stop the model's work too.
            res.on("close", () => {
                if (!res.writableFinished) call.destroy();
                finish({ status: 499, modelMayHaveWorked: true });
            });
            call.on("response", (up) => {
                if (up.statusCode !== 200) return replaceError(up, res, finish);
                if (stream && (up.headers["content-type"] ?? "").startsWith("text/event-stream")) return relayStream(up, res, finish);
                return relayJson(up, res, finish);
            });
            call.end(body);
        });
    }

    close(): void {
        this.agent.destroy();
    }
}

const UNAVAILABLE: DoorError = { status: 502, type: "upstream_error", code: "model_unavailable", message: "the model is unavailable; retry later", retryAfterSeconds: 5 };
const TIMED_OUT: DoorError = { status: 504, type: "upstream_error", code: "model_timeout", message: "the model did not answer in time" };
const BUSY: DoorError = { status: 429, type: "rate_limit_error", code: "model_busy", message: "the model is busy; retry shortly", retryAfterSeconds: 1 };
const REJECTED: DoorError = { status: 400, type: "invalid_request_error", code: "model_rejected_request", message: "the model rejected the request" };
const CONTEXT_TOO_LONG: DoorError = { status: 400, type: "invalid_request_error", code: "context_length_exceeded", message: "This model's maximum context length was exceeded; shorten the conversation or lower max_tokens." };

/**
 * An upstream failure becomes one of the door's own answers. Only a
 * context-length overflow is told apart (agents compact their history on
 * it); the upstream's words never reach the agent.
 */
function replaceError(up: IncomingMessage, res: ServerResponse, finish: (o: CallOutcome) => void): void {
    const status = up.statusCode ?? 502;
    collect(up, MAX_ERROR_BODY_BYTES, (body) => {
        let reply = UNAVAILABLE;
        if (status === 429) reply = BUSY;
        else if (status === 408 || status === 504) reply = TIMED_OUT;
        else if (status === 400 || status === 413 || status === 422) {
            reply = /context.length|maximum context|too many tokens|prompt is too long/i.test(body?.toString("utf8") ?? "") ? CONTEXT_TOO_LONG : REJECTED;
        }
        answer(res, reply);
        finish({ status: reply.status, modelMayHaveWorked: false });
    });
}

function relayJson(up: IncomingMessage, res: ServerResponse, finish: (o: CallOutcome) => void): void {
    collect(up, MAX_RESPONSE_BYTES, (body) => {
        if (body === undefined) {
            answer(res, UNAVAILABLE);
            return finish({ status: 502, modelMayHaveWorked: true });
        }
        let usage: Usage | undefined;
        try {
            usage = readUsage(JSON.parse(body.toString("utf8")));
        } catch {
            answer(res, UNAVAILABLE);
            return finish({ status: 502, modelMayHaveWorked: true });
        }
        res.writeHead(200, { "content-type": "application/json", "content-length": body.length, "cache-control": "no-store" });
        res.end(body);
        finish({ status: 200, usage, modelMayHaveWorked: true });
    });
}

function relayStream(up: IncomingMessage, res: ServerResponse, finish: (o: CallOutcome) => void): void {
    res.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-store" });
    res.flushHeaders();
    const tail: Buffer[] = [];
    let tailBytes = 0;
    let pending: Buffer | undefined;

    const fail = () => {
        if (!res.destroyed && !res.writableEnded) res.end(STREAM_FAILED);
        up.destroy();
        finish({ status: 502, modelMayHaveWorked: true });
    };
    up.on("data", (chunk: Buffer) => {
        const data = pending ? Buffer.concat([pending, chunk]) : chunk;
        const cut = data.lastIndexOf(EVENT_END);
        if (cut < 0) {
            pending = data;
            if (pending.length > MAX_PENDING_EVENT_BYTES) fail();
            return;
        }
        const complete = cut + 2 === data.length ? data : data.subarray(0, cut + 2);
        pending = cut + 2 === data.length ? undefined : data.subarray(cut + 2);
        const error = complete.indexOf(ERROR_EVENT);
        if (error >= 0) {
            res.write(complete.subarray(0, error));
            return fail();
        }
        tail.push(complete);
        tailBytes += complete.length;
        while (tail.length > 1 && tailBytes - tail[0].length >= TAIL_BYTES) tailBytes -= tail.shift()!.length;
        if (!res.write(complete)) {
            up.pause();
            res.once("drain", () => up.resume());
        }
    });
    up.on("end", () => {
        // Whatever trails the last event boundary is not an event; it is dropped, not guessed at.
        res.end();
        finish({ status: 200, usage: usageFromStreamTail(Buffer.concat(tail).toString("utf8")), modelMayHaveWorked: true });
    });
    up.on("error", () => {
        if (!res.writableEnded) fail();
    });
}

/** Sends the door's error unless the answer has begun or the agent has gone. */
function answer(res: ServerResponse, error: DoorError): void {
    if (!res.headersSent && !res.destroyed) sendError(res, error);
}

/** The usage object of the last `data:` event that has one, if any. */
export function usageFromStreamTail(tail: string): Usage | undefined {
    const events = tail.split("\n\n");
    for (let i = events.length - 1; i >= 0; i--) {
        const event = events[i];
        if (!event.startsWith("data: {") || !event.includes('"usage"')) continue;
        try {
            const usage = readUsage(JSON.parse(event.slice(6)));
            if (usage) return usage;
        } catch {
            // the first event in the tail may be cut; keep looking
        }
    }
    return undefined;
}

function readUsage(body: unknown): Usage | undefined {
    const usage = (body as { usage?: { prompt_tokens?: unknown; completion_tokens?: unknown } } | null)?.usage;
    if (!usage || typeof usage.prompt_tokens !== "number" || typeof usage.completion_tokens !== "number") return undefined;
    return { promptTokens: usage.prompt_tokens, completionTokens: usage.completion_tokens };
}

/** Reads a body up to `limit` bytes; undefined when it was larger or broke off. */
function collect(up: IncomingMessage, limit: number, done: (body: Buffer | undefined) => void): void {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    up.on("data", (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit) {
            over = true;
            up.destroy();
            return done(undefined);
        }
        chunks.push(chunk);
    });
    up.on("end", () => done(Buffer.concat(chunks)));
    up.on("error", () => {
        if (!over) done(undefined);
    });
}
