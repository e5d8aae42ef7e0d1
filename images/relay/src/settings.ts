/**
 * The relay's settings file (rendered by components/relay/relaySettings.ts):
 *
 *   { "version": 1, "upstream": "https://api.telegram.org", "maxFileBytes": …,
 *     "agents": { "<name>": { "allowFrom": ["<user id>", …], "sendsPerMinute": …,
 *                             "sources": ["<IPv4 CIDR>", …] } } }
 *
 * No secret: each agent's credential is derived from its own bot token, which
 * the relay reads from that agent's secret file (see tokens.ts). Parsed
 * strictly (see sidecar-kit/strictSettings.ts), like the door's.
 */
import { cellSources, object, parseStrictly, positiveInt, readAgents } from "../../sidecar-kit/strictSettings.ts";
import type { Subnet } from "../../sidecar-kit/subnets.ts";

export { fromSources, parseSubnet, type Subnet } from "../../sidecar-kit/subnets.ts";

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

const USER_ID = /^[1-9][0-9]{0,19}$/;

export function parseSettings(text: string): RelaySettings {
    return parseStrictly(text, (raw, problems) => {
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
        const agents = readAgents(root.agents, problems, (name, value, at): AgentPolicy => {
            const agent = object(value, at, ["allowFrom", "sendsPerMinute", "sources"], problems);
            const allowFrom = Array.isArray(agent.allowFrom) ? agent.allowFrom : [];
            if (allowFrom.length === 0 || !allowFrom.every((id) => typeof id === "string" && USER_ID.test(id))) {
                problems.push(`${at}.allowFrom: expected a non-empty list of numeric Telegram user ids as strings`);
            }
            const sources = cellSources(agent.sources, at, problems);
            return { name, allowFrom: new Set(allowFrom.map(String)), sendsPerMinute: positiveInt(agent.sendsPerMinute, `${at}.sendsPerMinute`, problems), sources };
        });
        return { upstream, maxFileBytes, agents };
    });
}
