/**
 * The image-reference grammar both sides use: the config validator refuses a
 * stack's image setting with it, the policy pack refuses a container or
 * remote image with it. One definition of "pinned", so the two never disagree.
 */

export interface ImageRef {
    /** Repository without tag or digest, e.g. `ghcr.io/berriai/litellm`. */
    repository: string;
    tag?: string;
    digest?: string;
}

const IMAGE_ID = /^sha256:[a-f0-9]{64}$/;
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Tags that name a moving target rather than a release. */
const MOVING_TAGS = new Set(["latest", "nightly", "edge", "dev", "main", "master", "stable", "rolling", "canary", "unstable", "head"]);

/** Splits `registry:port/path/name:tag@digest`; a colon before the last slash belongs to the registry. */
export function parseImageRef(ref: string): ImageRef {
    let rest = ref.trim();
    let digest: string | undefined;
    const at = rest.indexOf("@");
    if (at >= 0) {
        digest = rest.slice(at + 1);
        rest = rest.slice(0, at);
    }
    const slash = rest.lastIndexOf("/");
    const colon = rest.lastIndexOf(":");
    let tag: string | undefined;
    if (colon > slash) {
        tag = rest.slice(colon + 1);
        rest = rest.slice(0, colon);
    }
    return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

export function isMovingTag(tag: string): boolean {
    const t = tag.toLowerCase();
    return MOVING_TAGS.has(t) || /(^|[-_.])latest($|[-_.])/.test(t);
}

export type PinLevel = "id" | "digest" | "tag" | "moving" | "none" | "bad-digest";

export function pinLevel(ref: string): PinLevel {
    const r = ref.trim();
    if (IMAGE_ID.test(r)) return "id";
    const p = parseImageRef(r);
    if (p.digest !== undefined) return DIGEST.test(p.digest) ? "digest" : "bad-digest";
    if (p.tag === undefined || p.tag === "") return "none";
    return isMovingTag(p.tag) ? "moving" : "tag";
}

/** The Docker reference grammar (lower-case repository path, optional registry port, tag, sha256 digest). */
const REFERENCE = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** What is wrong with `ref` as a pinned image setting, or undefined when it is pinned by a release tag or a digest. */
export function imageRefProblem(ref: string): string | undefined {
    if (!REFERENCE.test(ref)) return "is not a valid image reference";
    switch (pinLevel(ref)) {
        case "none": return "has no tag or digest, so every pull may bring a different image";
        case "moving": return `is pinned to \`${parseImageRef(ref).tag}\`, which moves; use a version tag or a digest`;
        case "bad-digest": return "has a digest that is not sha256:<64 hex>";
        default: return undefined;
    }
}
