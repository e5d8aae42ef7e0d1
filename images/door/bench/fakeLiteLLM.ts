/**
 * A stand-in for LiteLLM on 127.0.0.1, for the door's unit tests and its
 * benchmark. It records every request it receives (so a test can assert a
 * refused request never arrived), answers chat/completions and completions
 * like LiteLLM does, including the headers that leak the upstream, and
 * streams `max_tokens` chunks as fast as the socket takes them.
 *
 * No relative imports: the root type check and ts-jest load it from the
 * unit tests, Node runs it as-is for the benchmark.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

export interface ReceivedRequest {
    method: string;
    url: string;
    headers: Record<string, string | string[] | undefined>;
    /** The parsed JSON body, or the raw text when it was not JSON. */
    body: any;
}

/** Headers LiteLLM 1.83 sends that must never reach the agent. */
export const LEAKY_HEADERS: Record<string, string> = {
    "x-litellm-model-api-base": "http://10.201.1.250:8000/v1",
    "x-litellm-version": "1.83.14",
    "x-litellm-model-id": "abc123",
    "x-litellm-key-spend": "0.0",
    server: "uvicorn",
    "set-cookie": "litellm_session=leak",
    "x-request-id": "upstream-request-id",
};

export interface FakeUsage {
    prompt_tokens: number;
    completion_tokens: number;
}

export interface FakeLiteLLM {
    port: number;
    received: ReceivedRequest[];
    /** Usage the next answers report. */
    usage: FakeUsage;
    /** Answer the next request with this status and body instead. */
    failNext(status: number, body: string): void;
    /** Break the next stream after `afterChunks` chunks with LiteLLM's error event. */
    breakNextStream(afterChunks: number, message: string): void;
    /** Hold every answer until the returned function is called. */
    hold(): () => void;
    close(): Promise<void>;
}

/** `record: false` (the benchmark) keeps no list of requests. */
export async function startFakeLiteLLM(options: { record?: boolean } = {}): Promise<FakeLiteLLM> {
    const received: ReceivedRequest[] = [];
    let failure: { status: number; body: string } | undefined;
    let streamBreak: { afterChunks: number; message: string } | undefined;
    let gate: Promise<void> | undefined;
    const record = options.record ?? true;

    const fake: FakeLiteLLM = {
        port: 0,
        received,
        usage: { prompt_tokens: 11, completion_tokens: 7 },
        failNext: (status, body) => { failure = { status, body }; },
        breakNextStream: (afterChunks, message) => { streamBreak = { afterChunks, message }; },
        hold: () => {
            let release!: () => void;
            gate = new Promise((resolve) => { release = resolve; });
            return () => { gate = undefined; release(); };
        },
        close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
    };

    const server: Server = createServer({ noDelay: true, keepAlive: true }, async (req, res) => {
        const raw = await readAll(req);
        let body: any = raw;
        try { body = JSON.parse(raw); } catch { /* keep the text */ }
        if (record) received.push({ method: req.method ?? "", url: req.url ?? "", headers: { ...req.headers }, body });
        if (gate) await gate;
        if (failure) {
            const { status, body: text } = failure;
            failure = undefined;
            res.writeHead(status, { "content-type": "application/json", ...LEAKY_HEADERS });
            return res.end(text);
        }
        if (body && body.stream === true) {
            const brk = streamBreak;
            streamBreak = undefined;
            return stream(res, Number(body.max_tokens ?? 16), body.stream_options?.include_usage === true, fake.usage, brk);
        }
        const answer = JSON.stringify({
            id: "chatcmpl-fake", object: "chat.completion", created: 0, model: "secureclaw-model",
            choices: [{ index: 0, message: { role: "assistant", content: "fake reply" }, finish_reason: "stop" }],
            usage: { ...fake.usage, total_tokens: fake.usage.prompt_tokens + fake.usage.completion_tokens },
        });
        res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(answer), ...LEAKY_HEADERS });
        res.end(answer);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.port = (server.address() as AddressInfo).port;
    return fake;
}

/** `count` content chunks, the usage chunk when asked for, then [DONE]; each its own write, as uvicorn does. */
async function stream(res: ServerResponse, count: number, includeUsage: boolean, usage: FakeUsage, brk?: { afterChunks: number; message: string }): Promise<void> {
    res.writeHead(200, { "content-type": "text/event-stream", ...LEAKY_HEADERS });
    for (let i = 0; i < count; i++) {
        if (brk && i === brk.afterChunks) {
            res.end(`data: ${JSON.stringify({ error: { message: brk.message, type: "None", code: "500" } })}\n\n`);
            return;
        }
        const chunk = `data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":0,"model":"secureclaw-model","choices":[{"index":0,"delta":{"content":"tok${i} "}}]}\n\n`;
        if (!res.write(chunk)) await new Promise((resolve) => res.once("drain", resolve));
    }
    if (includeUsage) {
        res.write(`data: {"id":"chatcmpl-fake","object":"chat.completion.chunk","created":0,"model":"secureclaw-model","choices":[],"usage":${JSON.stringify({ ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens })}}\n\n`);
    }
    res.end("data: [DONE]\n\n");
}

function readAll(req: IncomingMessage): Promise<string> {
    return new Promise((resolve) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => resolve(Buffer.concat(chunks).toString("utf8")));
    });
}
