import { derivedSubnet } from "../../config/agents";
import { ConfigError, validateConfig } from "../../config/validate";
import { RawConfig, SecretKey, SecretPresence } from "../../config/schema";

const BASE: SecretKey[] = ["gatewayMasterKey", "vllmApiKey"];
const TG = { enabled: true, allowFrom: ["111"] };

/** Presence of the stack's secrets and of per-agent bot tokens (with made-up bot ids). */
function secrets(options: { stackBot?: string; agentBots?: Record<string, string>; plaintextAgents?: boolean } = {}): SecretPresence {
    const botIds = new Map<string, string>(Object.entries(options.agentBots ?? {}));
    if (options.stackBot) botIds.set("", options.stackBot);
    return {
        present: new Set<SecretKey>([...BASE, ...(options.stackBot ? ["telegramBotToken" as const] : [])]),
        plaintext: new Set(),
        agentTokens: { present: new Set(Object.keys(options.agentBots ?? {})), plaintext: options.plaintextAgents ?? false, botIds },
    };
}

function problemsOf(raw: RawConfig, presence = secrets()): ConfigError["problems"] {
    try {
        validateConfig("dev", raw, presence);
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
    return [];
}

describe("the agents map", () => {
    test("without it, the stack has one agent, main, on the enclave subnet, with the stack-wide sections", () => {
        const config = validateConfig("dev", { egress: { allowlist: ["pypi.org"] }, agent: { memoryMb: 2048 } }, secrets());
        expect(config.agents).toEqual([expect.objectContaining({
            name: "main", allowlist: ["pypi.org"], subnet: "10.89.0.0/24", workspace: "secureclaw-dev-workspace", botToken: "none",
            agent: expect.objectContaining({ memoryMb: 2048 }),
        })]);
    });

    test("each entry overrides the stack-wide sections field by field; the allowlist is replaced, not merged", () => {
        const config = validateConfig("dev", {
            egress: { allowlist: ["pypi.org"] },
            agent: { memoryMb: 2048, requestsPerMinute: 30 },
            agents: { alice: { egress: { allowlist: ["github.com"] }, agent: { requestsPerMinute: 5, runtime: "runsc" } }, bob: {} },
        }, secrets());
        const [alice, bob] = config.agents;
        expect(alice).toMatchObject({ name: "alice", allowlist: ["github.com"], agent: { memoryMb: 2048, requestsPerMinute: 5, runtime: "runsc" }, workspace: "secureclaw-dev-workspace-alice", subnet: derivedSubnet("alice") });
        expect(bob).toMatchObject({ name: "bob", allowlist: ["pypi.org"], agent: { memoryMb: 2048, requestsPerMinute: 30, runtime: "runc" } });
    });

    test("an entry named main keeps the single-agent names and the enclave subnet", () => {
        const config = validateConfig("dev", { agents: { main: {}, alice: { subnet: "10.90.7.0/24", workspace: "alice-code" } } }, secrets());
        expect(config.agents.map((a) => [a.name, a.subnet, a.workspace])).toEqual([["alice", "10.90.7.0/24", "alice-code"], ["main", "10.89.0.0/24", "secureclaw-dev-workspace"]]);
    });

    test("a derived subnet depends on the name alone, so adding an agent never moves another", () => {
        const two = validateConfig("dev", { agents: { alice: {}, bob: {} } }, secrets()).agents;
        const three = validateConfig("dev", { agents: { alice: {}, bob: {}, carol: {} } }, secrets()).agents;
        expect(three.filter((a) => a.name !== "carol").map((a) => a.subnet)).toEqual(two.map((a) => a.subnet));
    });

    test("Telegram: each agent its own bot; the stack's token serves one agent", () => {
        const config = validateConfig("dev", { telegram: TG, agents: { alice: {}, bob: { telegram: { allowFrom: ["222"] } }, carol: { telegram: { enabled: false } } } },
            secrets({ stackBot: "100", agentBots: { bob: "200" } }));
        expect(config.agents.map((a) => [a.name, a.botToken, a.telegram.enabled && a.telegram.allowFrom])).toEqual([["alice", "stack", ["111"]], ["bob", "own", ["222"]], ["carol", "none", false]]);
    });
});

const REJECTIONS: Array<[string, RawConfig, SecretPresence, string, RegExp, RegExp]> = [
    ["an allowlist entry of one agent, at its full key path", { agents: { alice: { egress: { allowlist: ["pypi.org", "github.com", "*.evil.com"] } } } }, secrets(), "secureclaw:agents.alice.egress.allowlist[2]", /wildcard|suffix|\*/, /agents\.alice\.egress\.allowlist\[2\]' \.evil\.com$/],
    ["an agent name Docker and Squid can't carry", { agents: { Alice_1: {} } }, secrets(), "secureclaw:agents.Alice_1", /lower-case letters/, /agents\.alice/],
    ["an empty map", { agents: {} }, secrets(), "secureclaw:agents", /1 to 32/, /agents\.alice/],
    ["an unknown per-agent setting", { agents: { alice: { memoryMb: 1024 } } }, secrets(), "secureclaw:agents.alice.memoryMb", /not a known setting/, /config rm --path 'secureclaw:agents\.alice\.memoryMb'/],
    ["a per-agent limit out of range, with the stack's right value at the agent's key", { agents: { alice: { agent: { memoryMb: 10 } } } }, secrets(), "secureclaw:agents.alice.agent.memoryMb", /from 512/, /agents\.alice\.agent\.memoryMb' 4096$/],
    ["runsc with too little memory for one agent", { agents: { alice: { agent: { runtime: "runsc", memoryMb: 1024 } } } }, secrets(), "secureclaw:agents.alice.agent.memoryMb", /needs at least 1408/, /2048/],
    ["a model the stack does not serve", { agents: { alice: { model: "gpt-4o" } } }, secrets(), "secureclaw:agents.alice.model", /does not serve/, /agents\.alice\.model' qwen3-4b/],
    ["a cell subnet on the stack's networks", { agents: { alice: { subnet: "10.89.2.0/24" } } }, secrets(), "secureclaw:agents.alice.subnet", /overlaps network\.modelSubnet/, /agents\.alice\.subnet' 10\.89\.5\.0\/24$/],
    ["two cells on one subnet", { agents: { alice: { subnet: "10.90.1.0/24" }, bob: { subnet: "10.90.1.0/25" } } }, secrets(), "secureclaw:agents.bob.subnet", /overlaps agents\.alice\.subnet/, /agents\.bob\.subnet'/],
    ["two agents on one workspace", { agents: { alice: { workspace: "code" }, bob: { workspace: "code" } } }, secrets(), "secureclaw:agents.bob.workspace", /agent alice's workspace too/, /code-bob/],
    ["the Telegram API host on one agent's allowlist", { agents: { alice: { egress: { allowlist: ["api.telegram.org"] } } } }, secrets(), "secureclaw:agents.alice.egress.allowlist[0]", /relay/, /telegram\.enabled/],
    ["two agents on the stack's one bot", { telegram: TG, agents: { alice: {}, bob: {} } }, secrets({ stackBot: "100" }), "secureclaw:agents.bob.telegram.botToken", /same bot \(100\) as agent alice/, /--secret --path 'secureclaw:agents\.bob\.telegram\.botToken'/],
    ["two agents on the same bot by two tokens", { telegram: TG, agents: { alice: {}, bob: {} } }, secrets({ agentBots: { alice: "300", bob: "300" } }), "secureclaw:agents.bob.telegram.botToken", /same bot \(300\)/, /agents\.bob\.telegram\.botToken/],
    ["an agent on Telegram with no token at all", { agents: { alice: { telegram: TG } } }, secrets(), "secureclaw:agents.alice.telegram.botToken", /is required/, /--secret --path/],
    ["a per-agent token stored in plain text", { telegram: TG, agents: { alice: {} } }, secrets({ agentBots: { alice: "300" }, plaintextAgents: true }), "secureclaw:agents", /plain text/, /--secret --path/],
    ["a stack-wide Telegram setting set per agent", { telegram: TG, agents: { alice: { telegram: { apiRoot: "https://x.example" } } } }, secrets({ stackBot: "100" }), "secureclaw:agents.alice.telegram.apiRoot", /not a known setting/, /config rm/],
    ["a pinned host on no agent's allowlist", { egress: { pinnedHosts: { "git.lan": "10.0.0.9" } }, agents: { alice: { egress: { allowlist: ["pypi.org"] } } } }, secrets(), 'secureclaw:egress.pinnedHosts["git.lan"]', /no agent's allowlist/, /agents\.alice\.egress\.allowlist\[1\]' git\.lan$/],
];

describe("the agents map rejects, at the agent's key path, before anything is created", () => {
    test.each(REJECTIONS)("%s", (_title, raw, presence, key, problem, example) => {
        const problems = problemsOf(raw, presence);
        const match = problems.find((p) => p.key === key);
        expect(problems.map((p) => p.key)).toContain(key);
        expect(match!.problem).toMatch(problem);
        expect(match!.example).toMatch(example);
    });

    test("a pinned host on one agent's allowlist is accepted (pins are judged against every agent)", () => {
        expect(problemsOf({ egress: { pinnedHosts: { "git.lan": "10.0.0.9" } }, agents: { alice: { egress: { allowlist: ["pypi.org"] } }, bob: { egress: { allowlist: ["git.lan"] } } } })).toEqual([]);
    });
});
