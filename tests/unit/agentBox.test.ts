/**
 * The agent box's pure parts: the files of its config volume, its
 * environment and its tmpfs mounts, from plain settings. The container
 * around them is checked under mocks in program.test.ts.
 */
import { parse as parseYaml } from "yaml";
import { agentConfigFiles } from "../../components/agent/agentConfigFiles";
import { agentEnvironment } from "../../components/agent/agentEnvironment";
import { AgentSettings } from "../../components/agent/agentSettings";
import { agentTmpfs, SHADOWING_SKILL_DIRS } from "../../components/agent/agentTmpfs";
import { DEFAULT_DOOR_LIMITS } from "../../components/door/doorSettings";
import { AGENT_FILES } from "../../policy/contract/contract";

const base: AgentSettings = {
    agent: { memoryMb: 4096, cpus: 2, pids: 512, runtime: "runc", ...DEFAULT_DOOR_LIMITS },
    model: {
        size: "small",
        huggingFaceId: "Qwen/Qwen3-4B-Instruct-2507",
        servedName: "qwen3-4b",
        maxModelLen: 32768,
        tensorParallelSize: 1,
        gpuMemoryUtilization: 0.85,
        toolCallParser: "hermes",
        maxOutputTokens: 8192,
    },
    telegram: { enabled: true, allowFrom: ["123456789"], sendsPerMinute: 60, maxFileBytes: 1 << 20 },
    // Not the program's defaults, so a value that does not come from here shows.
    requestTimeoutSeconds: 900,
    gatewayUrl: "http://llm-gw.test:4100/v1",
    proxyUrl: "http://squid.test:3129",
    telegramRelayUrl: "http://tg-relay.test:8181",
};
const CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n";
const SECRETS = { gatewayKey: "sk-test-gw-key", telegramBotToken: "111:test-bot-token" };

type Json = Record<string, any>;
function files(s: AgentSettings): Record<string, { content: string; executable?: boolean }> {
    return Object.fromEntries(agentConfigFiles(s).map((f) => [f.path, f]));
}
const openclaw = (s: AgentSettings) => JSON.parse(files(s)[AGENT_FILES.openclaw].content) as Json;
const wrapper = (s: AgentSettings) => files(s)[AGENT_FILES.aiderWrapper].content;
const metadata = (s: AgentSettings) => JSON.parse(files(s)[AGENT_FILES.aiderMetadata].content) as Json;
const settings = (s: AgentSettings) => parseYaml(files(s)[AGENT_FILES.aiderSettings].content) as Json[];

describe("agentConfigFiles", () => {
    test("one file per AGENT_FILES entry, only the wrapper executable", () => {
        const list = agentConfigFiles(base);
        expect(list.map((f) => f.path).sort()).toEqual(Object.values(AGENT_FILES).sort());
        expect(list.filter((f) => f.executable).map((f) => f.path)).toEqual([AGENT_FILES.aiderWrapper]);
    });

    // [what, settings, value found in the files, expected]: each row fails if the setting stops reaching its file.
    test.each<[string, AgentSettings, (s: AgentSettings) => unknown, unknown]>([
        ["the timeout reaches OpenClaw", base, (s) => openclaw(s).models.providers.secureclaw.timeoutSeconds, 900],
        ["the timeout reaches Aider", base, (s) => /^REQUEST_TIMEOUT=(.*)$/m.exec(wrapper(s))?.[1], "900"],
        ["the gateway URL reaches OpenClaw", base, (s) => openclaw(s).models.providers.secureclaw.baseUrl, "http://llm-gw.test:4100/v1"],
        ["the gateway URL reaches Aider", base, (s) => /^GATEWAY_BASE_URL=(.*)$/m.exec(wrapper(s))?.[1], "http://llm-gw.test:4100/v1"],
        ["the Telegram channel calls the relay, not through the proxy", base, (s) => openclaw(s).channels.telegram.proxy, undefined],
        ["the allowlisted users reach the Telegram channel", base, (s) => openclaw(s).channels.telegram.allowFrom, ["123456789"]],
        ["the relay is the Telegram channel's API root", base, (s) => openclaw(s).channels.telegram.apiRoot, "http://tg-relay.test:8181"],
        ["the relay's API root, whatever the relay calls", { ...base, telegram: { ...base.telegram, apiRoot: "https://tg.test" } as AgentSettings["telegram"] }, (s) => openclaw(s).channels.telegram.apiRoot, "http://tg-relay.test:8181"],
        ["telegram off: no channel", { ...base, telegram: { enabled: false } }, (s) => openclaw(s).channels, undefined],
        ["the model is the gateway's alias", base, (s) => openclaw(s).agents.defaults.model.primary, "secureclaw/secureclaw-model"],
        ["the served name is shown", base, (s) => openclaw(s).models.providers.secureclaw.models[0].name, "qwen3-4b (local vLLM)"],
        ["the context reaches OpenClaw", base, (s) => openclaw(s).models.providers.secureclaw.models[0].contextWindow, 32768],
        ["the output cap reaches OpenClaw", base, (s) => openclaw(s).models.providers.secureclaw.models[0].maxTokens, 8192],
        ["the context reaches Aider", base, (s) => metadata(s)["openai/secureclaw-model"].max_input_tokens, 32768],
        ["the output cap reaches Aider", base, (s) => settings(s)[0].extra_params.max_tokens, 8192],
        ["the workspace is the contract's", base, (s) => openclaw(s).agents.defaults.workspace, "/workspace"],
        ["skills load from the config mount", base, (s) => openclaw(s).skills.load.extraDirs, ["/etc/openclaw/skills"]],
        ["no extra CA: a comment, so the file still replaces an old one", base, (s) => files(s)[AGENT_FILES.extraCa].content, "# no extra CA certificates\n"],
        ["an extra CA is written as given", { ...base, agent: { ...base.agent, extraCaCertificates: CA } }, (s) => files(s)[AGENT_FILES.extraCa].content, CA],
    ])("%s", (_what, s, pick, expected) => {
        expect(pick(s)).toEqual(expected);
    });

    test("no file holds a secret value, only the variables' names", () => {
        const text = agentConfigFiles(base).map((f) => f.content).join("\n");
        expect(text).not.toContain(SECRETS.gatewayKey);
        expect(text).not.toContain(SECRETS.telegramBotToken);
        expect(text).toContain("${SECURECLAW_GATEWAY_KEY}");
        expect(text).toContain("${TELEGRAM_BOT_TOKEN}");
    });
});

describe("agentEnvironment", () => {
    const env = (s: AgentSettings, secrets: { gatewayKey: string; telegramBotToken?: string } = SECRETS) =>
        Object.fromEntries(agentEnvironment(s, secrets).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

    // [what, settings, variable, expected value (undefined: absent)]
    test.each<[string, AgentSettings, string, string | undefined]>([
        ["the gateway key", base, "SECURECLAW_GATEWAY_KEY", SECRETS.gatewayKey],
        ["the relay credential when Telegram is on", base, "TELEGRAM_BOT_TOKEN", SECRETS.telegramBotToken],
        ["no bot token when Telegram is off", { ...base, telegram: { enabled: false } }, "TELEGRAM_BOT_TOKEN", undefined],
        ["HTTP_PROXY is the proxy", base, "HTTP_PROXY", "http://squid.test:3129"],
        ["HTTPS_PROXY is the proxy", base, "HTTPS_PROXY", "http://squid.test:3129"],
        ["http_proxy is the proxy", base, "http_proxy", "http://squid.test:3129"],
        ["https_proxy is the proxy", base, "https_proxy", "http://squid.test:3129"],
        ["NO_PROXY is the gateway's and the relay's hosts and loopback", base, "NO_PROXY", "llm-gw.test,tg-relay.test,localhost,127.0.0.1"],
        ["no_proxy too", base, "no_proxy", "llm-gw.test,tg-relay.test,localhost,127.0.0.1"],
        ["NO_PROXY follows the gateway URL", { ...base, gatewayUrl: "http://model-gateway:4000/v1" }, "NO_PROXY", "model-gateway,tg-relay.test,localhost,127.0.0.1"],
        ["no relay in NO_PROXY when Telegram is off", { ...base, telegram: { enabled: false } }, "NO_PROXY", "llm-gw.test,localhost,127.0.0.1"],
        ["OpenClaw reads the mounted config", base, "OPENCLAW_CONFIG_PATH", "/etc/openclaw/openclaw.json"],
        ["OpenClaw keeps state in the state volume", base, "OPENCLAW_STATE_DIR", "/var/lib/openclaw"],
        ["OpenClaw can't rewrite its config", base, "OPENCLAW_CONFIG_READONLY", "1"],
        ["no auto-update", base, "OPENCLAW_NO_AUTO_UPDATE", "1"],
        ["offline", base, "OPENCLAW_OFFLINE", "1"],
        ["no Bonjour", base, "OPENCLAW_DISABLE_BONJOUR", "1"],
        ["no tracking", base, "DO_NOT_TRACK", "1"],
        ["HOME is the tmpfs", base, "HOME", "/home/node"],
        ["no extra CA, no NODE_EXTRA_CA_CERTS", base, "NODE_EXTRA_CA_CERTS", undefined],
        ["an extra CA is trusted from the config mount", { ...base, agent: { ...base.agent, extraCaCertificates: CA } }, "NODE_EXTRA_CA_CERTS", "/etc/openclaw/ca/extra.pem"],
    ])("%s", (_what, s, name, expected) => {
        expect(env(s)[name]).toBe(expected);
    });

    test("nothing else: every variable is one of the rows above", () => {
        const names = agentEnvironment({ ...base, agent: { ...base.agent, extraCaCertificates: CA } }, SECRETS).map((e) => e.slice(0, e.indexOf("=")));
        expect(names).toEqual([
            "SECURECLAW_GATEWAY_KEY", "TELEGRAM_BOT_TOKEN",
            "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "NO_PROXY", "no_proxy",
            "OPENCLAW_CONFIG_PATH", "OPENCLAW_STATE_DIR", "OPENCLAW_CONFIG_READONLY",
            "OPENCLAW_NO_AUTO_UPDATE", "OPENCLAW_OFFLINE", "OPENCLAW_DISABLE_BONJOUR", "DO_NOT_TRACK",
            "HOME", "NODE_EXTRA_CA_CERTS",
        ]);
    });

    test("a gateway URL that is not a URL is refused", () => {
        expect(() => agentEnvironment({ ...base, gatewayUrl: "model-gateway" }, SECRETS)).toThrow();
    });
});

describe("agentTmpfs", () => {
    const mounts = agentTmpfs();

    test.each<[string, RegExp]>([
        ["/tmp", /^rw,nosuid,nodev,size=512m,noexec$/],
        ["/home/node", /^rw,nosuid,nodev,size=256m,uid=1000,gid=1000$/],
        ["/workspace/skills", /^ro,nosuid,nodev,noexec,size=1k$/],
        ["/workspace/.agents/skills", /^ro,nosuid,nodev,noexec,size=1k$/],
        ["/var/lib/openclaw/skills", /^ro,nosuid,nodev,noexec,size=1k$/],
    ])("%s: %s", (path, options) => {
        expect(mounts[path]).toMatch(options);
    });

    test("nothing else", () => {
        expect(Object.keys(mounts).sort()).toEqual(["/home/node", "/tmp", ...SHADOWING_SKILL_DIRS].sort());
    });
});
