import { egressAllowlistStrict } from "../policies";
import { allowlistEntries, entryProblem } from "../policies/allowlist";
import { compliantStack, mutated, pick } from "./fixtures";
import { violationsOf } from "./harness";

function withAllowlist(content: string, file = "/config/allowlist.txt") {
    return mutated("egress-config-writer", (i) => (i.uploads = [{ file, content }, { file: "/config/squid.conf", content: "http_access deny all\n" }]));
}

const FIX = 'list exact host names like "api.telegram.org" or suffixes like ".github.com"';

describe("egress-allowlist-strict", () => {
    test("the compliant allowlist passes", async () => {
        expect(await violationsOf(egressAllowlistStrict, pick(compliantStack(), "egress-config-writer"))).toEqual([]);
    });

    test("comments and blank lines are ignored", () => {
        expect(allowlistEntries("# telegram\napi.telegram.org\n\n  .github.com  \r\n")).toEqual(["api.telegram.org", ".github.com"]);
    });

    test.each<[string, string]>([
        ["*", "allows every host"],
        [".", "allows every host"],
        ["*.", "allows every host"],
        ["*.github.com", "has a wildcard, which the proxy does not read as one; write a suffix with a leading dot (.example.com) to allow a domain and its subdomains"],
        [".com", "is a top-level-domain suffix; it opens every site under it"],
        ["localhost", "is a single-label name; give a fully qualified host name"],
        ["https://api.telegram.org", "has a scheme; write the bare host name"],
        ["api.telegram.org/bot", "has a path; the proxy allows whole hosts"],
        ["api.telegram.org:8443", "has a port; the proxy only opens port 443"],
        ["149.154.167.220", "is an IPv4 literal; the proxy allows names only, so an address could be used to skip the name check"],
        ["10.0.0.0/8", "is an IPv4 literal; the proxy allows names only, so an address could be used to skip the name check"],
        ["2001:67c:4e8:f004::9", "is an IPv6 literal; the proxy allows names only, so an address could be used to skip the name check"],
        ["[::1]", "is an IPv6 literal; the proxy allows names only, so an address could be used to skip the name check"],
        [".co.uk", "is a suffix under which anyone can run a server (co.uk); allow the exact host names you need instead"],
        [".herokuapp.com", "is a suffix under which anyone can run a server (herokuapp.com); allow the exact host names you need instead"],
        [".amazonaws.com", "is a suffix under which anyone can run a server (amazonaws.com); allow the exact host names you need instead"],
        [".s3.amazonaws.com", "is a suffix under which anyone can run a server (amazonaws.com); allow the exact host names you need instead"],
        ["api.telegram.org pypi.org", "holds more than one word; write one host name per line"],
        ["bad_host.example.com", 'has "bad_host", which is not a DNS label'],
        ["a..b.com", "has an empty label (two dots in a row)"],
    ])("entry %j is refused", async (entry, problem) => {
        expect(entryProblem(entry)).toBe(problem);
        const violations = await violationsOf(egressAllowlistStrict, withAllowlist(`api.telegram.org\n${entry}\n`));
        expect(violations).toEqual([
            `egress allowlist entry ${JSON.stringify(entry)} in /config/allowlist.txt ${problem}: remove it from uploads[0].content (secureclaw:egress.allowlist) and ${FIX}`,
        ]);
    });

    test.each(["api.telegram.org", ".github.com", ".githubusercontent.com", "files.pythonhosted.org", "my-app.herokuapp.com", "API.Telegram.org"])("entry %j is accepted", (entry) => {
        expect(entryProblem(entry)).toBeUndefined();
    });

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

    test("other files are not allowlists", async () => {
        expect(await violationsOf(egressAllowlistStrict, withAllowlist("*\n", "/config/allowlist.txt.bak"))).toEqual([]);
    });
});
