/**
 * The egress allowlist grammar: which entries the proxy may be given, and how
 * an allowlist matches a name. The config validator (config/) and the policy
 * pack (policy/policies/allowlist.ts) both use this module, so a value the
 * validator accepts is one the pack accepts, and the other way round.
 *
 * An entry is a plain DNS name (`api.telegram.org`) or a suffix
 * (`.github.com`: github.com and every name under it). Anything else is
 * refused, because Squid would read it as something broader than the user
 * meant: `*` or a scheme is not a name, an IP literal bypasses name-based
 * rules, and a suffix that is itself a public suffix (`.com`, `.co.uk`,
 * `.herokuapp.com`) opens every site that anyone can register under it.
 *
 * Public suffixes come from the Public Suffix List (through tldts), private
 * section included: app platforms and user-content hosts list themselves there
 * precisely because their tenants are strangers to each other.
 *
 * This file imports nothing outside policy/: `pulumi policy publish` packs
 * that folder alone.
 */
import { isIPv4, isIPv6 } from "net";
import { getPublicSuffix } from "tldts";

/** An accepted entry, normalised, or what is wrong with it and an entry that would be right. */
export type EntryCheck = { ok: true; entry: string } | { ok: false; problem: string; example: string };

/** An exact host name used in examples when nothing closer to the user's value fits. */
const EXAMPLE_HOST = "api.telegram.org";

/** Entries that mean "every host" in one spelling or another. */
const EVERY_HOST = new Set(["*", ".", "*.", ".*"]);

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

function refuse(problem: string, example = EXAMPLE_HOST): EntryCheck {
    return { ok: false, problem, example };
}

/** Checks one allowlist entry; an accepted entry comes back trimmed, lower-cased and without a trailing dot. */
export function checkAllowlistEntry(raw: unknown): EntryCheck {
    if (typeof raw !== "string") return refuse(`must be a string, got ${JSON.stringify(raw)}`);
    const entry = raw.trim().toLowerCase();
    if (entry === "") return refuse("is empty");
    if (/\s/.test(entry)) {
        const first = checkAllowlistEntry(entry.split(/\s+/)[0]);
        return refuse("holds more than one name; give one host name per entry", first.ok ? first.entry : EXAMPLE_HOST);
    }
    if (EVERY_HOST.has(entry)) return refuse("allows every host; list the host names the agent needs");
    if (entry.includes("://")) return refuse("has a scheme; give the bare host name", hostOf(entry) ?? EXAMPLE_HOST);
    if (entry.includes("*")) {
        const suffix = entry.replace(/^\*\.?/, "");
        return refuse("has a wildcard; write a suffix with a leading dot to allow a domain and its subdomains", suffix && !suffix.includes("*") ? `.${suffix}` : ".example.com");
    }
    // Before the path and port rules, so `10.0.0.0/8` and `[::1]:443` are named for what they are.
    if (isIpLiteral(entry)) return refuse("is an IP literal; the proxy allows names only, so an address can't be used to skip the name check");
    if (entry.includes("/")) return refuse("has a path; the proxy allows whole hosts", entry.split("/")[0] || EXAMPLE_HOST);
    if (entry.includes(":")) return refuse("has a port; the proxy only opens port 443", entry.split(":")[0] || EXAMPLE_HOST);

    const isSuffix = entry.startsWith(".");
    const name = (isSuffix ? entry.slice(1) : entry).replace(/\.$/, "");
    const labels = name.split(".");
    if (labels.some((label) => label === "")) return refuse("has an empty label (two dots in a row)");
    const bad = labels.find((label) => !LABEL.test(label));
    if (bad !== undefined) return refuse(`label "${bad}" is not a valid DNS label (letters, digits, inner hyphens, at most 63)`);
    if (/^\d+$/.test(labels[labels.length - 1])) return refuse("ends in a numeric label; that is an address, not a name");
    if (labels.length < 2) {
        return isSuffix
            ? refuse("is a top-level-domain suffix; it would open every site under it", `.example.${name}`)
            : refuse("is a single-label name; give a fully qualified name", `${name}.example.com`);
    }
    if (isSuffix && isPublicSuffix(name)) {
        return refuse(
            `is a public suffix: the Public Suffix List says anyone can register names under ${name}, so it would open servers anyone runs; allow the exact host names you need instead`,
            `myapp.${name}`,
        );
    }
    return { ok: true, entry: (isSuffix ? "." : "") + name };
}

/** True when the PSL (ICANN or private section) lists `name` as a suffix under which anyone can register names. */
function isPublicSuffix(name: string): boolean {
    return getPublicSuffix(name, { allowPrivateDomains: true }) === name;
}

/** An IPv4 or IPv6 address, with or without a leading dot, brackets, a port or a prefix length. */
function isIpLiteral(entry: string): boolean {
    const host = entry.replace(/^\./, "");
    const bracketed = /^\[([^\]]*)\]/.exec(host);
    if (bracketed) return isIPv6(bracketed[1]);
    const bare = host.split("/")[0];
    return isIPv6(bare) || isIPv4(bare.split(":")[0]);
}

function hostOf(url: string): string | undefined {
    try {
        return new URL(url).hostname || undefined;
    } catch {
        return undefined;
    }
}

/**
 * Removes duplicates and names a suffix entry already covers (Squid warns
 * about such overlaps and ignores one side), then sorts, so the rendered file
 * is stable and a reorder in YAML changes nothing. Takes checked entries.
 */
export function normalizeAllowlist(entries: string[]): string[] {
    const unique = [...new Set(entries)];
    const suffixes = unique.filter((e) => e.startsWith("."));
    const covered = (e: string) => suffixes.some((s) => s !== e && (e === s.slice(1) || e.endsWith(s)));
    return unique.filter((e) => !covered(e)).sort();
}

/** True when `name` is allowed by the (normalised) allowlist, as Squid's `dstdomain` matches it. */
export function allowlistCovers(allowlist: string[], name: string): boolean {
    return allowlist.some((e) => (e.startsWith(".") ? name === e.slice(1) || name.endsWith(e) : name === e));
}

/**
 * Hosts no allowlist may open: the Telegram Bot API is reached by the
 * Telegram relay alone (its own proxy rule, for its own network). The relay
 * holds the bot token and serves only the allowed chats; with the API host on
 * the agent's allowlist, a hijacked agent could call any bot with any token
 * through the proxy (a drop box), which is what the relay exists to stop.
 */
export const RELAY_ONLY_HOSTS: readonly string[] = ["api.telegram.org"];

/** The relay-only host a checked entry would open, if any (`.telegram.org` opens api.telegram.org). */
export function relayOnlyHostOpenedBy(entry: string): string | undefined {
    return RELAY_ONLY_HOSTS.find((host) => allowlistCovers([entry], host));
}

/** What is wrong with an entry that opens a relay-only host, in the words both the validator and the pack use. */
export function relayOnlyProblem(host: string): string {
    return `opens ${host}, which only the Telegram relay may reach: it holds the bot token and serves only telegram.allowFrom, while from the agent ${host} would take any bot token (a drop box for data); remove it (telegram.enabled: true gives the agent its channel through the relay)`;
}
