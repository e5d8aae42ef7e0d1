import { DEFAULT_DOOR_LIMITS, DEFAULT_MAX_BODY_BYTES, DoorAgent, DoorSettingsInput, renderDoorSettings } from "../../components/door/doorSettings";

const main: DoorAgent = { name: "main", model: "secureclaw-model", maxOutputTokens: 8192, limits: DEFAULT_DOOR_LIMITS, sources: ["10.89.1.0/24", "10.89.0.0/24", "10.89.1.0/24"] };
const input: DoorSettingsInput = { agents: [main], requestTimeoutSeconds: 600, maxBodyBytes: DEFAULT_MAX_BODY_BYTES };
const parsed = JSON.parse(renderDoorSettings(input));

describe("renderDoorSettings", () => {
    test.each<[string, (s: any) => unknown, unknown]>([
        ["format version", (s) => s.version, 1],
        ["body cap", (s) => s.maxBodyBytes, 4 * 1024 * 1024],
        ["upstream timeout", (s) => s.requestTimeoutSeconds, 600],
        ["agents by name", (s) => Object.keys(s.agents), ["main"]],
        ["the agent's model", (s) => s.agents.main.model, "secureclaw-model"],
        ["the agent's output cap", (s) => s.agents.main.maxOutputTokens, 8192],
        ["requests per minute", (s) => s.agents.main.limits.requestsPerMinute, 120],
        ["tokens per minute", (s) => s.agents.main.limits.tokensPerMinute, 1_000_000],
        ["tokens per day", (s) => s.agents.main.limits.tokensPerDay, 50_000_000],
        ["concurrent requests", (s) => s.agents.main.limits.concurrentRequests, 4],
        ["the agent's cell subnets, sorted, once each", (s) => s.agents.main.sources, ["10.89.0.0/24", "10.89.1.0/24"]],
        ["nothing else per agent", (s) => Object.keys(s.agents.main), ["model", "maxOutputTokens", "limits", "sources"]],
        ["calls in flight over all agents, default", (s) => s.maxConcurrentCalls, 8],
        ["nothing else at the top", (s) => Object.keys(s), ["version", "maxBodyBytes", "requestTimeoutSeconds", "maxConcurrentCalls", "agents"]],
    ])("%s", (_title, pick, expected) => {
        expect(pick(parsed)).toEqual(expected);
    });

    test("holds no credential or key: only names, models and numbers", () => {
        expect(renderDoorSettings(input)).not.toMatch(/sk-|key|secret|credential/i);
    });

    test("is the same text whatever order the agents come in (no spurious writer replacement)", () => {
        const bob = { ...main, name: "bob" };
        expect(renderDoorSettings({ ...input, agents: [main, bob] })).toBe(renderDoorSettings({ ...input, agents: [bob, main] }));
    });

    test.each<[string, Partial<DoorSettingsInput>, RegExp]>([
        ["no agents", { agents: [] }, /at least one agent/],
        ["an agent name with capitals", { agents: [{ ...main, name: "Main" }] }, /lowercase/],
        ["an agent name with a slash", { agents: [{ ...main, name: "a/b" }] }, /lowercase/],
        ["an agent name too long", { agents: [{ ...main, name: "a".repeat(33) }] }, /≤ 32/],
        ["the same agent twice", { agents: [main, main] }, /listed twice/],
        ["an empty model", { agents: [{ ...main, model: "" }] }, /model is empty/],
        ["a zero limit", { agents: [{ ...main, limits: { ...DEFAULT_DOOR_LIMITS, concurrentRequests: 0 } }] }, /concurrentRequests/],
        ["a fractional cap", { agents: [{ ...main, maxOutputTokens: 1.5 }] }, /maxOutputTokens/],
        ["an agent with no cell", { agents: [{ ...main, sources: [] }] }, /agent main: sources is empty; give the agent's cell subnet, e.g. \["10\.89\.0\.0\/24"\]/],
        ["a source that is an address, not a subnet", { agents: [{ ...main, sources: ["10.89.0.5"] }] }, /source "10\.89\.0\.5" is not an IPv4 subnet/],
        ["a source with host bits set", { agents: [{ ...main, sources: ["10.89.0.5/24"] }] }, /source "10\.89\.0\.5\/24" is not an IPv4 subnet with its host bits zero/],
        ["an IPv6 source", { agents: [{ ...main, sources: ["fd00::/64"] }] }, /source "fd00::\/64"/],
        ["a zero timeout", { requestTimeoutSeconds: 0 }, /requestTimeoutSeconds/],
        ["a negative body cap", { maxBodyBytes: -1 }, /maxBodyBytes/],
        ["no calls in flight", { maxConcurrentCalls: 0 }, /maxConcurrentCalls/],
    ])("refuses %s", (_title, change, message) => {
        expect(() => renderDoorSettings({ ...input, ...change })).toThrow(message);
    });
});
