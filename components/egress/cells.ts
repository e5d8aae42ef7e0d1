/**
 * The proxy's view of the agents: one cell per agent, known by the subnet of
 * its internal network. Squid tells agents apart by the source address of a
 * request (the `src` ACL), so a cell's subnet is its identity: whatever a
 * hijacked agent writes in its requests, it can only send from its own
 * network. Pure.
 */
import { AGENT_NAME, DOOR } from "../../policy/contract/contract";

export interface EgressCell {
    /** Agent name: lowercase letters, digits, dashes, starting with a letter, ≤ 32 (DOOR.defaultAgent, "main", for the single-agent stack). */
    agent: string;
    /** The cell network's IPv4 subnet, e.g. "10.89.0.0/24". */
    subnet: string;
    /** Normalised allowlist of this agent (same grammar as egress.allowlist: exact names and ".suffix" entries; may be empty = no egress). */
    allowlist: string[];
}

const IPV4_SUBNET = /^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}\/(3[0-2]|[12]?\d)$/;

/**
 * The file in the proxy's config volume holding one agent's allowlist (one
 * writer per file, so an edit touches only that agent's file). The default
 * agent keeps the single-agent stack's `allowlist.txt`, so upgrading such a
 * stack keeps its writer (same URN, same file).
 */
export function allowlistFileName(agent: string): string {
    return agent === DOOR.defaultAgent ? "allowlist.txt" : `allowlist-${agent}.txt`;
}

/** A Squid ACL name for a cell (agent names have no `_`, so mapping `-` to `_` keeps names apart). */
export function cellAcl(agent: string, what: string): string {
    return `cell_${agent.replace(/-/g, "_")}_${what}`;
}

/**
 * The cells sorted by agent name (so squid.conf renders the same on every
 * `up`), after checking what the configuration should already have refused:
 * at least one cell, valid names and subnets, no name or subnet twice.
 */
export function sortedCells<C extends Pick<EgressCell, "agent" | "subnet">>(cells: readonly C[]): C[] {
    if (cells.length === 0) throw new Error("egress proxy: at least one cell is required (one per agent)");
    const seen = { agent: new Set<string>(), subnet: new Set<string>() };
    for (const cell of cells) {
        if (!AGENT_NAME.test(cell.agent)) throw new Error(`egress proxy: agent name ${JSON.stringify(cell.agent)} must be lowercase letters, digits and dashes, starting with a letter, at most 32 characters, e.g. "alice"`);
        if (!IPV4_SUBNET.test(cell.subnet)) throw new Error(`egress proxy: agent ${cell.agent}: subnet ${JSON.stringify(cell.subnet)} must be an IPv4 CIDR, e.g. "10.89.0.0/24"`);
        for (const key of ["agent", "subnet"] as const) {
            if (seen[key].has(cell[key])) throw new Error(`egress proxy: two cells share the ${key} ${JSON.stringify(cell[key])}; each agent needs its own name and network`);
            seen[key].add(cell[key]);
        }
    }
    return [...cells].sort((a, b) => (a.agent < b.agent ? -1 : a.agent > b.agent ? 1 : 0));
}
