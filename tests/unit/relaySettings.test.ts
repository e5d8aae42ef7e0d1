import { createHmac } from "crypto";
import { relayCredential } from "../../components/relay/credentials";
import { renderRelaySettings, RelaySettingsInput } from "../../components/relay/relaySettings";
import * as door from "../../images/door/src/settings";
import { checkOneBotPerAgent, deriveCredential, Identities } from "../../images/relay/src/identity";
import { fromSources, parseSettings, parseSubnet } from "../../images/relay/src/settings";

const TOKEN = "123456:AAbbCC_dd-ee";
const base: RelaySettingsInput = { upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: [{ name: "main", allowFrom: ["42"], sendsPerMinute: 60, sources: ["10.89.0.0/24"] }] };

describe("relayCredential", () => {
    test("is <bot id>:relay-HMAC-SHA256(token, \"secureclaw-relay:\" + agent), the relay's own derivation", () => {
        const hex = createHmac("sha256", TOKEN).update("secureclaw-relay:main").digest("hex");
        expect(relayCredential(TOKEN, "main")).toBe(`123456:relay-${hex}`);
        expect(deriveCredential(TOKEN, "main")).toBe(relayCredential(TOKEN, "main"));
    });

    test.each<[string, string, string, string, string]>([
        ["another agent", TOKEN, "main", TOKEN, "main2"],
        ["another token (rotating an agent's bot rotates its credential)", TOKEN, "main", `${TOKEN}x`, "main"],
        ["another agent's own bot", TOKEN, "main", "654321:ZZyyXX_ww-vv", "helper"],
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
        const text = renderRelaySettings({ ...base, agents: [
            { name: "b", allowFrom: ["7", "42", "7"], sendsPerMinute: 5, sources: ["10.89.2.0/24", "10.89.1.0/24", "10.89.2.0/24"] },
            { name: "a", allowFrom: ["1"], sendsPerMinute: 9, sources: ["10.89.0.0/24"] },
        ] });
        expect(JSON.parse(text)).toEqual({ version: 1, upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: {
            a: { allowFrom: ["1"], sendsPerMinute: 9, sources: ["10.89.0.0/24"] },
            b: { allowFrom: ["42", "7"], sendsPerMinute: 5, sources: ["10.89.1.0/24", "10.89.2.0/24"] },
        } });
        const parsed = parseSettings(text);
        expect(parsed.agents.map((a) => [a.name, [...a.allowFrom], a.sendsPerMinute, a.sources.map((x) => x.text)])).toEqual([["a", ["1"], 9, ["10.89.0.0/24"]], ["b", ["42", "7"], 5, ["10.89.1.0/24", "10.89.2.0/24"]]]);
    });

    test.each<[string, Partial<RelaySettingsInput>, RegExp]>([
        ["plain http upstream", { upstream: "http://api.telegram.org" }, /https URL on port 443/],
        ["another port", { upstream: "https://api.telegram.org:8443" }, /https URL on port 443/],
        ["no agents", { agents: [] }, /at least one agent/],
        ["a zero file cap", { maxFileBytes: 0 }, /maxFileBytes must be a positive whole number/],
        ["a bad agent name", { agents: [{ name: "Main", allowFrom: ["1"], sendsPerMinute: 1, sources: ["10.89.0.0/24"] }] }, /agent name "Main"/],
        ["an agent twice", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 1, sources: ["10.89.0.0/24"] }, { name: "a", allowFrom: ["1"], sendsPerMinute: 1, sources: ["10.89.0.0/24"] }] }, /listed twice/],
        ["nobody allowed", { agents: [{ name: "a", allowFrom: [], sendsPerMinute: 1, sources: ["10.89.0.0/24"] }] }, /allowFrom must list/],
        ["a username, not an id", { agents: [{ name: "a", allowFrom: ["@bob"], sendsPerMinute: 1, sources: ["10.89.0.0/24"] }] }, /allowFrom must list/],
        ["an agent with no cell", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 1, sources: [] }] }, /agent a: sources is empty; give the agent's cell subnet, e\.g\. \["10\.89\.0\.0\/24"\]/],
        ["a source with host bits set", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 1, sources: ["10.89.0.7/24"] }] }, /source "10\.89\.0\.7\/24" is not an IPv4 subnet with its host bits zero/],
        ["an IPv6 source", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 1, sources: ["fd00::/64"] }] }, /source "fd00::\/64" is not an IPv4 subnet/],
        ["no sends at all", { agents: [{ name: "a", allowFrom: ["1"], sendsPerMinute: 0, sources: ["10.89.0.0/24"] }] }, /sendsPerMinute must be a positive/],
    ])("refuses %s", (_what, change, problem) => {
        expect(() => renderRelaySettings({ ...base, ...change })).toThrow(problem);
    });

    test.each<[string, string, RegExp]>([
        ["an unknown key (a typo must not lift a limit)", '{"version":1,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1,"sources":["10.0.0.0/8"],"sendsPerMinut":9}}}', /unknown key/],
        ["another version", '{"version":2,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1}}}', /version/],
        ["no cell", '{"version":1,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1}}}', /agents\.a\.sources: expected a non-empty list/],
        ["a source that is not a subnet", '{"version":1,"upstream":"https://api.telegram.org","maxFileBytes":1,"agents":{"a":{"allowFrom":["1"],"sendsPerMinute":1,"sources":["10.0.0.1"]}}}', /agents\.a\.sources/],
        ["not JSON", "{", /not JSON/],
    ])("the relay refuses settings with %s", (_what, text, problem) => {
        expect(() => parseSettings(text)).toThrow(problem);
    });
});

describe("sources: a credential is honoured from its agent's cell only", () => {
    const cell = ["10.89.0.0/24", "10.89.9.128/25"].map((t) => parseSubnet(t)!);
    test.each<[string, string | undefined, boolean]>([
        ["an address in the cell", "10.89.0.5", true],
        ["the cell's first and last address", "10.89.0.0", true],
        ["the last address", "10.89.0.255", true],
        ["the next subnet", "10.89.1.5", false],
        ["in the second subnet", "10.89.9.200", true],
        ["below the second subnet's half", "10.89.9.127", false],
        ["IPv4-mapped IPv6 in the cell", "::ffff:10.89.0.5", true],
        ["IPv4-mapped IPv6, upper case", "::FFFF:10.89.0.5", true],
        ["IPv4-mapped IPv6 outside", "::ffff:10.89.1.5", false],
        ["another IPv6 address", "fd00::10.89.0.5", false],
        ["loopback", "127.0.0.1", false],
        ["no address (a closed socket)", undefined, false],
    ])("%s: %s → %s (the door's copy agrees)", (_what, address, expected) => {
        expect(fromSources(address, cell)).toBe(expected);
        expect(door.fromSources(address, ["10.89.0.0/24", "10.89.9.128/25"].map((t) => door.parseSubnet(t)!))).toBe(expected);
    });

    test.each(["10.89.0.1/24", "10.89.0.0/33", "10.89.0/24", "fd00::/8", "10.89.0.0", "0.0.0.0/0x"])("%s is not a subnet", (text) => {
        expect(parseSubnet(text)).toBeUndefined();
    });

    test("0.0.0.0/0 and a /32 are", () => {
        expect(fromSources("1.2.3.4", [parseSubnet("0.0.0.0/0")!])).toBe(true);
        expect(fromSources("10.0.0.1", [parseSubnet("10.0.0.1/32")!])).toBe(true);
        expect(fromSources("10.0.0.2", [parseSubnet("10.0.0.1/32")!])).toBe(false);
    });
});

describe("one bot per agent", () => {
    const tokens = new Map([["alice", "111:alice-secret"], ["bob", "222:bob-secret"]]);

    test("each agent's credential derives from its own bot token and identifies that agent only", () => {
        const ids = new Identities(tokens);
        expect(ids.identify(relayCredential("111:alice-secret", "alice"))).toBe("alice");
        expect(ids.identify(relayCredential("222:bob-secret", "bob"))).toBe("bob");
        // bob's name on alice's bot, or alice's name on bob's: nobody.
        expect(ids.identify(relayCredential("111:alice-secret", "bob"))).toBeUndefined();
        expect(ids.identify(relayCredential("222:bob-secret", "alice"))).toBeUndefined();
    });

    test("two agents on one bot are refused, naming both and the bot id, never the token", () => {
        expect(() => checkOneBotPerAgent(tokens)).not.toThrow();
        const shared = new Map([...tokens, ["carol", "111:another-secret-of-bot-111"]]);
        expect(() => checkOneBotPerAgent(shared)).toThrow("agents alice and carol use the same bot (id 111): give each agent a bot of its own");
        try {
            checkOneBotPerAgent(shared);
        } catch (e) {
            expect((e as Error).message).not.toMatch(/secret/);
        }
    });
});
