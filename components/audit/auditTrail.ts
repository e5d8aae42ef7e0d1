/**
 * The audit trail read back: JSON lines from every component that decides on
 * egress (the proxy, the Telegram relay; see AUDIT in policy/contract),
 * merged by time and filtered. Pure: scripts/audit.ts reads the files out of
 * the stack's labelled volumes and prints formatAuditLines(...).
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
    [field: string]: unknown;
}

export interface AuditFilter {
    /** Only refusals. */
    denied?: boolean;
    /** Only lines at or after this moment. */
    since?: Date;
    /** Only lines from these source addresses (an agent's), or naming this agent. */
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

export function filterAuditTrail(entries: AuditEntry[], filter: AuditFilter): AuditEntry[] {
    return entries.filter((e) =>
        (!filter.denied || e.decision === "deny") &&
        (!filter.since || Date.parse(e.time) >= filter.since.getTime()) &&
        (!filter.agent || e.agent === filter.agent.name || filter.agent.addresses.includes(e.source)));
}

/** One JSON object a line, as the components wrote them. */
export function formatAuditLines(entries: AuditEntry[]): string {
    return entries.map((e) => `${JSON.stringify(e)}\n`).join("");
}
