/**
 * One HTTP request to 127.0.0.1, answered in full: how the unit tests and
 * the benchmark talk to the door and to the stand-in. The target goes on the
 * wire exactly as given (`//x`, `%2e%2e`, absolute-form). No relative imports
 * (see fakeLiteLLM.ts).
 */
import { request, type Agent } from "node:http";

export interface Answer {
    status: number;
    headers: Record<string, string | string[] | undefined>;
    text: string;
    /** Milliseconds from sending to the first body byte, and to the end. */
    firstByteMs: number;
    totalMs: number;
}

export interface SendOptions {
    headers?: Record<string, string>;
    /** An object is sent as JSON (with its content type); a string as is. */
    body?: unknown;
    localAddress?: string;
    /** A keep-alive agent (the benchmark); default: a connection of its own. */
    agent?: Agent;
}

export function send(port: number, method: string, target: string, o: SendOptions = {}): Promise<Answer> {
    const body = o.body === undefined ? undefined : typeof o.body === "string" ? o.body : JSON.stringify(o.body);
    const started = performance.now();
    return new Promise((resolve, reject) => {
        const req = request({
            host: "127.0.0.1", port, method, path: target, agent: o.agent ?? false, localAddress: o.localAddress,
            headers: {
                ...(body !== undefined ? { "content-type": "application/json", "content-length": Buffer.byteLength(body) } : {}),
                ...o.headers,
            },
        }, (res) => {
            let text = "";
            let firstByteMs = -1;
            res.setEncoding("utf8");
            res.on("data", (c: string) => {
                if (firstByteMs < 0) firstByteMs = performance.now() - started;
                text += c;
            });
            res.on("end", () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text, firstByteMs, totalMs: performance.now() - started }));
        });
        req.on("error", reject);
        req.end(body);
    });
}
