import { agentsByName, checkAgents, positiveWhole, sortedSet } from "../shared/sidecarSettings";

/**
 * Renders the relay's settings file (relay.json). Pure. It names the Bot API
 * root, the file cap and, per agent, the users it may hear from and write to,
 * its send rate and its cell (the subnets its credential is honoured from).
 * No secret: each agent's credential is derived from its own bot token, which
 * the relay reads from that agent's file in its secret volume. The relay re-reads the file in
 * place, so adding an agent restarts nothing.
 */

export interface RelayAgent {
    /** Lowercase letters, digits and dashes, starting with a letter (≤ 32): the agent's name in the audit log and its credential. */
    name: string;
    /** Numeric Telegram user ids (their private chats) this agent serves. */
    allowFrom: string[];
    /** Writes admitted in any 60 s. */
    sendsPerMinute: number;
    /** IPv4 subnets (CIDR, host bits zero) of the agent's cell, e.g. ["10.89.0.0/24"]: the relay refuses this agent's credential from anywhere else, as it refuses a bad one. */
    sources: string[];
}

export interface RelaySettingsInput {
    /** Bot API root, https on port 443 (e.g. https://api.telegram.org). */
    upstream: string;
    /** Largest file moved either way. */
    maxFileBytes: number;
    agents: RelayAgent[];
}

const USER_ID = /^[1-9][0-9]{0,19}$/;

export function renderRelaySettings(input: RelaySettingsInput): string {
    const problems: string[] = [];
    const whole = positiveWhole(problems);
    let url: URL | undefined;
    try {
        url = new URL(input.upstream);
    } catch {
        // reported below
    }
    if (!url || url.protocol !== "https:" || url.port !== "" || url.search !== "" || url.username !== "") problems.push(`upstream must be an https URL on port 443, got ${JSON.stringify(input.upstream)}`);
    whole("maxFileBytes", input.maxFileBytes);
    checkAgents(input.agents, problems, (a) => {
        if (a.allowFrom.length === 0 || !a.allowFrom.every((id) => USER_ID.test(id))) problems.push(`agent ${a.name}: allowFrom must list numeric Telegram user ids`);
        whole(`agent ${a.name}: sendsPerMinute`, a.sendsPerMinute);
    });
    if (problems.length > 0) throw new Error(`relay settings: ${problems.join("; ")}`);

    const agents = agentsByName(input.agents, (a) => ({
        allowFrom: sortedSet(a.allowFrom),
        sendsPerMinute: a.sendsPerMinute,
        sources: sortedSet(a.sources),
    }));
    return `${JSON.stringify({ version: 1, upstream: input.upstream.replace(/\/+$/, ""), maxFileBytes: input.maxFileBytes, agents }, null, 2)}\n`;
}
