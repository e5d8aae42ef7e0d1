/**
 * The relay's audit trail: one JSON line per decision in its own volume,
 *
 *   {"time","component":"relay","source":<agent>,"agent":<agent>|"-",
 *    "destination":<API host>,"decision":"allow"|"deny","reason":<kebab-case>,
 *    "bytes","method","chat"}
 *
 * `agent` is the agent the credential identified ("-" when none did; a
 * credential from another cell still names its agent, reason wrong-cell).
 *
 * (the proxy's lines use the same fields; `secureclaw audit` reads both).
 * Size-bounded: past maxBytes the file is rotated (audit.jsonl -> .1 -> .2 ...,
 * `keep` old files), so a flood of refusals can't fill the disk. Writes are
 * synchronous appends on one descriptor: a line is on disk before the answer
 * leaves, and lines never interleave.
 */
import { closeSync, existsSync, fstatSync, openSync, renameSync, rmSync, writeSync } from "node:fs";

export interface AuditLine {
    source: string;
    /** The agent the credential identified, or "-". */
    agent: string;
    destination: string;
    decision: "allow" | "deny";
    reason: string;
    bytes: number;
    method: string;
    chat?: string;
}

export class AuditLog {
    private fd: number;
    private size: number;
    private readonly path: string;
    private readonly maxBytes: number;
    private readonly keep: number;

    constructor(path: string, maxBytes = 10 * 1024 * 1024, keep = 3) {
        this.path = path;
        this.maxBytes = maxBytes;
        this.keep = keep;
        this.fd = openSync(path, "a", 0o640);
        this.size = fstatSync(this.fd).size;
    }

    write(line: AuditLine): void {
        const text = `${JSON.stringify({ time: new Date().toISOString(), component: "relay", ...line, chat: line.chat ?? null })}\n`;
        try {
            if (this.size + text.length > this.maxBytes) this.rotate();
            this.size += writeSync(this.fd, text);
        } catch (e) {
            // A full disk must not take the channel down; say so and keep serving.
            console.error(JSON.stringify({ event: "audit-log-error", message: (e as Error).message }));
        }
    }

    close(): void {
        closeSync(this.fd);
    }

    private rotate(): void {
        closeSync(this.fd);
        rmSync(`${this.path}.${this.keep}`, { force: true });
        for (let i = this.keep - 1; i >= 1; i--) if (existsSync(`${this.path}.${i}`)) renameSync(`${this.path}.${i}`, `${this.path}.${i + 1}`);
        renameSync(this.path, `${this.path}.1`);
        this.fd = openSync(this.path, "a", 0o640);
        this.size = 0;
    }
}
