import { spawnSync } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import {
    BASE_PLUGINS,
    DENIED_TOOLS,
    OpenClawConfigInput,
    renderOpenClawConfig,
} from "../../components/agent/openclawConfig";

// Distinctive fake secrets. The renderer must never see or emit them; they are
// put in the environment to catch a renderer that reads env values.
const FAKE_GATEWAY_KEY = "sk-FAKE-gw-7c1e0b9d-should-never-render";
const FAKE_BOT_TOKEN = "999999:FAKE-tg-token-should-never-render";

const base: OpenClawConfigInput = {
    gatewayBaseUrl: "http://model-gateway:4000/v1",
    gatewayApiKeyEnv: "SECURECLAW_GATEWAY_KEY",
    model: { id: "secureclaw-model", displayName: "Test model", contextWindow: 32768, maxTokens: 4096, reasoning: false },
    requestTimeoutSeconds: 300,
    workspaceDir: "/workspace",
    skillsDir: "/etc/openclaw/skills",
};
const withTelegram: OpenClawConfigInput = {
    ...base,
    telegram: {
        botTokenEnv: "TELEGRAM_BOT_TOKEN",
        allowFrom: ["123456789", "987654321"],
        proxyUrl: "http://egress-proxy:3128",
        apiRoot: "https://tg-relay.example.net:8443",
    },
};

type Json = Record<string, unknown>;
function get(obj: unknown, dotted: string): unknown {
    return dotted.split(".").reduce<unknown>((o, k) => (o !== null && typeof o === "object" ? (o as Json)[k] : undefined), obj);
}
function render(input: OpenClawConfigInput): { text: string; json: Json } {
    const text = renderOpenClawConfig(input);
    return { text, json: JSON.parse(text) as Json };
}

let savedEnv: NodeJS.ProcessEnv;
beforeAll(() => {
    savedEnv = { ...process.env };
    process.env.SECURECLAW_GATEWAY_KEY = FAKE_GATEWAY_KEY;
    process.env.TELEGRAM_BOT_TOKEN = FAKE_BOT_TOKEN;
});
afterAll(() => {
    process.env = savedEnv;
});

describe("renderOpenClawConfig: settings that hold with or without Telegram", () => {
    // [config path, expected value, why] — each row fails if the setting is removed or changed.
    const rows: Array<[string, unknown, string]> = [
        ["gateway.mode", "local", "OpenClaw only starts its own gateway in local mode"],
        ["gateway.bind", "loopback", "the in-box gateway listens on 127.0.0.1 only"],
        ["gateway.port", 18789, "the healthcheck probes this port"],
        ["gateway.controlUi.enabled", false, "no browser control surface"],
        ["gateway.terminal.enabled", false, "no operator PTY shell (default on in 2026.9.6)"],
        ["gateway.tailscale.mode", "off", "never published on a tailnet"],
        ["update.checkOnStart", false, "no update check to telemetry.openclaw.ai"],
        ["update.auto.enabled", false, "no self-update of the pinned package"],
        ["nodeHost.autoUpdate.enabled", false, "no node-host auto-update"],
        ["telemetry.enabled", false, "no feature statistics"],
        ["discovery.mdns.mode", "off", "no mDNS advertising"],
        ["proxy.enabled", false, "managed proxy mode off, even if OPENCLAW_PROXY_URL is set"],
        ["models.mode", "replace", "only the configured provider, no discovery"],
        ["models.catalogRefresh.enabled", false, "no hosted model catalog fetch"],
        ["models.providers.secureclaw.baseUrl", "http://model-gateway:4000/v1", "model calls go to the gateway"],
        ["models.providers.secureclaw.apiKey", "${SECURECLAW_GATEWAY_KEY}", "key by env reference only"],
        ["models.providers.secureclaw.api", "openai-completions", "LiteLLM's chat completions API"],
        ["models.providers.secureclaw.timeoutSeconds", 300, "gateway timeout mirrored"],
        ["agents.defaults.model.primary", "secureclaw/secureclaw-model", "the gateway model is the default"],
        ["agents.defaults.model.fallbacks", [], "no fallback to any other model"],
        ["agents.defaults.sandbox.mode", "off", "the container is the sandbox; no Docker socket"],
        ["agents.defaults.elevatedDefault", "off", "no elevated mode"],
        ["agents.defaults.embeddedAgent.projectSettingsPolicy", "ignore", "repo .openclaw/settings.json ignored"],
        ["agents.defaults.workspace", "/workspace", "work happens in the workspace volume"],
        ["agents.defaults.skills", ["aider"], "only our skill is visible"],
        ["tools.profile", "coding", "coding tool baseline"],
        ["tools.elevated.enabled", false, "no elevated exec"],
        ["tools.exec.host", "gateway", "exec runs in this container, never a sandbox backend or a node"],
        ["tools.exec.mode", "full", "no approvals for an autonomous agent; the container is the boundary"],
        ["tools.fs.workspaceOnly", true, "file tools stay in the workspace"],
        ["tools.web.search.enabled", false, "no web search"],
        ["tools.web.fetch.enabled", false, "no web fetch"],
        ["skills.load.extraDirs", ["/etc/openclaw/skills"], "skills from the read-only mount"],
        ["skills.load.watch", false, "read-only directory, nothing to watch"],
        ["skills.workshop.autonomous.mode", "off", "no agent-authored skills"],
        ["skills.workshop.approvalPolicy", "pending", "no agent-applied skill proposals"],
        ["security.installPolicy.enabled", true, "skill/plugin installs fail closed"],
        ["memory.search.provider", "none", "no embedding requests to a hosted API"],
        ["memory.search.fallback", "none", "no fallback embedding provider"],
        ["acp.enabled", false, "no external coding-agent runtimes"],
        ["browser.enabled", false, "no managed browser"],
        ["commands.bash", false, "no ! shell from chat"],
        ["commands.config", false, "no /config from chat"],
        ["commands.mcp", false, "no /mcp from chat"],
        ["commands.plugins", false, "no /plugins from chat"],
        ["commands.debug", false, "no /debug from chat"],
        ["commands.restart", false, "no /restart or /update from chat"],
    ];
    for (const [name, input] of [["telegram off", base], ["telegram on", withTelegram]] as const) {
        test.each(rows)(`${name}: %s = %j (%s)`, (p, expected) => {
            expect(get(render(input).json, p)).toEqual(expected);
        });
        test(`${name}: every denied tool is in tools.deny`, () => {
            const deny = get(render(input).json, "tools.deny") as string[];
            for (const t of ["group:ui", "group:nodes", "group:web", "gateway", "plugins", "openclaw", "skill_workshop", "code_execution", "secrets"]) {
                expect(deny).toContain(t);
            }
            expect(deny).toEqual([...DENIED_TOOLS]);
        });
        test(`${name}: the Aider skill's tools stay allowed (read its SKILL.md, exec the wrapper, process to wait for it)`, () => {
            const json = render(input).json;
            // The coding profile carries group:fs (read) and group:runtime (exec, process); none may be denied.
            expect(get(json, "tools.profile")).toBe("coding");
            const deny = get(json, "tools.deny") as string[];
            for (const t of ["read", "exec", "process", "bash", "group:fs", "group:runtime"]) expect(deny).not.toContain(t);
            expect(get(json, "tools.allow")).toBeUndefined();
        });
        test(`${name}: exactly one provider and one model, at zero cost`, () => {
            const json = render(input).json;
            expect(Object.keys(get(json, "models.providers") as Json)).toEqual(["secureclaw"]);
            const models = get(json, "models.providers.secureclaw.models") as Json[];
            expect(models).toHaveLength(1);
            expect(models[0]).toEqual({
                id: "secureclaw-model",
                name: "Test model",
                reasoning: false,
                input: ["text"],
                cost: { input: 0, output: 0, cacheRead: 0, cacheWrite: 0 },
                contextWindow: 32768,
                maxTokens: 4096,
            });
        });
        test(`${name}: no secret value in the rendered text`, () => {
            const { text } = render(input);
            expect(text).not.toContain(FAKE_GATEWAY_KEY);
            expect(text).not.toContain(FAKE_BOT_TOKEN);
            expect(text).not.toMatch(/sk-[A-Za-z0-9]/);
            // Every ${...} in the file is one of the two env names, nothing else.
            const refs = new Set(text.match(/\$\{[^}]*\}/g) ?? []);
            for (const r of refs) expect(["${SECURECLAW_GATEWAY_KEY}", "${TELEGRAM_BOT_TOKEN}"]).toContain(r);
        });
        test(`${name}: pretty JSON, newline-terminated, deterministic`, () => {
            const a = renderOpenClawConfig(input);
            expect(a).toBe(renderOpenClawConfig(input));
            expect(a.endsWith("}\n")).toBe(true);
            expect(a).toContain('\n  "gateway": {\n');
        });
    }
});

describe("renderOpenClawConfig: Telegram", () => {
    test("off: no channel, no telegram plugin, no owners", () => {
        const json = render(base).json;
        expect(json.channels).toBeUndefined();
        expect(get(json, "plugins.allow")).toEqual([...BASE_PLUGINS]);
        expect(get(json, "commands.ownerAllowFrom")).toBeUndefined();
        expect(render(base).text).not.toContain("TELEGRAM");
    });

    const rows: Array<[string, unknown]> = [
        ["channels.telegram.enabled", true],
        ["channels.telegram.botToken", "${TELEGRAM_BOT_TOKEN}"],
        ["channels.telegram.dmPolicy", "allowlist"],
        ["channels.telegram.allowFrom", ["123456789", "987654321"]],
        ["channels.telegram.groupPolicy", "disabled"],
        ["channels.telegram.configWrites", false],
        ["channels.telegram.proxy", "http://egress-proxy:3128"],
        ["channels.telegram.apiRoot", "https://tg-relay.example.net:8443"],
        ["plugins.allow", ["memory-core", "telegram"]],
        ["commands.ownerAllowFrom", ["telegram:123456789", "telegram:987654321"]],
    ];
    test.each(rows)("on: %s = %j", (p, expected) => {
        expect(get(render(withTelegram).json, p)).toEqual(expected);
    });

    test("on: the channel has no groups, no tokenFile, no webhook", () => {
        const tg = get(render(withTelegram).json, "channels.telegram") as Json;
        for (const k of ["groups", "groupAllowFrom", "tokenFile", "webhookUrl", "webhookSecret"]) expect(tg[k]).toBeUndefined();
    });

    test("on without apiRoot: the key is absent (Telegram's default root)", () => {
        const { apiRoot: _drop, ...tg } = withTelegram.telegram!;
        void _drop;
        expect(get(render({ ...base, telegram: tg }).json, "channels.telegram.apiRoot")).toBeUndefined();
    });

    test("duplicate user IDs are collapsed", () => {
        const json = render({ ...base, telegram: { ...withTelegram.telegram!, allowFrom: ["42", "42"] } }).json;
        expect(get(json, "channels.telegram.allowFrom")).toEqual(["42"]);
    });
});

describe("renderOpenClawConfig: rejects unsafe input", () => {
    const tg = withTelegram.telegram!;
    const cases: Array<[string, OpenClawConfigInput]> = [
        ["a key value instead of an env name", { ...base, gatewayApiKeyEnv: FAKE_GATEWAY_KEY }],
        ["a lower-case env name (OpenClaw would not substitute it)", { ...base, gatewayApiKeyEnv: "gateway_key" }],
        ["an env reference as the env name", { ...base, gatewayApiKeyEnv: "${KEY}" }],
        ["a token value instead of an env name", { ...base, telegram: { ...tg, botTokenEnv: FAKE_BOT_TOKEN } }],
        ["credentials in the gateway URL", { ...base, gatewayBaseUrl: "http://user:pw@model-gateway:4000/v1" }],
        ["a non-http gateway URL", { ...base, gatewayBaseUrl: "file:///etc/passwd" }],
        ["a query in the gateway URL", { ...base, gatewayBaseUrl: "http://model-gateway:4000/v1?key=x" }],
        ["${ in the model id", { ...base, model: { ...base.model, id: "${SECURECLAW_GATEWAY_KEY}" } }],
        ["${ in the display name", { ...base, model: { ...base.model, displayName: "x ${HOME}" } }],
        ["maxTokens above the context window", { ...base, model: { ...base.model, maxTokens: 40000 } }],
        ["a zero context window", { ...base, model: { ...base.model, contextWindow: 0 } }],
        ["a fractional timeout", { ...base, requestTimeoutSeconds: 1.5 }],
        ["a relative workspace", { ...base, workspaceDir: "workspace" }],
        ["a workspace with ..", { ...base, workspaceDir: "/workspace/../etc" }],
        ["a relative skills dir", { ...base, skillsDir: "skills" }],
        ["an empty allowlist", { ...base, telegram: { ...tg, allowFrom: [] } }],
        ["a username in the allowlist", { ...base, telegram: { ...tg, allowFrom: ["@someone"] } }],
        ["a wildcard in the allowlist", { ...base, telegram: { ...tg, allowFrom: ["*"] } }],
        ["a group chat ID in the allowlist", { ...base, telegram: { ...tg, allowFrom: ["-1001234567890"] } }],
        ["credentials in the proxy URL", { ...base, telegram: { ...tg, proxyUrl: "http://u:p@egress-proxy:3128" } }],
        ["a token in the API root", { ...base, telegram: { ...tg, apiRoot: "https://api.telegram.org/bot123:abc" } }],
    ];
    test.each(cases)("%s", (_name, input) => {
        expect(() => renderOpenClawConfig(input)).toThrow(/renderOpenClawConfig/);
    });
});

// Real validation with OpenClaw 2026.9.6, when the checker's binaries are
// supplied (OPENCLAW_CHECK_NODE + OPENCLAW_CHECK_OPENCLAW, see
// scripts/check-openclaw-config.sh). Skipped otherwise: unit runs stay offline.
const realCheck = process.env.OPENCLAW_CHECK_NODE && process.env.OPENCLAW_CHECK_OPENCLAW ? describe : describe.skip;
realCheck("renderOpenClawConfig: accepted by the real OpenClaw (config validate)", () => {
    const script = path.resolve(__dirname, "../../scripts/check-openclaw-config.sh");
    test.each([["telegram off", base], ["telegram on", withTelegram]] as const)("%s", (_name, input) => {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "openclaw-config-"));
        try {
            const file = path.join(dir, "openclaw.json");
            fs.writeFileSync(file, renderOpenClawConfig(input));
            const r = spawnSync("bash", [script, "--no-run", file], { encoding: "utf8", timeout: 170_000 });
            expect(`${r.stdout}${r.stderr}`).toContain('"valid":true');
            expect(r.status).toBe(0);
        } finally {
            fs.rmSync(dir, { recursive: true, force: true });
        }
    }, 180_000);
});
