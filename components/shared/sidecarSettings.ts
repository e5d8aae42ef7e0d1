import { AGENT_NAME } from "../../policy/contract/contract";
import { parseCidr } from "../../config/net";

/**
 * What the door's and the relay's settings renderers check alike: their
 * numbers are positive whole ones and, per agent, a name the sidecars accept
 * (images/sidecar-kit/strictSettings.ts), no name twice, and a cell to honour
 * its credential from. Problems are collected, so one error names them all.
 */

/** An agent as every sidecar's settings name it. */
export interface SidecarAgent {
    name: string;
    /** IPv4 subnets (CIDR, host bits zero) of the agent's cell. */
    sources: string[];
}

/** A check that `v` is a positive whole number, reporting to `problems`. */
export function positiveWhole(problems: string[]): (at: string, v: number) => void {
    return (at, v) => {
        if (!Number.isSafeInteger(v) || v < 1) problems.push(`${at} must be a positive whole number, got ${v}`);
    };
}

/** Checks the agents' shared parts; `checkOwn` checks the rest of each, between its name and its sources. */
export function checkAgents<A extends SidecarAgent>(agents: readonly A[], problems: string[], checkOwn: (agent: A) => void): void {
    if (agents.length === 0) problems.push("at least one agent is required");
    const seen = new Set<string>();
    for (const a of agents) {
        if (!AGENT_NAME.test(a.name)) problems.push(`agent name ${JSON.stringify(a.name)} must be lowercase letters, digits and dashes, starting with a letter (≤ 32)`);
        if (seen.has(a.name)) problems.push(`agent ${a.name} is listed twice`);
        seen.add(a.name);
        checkOwn(a);
        if (a.sources.length === 0) problems.push(`agent ${a.name}: sources is empty; give the agent's cell subnet, e.g. ["10.89.0.0/24"]`);
        for (const s of a.sources) if (!parseCidr(s)) problems.push(`agent ${a.name}: source ${JSON.stringify(s)} is not an IPv4 subnet with its host bits zero, e.g. "10.89.0.0/24"`);
    }
}

/** The settings' `agents` object: each agent's entry under its name, in name order, so the file is the same for the same agents. */
export function agentsByName<A extends SidecarAgent>(agents: readonly A[], entry: (agent: A) => Record<string, unknown>): Record<string, Record<string, unknown>> {
    return Object.fromEntries([...agents].sort((x, y) => x.name.localeCompare(y.name)).map((a) => [a.name, entry(a)]));
}

/** A list without repeats, sorted: the same set always renders the same. */
export function sortedSet(values: readonly string[]): string[] {
    return [...new Set(values)].sort();
}
