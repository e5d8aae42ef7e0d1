/**
 * The relay's settings file (rendered by components/relay/relaySettings.ts):
 *
 *   { "version": 1, "upstream": "https://api.telegram.org", "maxFileBytes": …,
 *     "agents": { "<name>": { "allowFrom": ["<user id>", …], "sendsPerMinute": …,
 *                             "sources": ["<IPv4 CIDR>", …] } } }
 *
 * No secret: each agent's credential is derived from its own bot token, which
 * the relay reads from that agent's secret file (see tokens.ts). Parsed strictly, like the door's: an unknown
 * key or a wrong value is an error, so a typo can't lift a limit.
 */
import { isIPv4 } from "node:net";
export interface AgentPolicy {
    name: string;
    /** Telegram user ids (= their private chat ids) this agent may hear from and write to. */
    allowFrom: ReadonlySet<string>;
    /** Writes (sends, edits, deletes, chat actions) admitted in any 60 s. */
    sendsPerMinute: number;
    /** The agent's cell: its credential is honoured from these subnets only. */
    sources: Subnet[];
}

export interface RelaySettings {
    /** Bot API root the relay calls through the proxy: https, port 443. */
    upstream: URL;
    /** Largest file uploaded or downloaded. */
    maxFileBytes: number;
    agents: AgentPolicy[];
}

export const AGENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;
const USER_ID = /^[1-9][0-9]{0,19}$/;

export function parseSettings(text: string): RelaySettings {
    const problems: string[] = [];
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new Error(`settings are not JSON: ${(e as Error).message}`);
    }
    const root = object(raw, "settings", ["version", "upstream", "maxFileBytes", "agents"], problems);
    if (root.version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(root.version)}`);
    let upstream = new URL("https://api.telegram.org");
    try {
        upstream = new URL(String(root.upstream));
        if (upstream.protocol !== "https:" || upstream.port !== "" || upstream.search !== "" || upstream.username !== "") throw new Error();
    } catch {
        problems.push(`upstream: expected an https URL on port 443, got ${JSON.stringify(root.upstream)}`);
    }
    const maxFileBytes = positiveInt(root.maxFileBytes, "maxFileBytes", problems);
    const agents: AgentPolicy[] = Object.entries(object(root.agents, "agents", undefined, problems)).map(([name, value]) => {
        const at = `agents.${name}`;
        if (!AGENT_NAME.test(name)) problems.push(`${at}: an agent name is lowercase letters, digits and dashes, starting with a letter (≤ 32)`);
        const agent = object(value, at, ["allowFrom", "sendsPerMinute", "sources"], problems);
        const allowFrom = Array.isArray(agent.allowFrom) ? agent.allowFrom : [];
        if (allowFrom.length === 0 || !allowFrom.every((id) => typeof id === "string" && USER_ID.test(id))) {
            problems.push(`${at}.allowFrom: expected a non-empty list of numeric Telegram user ids as strings`);
        }
        const sources = (Array.isArray(agent.sources) ? agent.sources : []).map((t) => (typeof t === "string" ? parseSubnet(t) : undefined));
        if (sources.length === 0 || sources.includes(undefined)) problems.push(`${at}.sources: expected a non-empty list of IPv4 subnets like "10.89.0.0/24"`);
        return {
            name, allowFrom: new Set(allowFrom.map(String)), sendsPerMinute: positiveInt(agent.sendsPerMinute, `${at}.sendsPerMinute`, problems),
            sources: sources.filter((x) => x !== undefined),
        };
    });
    if (agents.length === 0) problems.push("agents: at least one agent is required");
    if (problems.length > 0) throw new Error(`invalid settings:\n  - ${problems.join("\n  - ")}`);
    return { upstream, maxFileBytes, agents };
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
// Keep identical to images/door/src/settings.ts.

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
