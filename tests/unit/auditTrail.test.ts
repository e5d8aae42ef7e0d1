import { filterAuditTrail, formatAuditLines, readAuditTrail, type AuditEntry } from "../../components/audit/auditTrail";
import { parseAuditArgs } from "../../scripts/audit";

const line = (time: string, decision: string, reason: string, extra: Record<string, unknown> = {}) =>
    JSON.stringify({ time, component: "proxy", source: "10.201.0.5", destination: "x.example:443", decision, reason, bytes: 10, method: "CONNECT", ...extra });

describe("readAuditTrail", () => {
    const proxy = [line("2026-12-03T10:00:02.000Z", "deny", "not-allowlisted"), line("2026-12-03T10:00:04.000Z", "allow", "allowlisted")].join("\n");
    const relay = [line("2026-12-03T10:00:03.000Z", "allow", "forwarded", { component: "relay", chat: "123" }), "", "{\"cut short"].join("\n");
    const rotated = line("2026-12-03T10:00:01.000Z", "deny", "sni-mismatch");

    test("merges files by time, oldest first, and counts what is not a record", () => {
        const read = readAuditTrail([proxy, relay, rotated]);
        expect(read.entries.map((e) => `${e.component} ${e.reason}`)).toEqual(["proxy sni-mismatch", "proxy not-allowlisted", "relay forwarded", "proxy allowlisted"]);
        expect(read.unreadableLines).toBe(1);
    });

    test.each<[string, string]>([
        ["no time", JSON.stringify({ component: "proxy", source: "a", destination: "b", decision: "deny", reason: "r", bytes: 1 })],
        ["a time that is not one", line("yesterday", "deny", "r")],
        ["bytes that are not a number (a Squid '-')", line("2026-12-03T10:00:00Z", "deny", "r", { bytes: "-" })],
        ["not an object", "[1,2]"],
    ])("a line with %s is unreadable", (_title, text) => {
        expect(readAuditTrail([text])).toEqual({ entries: [], unreadableLines: 1 });
    });
});

describe("filterAuditTrail", () => {
    const entries = readAuditTrail([[
        line("2026-12-03T10:00:01.000Z", "deny", "sni-mismatch"),
        line("2026-12-03T10:00:02.000Z", "allow", "allowlisted", { source: "10.201.0.9" }),
        line("2026-12-03T10:00:03.000Z", "deny", "dropped", { component: "relay", source: "relay", agent: "main" }),
    ].join("\n")]).entries;
    const reasons = (list: AuditEntry[]) => list.map((e) => e.reason);

    test.each<[string, Parameters<typeof filterAuditTrail>[1], string[]]>([
        ["nothing", {}, ["sni-mismatch", "allowlisted", "dropped"]],
        ["--denied", { denied: true }, ["sni-mismatch", "dropped"]],
        ["--since", { since: new Date("2026-12-03T10:00:02.000Z") }, ["allowlisted", "dropped"]],
        ["--agent by address or by name", { agent: { name: "main", addresses: ["10.201.0.5"] } }, ["sni-mismatch", "dropped"]],
        ["all at once", { denied: true, since: new Date("2026-12-03T10:00:02.000Z"), agent: { name: "main", addresses: ["10.201.0.5"] } }, ["dropped"]],
    ])("%s", (_title, filter, expected) => {
        expect(reasons(filterAuditTrail(entries, filter))).toEqual(expected);
    });

    test("prints one JSON object a line", () => {
        const out = formatAuditLines(entries.slice(0, 2));
        expect(out.split("\n")).toHaveLength(3);
        expect(JSON.parse(out.split("\n")[0]).reason).toBe("sni-mismatch");
    });
});

describe("parseAuditArgs", () => {
    test.each<[string[], object]>([
        [["dev"], { stack: "dev", filter: {} }],
        [["dev", "--denied"], { stack: "dev", filter: { denied: true } }],
        [["dev", "--agent", "main", "--denied"], { stack: "dev", filter: { denied: true }, agentName: "main" }],
    ])("%j", (argv, expected) => {
        expect(parseAuditArgs(argv)).toEqual(expected);
    });

    test("--since takes the usage command's grammar", () => {
        expect(parseAuditArgs(["dev", "--since", "2026-12-03T09:00:00Z"]).filter.since!.toISOString()).toBe("2026-12-03T09:00:00.000Z");
        expect(() => parseAuditArgs(["dev", "--since", "yesterday"])).toThrow(/--since: expected a duration/);
    });

    test.each([[[]], [["--denied"]], [["dev", "--since"]], [["dev", "--agent"]], [["dev", "--all"]]])("refuses %j with the usage line", (argv) => {
        expect(() => parseAuditArgs(argv)).toThrow(/usage: npx ts-node --transpile-only scripts\/audit\.ts <stack>/);
    });
});
