/**
 * The door's settings file (rendered by the program, components/door/doorConfig.ts):
 *
 *   { "version": 1, "maxBodyBytes": …, "requestTimeoutSeconds": …, "maxConcurrentCalls": …,
 *     "agents": { "<name>": { "model": …, "maxOutputTokens": …, "sources": ["<IPv4 CIDR>", …],
 *                 "limits": { "requestsPerMinute": …, "tokensPerMinute": …,
 *                             "tokensPerDay": …, "concurrentRequests": … } } } }
 *
 * It holds no secret: each agent's credential is derived from the key the
 * door already holds (see identity.ts). Parsed strictly: an unknown key or a
 * wrong value is an error, so a typo can't silently lift a limit.
 */
import { isIPv4 } from "node:net";
export interface AgentLimits {
    requestsPerMinute: number;
    tokensPerMinute: number;
    tokensPerDay: number;
    concurrentRequests: number;
}

export interface AgentPolicy {
    name: string;
    /** The one model name this agent may ask for. */
    model: string;
    /** Largest max_tokens forwarded; larger asks are clamped to it. */
    maxOutputTokens: number;
    limits: AgentLimits;
    /** The agent's cell: its credential is honoured from these subnets only. */
    sources: Subnet[];
}

export interface DoorSettings {
    maxBodyBytes: number;
    requestTimeoutSeconds: number;
    /** Calls in flight at once, all agents together. */
    maxConcurrentCalls: number;
    agents: AgentPolicy[];
}

export const AGENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const LIMIT_KEYS = ["requestsPerMinute", "tokensPerMinute", "tokensPerDay", "concurrentRequests"] as const;

export function parseSettings(text: string): DoorSettings {
    const problems: string[] = [];
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new Error(`settings are not JSON: ${(e as Error).message}`);
    }
    const root = object(raw, "settings", ["version", "maxBodyBytes", "requestTimeoutSeconds", "maxConcurrentCalls", "agents"], problems);
    if (root.version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(root.version)}`);
    const maxBodyBytes = positiveInt(root.maxBodyBytes, "maxBodyBytes", problems);
    const requestTimeoutSeconds = positiveInt(root.requestTimeoutSeconds, "requestTimeoutSeconds", problems);
    const maxConcurrentCalls = positiveInt(root.maxConcurrentCalls, "maxConcurrentCalls", problems);
    const agentsRaw = object(root.agents, "agents", undefined, problems);
    const agents: AgentPolicy[] = Object.entries(agentsRaw).map(([name, value]) => {
        const at = `agents.${name}`;
        if (!AGENT_NAME.test(name)) problems.push(`${at}: an agent name is lowercase letters, digits and dashes, starting with a letter (≤ 32)`);
        const agent = object(value, at, ["model", "maxOutputTokens", "limits", "sources"], problems);
        if (typeof agent.model !== "string" || agent.model === "") problems.push(`${at}.model: expected a model name`);
        const limitsRaw = object(agent.limits, `${at}.limits`, LIMIT_KEYS, problems);
        const limits = Object.fromEntries(LIMIT_KEYS.map((k) => [k, positiveInt(limitsRaw[k], `${at}.limits.${k}`, problems)])) as unknown as AgentLimits;
        const sources = (Array.isArray(agent.sources) ? agent.sources : []).map((t) => (typeof t === "string" ? parseSubnet(t) : undefined));
        if (sources.length === 0 || sources.includes(undefined)) problems.push(`${at}.sources: expected a non-empty list of IPv4 subnets like "10.89.0.0/24"`);
        return { name, model: String(agent.model), maxOutputTokens: positiveInt(agent.maxOutputTokens, `${at}.maxOutputTokens`, problems), limits, sources: sources.filter((x) => x !== undefined) };
    });
    if (agents.length === 0) problems.push("agents: at least one agent is required");
    if (problems.length > 0) throw new Error(`invalid settings:\n  - ${problems.join("\n  - ")}`);
    return { maxBodyBytes, requestTimeoutSeconds, maxConcurrentCalls, agents };
}

function object(value: unknown, at: string, keys: readonly string[] | undefined, problems: string[]): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems.push(`${at}: expected an object`);
        return {};
    }
    const record = value as Record<string, unknown>;
    if (keys) for (const key of Object.keys(record)) if (!keys.includes(key)) problems.push(`${at}.${key}: unknown key`);
    return record;
}

function positiveInt(value: unknown, at: string, problems: string[]): number {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
    problems.push(`${at}: expected a positive whole number, got ${JSON.stringify(value)}`);
    return 1;
}

// ---- sources: the subnets of an agent's cell ----
// A credential is bound to its cell, so one copied out of a hijacked agent
// opens nothing from another. Kept here, not in a module of its own: the
// program's tests import this file, and it must have no relative import.
// Keep identical to images/relay/src/settings.ts.

/** An IPv4 subnet as its first address and mask, both unsigned 32-bit. */
export interface Subnet {
    text: string;
    base: number;
    mask: number;
}

function toInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

/** "a.b.c.d/n" with the host bits zero, or undefined. */
export function parseSubnet(text: string): Subnet | undefined {
    const match = /^([0-9.]{7,15})\/([0-9]{1,2})$/.exec(text);
    if (!match || !isIPv4(match[1]) || Number(match[2]) > 32) return undefined;
    const prefix = Number(match[2]);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const base = toInt(match[1]);
    return (base & mask) >>> 0 === base ? { text, base, mask } : undefined;
}

/**
 * True when the peer address lies in one of the subnets. A dual-stack socket
 * reports an IPv4 peer as `::ffff:a.b.c.d`; any other IPv6 address is in no
 * IPv4 subnet.
 */
export function fromSources(remoteAddress: string | undefined, sources: readonly Subnet[]): boolean {
    const address = (remoteAddress ?? "").replace(/^::ffff:/i, "");
    if (!isIPv4(address)) return false;
    const ip = toInt(address);
    return sources.some((s) => ((ip & s.mask) >>> 0) === s.base);
}
