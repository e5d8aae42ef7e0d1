/**
 * The door's settings file (rendered by the program, components/door/doorConfig.ts):
 *
 *   { "version": 1, "maxBodyBytes": …, "requestTimeoutSeconds": …, "maxConcurrentCalls": …,
 *     "agents": { "<name>": { "model": …, "maxOutputTokens": …, "sources": ["<IPv4 CIDR>", …],
 *                 "limits": { "requestsPerMinute": …, "tokensPerMinute": …,
 *                             "tokensPerDay": …, "concurrentRequests": … } } } }
 *
 * It holds no secret: each agent's credential is derived from the key the
 * door already holds (see identity.ts). Parsed strictly (see
 * sidecar-kit/strictSettings.ts), like the relay's.
 */
import { cellSources, object, parseStrictly, positiveInt, readAgents } from "../../sidecar-kit/strictSettings.ts";
import type { Subnet } from "../../sidecar-kit/subnets.ts";

export { fromSources, parseSubnet, type Subnet } from "../../sidecar-kit/subnets.ts";

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

const LIMIT_KEYS = ["requestsPerMinute", "tokensPerMinute", "tokensPerDay", "concurrentRequests"] as const;

export function parseSettings(text: string): DoorSettings {
    return parseStrictly(text, (raw, problems) => {
        const root = object(raw, "settings", ["version", "maxBodyBytes", "requestTimeoutSeconds", "maxConcurrentCalls", "agents"], problems);
        if (root.version !== 1) problems.push(`version: expected 1, got ${JSON.stringify(root.version)}`);
        const maxBodyBytes = positiveInt(root.maxBodyBytes, "maxBodyBytes", problems);
        const requestTimeoutSeconds = positiveInt(root.requestTimeoutSeconds, "requestTimeoutSeconds", problems);
        const maxConcurrentCalls = positiveInt(root.maxConcurrentCalls, "maxConcurrentCalls", problems);
        const agents = readAgents(root.agents, problems, (name, value, at): AgentPolicy => {
            const agent = object(value, at, ["model", "maxOutputTokens", "limits", "sources"], problems);
            if (typeof agent.model !== "string" || agent.model === "") problems.push(`${at}.model: expected a model name`);
            const limitsRaw = object(agent.limits, `${at}.limits`, LIMIT_KEYS, problems);
            const limits = Object.fromEntries(LIMIT_KEYS.map((k) => [k, positiveInt(limitsRaw[k], `${at}.limits.${k}`, problems)])) as unknown as AgentLimits;
            const sources = cellSources(agent.sources, at, problems);
            return { name, model: String(agent.model), maxOutputTokens: positiveInt(agent.maxOutputTokens, `${at}.maxOutputTokens`, problems), limits, sources };
        });
        return { maxBodyBytes, requestTimeoutSeconds, maxConcurrentCalls, agents };
    });
}
