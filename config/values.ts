/**
 * What one right value looks like, for the settings whose rule is more than a
 * type or a range. Where a value reaches a renderer in components/, the rule
 * here is the renderer's own (named on each), so the renderer never throws on
 * user input after resources are declared.
 */
import { isIPv4 } from "net";
import { z } from "zod";
import { imageRefProblem } from "../policy/contract/imageRef";
import { checkAllowlistEntry } from "../policy/contract/allowlist";
import { addProblem, matches, shown, TextCheck } from "./fields";
import { isPrivateCidr, parseCidr } from "./net";

/** A Hugging Face repository id, `owner/name`. */
export const huggingFaceId = matches(/^[\w.-]+\/[\w.-]+$/, "must be a Hugging Face repository id like owner/name");

/** vLLM's --served-model-name, also in the agent's display name: nothing a shell, YAML or OpenClaw's `${}` would read. */
export const servedName = matches(/^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lower-case letters, digits, '.', '_' or '-'");

/** A vLLM --tool-call-parser name. */
export const toolCallParser = matches(/^[a-z0-9_]+$/, "must be a vLLM tool-call parser name");

/** The GPU host as SSH dials it: a name or an IPv4 address. */
export const gpuHost = matches(/^[A-Za-z0-9.-]+$/, "must be a host name or IPv4 address");

/** A Unix user name on the GPU host. */
export const sshUser: TextCheck = (value) => (/^[a-z_][a-z0-9_-]{0,31}$/.test(value) ? undefined : `is not a valid user name: ${shown(value)}`);

const SSH_HOST_KEY = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$/;

/** Type and key of an OpenSSH public key line; the comment after them is dropped. */
export const typeAndKey = (line: string) => line.split(" ").slice(0, 2).join(" ");

/** An OpenSSH public host key line (a trailing comment is allowed and dropped). */
export const sshHostKey: TextCheck = (value) =>
    SSH_HOST_KEY.test(typeAndKey(value)) ? undefined : "must be an SSH public host key: type and base64 key, as in the GPU host's /etc/ssh/ssh_host_ed25519_key.pub";

/** One allowlist entry, checked by the grammar the policy pack uses too; normalised when right. */
export const allowlistEntry = z.unknown().transform((raw, ctx) => {
    const check = checkAllowlistEntry(raw);
    if (check.ok) return check.entry;
    addProblem(ctx, [], typeof raw === "string" ? `${shown(raw)} ${check.problem}` : check.problem, { example: check.example });
    return z.NEVER;
});

const notAnAddress = (issue: { input?: unknown }) => `must map to an IPv4 address, got ${shown(issue.input)}`;

/** The address a pinned host resolves to. */
export const pinnedAddress = z.string({ error: notAnAddress }).trim().refine(isIPv4, { error: notAnAddress });

const notAUserId = (issue: { input?: unknown }) => `must be a numeric Telegram user ID (a positive whole number without a leading zero), got ${shown(issue.input)}`;

/** A Telegram user ID as renderOpenClawConfig accepts it (`^[1-9][0-9]{0,19}$`); a number is read as its digits. */
export const telegramUserId = z.preprocess(
    (value) => (typeof value === "number" && Number.isSafeInteger(value) ? String(value) : value),
    z.string({ error: notAUserId }).trim().regex(/^[1-9][0-9]{0,19}$/, { error: notAUserId }),
);

/** A URL without trailing slashes, as the renderers join paths to it. */
export const withoutTrailingSlashes = (url: string) => url.replace(/\/+$/, "");

/**
 * A Telegram Bot API root (a relay or a test server). renderOpenClawConfig
 * refuses `${` (OpenClaw would substitute it), control characters,
 * credentials, a query or fragment, and a `/bot<TOKEN>` suffix; the proxy
 * opens port 443 to allowlisted names only.
 */
export const apiRoot: TextCheck = (value) => {
    const wrong = `must be an https URL on port 443 without credentials, a query or a fragment, got ${shown(value)}`;
    if (value.includes("${")) return `must not contain "\${" (OpenClaw would read it as an environment variable), got ${shown(value)}`;
    // The URL parser drops tabs and newlines unseen; the renderer checks the text as written.
    if (/[\s\u0000-\u001f\u007f]/.test(value)) return wrong;
    let url: URL;
    try {
        url = new URL(value);
    } catch {
        return wrong;
    }
    if (url.protocol !== "https:" || url.port !== "" || url.search !== "" || url.hash !== "" || url.username !== "" || url.password !== "") return wrong;
    if (!checkAllowlistEntry(url.hostname).ok) return `must name its host (the proxy allows names only, never addresses), got ${shown(value)}`;
    if (/\/bot[^/]*$/.test(withoutTrailingSlashes(value))) return `is the Bot API root, without /bot<TOKEN>, got ${shown(value)}`;
    return undefined;
};

/** One or more PEM certificates, as NODE_EXTRA_CA_CERTS reads them. */
export const pemCertificates = matches(/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/, "must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)");

/** An image reference pinned by a release tag or a digest (the policy pack's grammar, policy/contract/imageRef.ts). */
export const imageRef: TextCheck = (ref) => {
    const problem = imageRefProblem(ref);
    return problem === undefined ? undefined : `${shown(ref)} ${problem}`;
};

/** A Docker network subnet: private, /16 to /28, host bits zero (what planSubnet and the engine accept). */
export const privateSubnet: TextCheck = (value) => {
    const cidr = parseCidr(value);
    const ok = cidr !== undefined && cidr.prefix >= 16 && cidr.prefix <= 28 && isPrivateCidr(cidr);
    return ok ? undefined : `must be a private IPv4 subnet from /16 to /28 with the host bits zero, got ${shown(value)}`;
};

/** A Docker volume name (what `docker volume create` accepts). */
export const volumeName = matches(/^[a-zA-Z0-9][a-zA-Z0-9_.-]{1,127}$/, "must be a Docker volume name (letters, digits, '_', '.', '-')");
