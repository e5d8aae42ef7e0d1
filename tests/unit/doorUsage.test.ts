import { formatUsageTable, summariseUsage } from "../../components/door/usageSummary";

const line = (o: Record<string, unknown>) => JSON.stringify({ route: "/v1/chat/completions", status: 200, stream: false, ms: 5, prompt_tokens: 0, completion_tokens: 0, ...o });
const LOG = [
    line({ time: "2026-12-01T10:00:00.000Z", agent: "main", prompt_tokens: 100, completion_tokens: 20 }),
    line({ time: "2026-12-02T10:00:00.000Z", agent: "main", prompt_tokens: 50, completion_tokens: 5, stream: true }),
    line({ time: "2026-12-02T11:00:00.000Z", agent: "main", status: 429, refused: "requests_per_minute" }),
    line({ time: "2026-12-02T11:00:01.000Z", agent: "main", status: 429, refused: "requests_per_minute", count: 5 }),
    line({ time: "2026-12-02T12:00:00.000Z", agent: "bob", prompt_tokens: 900, estimated: true, status: 499 }),
    '{"time":"2026-12-02T12:00:00.000Z","agent":"bob","prompt_tok', // cut short by a crash
    "",
].join("\n");

describe("summariseUsage", () => {
    const summary = summariseUsage(LOG);
    const main = summary.agents.find((a) => a.agent === "main")!;
    const bob = summary.agents.find((a) => a.agent === "bob")!;

    test.each<[string, () => unknown, unknown]>([
        ["agents, sorted by name", () => summary.agents.map((a) => a.agent), ["bob", "main"]],
        ["forwarded requests", () => [main.requests, bob.requests], [2, 1]],
        ["prompt tokens", () => [main.promptTokens, bob.promptTokens], [150, 900]],
        ["completion tokens", () => [main.completionTokens, bob.completionTokens], [25, 0]],
        ["refusals by reason (a batched line counts as many), not counted as requests", () => main.refused, { requests_per_minute: 6 }],
        ["estimated calls", () => [main.estimated, bob.estimated], [0, 1]],
        ["time span", () => [main.first, main.last], ["2026-12-01T10:00:00.000Z", "2026-12-02T11:00:01.000Z"]],
        ["unreadable lines are counted, not fatal", () => summary.unreadableLines, 1],
    ])("%s", (_title, pick, expected) => {
        expect(pick()).toEqual(expected);
    });

    test("since: only lines from then on", () => {
        const recent = summariseUsage(LOG, { since: new Date("2026-12-02T00:00:00Z") });
        expect(recent.agents.find((a) => a.agent === "main")).toMatchObject({ requests: 1, promptTokens: 50, completionTokens: 5 });
    });

    test("an empty log is an empty summary", () => {
        expect(summariseUsage("")).toEqual({ agents: [], unreadableLines: 0 });
    });

    test("formatUsageTable: one row per agent, refusals by reason, and notes for estimates and skipped lines", () => {
        const table = formatUsageTable(summary).split("\n");
        expect(table[0]).toMatch(/^agent\s+requests\s+prompt tokens\s+completion tokens\s+refused\s+since$/);
        expect(table[1]).toMatch(/^bob\s+1\s+900\s+0\s+0\s+2026-12-02T12:00:00.000Z$/);
        expect(table[2]).toMatch(/^main\s+2\s+150\s+25\s+requests_per_minute 6\s+2026-12-01T10:00:00.000Z$/);
        expect(table).toContain("some calls reported no usage; their tokens are the door's estimate");
        expect(table).toContain("1 unreadable line(s) skipped");
    });
});
