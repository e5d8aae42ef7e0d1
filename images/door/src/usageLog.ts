/**
 * Usage per agent, one JSON line per request in a writable volume
 * (components/door/usageSummary.ts reads them). Appends go through one write
 * stream, so the hot path never waits on the disk.
 *
 * A line: {"time","agent","route","status","stream","prompt_tokens",
 * "completion_tokens","estimated"?,"refused"?,"count"?,"ms"}. `estimated`
 * marks a call whose response carried no usage (an aborted stream): it is
 * charged its reservation. `refused` names the limit or rule that stopped
 * requests before the upstream, `count` how many since the last such line:
 * refusals are not bounded by any limit, so they are written as one line per
 * agent, route, status and reason every REFUSALS_FLUSH_MS, never one per
 * request (a hijacked agent must not fill the disk by knocking).
 */
import { createReadStream, createWriteStream, type WriteStream } from "node:fs";
import { access } from "node:fs/promises";
import { createInterface } from "node:readline";

const REFUSALS_FLUSH_MS = 2000;

export interface UsageRecord {
    time: string;
    agent: string;
    route: string;
    status: number;
    stream: boolean;
    prompt_tokens: number;
    completion_tokens: number;
    estimated?: true;
    refused?: string;
    count?: number;
    ms: number;
}

export class UsageLog {
    private readonly out: WriteStream;
    /** Refusals since the last flush, by agent, route, status and reason. */
    private readonly refusals = new Map<string, { agent: string; route: string; status: number; refused: string; count: number }>();
    private readonly flushTimer: NodeJS.Timeout;

    private constructor(out: WriteStream) {
        this.out = out;
        this.flushTimer = setInterval(() => this.flushRefusals(), REFUSALS_FLUSH_MS);
        this.flushTimer.unref();
    }

    /** Opens (creating) the log for appending; rejects if the path is not writable. */
    static open(path: string): Promise<UsageLog> {
        return new Promise((resolve, reject) => {
            const out = createWriteStream(path, { flags: "a", mode: 0o640 });
            out.once("error", reject);
            out.once("open", () => {
                out.off("error", reject);
                // A full disk must not take the model path down; say so and keep serving.
                out.on("error", (e) => console.error(JSON.stringify({ event: "usage-log-error", message: e.message })));
                resolve(new UsageLog(out));
            });
        });
    }

    /** A forwarded request. */
    record(entry: UsageRecord): void {
        this.out.write(`${JSON.stringify(entry)}\n`);
    }

    /** A request refused before the upstream; counted, and written with the next flush. */
    refuse(agent: string, route: string, status: number, refused: string): void {
        const key = `${agent} ${route} ${status} ${refused}`;
        const entry = this.refusals.get(key);
        if (entry) entry.count++;
        else this.refusals.set(key, { agent, route, status, refused, count: 1 });
    }

    close(): Promise<void> {
        clearInterval(this.flushTimer);
        this.flushRefusals();
        return new Promise((resolve) => this.out.end(resolve));
    }

    private flushRefusals(): void {
        const time = new Date().toISOString();
        for (const r of this.refusals.values()) {
            this.record({ time, agent: r.agent, route: r.route, status: r.status, stream: false, prompt_tokens: 0, completion_tokens: 0, refused: r.refused, count: r.count, ms: 0 });
        }
        this.refusals.clear();
    }
}

/** Forwarded requests recorded since `sinceMs`, oldest first: what the limits replay after a restart. */
export async function readUsageSince(path: string, sinceMs: number): Promise<UsageRecord[]> {
    try {
        await access(path);
    } catch {
        return [];
    }
    const recent: UsageRecord[] = [];
    const lines = createInterface({ input: createReadStream(path, { encoding: "utf8" }), crlfDelay: Infinity });
    for await (const line of lines) {
        let entry: UsageRecord;
        try {
            entry = JSON.parse(line);
        } catch {
            continue; // a line cut short by a crash
        }
        if (entry.refused === undefined && Date.parse(entry.time) >= sinceMs) recent.push(entry);
    }
    return recent;
}
