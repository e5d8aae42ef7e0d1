import { isIPv4, looksLikeIPv6 } from "../../config/net";

/**
 * Egress allowlist entries are plain DNS names (`api.telegram.org`) or
 * suffixes (`.github.com`, meaning github.com and every name under it).
 * Anything else is refused, because Squid would read it as something broader
 * than the user meant: `*` or a scheme is not a name, an IP literal bypasses
 * name-based rules, and a one-label suffix (`.com`) opens a whole TLD.
 */
export type EntryCheck = { ok: true; entry: string } | { ok: false; problem: string; example: string };

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;

export function checkAllowlistEntry(raw: unknown): EntryCheck {
    if (typeof raw !== "string") return { ok: false, problem: `must be a string, got ${JSON.stringify(raw)}`, example: "api.telegram.org" };
    const entry = raw.trim().toLowerCase();
    if (entry === "") return { ok: false, problem: "is empty", example: "api.telegram.org" };
    if (entry.includes("://")) {
        return { ok: false, problem: "has a scheme; give the bare host name", example: hostOf(entry) ?? "api.telegram.org" };
    }
    if (entry.includes("*")) {
        const suffix = entry.replace(/^\*\.?/, "");
        return { ok: false, problem: "has a wildcard; write a suffix with a leading dot to allow a domain and its subdomains", example: suffix && !suffix.includes("*") ? `.${suffix}` : ".example.com" };
    }
    if (entry.includes("/")) return { ok: false, problem: "has a path; the proxy allows whole hosts", example: entry.split("/")[0] || "api.telegram.org" };
    if (looksLikeIPv6(entry) || isIPv4(entry)) {
        return { ok: false, problem: "is an IP literal; the proxy allows names only, so an address can't be used to skip the name check", example: "api.telegram.org" };
    }
    if (entry.includes(":")) return { ok: false, problem: "has a port; the proxy only allows port 443", example: entry.split(":")[0] };
    const name = entry.startsWith(".") ? entry.slice(1) : entry;
    const labels = name.replace(/\.$/, "").split(".");
    if (labels.some((label) => label === "")) return { ok: false, problem: "has an empty label (two dots in a row, or only a dot)", example: "api.telegram.org" };
    const bad = labels.find((label) => !LABEL.test(label));
    if (bad !== undefined) return { ok: false, problem: `label "${bad}" is not a valid DNS label (letters, digits, inner hyphens, at most 63)`, example: "api.telegram.org" };
    if (labels.length < 2) {
        return { ok: false, problem: entry.startsWith(".") ? "is a top-level-domain suffix; it would open every site under it" : "is a single-label name; give a fully qualified name", example: entry.startsWith(".") ? `.example${entry}` : `${name}.example.com` };
    }
    if (/^\d+$/.test(labels[labels.length - 1])) return { ok: false, problem: "ends in a numeric label; that is an address, not a name", example: "api.telegram.org" };
    return { ok: true, entry: (entry.startsWith(".") ? "." : "") + labels.join(".") };
}

function hostOf(url: string): string | undefined {
    try {
        return new URL(url).hostname || undefined;
    } catch {
        return undefined;
    }
}

/**
 * Lower-cases, removes duplicates and drops names a suffix entry already
 * covers (Squid warns about such overlaps and ignores one side), then sorts so
 * the rendered file is stable and a reorder in YAML changes nothing.
 */
export function normalizeAllowlist(entries: string[]): string[] {
    const unique = [...new Set(entries)];
    const suffixes = unique.filter((e) => e.startsWith("."));
    const covered = (e: string) =>
        suffixes.some((s) => s !== e && (e === s.slice(1) || e.endsWith(s)));
    return unique.filter((e) => !covered(e)).sort();
}

/** True when `name` is allowed by the (normalised) allowlist. */
export function allowlistCovers(allowlist: string[], name: string): boolean {
    return allowlist.some((e) => (e.startsWith(".") ? name === e.slice(1) || name.endsWith(e) : name === e));
}
