import { agentsByName, checkAgents, positiveWhole, sortedSet } from "../shared/sidecarSettings";

/**
 * Renders the door's settings file (door.json). Pure.
 *
 * The file names each agent the door serves, the one model it may ask for,
 * its output cap, its limits and its cell (the subnets its credential is
 * honoured from). It holds no secret (credentials are derived
 * from the master key, see credentials.ts), and the door re-reads it in
 * place, so adding an agent or changing a limit restarts nothing.
 */

export interface DoorLimits {
    /** Requests admitted in any 60 s. */
    requestsPerMinute: number;
    /** Prompt + completion tokens in any 60 s (reserved at an estimate before each call). */
    tokensPerMinute: number;
    /** Prompt + completion tokens in any 24 h. */
    tokensPerDay: number;
    /** Requests in flight at once. */
    concurrentRequests: number;
}

export interface DoorAgent {
    /** Lowercase letters, digits and dashes, starting with a letter (≤ 32): the agent's name in limits, usage and its credential. */
    name: string;
    /** The model name this agent must ask for (e.g. GATEWAY.modelAlias). */
    model: string;
    /** Largest max_tokens forwarded; larger asks are clamped, absent ones set to it. */
    maxOutputTokens: number;
    limits: DoorLimits;
    /** IPv4 subnets (CIDR, host bits zero) of the agent's cell, e.g. ["10.89.0.0/24"]: the door refuses this agent's credential from anywhere else, as it refuses a bad one. */
    sources: string[];
}

export interface DoorSettingsInput {
    agents: DoorAgent[];
    /** Seconds LiteLLM may stay silent during one call. */
    requestTimeoutSeconds: number;
    /** Largest request body accepted. */
    maxBodyBytes: number;
    /** Model calls in flight at once, all agents together (what LiteLLM and vLLM are asked to carry); default DEFAULT_MAX_CONCURRENT_CALLS. */
    maxConcurrentCalls?: number;
}

/** Generous for one agent on local hardware, finite for a runaway one. */
export const DEFAULT_DOOR_LIMITS: DoorLimits = {
    requestsPerMinute: 120,
    tokensPerMinute: 1_000_000,
    tokensPerDay: 50_000_000,
    concurrentRequests: 4,
};
/** The stack's gateway.maxParallelRequests default. */
export const DEFAULT_MAX_CONCURRENT_CALLS = 8;
/** A 128k-token conversation is about 0.5 MB of JSON; 4 MiB leaves room and stops abuse. */
export const DEFAULT_MAX_BODY_BYTES = 4 * 1024 * 1024;

export function renderDoorSettings(input: DoorSettingsInput): string {
    const problems: string[] = [];
    const whole = positiveWhole(problems);
    whole("requestTimeoutSeconds", input.requestTimeoutSeconds);
    whole("maxBodyBytes", input.maxBodyBytes);
    const maxConcurrentCalls = input.maxConcurrentCalls ?? DEFAULT_MAX_CONCURRENT_CALLS;
    whole("maxConcurrentCalls", maxConcurrentCalls);
    checkAgents(input.agents, problems, (a) => {
        if (a.model === "") problems.push(`agent ${a.name}: model is empty`);
        whole(`agent ${a.name}: maxOutputTokens`, a.maxOutputTokens);
        for (const [key, value] of Object.entries(a.limits)) whole(`agent ${a.name}: limits.${key}`, value);
    });
    if (problems.length > 0) throw new Error(`door settings: ${problems.join("; ")}`);

    const agents = agentsByName(input.agents, (a) => ({
        model: a.model,
        maxOutputTokens: a.maxOutputTokens,
        limits: {
            requestsPerMinute: a.limits.requestsPerMinute,
            tokensPerMinute: a.limits.tokensPerMinute,
            tokensPerDay: a.limits.tokensPerDay,
            concurrentRequests: a.limits.concurrentRequests,
        },
        sources: sortedSet(a.sources),
    }));
    return `${JSON.stringify({ version: 1, maxBodyBytes: input.maxBodyBytes, requestTimeoutSeconds: input.requestTimeoutSeconds, maxConcurrentCalls, agents }, null, 2)}\n`;
}
