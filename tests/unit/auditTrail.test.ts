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

    // scripts/audit.ts passes addresses for the default agent only (the one agent before cells).
    test.each<[string, string, string[], string[]]>([
        ["a proxy line names its cell's agent; the relay's names it in source", "alice", [], ["cell alice", "relay alice"]],
        ["bob's lines", "bob", [], ["cell bob"]],
        ["a line naming an agent or '-' (no cell) is not matched by address; a line from before cells is", "main", ["10.201.0.5"], ["before cells"]],
    ])("--agent with cells: %s", (_title, name, addresses, expected) => {
        const withCells = readAuditTrail([[
            line("2026-12-03T11:00:01.000Z", "allow", "cell alice", { source: "10.89.5.3", agent: "alice" }),
            line("2026-12-03T11:00:02.000Z", "deny", "cell bob", { source: "10.201.0.5", agent: "bob" }),
            line("2026-12-03T11:00:03.000Z", "deny", "unknown-source", { source: "10.201.0.5", agent: "-" }),
            line("2026-12-03T11:00:04.000Z", "deny", "relay alice", { component: "relay", source: "alice" }),
            line("2026-12-03T11:00:05.000Z", "deny", "before cells"),
        ].join("\n")]).entries;
        expect(reasons(filterAuditTrail(withCells, { agent: { name, addresses } }))).toEqual(expected);
    });

    test("every printed line has an agent column right after source: the proxy's own, the relay's source, or '-'", () => {
        const printed = formatAuditLines(readAuditTrail([[
            line("2026-12-03T11:00:01.000Z", "allow", "allowlisted", { agent: "alice" }),
            line("2026-12-03T11:00:02.000Z", "deny", "dropped", { component: "relay", source: "bob", chat: "1" }),
            line("2026-12-03T11:00:03.000Z", "deny", "not-allowlisted"),
        ].join("\n")]).entries).trim().split("\n").map((l) => JSON.parse(l));
        expect(printed.map((p) => p.agent)).toEqual(["alice", "bob", "-"]);
        for (const p of printed) expect(Object.keys(p).slice(0, 4)).toEqual(["time", "component", "source", "agent"]);
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

    test("--agent takes an agent name", () => {
        expect(parseAuditArgs(["dev", "--agent", "team-a"]).agentName).toBe("team-a");
        expect(() => parseAuditArgs(["dev", "--agent", "Alice"])).toThrow(/--agent "Alice": an agent name is lowercase/);
    });

    test("--since takes the usage command's grammar", () => {
        expect(parseAuditArgs(["dev", "--since", "2026-12-03T09:00:00Z"]).filter.since!.toISOString()).toBe("2026-12-03T09:00:00.000Z");
        expect(() => parseAuditArgs(["dev", "--since", "yesterday"])).toThrow(/--since: expected a duration/);
    });

    test.each([[[]], [["--denied"]], [["dev", "--since"]], [["dev", "--agent"]], [["dev", "--all"]]])("refuses %j with the usage line", (argv) => {
        expect(() => parseAuditArgs(argv)).toThrow(/usage: npx ts-node --transpile-only scripts\/audit\.ts <stack>/);
    });
});
