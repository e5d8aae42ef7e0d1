/**
 * Shared helpers for the SecureClaw guardrail policies.
 *
 * Everything here is plain data handling so that every check can be a pure
 * function `(inputs) => string[]` that tests call directly, without the
 * PolicyPack runtime.
 */

/** Resource types of the SecureClaw program (Pulumi type tokens). */
export const T = {
    network: "docker:index/network:Network",
    container: "docker:index/container:Container",
    volume: "docker:index/volume:Volume",
    image: "docker:index/image:Image",
    remoteImage: "docker:index/remoteImage:RemoteImage",
    remoteCommand: "command:remote:Command",
    localCommand: "command:local:Command",
} as const;

import { ROLE_LABEL } from "../contract/contract";
export { ROLE_LABEL, ROLES } from "../contract/contract";

/**
 * During `pulumi preview` an input computed from another resource's output
 * (an image ID, a network name that does not exist yet) has no value. The
 * engine sends such a value as one of these sentinel strings, and the policy
 * SDK's proxy throws when a policy reads one. The checks read the raw inputs
 * instead (see `rawProps`) and treat a sentinel as "not known yet": a check
 * that depends on it is skipped in preview and runs again at `pulumi up`,
 * when every value is known.
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // boolean
    "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
    "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string (and any value sent by the engine)
    "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
    "030794c1-ac77-496b-92df-f27374a8bd58", // asset
    "e48ece36-62e2-4504-bad9-02848725956a", // archive
    "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

/** The string the engine uses for an unknown value; tests use it to simulate a preview. */
export const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

export function isUnknown(value: unknown): boolean {
    return typeof value === "string" && UNKNOWN_SENTINELS.has(value);
}

/**
 * The policy SDK hands validations a Proxy that throws on any unknown value.
 * Unwrap it so the checks can see sentinels and skip what preview can't know,
 * instead of aborting the whole policy. A plain object is returned as is.
 */
export function rawProps(props: Record<string, any>): Record<string, any> {
    try {
        if (props && (props as any)["__isSpecialProxy"] === true) {
            const target = (props as any)["__getSpecialProxyTarget"];
            if (target && typeof target === "object") return target as Record<string, any>;
        }
    } catch {
        // not a proxy we know; fall through
    }
    return props;
}

export type Label = { label?: unknown; value?: unknown };

/**
 * The value of `secureclaw.role`: a string, `undefined` when the resource has
 * no such label, or `null` when preview can't tell (labels not known yet).
 */
export function roleOf(props: Record<string, any>): string | undefined | null {
    const labels = props.labels;
    if (labels === undefined || labels === null) return undefined;
    if (isUnknown(labels)) return null;
    if (!Array.isArray(labels)) {
        // tolerate the map form some tools produce
        if (typeof labels === "object") {
            const v = (labels as Record<string, unknown>)[ROLE_LABEL];
            if (v === undefined) return undefined;
            return isUnknown(v) ? null : String(v);
        }
        return undefined;
    }
    let sawUnknown = false;
    for (const l of labels as Label[]) {
        if (isUnknown(l) || isUnknown(l?.label)) {
            sawUnknown = true;
            continue;
        }
        if (l?.label === ROLE_LABEL) {
            if (isUnknown(l.value)) return null;
            return typeof l.value === "string" ? l.value : String(l.value);
        }
    }
    return sawUnknown ? null : undefined;
}

/** A list input as an array: absent is empty; an unknown list is `null`. */
export function list<T = any>(value: unknown): T[] | null {
    if (value === undefined || value === null) return [];
    if (isUnknown(value)) return null;
    if (Array.isArray(value)) return value as T[];
    return [value as T];
}

/** Known string elements of a list input (unknown elements dropped). */
export function knownStrings(value: unknown): string[] {
    return (list(value) ?? []).filter((v) => typeof v === "string" && !isUnknown(v)) as string[];
}

/** JSON for messages, short and stable. */
export function j(value: unknown): string {
    return JSON.stringify(value);
}

/** Last path component of a file path in a container. */
export function basename(file: string): string {
    const parts = file.split("/");
    return parts[parts.length - 1] ?? file;
}

/** Truthy boolean input (`true` or the string "true"). */
export function isTrue(value: unknown): boolean {
    return value === true || value === "true";
}

/** A path normalised for comparisons: no trailing slash, no repeated slashes. */
export function normPath(p: string): string {
    const collapsed = p.replace(/\/+/g, "/");
    return collapsed.length > 1 ? collapsed.replace(/\/$/, "") : collapsed;
}

/** Where the Docker API socket lives on Linux hosts (and its usual symlink). */
export const DOCKER_SOCKET_PATHS = ["/var/run/docker.sock", "/run/docker.sock"];

/**
 * True for a path that is, or (on the host side) contains, the Docker API
 * socket. Mounting the host's /run or /var/run hands over the socket too.
 */
export function isDockerSocket(p: string, hostSide: boolean): boolean {
    const n = normPath(p);
    if (DOCKER_SOCKET_PATHS.includes(n) || n.endsWith("/docker.sock")) return true;
    return hostSide && (n === "/var/run" || n === "/run" || n === "/var" || n === "/");
}

/** "agent container", "unlabeled container", or just "container" when preview can't tell the role. */
export function describeContainer(role: string | undefined | null): string {
    return role === null ? "container" : `${role ?? "unlabeled"} container`;
}
