import { egressAllowlistStrict } from "../policies";
import { checkAllowlistEntry, relayOnlyProblem } from "../contract/allowlist";
import { allowlistEntries } from "../policies/allowlist";
import { compliantStack, mutated, pick } from "./fixtures";
import { violationsOf } from "./harness";

function withAllowlist(content: string, file = "/config/allowlist.txt") {
    return mutated("egress-config-writer", (i) => (i.uploads = [{ file, content }, { file: "/config/squid.conf", content: "http_access deny all\n" }]));
}

const FIX = 'list exact host names like "pypi.org" or suffixes like ".github.com"';

/** What the shared grammar says is wrong with an entry, or undefined when it accepts it. */
function problemOf(entry: string): string | undefined {
    const check = checkAllowlistEntry(entry);
    return check.ok ? undefined : check.problem;
}

function refusal(entry: string, problem: string): string {
    return `egress allowlist entry ${JSON.stringify(entry)} in /config/allowlist.txt ${problem}: remove it from uploads[0].content (secureclaw:egress.allowlist) and ${FIX}`;
}

describe("egress-allowlist-strict", () => {
    test("the compliant allowlist passes", async () => {
        expect(await violationsOf(egressAllowlistStrict, pick(compliantStack(), "egress-config-writer"))).toEqual([]);
    });

    test("comments and blank lines are ignored", () => {
        expect(allowlistEntries("# telegram\napi.telegram.org\n\n  .github.com  \r\n")).toEqual(["api.telegram.org", ".github.com"]);
    });

    test.each<[string, string]>([
        ["*", "allows every host; list the host names the agent needs"],
        [".", "allows every host; list the host names the agent needs"],
        ["*.", "allows every host; list the host names the agent needs"],
        ["*.github.com", "has a wildcard; write a suffix with a leading dot to allow a domain and its subdomains"],
        [".com", "is a top-level-domain suffix; it would open every site under it"],
        ["localhost", "is a single-label name; give a fully qualified name"],
        ["https://api.telegram.org", "has a scheme; give the bare host name"],
        ["api.telegram.org/bot", "has a path; the proxy allows whole hosts"],
        ["api.telegram.org:8443", "has a port; the proxy only opens port 443"],
        ["149.154.167.220", "is an IP literal; the proxy allows names only, so an address can't be used to skip the name check"],
        ["10.0.0.0/8", "is an IP literal; the proxy allows names only, so an address can't be used to skip the name check"],
        ["2001:67c:4e8:f004::9", "is an IP literal; the proxy allows names only, so an address can't be used to skip the name check"],
        ["[::1]", "is an IP literal; the proxy allows names only, so an address can't be used to skip the name check"],
        ["api.telegram.org pypi.org", "holds more than one name; give one host name per entry"],
        ["bad_host.example.com", 'label "bad_host" is not a valid DNS label (letters, digits, inner hyphens, at most 63)'],
        ["a..b.com", "has an empty label (two dots in a row)"],
        ["example.123", "ends in a numeric label; that is an address, not a name"],
    ])("entry %j is refused", async (entry, problem) => {
        expect(problemOf(entry)).toBe(problem);
        expect(await violationsOf(egressAllowlistStrict, withAllowlist(`pypi.org\n${entry}\n`))).toEqual([refusal(entry, problem)]);
    });

    test.each(["pypi.org", ".github.com", "files.pythonhosted.org", "PyPI.org", ".corp.lan", "core.telegram.org"])("entry %j is accepted", async (entry) => {
        expect(problemOf(entry)).toBeUndefined();
        expect(await violationsOf(egressAllowlistStrict, withAllowlist(`${entry}\n`))).toEqual([]);
    });

    // The validator refuses the same entries with the same words (tests/unit/validate.test.ts).
    test.each(["api.telegram.org", "API.Telegram.org", ".telegram.org"])("entry %j opens the Telegram API host, which only the relay reaches, and is refused", async (entry) => {
        expect(await violationsOf(egressAllowlistStrict, withAllowlist(`pypi.org\n${entry}\n`))).toEqual([
            `egress allowlist entry ${JSON.stringify(entry)} in /config/allowlist.txt ${relayOnlyProblem("api.telegram.org")}: remove it from uploads[0].content (secureclaw:egress.allowlist)`,
        ]);
    });
});

describe("egress-allowlist-strict: suffixes the Public Suffix List marks as public", () => {
    const psl = (suffix: string) =>
        `is a public suffix: the Public Suffix List says anyone can register names under ${suffix}, so it would open servers anyone runs; allow the exact host names you need instead`;

    // ICANN second-level domains, and private-section platforms that host strangers' code or pages.
    test.each([".co.uk", ".herokuapp.com", ".github.io", ".githubusercontent.com", ".s3.amazonaws.com", ".vercel.app", ".ngrok.io"])("suffix %j is refused, naming the PSL", async (entry) => {
        expect(problemOf(entry)).toBe(psl(entry.slice(1)));
        expect(await violationsOf(egressAllowlistStrict, withAllowlist(`${entry}\n`))).toEqual([refusal(entry, psl(entry.slice(1)))]);
    });

    test("the refusal suggests an exact host under the suffix instead", () => {
        expect(checkAllowlistEntry(".herokuapp.com")).toEqual({ ok: false, problem: psl("herokuapp.com"), example: "myapp.herokuapp.com" });
    });

    test.each(["myapp.herokuapp.com", "www.example.co.uk", "octocat.github.io", "raw.githubusercontent.com", ".myapp.herokuapp.com"])(
        "%j, an exact host or one tenant's domain under a public suffix, is accepted",
        async (entry) => {
            expect(problemOf(entry)).toBeUndefined();
            expect(await violationsOf(egressAllowlistStrict, withAllowlist(`${entry}\n`))).toEqual([]);
        },
    );
});

describe("egress-allowlist-strict: uploads", () => {
    test("base64 uploads are decoded and checked", async () => {
        const r = mutated("egress-config-writer", (i) => (i.uploads = [{ file: "/config/allowlist.txt", contentBase64: Buffer.from("*\n").toString("base64") }]));
        expect(await violationsOf(egressAllowlistStrict, r)).toEqual([expect.stringContaining('egress allowlist entry "*" in /config/allowlist.txt allows every host')]);
    });

    test("an allowlist uploaded from a file can't be checked and is refused", async () => {
        const r = mutated("egress-config-writer", (i) => (i.uploads = [{ file: "/config/allowlist.txt", source: "./allowlist.txt" }]));
        expect(await violationsOf(egressAllowlistStrict, r)).toEqual([
            'egress allowlist "/config/allowlist.txt" must be uploaded as content so it can be checked: set uploads[0].content to the file\'s text instead of source "./allowlist.txt"',
        ]);
    });

    test("any container's allowlist.txt counts, whatever its directory", async () => {
        const r = mutated("model-gateway", (i) => (i.uploads = [{ file: "/etc/squid/x/allowlist.txt", content: ".com\n" }]));
        expect(await violationsOf(egressAllowlistStrict, r)).toEqual([expect.stringContaining('".com" in /etc/squid/x/allowlist.txt is a top-level-domain suffix')]);
    });

    test.each<[string, string]>([
        ["another agent's file", "alice"],
        ["an agent with a dash", "team-a"],
    ])("%s (allowlist-<agent>.txt) is checked the same way, naming that agent's key", async (_title, agent) => {
        const file = `/config/allowlist-${agent}.txt`;
        const r = mutated("egress-config-writer", (i) => (i.uploads = [{ file, content: "pypi.org\n*\n" }]));
        expect(await violationsOf(egressAllowlistStrict, r)).toEqual([
            `egress allowlist entry "*" in ${file} ${problemOf("*")}: remove it from uploads[0].content (secureclaw:agents.${agent}.egress.allowlist) and ${FIX}`,
        ]);
    });

    test("each agent's file is checked: one bad entry in the second agent's file is found beside a good first", async () => {
        const r = mutated("egress-config-writer", (i) => (i.uploads = [{ file: "/config/allowlist.txt", content: "pypi.org\n" }, { file: "/config/allowlist-bob.txt", content: "api.telegram.org\n" }]));
        expect(await violationsOf(egressAllowlistStrict, r)).toEqual([
            `egress allowlist entry "api.telegram.org" in /config/allowlist-bob.txt ${relayOnlyProblem("api.telegram.org")}: remove it from uploads[1].content (secureclaw:agents.bob.egress.allowlist)`,
        ]);
    });

    test("other files are not allowlists", async () => {
        for (const file of ["/config/allowlist.txt.bak", "/config/allowlist-alice.txt.bak", "/config/my-allowlist.txt", "/config/allowlist-.txt.bak"]) {
            expect(await violationsOf(egressAllowlistStrict, withAllowlist("*\n", file))).toEqual([]);
        }
    });
});
