import { resourcePolicy } from "./define";
import { basename, isUnknown, j, list, T } from "./util";

export const ALLOWLIST_FILE = "allowlist.txt";

/**
 * Multi-label suffixes under which anyone can register a name (country
 * second-level domains), or run server code that sees every request (app
 * platforms, tunnels, request catchers). A suffix entry for one of these lets
 * a hijacked agent hand data to a server its attacker runs; a full host name
 * under them is fine. Static hosts whose logs the tenant can't read (GitHub
 * Pages, raw.githubusercontent.com) are not listed.
 */
export const OPEN_SUFFIXES = [
    // registrable second-level domains
    "co.uk", "org.uk", "ac.uk", "com.au", "net.au", "org.au", "co.nz", "co.jp", "com.br", "com.cn", "co.in", "co.za", "com.mx", "com.tr",
    // platforms that run anyone's server code, tunnels and request catchers
    "herokuapp.com", "vercel.app", "netlify.app", "pages.dev", "workers.dev",
    "web.app", "firebaseapp.com", "appspot.com", "azurewebsites.net", "cloudfront.net", "amazonaws.com", "blob.core.windows.net",
    "onrender.com", "fly.dev", "glitch.me", "repl.co", "deno.dev", "ngrok.io", "ngrok-free.app", "ngrok.app", "trycloudflare.com",
    "loca.lt", "serveo.net", "webhook.site", "pipedream.net", "requestcatcher.com", "interact.sh", "oast.fun", "burpcollaborator.net",
];

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** What is wrong with one allowlist line, or undefined when it is a plain host name or a `.domain` suffix. */
export function entryProblem(raw: string): string | undefined {
    const e = raw.trim();
    if (/\s/.test(e)) return "holds more than one word; write one host name per line";
    if (e === "*" || e === "." || e === "*." || e === ".*") return "allows every host";
    if (e.includes("://")) return "has a scheme; write the bare host name";
    if (e.includes("*")) return "has a wildcard, which the proxy does not read as one; write a suffix with a leading dot (.example.com) to allow a domain and its subdomains";
    if (e.startsWith("[") || (e.match(/:/g) ?? []).length >= 2) return "is an IPv6 literal; the proxy allows names only, so an address could be used to skip the name check";
    const host = e.startsWith(".") ? e.slice(1) : e;
    if (IPV4.test(host.split(/[:/]/)[0] ?? "")) return "is an IPv4 literal; the proxy allows names only, so an address could be used to skip the name check";
    if (e.includes("/")) return "has a path; the proxy allows whole hosts";
    if (e.includes(":")) return "has a port; the proxy only opens port 443";
    const labels = host.toLowerCase().replace(/\.$/, "").split(".");
    if (labels.some((l) => l === "")) return "has an empty label (two dots in a row)";
    const bad = labels.find((l) => !LABEL.test(l));
    if (bad !== undefined) return `has ${j(bad)}, which is not a DNS label`;
    if (/^\d+$/.test(labels[labels.length - 1] ?? "")) return "ends in a numeric label, which is an address rather than a name";
    if (labels.length < 2) {
        return e.startsWith(".") ? "is a top-level-domain suffix; it opens every site under it" : "is a single-label name; give a fully qualified host name";
    }
    if (e.startsWith(".")) {
        const suffix = labels.join(".");
        // the open suffix itself, a parent of it (.com), or a suffix inside it (.s3.amazonaws.com)
        const open = OPEN_SUFFIXES.find((o) => suffix === o || o.endsWith(`.${suffix}`) || suffix.endsWith(`.${o}`));
        if (open) return `is a suffix under which anyone can run a server (${open}); allow the exact host names you need instead`;
    }
    return undefined;
}

/** Entries of an allowlist file: one per line, blank lines and `#` comments skipped. */
export function allowlistEntries(content: string): string[] {
    return content
        .split(/\r?\n/)
        .map((l) => l.trim())
        .filter((l) => l !== "" && !l.startsWith("#"));
}

function decode(upload: Record<string, any>): string | null | undefined {
    if (typeof upload.content === "string") return isUnknown(upload.content) ? null : upload.content;
    if (typeof upload.contentBase64 === "string") {
        return isUnknown(upload.contentBase64) ? null : Buffer.from(upload.contentBase64, "base64").toString("utf8");
    }
    return undefined;
}

/** Every upload named allowlist.txt, in any container, must hold only exact names and safe suffixes. */
export function checkAllowlistUploads(props: Record<string, any>): string[] {
    const out: string[] = [];
    (list<Record<string, any>>(props.uploads) ?? []).forEach((u, i) => {
        if (!u || isUnknown(u) || typeof u.file !== "string" || isUnknown(u.file)) return;
        if (basename(u.file) !== ALLOWLIST_FILE) return;
        const content = decode(u);
        if (content === null) return; // not known until the update; checked then
        if (content === undefined) {
            if (typeof u.source === "string") {
                out.push(`egress allowlist ${j(u.file)} must be uploaded as content so it can be checked: set uploads[${i}].content to the file's text instead of source ${j(u.source)}`);
            }
            return;
        }
        for (const entry of allowlistEntries(content)) {
            const problem = entryProblem(entry);
            if (problem) {
                out.push(`egress allowlist entry ${j(entry)} in ${u.file} ${problem}: remove it from uploads[${i}].content (secureclaw:egress.allowlist) and list exact host names like "api.telegram.org" or suffixes like ".github.com"`);
            }
        }
    });
    return out;
}

export const egressAllowlistStrict = resourcePolicy({
    name: "egress-allowlist-strict",
    description:
        "The proxy allowlist (allowlist.txt uploaded into a config volume) holds only exact host names and .domain suffixes: no *, no single-label or open suffixes, no scheme, path, port or IP literal.",
    enforcementLevel: "mandatory",
    types: [T.container],
    check: (props) => checkAllowlistUploads(props),
});
