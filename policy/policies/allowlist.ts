import { checkAllowlistEntry, relayOnlyHostOpenedBy, relayOnlyProblem } from "../contract/allowlist";
import { resourcePolicy } from "./define";
import { basename, isUnknown, j, list, T } from "./util";

/**
 * An allowlist file in the proxy's config volume: the single-agent stack's (and
 * the default agent's) `allowlist.txt`, and one `allowlist-<agent>.txt` per
 * other agent (components/egress/cells.ts). Any name of that shape counts, in
 * any container, so a file can't dodge the check by its agent name.
 */
export const ALLOWLIST_FILE = /^allowlist(?:-(.+))?\.txt$/;

/** The config key an allowlist file comes from, for the message. */
function configKey(file: string): string {
    const agent = ALLOWLIST_FILE.exec(basename(file))?.[1];
    return agent === undefined ? "secureclaw:egress.allowlist" : `secureclaw:agents.${agent}.egress.allowlist`;
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

/**
 * Every upload named allowlist.txt or allowlist-<agent>.txt, in any container, must hold only entries
 * the allowlist grammar (../contract/allowlist, the one the config validator
 * uses) accepts.
 */
export function checkAllowlistUploads(props: Record<string, any>): string[] {
    const out: string[] = [];
    (list<Record<string, any>>(props.uploads) ?? []).forEach((u, i) => {
        if (!u || isUnknown(u) || typeof u.file !== "string" || isUnknown(u.file)) return;
        if (!ALLOWLIST_FILE.test(basename(u.file))) return;
        const key = configKey(u.file);
        const content = decode(u);
        if (content === null) return; // not known until the update; checked then
        if (content === undefined) {
            if (typeof u.source === "string") {
                out.push(`egress allowlist ${j(u.file)} must be uploaded as content so it can be checked: set uploads[${i}].content to the file's text instead of source ${j(u.source)}`);
            }
            return;
        }
        for (const entry of allowlistEntries(content)) {
            const check = checkAllowlistEntry(entry);
            if (!check.ok) {
                out.push(`egress allowlist entry ${j(entry)} in ${u.file} ${check.problem}: remove it from uploads[${i}].content (${key}) and list exact host names like "pypi.org" or suffixes like ".github.com"`);
                continue;
            }
            const relayOnly = relayOnlyHostOpenedBy(check.entry);
            if (relayOnly !== undefined) out.push(`egress allowlist entry ${j(entry)} in ${u.file} ${relayOnlyProblem(relayOnly)}: remove it from uploads[${i}].content (${key})`);
        }
    });
    return out;
}

export const egressAllowlistStrict = resourcePolicy({
    name: "egress-allowlist-strict",
    description:
        "Every proxy allowlist (allowlist.txt and each agent's allowlist-<agent>.txt uploaded into a config volume) holds only exact host names and .domain suffixes: no *, no single-label name, no suffix the Public Suffix List marks as public, no scheme, path, port or IP literal, and never the Telegram API host (only the Telegram relay reaches it).",
    enforcementLevel: "mandatory",
    types: [T.container],
    check: (props) => checkAllowlistUploads(props),
});
