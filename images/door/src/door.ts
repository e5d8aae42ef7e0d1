/**
 * The request pipeline, in the order that keeps refusals cheap and the
 * upstream untouched: route (exact target) → credential (from its cell) → request and
 * concurrency limits → body (type, size, policy) → token limits → LiteLLM.
 * Every refusal is answered here; only a request that passed all of it is
 * forwarded, and only then does it cost the upstream anything.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import { Identities } from "./identity.ts";
import { AgentLimiter, isRefusal, type Refusal } from "./limits.ts";
import { NOT_FOUND, sendError, sendJson, type DoorError } from "./replies.ts";
import { applyRequestPolicy } from "./requestPolicy.ts";
import { matchRoute, type Route } from "./routes.ts";
import { fromSources, type AgentPolicy, type DoorSettings } from "./settings.ts";
import { Upstream, type CallOutcome } from "./upstream.ts";
import type { UsageLog, UsageRecord } from "./usageLog.ts";

export interface DoorOptions {
    settings: DoorSettings;
    /** LiteLLM's master key: added upstream, and the root of every agent credential. */
    masterKey: string;
    upstream: { host: string; port: number };
    usage: UsageLog;
}

const LOOPBACK = new Set(["127.0.0.1", "::1", "::ffff:127.0.0.1"]);
/** One answer for a bad credential and for a good one from the wrong cell: the caller learns nothing. */
const INVALID_CREDENTIAL: DoorError = { status: 401, type: "authentication_error", code: "invalid_credential", message: "a valid door credential is required (Authorization: Bearer …)" };

export class Door {
    private settings!: DoorSettings;
    private identities!: Identities;
    private policies = new Map<string, AgentPolicy>();
    private readonly limiters = new Map<string, AgentLimiter>();
    private readonly masterKey: string;
    private readonly usage: UsageLog;
    private readonly upstream: Upstream;
    /** Calls in flight, all agents together. */
    private inFlight = 0;

    constructor(options: DoorOptions) {
        this.masterKey = options.masterKey;
        this.usage = options.usage;
        this.apply(options.settings);
        this.upstream = new Upstream({ ...options.upstream, key: options.masterKey, timeoutMs: options.settings.requestTimeoutSeconds * 1000 });
    }

    /**
     * Takes new settings in place (an agent added or a limit changed): calls
     * in flight finish under the limits they started with, and an agent that
     * stays keeps its counters.
     */
    apply(settings: DoorSettings): void {
        this.settings = settings;
        this.identities = new Identities(this.masterKey, settings.agents.map((a) => a.name));
        this.policies = new Map(settings.agents.map((a) => [a.name, a]));
        for (const name of this.limiters.keys()) if (!this.policies.has(name)) this.limiters.delete(name);
        for (const agent of settings.agents) {
            const limiter = this.limiters.get(agent.name);
            if (limiter) limiter.limits = agent.limits;
            else this.limiters.set(agent.name, new AgentLimiter(agent.limits));
        }
    }

    /** Counts usage from before a restart against the current windows. */
    replay(records: readonly UsageRecord[]): void {
        for (const r of records) this.limiters.get(r.agent)?.replay(Date.parse(r.time), r.prompt_tokens + r.completion_tokens);
    }

    createServer(): Server {
        const server = createServer({ noDelay: true, keepAlive: true, headersTimeout: 10_000, requestTimeout: 60_000 }, (req, res) => {
            this.handle(req, res).catch((e: Error) => {
                console.error(JSON.stringify({ event: "door-error", message: e.message }));
                if (!res.headersSent && !res.destroyed) sendError(res, { status: 500, type: "server_error", code: "door_error", message: "the door failed; retry" });
            });
        });
        // Streams may last as long as the model takes; the per-call timeout is the upstream's.
        server.timeout = 0;
        server.maxHeadersCount = 64;
        server.on("close", () => this.upstream.close());
        return server;
    }

    private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
        if (req.url === "/healthz" && req.method === "GET" && LOOPBACK.has(req.socket.remoteAddress ?? "")) {
            return sendJson(res, 200, { ok: true });
        }
        const match = matchRoute(req.method, req.url);
        if (match.kind === "unknown") return sendError(res, NOT_FOUND, true);
        if (match.kind === "wrong-method") {
            return sendError(res, { status: 405, type: "invalid_request_error", code: "method_not_allowed", message: `method not allowed; use ${match.allow}`, allow: match.allow }, true);
        }
        const agentName = this.identities.identify(req.headers.authorization);
        const agent = agentName === undefined ? undefined : this.policies.get(agentName);
        if (agent === undefined) return sendError(res, INVALID_CREDENTIAL, true);
        if (!fromSources(req.socket.remoteAddress, agent.sources)) {
            // A credential copied out of another cell: answered as a bad one, recorded under its agent.
            sendError(res, INVALID_CREDENTIAL, true);
            return this.usage.refuse(agent.name, match.route.path, 401, "wrong-cell");
        }
        if (match.route.kind === "models") return this.listModels(res, agent);
        return this.call(req, res, match.route, agent);
    }

    /** Answered here, not upstream: an agent sees its own model and nothing about the others'. */
    private listModels(res: ServerResponse, agent: AgentPolicy): void {
        sendJson(res, 200, { object: "list", data: [{ id: agent.model, object: "model", created: 0, owned_by: "secureclaw" }] });
    }

    private async call(req: IncomingMessage, res: ServerResponse, route: Route, agent: AgentPolicy): Promise<void> {
        const started = Date.now();
        const limiter = this.limiters.get(agent.name)!;
        const record = (status: number, extra: Partial<UsageRecord>) => this.usage.record({
            time: new Date().toISOString(), agent: agent.name, route: route.path, status, stream: false,
            prompt_tokens: 0, completion_tokens: 0, ms: Date.now() - started, ...extra,
        });
        const refuse = (refusal: Refusal | DoorError, bodyUnread: boolean) => {
            const error: DoorError = { type: refusal.status === 429 ? "rate_limit_error" : "invalid_request_error", ...refusal };
            sendError(res, error, bodyUnread);
            this.usage.refuse(agent.name, route.path, refusal.status, refusal.code);
        };

        // The cap over all agents first: LiteLLM's own cap does nothing (see components/gateway/litellmConfig.ts).
        if (this.inFlight >= this.settings.maxConcurrentCalls) {
            return refuse({ status: 429, code: "gateway_busy", message: `the model gateway has ${this.settings.maxConcurrentCalls} calls in flight; retry in 1 s`, retryAfterSeconds: 1 }, true);
        }
        const admitted = limiter.admit(started);
        if (admitted) return refuse(admitted, true);
        this.inFlight++;
        res.once("close", () => {
            limiter.release();
            this.inFlight--;
        });

        const contentType = (req.headers["content-type"] ?? "").split(";")[0].trim().toLowerCase();
        if (contentType !== "application/json") {
            return refuse({ status: 415, type: "invalid_request_error", code: "unsupported_media_type", message: "the body must be application/json" }, true);
        }
        const raw = await readBody(req, this.settings.maxBodyBytes);
        if (raw === undefined) {
            return refuse({ status: 413, type: "invalid_request_error", code: "body_too_large", message: `the body is larger than ${this.settings.maxBodyBytes} bytes` }, true);
        }
        const policy = applyRequestPolicy(route.kind as "chat" | "completion", raw, agent);
        if (!policy.ok) return refuse({ status: 400, code: policy.code, message: policy.message }, false);
        const { request } = policy;

        const reservation = limiter.reserve(Date.now(), request.estimatedTokens);
        if (isRefusal(reservation)) return refuse(reservation, false);

        const outcome: CallOutcome = await this.upstream.forward(route, request.body, request.stream, res);
        if (outcome.usage) {
            limiter.settle(reservation, outcome.usage.promptTokens + outcome.usage.completionTokens);
            return record(outcome.status, { stream: request.stream, prompt_tokens: outcome.usage.promptTokens, completion_tokens: outcome.usage.completionTokens });
        }
        // No usage reported (a call cut short): charge what was reserved if the model may have
        // worked, nothing if it surely did not. The log marks the figure as an estimate.
        const charged = outcome.modelMayHaveWorked ? reservation.estimate : 0;
        limiter.settle(reservation, charged);
        record(outcome.status, { stream: request.stream, prompt_tokens: charged, estimated: true });
    }
}

/** The request body, or undefined once it passes `limit` bytes (the rest is never read). */
function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
    const declared = Number(req.headers["content-length"] ?? 0);
    if (declared > limit) return Promise.resolve(undefined);
    return new Promise((resolve, reject) => {
        const chunks: Buffer[] = [];
        let size = 0;
        req.on("data", (chunk: Buffer) => {
            size += chunk.length;
            if (size > limit) {
                req.pause();
                resolve(undefined);
                return;
            }
            chunks.push(chunk);
        });
        req.on("end", () => resolve(Buffer.concat(chunks)));
        req.on("error", reject);
    });
}
