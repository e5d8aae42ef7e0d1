import { createHmac } from "crypto";
import { relayCredential } from "../../components/relay/credentials";
import { renderRelaySettings, RelaySettingsInput } from "../../components/relay/relaySettings";
import { deriveCredential } from "../../images/relay/src/identity";
import { parseSettings } from "../../images/relay/src/settings";

const TOKEN = "123456:AAbbCC_dd-ee";
const base: RelaySettingsInput = { upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: [{ name: "main", allowFrom: ["42"], sendsPerMinute: 60 }] };

describe("relayCredential", () => {
    test("is <bot id>:relay-HMAC-SHA256(token, \"secureclaw-relay:\" + agent), the relay's own derivation", () => {
        const hex = createHmac("sha256", TOKEN).update("secureclaw-relay:main").digest("hex");
        expect(relayCredential(TOKEN, "main")).toBe(`123456:relay-${hex}`);
        expect(deriveCredential(TOKEN, "main")).toBe(relayCredential(TOKEN, "main"));
    });

    test.each<[string, string, string, string, string]>([
        ["another agent", TOKEN, "main", TOKEN, "main2"],
        ["another token (rotating it rotates every credential)", TOKEN, "main", `${TOKEN}x`, "main"],
    ])("%s gets a different credential", (_t, t1, n1, t2, n2) => {
        expect(relayCredential(t1, n1)).not.toBe(relayCredential(t2, n2));
    });

    test("holds nothing of the token's secret part", () => {
        expect(relayCredential(TOKEN, "main")).not.toContain(TOKEN.split(":")[1]);
    });

    test("refuses something that is not a bot token", () => {
        expect(() => relayCredential("not-a-token", "main")).toThrow(/<digits>:<secret>/);
    });
});

describe("renderRelaySettings", () => {
    test("renders what the relay parses, agents sorted, users de-duplicated and sorted", () => {
        const text = renderRelaySettings({ ...base, agents: [{ name: "b", allowFrom: ["7", "42", "7"], sendsPerMinute: 5 }, { name: "a", allowFrom: ["1"], sendsPerMinute: 9 }] });
        expect(JSON.parse(text)).toEqual({ version: 1, upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: { a: { allowFrom: ["1"], sendsPerMinute: 9 }, b: { allowFrom: ["42", "7"], sendsPerMinute: 5 } } });
        const parsed = parseSettings(text);
        expect(parsed.agents.map((a) => [a.name, [...a.allowFrom], a.sendsPerMinute])).toEqual([["a", ["1"], 9], ["b", ["42", "7"], 5]]);
    });

    test.each<[string, Partial<RelaySettingsInput>, RegExp]>([
        ["plain http upstream", { upstream: "http://api.telegram.org" }, /https URL on port 443/],
        ["another port", { upstream: "https://api.telegram.org:8443" }, /https URL on port 443/],
        ["no agents", { agents: [] }, /at least one agent/],
        ["a zero file cap", { maxFileBytes: 0 }, /maxFileBytes must be a positive whole number/],
        ["a bad agent name", { agents: [{ name: "Main", allowFrom: ["1"], sendsPerMinute: 1 }] }, /agent name "Main"/],
        ["an agent twice", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 1 }, { name: "a", allowFrom: ["1"], sendsPerMinute: 1 }] }, /listed twice/],
        ["nobody allowed", { agents: [{ name: "a", allowFrom: [], sendsPerMinute: 1 }] }, /allowFrom must list/],
        ["a username, not an id", { agents: [{ name: "a", allowFrom: ["@bob"], sendsPerMinute: 1 }] }, /allowFrom must list/],
        ["no sends at all", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 0 }] }, /sendsPerMinute must be a positive/],
    ])("refuses %s", (_what, change, problem) => {
        expect(() => renderRelaySettings({ ...base, ...change })).toThrow(problem);
    });

    test.each<[string, string, RegExp]>([
        ["an unknown key (a typo must not lift a limit)", '{"version":1,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1,"sendsPerMinut":9}}}', /unknown key/],
        ["another version", '{"version":2,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1}}}', /version/],
        ["not JSON", "{", /not JSON/],
    ])("the relay refuses settings with %s", (_what, text, problem) => {
        expect(() => parseSettings(text)).toThrow(problem);
    });
});
