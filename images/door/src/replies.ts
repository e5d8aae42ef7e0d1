/**
 * The door's own answers. Every refusal and every upstream failure is one of
 * these short JSON bodies in the OpenAI error shape (clients already parse
 * it), so nothing the agent reads comes from LiteLLM's error text.
 */
import type { ServerResponse } from "node:http";

export interface DoorError {
    status: number;
    /** OpenAI-style error type, e.g. "invalid_request_error". */
    type: string;
    /** Machine-readable reason, e.g. "requests_per_minute". */
    code: string;
    message: string;
    /** Seconds, sent as Retry-After. */
    retryAfterSeconds?: number;
    /** Sent as Allow on a 405. */
    allow?: string;
}

export function sendJson(res: ServerResponse, status: number, body: unknown, extraHeaders: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, {
        "content-type": "application/json",
        "content-length": Buffer.byteLength(text),
        "cache-control": "no-store",
        ...extraHeaders,
    });
    res.end(text);
}

/**
 * Sends a DoorError. `bodyUnread` closes the connection afterwards: a refused
 * request's body is never read, and draining an arbitrary upload to keep the
 * connection alive would hand the sender our CPU.
 */
export function sendError(res: ServerResponse, error: DoorError, bodyUnread = false): void {
    const headers: Record<string, string> = {};
    if (error.retryAfterSeconds !== undefined) headers["retry-after"] = String(error.retryAfterSeconds);
    if (error.allow !== undefined) headers.allow = error.allow;
    if (error.status === 401) headers["www-authenticate"] = "Bearer";
    if (bodyUnread) headers.connection = "close";
    sendJson(res, error.status, { error: { message: error.message, type: error.type, code: error.code } }, headers);
}

export const NOT_FOUND: DoorError = { status: 404, type: "invalid_request_error", code: "not_found", message: "not found: the door serves only chat/completions, completions and models" };
