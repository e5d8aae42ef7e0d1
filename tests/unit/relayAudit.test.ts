import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { AuditLog } from "../../images/relay/src/audit";

describe("the relay's audit log", () => {
    test("one JSON line per decision with the shared fields; size-bounded: rotated to .1 .. .3, the oldest dropped", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-audit-"));
        const file = path.join(dir, "audit.jsonl");
        const log = new AuditLog(file, 1000, 3);
        for (let i = 0; i < 100; i++) log.write({ source: "main", agent: "main", destination: "api.telegram.org", decision: i % 2 ? "deny" : "allow", reason: "forwarded", bytes: i, method: "sendMessage", chat: String(i) });
        log.close();
        expect(fs.readdirSync(dir).sort()).toEqual(["audit.jsonl", "audit.jsonl.1", "audit.jsonl.2", "audit.jsonl.3"]);
        for (const name of fs.readdirSync(dir)) expect(fs.statSync(path.join(dir, name)).size).toBeLessThanOrEqual(1000);
        const last = fs.readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l)).pop();
        expect(last).toEqual({ time: expect.stringMatching(/^\d{4}-\d\d-\d\dT/), component: "relay", source: "main", agent: "main", destination: "api.telegram.org", decision: "deny", reason: "forwarded", bytes: 99, method: "sendMessage", chat: "99" });
        // Newest first: .1 holds lines just before the current file's.
        const first = (name: string) => JSON.parse(fs.readFileSync(path.join(dir, name), "utf8").split("\n")[0]).bytes;
        expect(first("audit.jsonl.1")).toBeGreaterThan(first("audit.jsonl.2"));
    });

    test("a reopened log keeps counting from its size, so a restart does not reset the bound", () => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "relay-audit-"));
        const file = path.join(dir, "audit.jsonl");
        fs.writeFileSync(file, "x".repeat(990) + "\n");
        const log = new AuditLog(file, 1000, 3);
        log.write({ source: "main", agent: "main", destination: "api.telegram.org", decision: "allow", reason: "forwarded", bytes: 1, method: "getMe" });
        log.close();
        expect(fs.existsSync(`${file}.1`)).toBe(true);
    });
});
