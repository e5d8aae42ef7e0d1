/**
 * Reading a sidecar's settings file strictly: an unknown key or a wrong
 * value is an error, so a typo can't silently lift a limit. Every problem is
 * collected, then all are reported together.
 */
import { parseSubnet, type Subnet } from "./subnets.ts";

/** Keep equal to AGENT_NAME in policy/contract/contract.ts (this image can't import it). */
export const AGENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

/** `read` gets the parsed JSON and a list to push problems to; any problem fails the whole file. */
export function parseStrictly<T>(text: string, read: (raw: unknown, problems: string[]) => T): T {
    let raw: unknown;
    try {
        raw = JSON.parse(text);
    } catch (e) {
        throw new Error(`settings are not JSON: ${(e as Error).message}`);
    }
    const problems: string[] = [];
    const settings = read(raw, problems);
    if (problems.length > 0) throw new Error(`invalid settings:\n  - ${problems.join("\n  - ")}`);
    return settings;
}

/** A JSON object at `at`, with only `keys` when given. */
export function object(value: unknown, at: string, keys: readonly string[] | undefined, problems: string[]): Record<string, unknown> {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems.push(`${at}: expected an object`);
        return {};
    }
    const record = value as Record<string, unknown>;
    if (keys) for (const key of Object.keys(record)) if (!keys.includes(key)) problems.push(`${at}.${key}: unknown key`);
    return record;
}

export function positiveInt(value: unknown, at: string, problems: string[]): number {
    if (typeof value === "number" && Number.isSafeInteger(value) && value > 0) return value;
    problems.push(`${at}: expected a positive whole number, got ${JSON.stringify(value)}`);
    return 1;
}

/** The `agents` object's entries, each checked for a valid name and read by `read`; at least one. */
export function readAgents<T>(value: unknown, problems: string[], read: (name: string, agent: unknown, at: string) => T): T[] {
    const agents = Object.entries(object(value, "agents", undefined, problems)).map(([name, agent]) => {
        const at = `agents.${name}`;
        if (!AGENT_NAME.test(name)) problems.push(`${at}: an agent name is lowercase letters, digits and dashes, starting with a letter (≤ 32)`);
        return read(name, agent, at);
    });
    if (agents.length === 0) problems.push("agents: at least one agent is required");
    return agents;
}

/** An agent's `sources`: the non-empty list of its cell's subnets. */
export function cellSources(value: unknown, at: string, problems: string[]): Subnet[] {
    const sources = (Array.isArray(value) ? value : []).map((t) => (typeof t === "string" ? parseSubnet(t) : undefined));
    if (sources.length === 0 || sources.includes(undefined)) problems.push(`${at}.sources: expected a non-empty list of IPv4 subnets like "10.89.0.0/24"`);
    return sources.filter((x) => x !== undefined);
}
