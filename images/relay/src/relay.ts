/**
 * The request pipeline, cheapest refusal first: target shape → credential
 * (from its agent's cell) →
 * method table → body (size, form) → chat → send rate → Telegram (through the
 * proxy, with that agent's own bot token) → answer filter (updates, file size). Every
 * decision is one audit line; every refusal is Telegram's own error shape
 * `{ok:false,error_code,description}`, so the agent's client reports it.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { request as httpsRequest } from "node:https";
import type { AuditLine, AuditLog } from "./audit.ts";
import { Identities } from "./identity.ts";
import { JSON_BODY_BYTES, METHODS, type MethodRule } from "./methods.ts";
import { BadRequest, parseBody, type Params } from "./params.ts";
import { fromSources, type AgentPolicy, type RelaySettings } from "./settings.ts";
import { filterUpdates, type Update } from "./updates.ts";
import type { TunnelAgent } from "./upstream.ts";

const BOT_TARGET = /^\/bot([^/?#]{1,256})\/([A-Za-z]{1,64})$/;
const FILE_TARGET = /^\/file\/bot([^/?#]{1,256})\/((?:[A-Za-z0-9_-]+\/)*[A-Za-z0-9_.-]+)$/;
const ANSWER_BYTES = 16 * 1024 * 1024;
/** Past this a refused body is not read to its end: the connection is cut. */
const DRAIN_BYTES = 64 * 1024 * 1024;
const UPSTREAM_TIMEOUT_MS = 75_000;
const MINUTE_MS = 60_000;
/** One answer for a credential that opens nothing and for a good one from another cell: the caller learns nothing. */
const BAD_CREDENTIAL = { status: 401, reason: "bad-credential", description: "Unauthorized: not this agent's relay credential" } as const;

export interface RelayOptions {
    settings: RelaySettings;
    /** Each agent's own bot token, by agent name. */
    botTokens: ReadonlyMap<string, string>;
    agent: TunnelAgent;
    audit: AuditLog;
}

class Refusal extends Error {
    readonly status: number;
    readonly reason: string;
    readonly retryAfter?: number;
    /** The reason the caller is shown, when it must not learn the audited one. */
    readonly shownReason: string;
    constructor(status: number, reason: string, description: string, retryAfter?: number, shownReason = reason) {
        super(description);
        this.status = status;
        this.reason = reason;
        this.retryAfter = retryAfter;
        this.shownReason = shownReason;
    }
}

export class Relay {
    private settings!: RelaySettings;
    private identities!: Identities;
    private policies = new Map<string, AgentPolicy>();
    private readonly sends = new Map<string, number[]>();
    /** Per agent (its bot): past updates that were all dropped, the offset its next getUpdates starts at, so Telegram forgets them. */
    private readonly skipTo = new Map<string, number>();
    private botTokens!: ReadonlyMap<string, string>;
    private readonly agent: TunnelAgent;
    private readonly audit: AuditLog;

    constructor(options: RelayOptions) {
        this.agent = options.agent;
        this.audit = options.audit;
        this.apply(options.settings, options.botTokens);
    }

    /**
     * Takes new settings and tokens in place (an agent added, a limit
     * changed); `botTokens` holds one for each agent, each its own bot (main.ts
     * checks). An agent that stays keeps its send window and update offset.
     */
    apply(settings: RelaySettings, botTokens: ReadonlyMap<string, string>): void {
        this.settings = settings;
        this.botTokens = botTokens;
        this.identities = new Identities(botTokens);
        this.policies = new Map(settings.agents.map((a) => [a.name, a]));
        for (const map of [this.sends, this.skipTo]) for (const name of map.keys()) if (!this.policies.has(name)) map.delete(name);
    }

    createServer(): Server {
        return createServer((req, res) => void this.handle(req, res));
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        const target = req.url ?? "";
        if (target === "/healthz" && ["127.0.0.1", "::1", "::ffff:127.0.0.1"].includes(req.socket.remoteAddress ?? "")) {
            send(res, 200, { ok: true });
            return;
        }
        const bot = BOT_TARGET.exec(target);
        const file = bot ? null : FILE_TARGET.exec(target);
        const line: AuditLine = { source: "unknown", agent: "-", destination: this.settings.upstream.hostname, decision: "deny", reason: "", bytes: 0, method: bot?.[2] ?? (file ? "file" : "unknown") };
        // The line is written before the answer leaves, so whoever saw the answer finds the line.
        let logged = false;
        const log = () => {
            if (!logged) this.audit.write(line);
            logged = true;
        };
        try {
            if (!bot && !file) throw new Refusal(404, "unknown-target", "Not Found: the relay serves /bot<token>/<method> and /file/bot<token>/<path> only, without a query");
            const agent = this.identities.identify((bot ?? file)![1]);
            if (agent === undefined) throw new Refusal(BAD_CREDENTIAL.status, BAD_CREDENTIAL.reason, BAD_CREDENTIAL.description);
            line.source = agent;
            line.agent = agent;
            const policy = this.policies.get(agent)!;
            if (!fromSources(req.socket.remoteAddress, policy.sources)) {
                // A credential copied out of another cell: audited as such, answered as a bad one.
                throw new Refusal(BAD_CREDENTIAL.status, "wrong-cell", BAD_CREDENTIAL.description, undefined, BAD_CREDENTIAL.reason);
            }
            if (file) await this.download(file[2], policy, req, res, line, log);
            else await this.call(bot![2], policy, req, res, line, log);
        } catch (e) {
            const refusal = e instanceof Refusal ? e : new Refusal(502, "upstream-unreachable", `Bad Gateway: the relay could not reach Telegram (${(e as Error).message})`);
            line.decision = "deny";
            line.reason = refusal.reason;
            log();
            if (!res.headersSent) {
                send(res, refusal.status, {
                    ok: false,
                    error_code: refusal.status,
                    description: `${refusal.message} [secureclaw relay: ${refusal.shownReason}]`,
                    ...(refusal.retryAfter !== undefined ? { parameters: { retry_after: refusal.retryAfter } } : {}),
                }, req.readableEnded ? {} : { connection: "close" });
            } else res.destroy();
        }
        log();
    }

    private async call(method: string, policy: AgentPolicy, req: IncomingMessage, res: ServerResponse, line: AuditLine, log: () => void): Promise<void> {
        const rule: MethodRule | undefined = Object.hasOwn(METHODS, method) ? METHODS[method] : undefined;
        if (rule === undefined) throw new Refusal(403, "method-not-allowed", `Forbidden: ${method} is not a method this relay forwards`);
        if (req.method !== "POST" && req.method !== "GET") throw new Refusal(405, "http-method-not-allowed", "Method Not Allowed: GET or POST");
        const raw = await readBody(req, rule.upload ? this.settings.maxFileBytes : JSON_BODY_BYTES);
        let parsed;
        try {
            parsed = parseBody(req.headers["content-type"], raw);
        } catch (e) {
            if (e instanceof BadRequest) throw new Refusal(400, "bad-request", `Bad Request: ${e.message}`);
            throw e;
        }
        line.chat = chatOf(rule, parsed.params);
        if (rule.chat !== undefined && line.chat !== undefined && !policy.allowFrom.has(line.chat)) {
            throw new Refusal(403, "chat-not-allowed", `Forbidden: chat ${line.chat} is not one this agent may write to`);
        }
        if (rule.chat === "chat_id" && line.chat === undefined) throw new Refusal(400, "bad-request", "Bad Request: chat_id is required");
        if (rule.kind === "write") this.admitSend(policy);
        if (rule.kind === "local") {
            line.decision = "allow";
            line.reason = "answered-by-relay";
            log();
            send(res, 200, { ok: true, result: true });
            return;
        }
        if (rule.kind === "updates") {
            const offset = Number(parsed.params.offset ?? 0);
            const skipTo = this.skipTo.get(policy.name) ?? 0;
            if (offset >= 0 && offset < skipTo) {
                parsed = { ...parsed, params: { ...parsed.params, offset: skipTo } };
                parsed.body = Buffer.from(JSON.stringify(parsed.params));
            }
        }
        const answer = await this.upstream(`/bot${this.tokenOf(policy)}/${method}`, "POST", parsed.body, parsed.contentType);
        let body = answer.body;
        if (rule.kind === "updates" && answer.status === 200) body = this.filter(answer.body, policy, line);
        if (rule.kind === "file" && answer.status === 200) this.checkFileSize(answer.body);
        line.decision = "allow";
        line.reason = "forwarded";
        line.bytes = raw.length + body.length;
        log();
        res.writeHead(answer.status, { "content-type": "application/json", "content-length": body.length, "cache-control": "no-store" });
        res.end(body);
    }

    private filter(body: Buffer, policy: AgentPolicy, line: AuditLine): Buffer {
        const answer = JSON.parse(body.toString("utf8")) as { ok: boolean; result?: Update[] };
        if (!answer.ok || !Array.isArray(answer.result)) return body;
        const { kept, dropped } = filterUpdates(answer.result, policy.allowFrom);
        for (const d of dropped) this.audit.write({ source: line.source, agent: line.agent, destination: line.destination, decision: "deny", reason: "update-from-stranger", bytes: 0, method: "getUpdates", chat: d.chat });
        if (dropped.length > 0 && kept.length === 0) this.skipTo.set(policy.name, Math.max(this.skipTo.get(policy.name) ?? 0, ...dropped.map((d) => d.update_id + 1)));
        return Buffer.from(JSON.stringify({ ...answer, result: kept }));
    }

    private checkFileSize(body: Buffer): void {
        const size = (JSON.parse(body.toString("utf8")) as { result?: { file_size?: unknown } }).result?.file_size;
        if (typeof size === "number" && size > this.settings.maxFileBytes) {
            throw new Refusal(413, "file-too-large", `Request Entity Too Large: the file is ${size} bytes, over the relay's cap of ${this.settings.maxFileBytes}`);
        }
    }

    private async download(path: string, policy: AgentPolicy, req: IncomingMessage, res: ServerResponse, line: AuditLine, log: () => void): Promise<void> {
        if (req.method !== "GET") throw new Refusal(405, "http-method-not-allowed", "Method Not Allowed: GET");
        const upstream = await this.open(`/file/bot${this.tokenOf(policy)}/${path}`, "GET", undefined, undefined);
        const length = Number(upstream.headers["content-length"] ?? NaN);
        if (!(length <= this.settings.maxFileBytes)) {
            upstream.destroy();
            throw new Refusal(413, "file-too-large", `Request Entity Too Large: the file is ${Number.isNaN(length) ? "of unknown size" : `${length} bytes`}, the relay's cap is ${this.settings.maxFileBytes}`);
        }
        res.writeHead(upstream.statusCode ?? 502, { "content-type": String(upstream.headers["content-type"] ?? "application/octet-stream"), "content-length": length });
        for await (const chunk of upstream) {
            line.bytes += (chunk as Buffer).length;
            if (line.bytes > length) break;
            res.write(chunk);
        }
        line.decision = "allow";
        line.reason = "forwarded";
        log();
        res.end();
    }

    /** The agent's own bot token: its calls go to its bot and no other. */
    private tokenOf(policy: AgentPolicy): string {
        return this.botTokens.get(policy.name)!;
    }

    /** Sliding 60 s window of writes per agent. */
    private admitSend(policy: AgentPolicy): void {
        const now = Date.now();
        const times = (this.sends.get(policy.name) ?? []).filter((t) => t > now - MINUTE_MS);
        if (times.length >= policy.sendsPerMinute) {
            this.sends.set(policy.name, times);
            throw new Refusal(429, "send-rate-limit", `Too Many Requests: over ${policy.sendsPerMinute} sends per minute`, Math.ceil((times[0] + MINUTE_MS - now) / 1000));
        }
        times.push(now);
        this.sends.set(policy.name, times);
    }

    private async upstream(path: string, method: string, body: Buffer, contentType: string): Promise<{ status: number; body: Buffer }> {
        const res = await this.open(path, method, body, contentType);
        const out = await readBody(res, ANSWER_BYTES);
        return { status: res.statusCode ?? 502, body: out };
    }

    private open(path: string, method: string, body: Buffer | undefined, contentType: string | undefined): Promise<IncomingMessage> {
        const root = this.settings.upstream;
        return new Promise((resolve, reject) => {
            const req = httpsRequest({
                host: root.hostname, port: 443, servername: root.hostname, method, agent: this.agent, timeout: UPSTREAM_TIMEOUT_MS,
                path: `${root.pathname.replace(/\/+$/, "")}${path}`,
                headers: body === undefined ? {} : { "content-type": contentType ?? "application/json", "content-length": String(body.length) },
            }, resolve);
            req.once("timeout", () => req.destroy(new Error("Telegram did not answer in time")));
            req.once("error", reject);
            req.end(body);
        });
    }
}

/** The chat a call names: chat_id, or a command scope's chat_id (a form sends the scope as JSON text). */
function chatOf(rule: MethodRule, params: Params): string | undefined {
    let value: unknown = params.chat_id;
    if (rule.chat === "scope") {
        let scope = params.scope;
        if (typeof scope === "string") {
            try {
                scope = JSON.parse(scope);
            } catch {
                throw new Refusal(400, "bad-request", "Bad Request: scope is not JSON");
            }
        }
        value = (scope as { chat_id?: unknown } | undefined)?.chat_id;
    }
    return value === undefined || value === null ? undefined : String(value);
}

/**
 * Reads a body up to `cap`. A larger one is refused, but read to its end
 * first (discarded, up to DRAIN_BYTES) so the client, still sending, gets the
 * 413 rather than a reset; past DRAIN_BYTES the connection is cut.
 */
function readBody(stream: IncomingMessage, cap: number): Promise<Buffer> {
    const tooLarge = () => new Refusal(413, "too-large", `Request Entity Too Large: over the relay's cap of ${cap} bytes`);
    if (Number(stream.headers["content-length"] ?? 0) > DRAIN_BYTES) {
        stream.destroy();
        return Promise.reject(tooLarge());
    }
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        stream.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > DRAIN_BYTES) {
                stream.destroy();
                reject(tooLarge());
            } else if (size <= cap) chunks.push(chunk);
        });
        stream.once("end", () => (size > cap ? reject(tooLarge()) : resolve(Buffer.concat(chunks))));
        stream.once("error", reject);
    });
}

function send(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text), "cache-control": "no-store", ...headers });
    res.end(text);
}
