/**
 * Summarises the door's usage log (JSON lines, see
 * images/door/src/usageLog.ts) per agent. Pure: the `usage` command reads
 * the file out of the door's volume and prints formatUsageTable(...).
 */

/** One agent's totals over the lines read. */
export interface AgentUsage {
    agent: string;
    /** Requests forwarded to the model. */
    requests: number;
    /** Requests the door refused (limits, rules), keyed by reason. */
    refused: Record<string, number>;
    promptTokens: number;
    completionTokens: number;
    /** Forwarded requests whose tokens are the door's estimate (the response reported none). */
    estimated: number;
    /** ISO times of the first and last line counted. */
    first: string;
    last: string;
}

export interface UsageSummary {
    agents: AgentUsage[];
    /** Lines that were not a usage record (e.g. one cut short by a crash). */
    unreadableLines: number;
}

interface UsageLine {
    time: string;
    agent: string;
    prompt_tokens: number;
    completion_tokens: number;
    estimated?: boolean;
    refused?: string;
    /** Refusals this line stands for (the door writes them in batches). */
    count?: number;
}

export function summariseUsage(jsonl: string, options: { since?: Date } = {}): UsageSummary {
    const byAgent = new Map<string, AgentUsage>();
    let unreadableLines = 0;
    for (const text of jsonl.split("\n")) {
        if (text.trim() === "") continue;
        const line = parseLine(text);
        if (line === undefined) {
            unreadableLines++;
            continue;
        }
        if (options.since && Date.parse(line.time) < options.since.getTime()) continue;
        let row = byAgent.get(line.agent);
        if (!row) {
            row = { agent: line.agent, requests: 0, refused: {}, promptTokens: 0, completionTokens: 0, estimated: 0, first: line.time, last: line.time };
            byAgent.set(line.agent, row);
        }
        if (line.time < row.first) row.first = line.time;
        if (line.time > row.last) row.last = line.time;
        if (line.refused !== undefined) {
            row.refused[line.refused] = (row.refused[line.refused] ?? 0) + (line.count ?? 1);
            continue;
        }
        row.requests++;
        row.promptTokens += line.prompt_tokens;
        row.completionTokens += line.completion_tokens;
        if (line.estimated) row.estimated++;
    }
    return { agents: [...byAgent.values()].sort((a, b) => a.agent.localeCompare(b.agent)), unreadableLines };
}

function parseLine(text: string): UsageLine | undefined {
    let value: unknown;
    try {
        value = JSON.parse(text);
    } catch {
        return undefined;
    }
    const v = value as Partial<UsageLine> | null;
    const ok = v !== null && typeof v === "object" && typeof v.agent === "string" && typeof v.time === "string" && !Number.isNaN(Date.parse(v.time))
        && typeof v.prompt_tokens === "number" && typeof v.completion_tokens === "number";
    return ok ? (v as UsageLine) : undefined;
}

/** A plain-text table, one row per agent, for a terminal. */
export function formatUsageTable(summary: UsageSummary): string {
    const header = ["agent", "requests", "prompt tokens", "completion tokens", "refused", "since"];
    const rows = summary.agents.map((a) => [
        a.agent,
        String(a.requests),
        String(a.promptTokens),
        String(a.completionTokens),
        Object.entries(a.refused).sort(([x], [y]) => x.localeCompare(y)).map(([why, n]) => `${why} ${n}`).join(", ") || "0",
        a.first,
    ]);
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
    const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i])).join("  ").trimEnd();
    const notes = [
        ...(summary.agents.some((a) => a.estimated > 0) ? ["some calls reported no usage; their tokens are the door's estimate"] : []),
        ...(summary.unreadableLines > 0 ? [`${summary.unreadableLines} unreadable line(s) skipped`] : []),
    ];
    return [line(header), ...rows.map(line), ...notes].join("\n") + "\n";
}
