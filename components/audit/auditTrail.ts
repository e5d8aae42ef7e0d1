/**
 * The audit trail read back: JSON lines from every component that decides on
 * egress (the proxy, the Telegram relay; see AUDIT in policy/contract),
 * merged by time and filtered. Pure: scripts/audit.ts reads the files out of
 * the stack's labelled volumes and prints formatAuditLines(...).
 *
 * Which agent a line is about: the proxy's lines carry `agent`, the cell
 * (network) the request came from, or "-" when it came from none (the relay,
 * or a refused unknown source); the relay's lines name the agent in `source`.
 * Proxy lines written before cells existed have neither; --agent matches them
 * by the agent's address.
 */

/** One decision. Components may add fields (the relay: its method and chat); these are the ones every line has. */
export interface AuditEntry {
    time: string;
    component: string;
    source: string;
    destination: string;
    decision: "allow" | "deny" | string;
    reason: string;
    bytes: number;
    /** The proxy's: the agent whose cell the request came from, "-" for none. */
    agent?: string;
    [field: string]: unknown;
}

export interface AuditFilter {
    /** Only refusals. */
    denied?: boolean;
    /** Only lines at or after this moment. */
    since?: Date;
    /** Only lines naming this agent (see agentOf), or, for lines that name none, from these source addresses (the agent's). */
    agent?: { name: string; addresses: string[] };
}

export interface AuditRead {
    entries: AuditEntry[];
    /** Lines that were not an audit record (e.g. one cut short when a disk filled). */
    unreadableLines: number;
}

const REQUIRED = ["time", "component", "source", "destination", "decision", "reason"] as const;

function isEntry(value: unknown): value is AuditEntry {
    if (typeof value !== "object" || value === null) return false;
    const v = value as Record<string, unknown>;
    return REQUIRED.every((k) => typeof v[k] === "string") && !Number.isNaN(Date.parse(v.time as string)) && typeof v.bytes === "number";
}

/** Parses any number of JSON-lines texts (one per file) and merges them oldest first; a stable sort keeps each file's order within a millisecond. */
export function readAuditTrail(texts: string[]): AuditRead {
    let unreadableLines = 0;
    const entries: AuditEntry[] = [];
    for (const text of texts) {
        for (const line of text.split("\n")) {
            if (line.trim() === "") continue;
            let parsed: unknown;
            try {
                parsed = JSON.parse(line);
            } catch {
                unreadableLines++;
                continue;
            }
            if (isEntry(parsed)) entries.push(parsed);
            else unreadableLines++;
        }
    }
    entries.sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
    return { entries, unreadableLines };
}

/** The agent a line is about: the proxy's `agent` ("-" = none), the relay's `source`; undefined for a line that names none (an older proxy line). */
export function agentOf(entry: AuditEntry): string | undefined {
    if (typeof entry.agent === "string") return entry.agent;
    return entry.component === "relay" ? entry.source : undefined;
}

export function filterAuditTrail(entries: AuditEntry[], filter: AuditFilter): AuditEntry[] {
    const ofAgent = (e: AuditEntry, agent: { name: string; addresses: string[] }) => {
        const named = agentOf(e);
        return named !== undefined ? named === agent.name : agent.addresses.includes(e.source);
    };
    return entries.filter((e) =>
        (!filter.denied || e.decision === "deny") &&
        (!filter.since || Date.parse(e.time) >= filter.since.getTime()) &&
        (!filter.agent || ofAgent(e, filter.agent)));
}

/** One JSON object a line, as the components wrote them, each with an `agent` column after `source` ("-" when the line names none). */
export function formatAuditLines(entries: AuditEntry[]): string {
    return entries.map((e) => {
        const { time, component, source, ...rest } = e;
        // `agent` goes right after `source` (a proxy line's own `agent` in rest keeps that place and value).
        return `${JSON.stringify({ time, component, source, agent: agentOf(e) ?? "-", ...rest })}\n`;
    }).join("");
}
