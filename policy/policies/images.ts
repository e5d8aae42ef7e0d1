import { parseImageRef, pinLevel } from "../contract/imageRef";
import { resourcePolicy } from "./define";
import { isUnknown, j, T } from "./util";

export interface ImagePinningConfig {
    /** When true, a tag alone is not enough: every image must carry a digest. */
    requireDigests?: boolean;
}

/** Where the reference sits in the inputs, for messages: `image` of a container, `name` of a RemoteImage. */
function describe(type: string): { what: string; field: string } | undefined {
    if (type === T.container) return { what: "container image", field: "image" };
    if (type === T.remoteImage) return { what: "remote image", field: "name" };
    return undefined;
}

function refOf(type: string, props: Record<string, any>): unknown {
    return type === T.container ? props.image : props.name;
}

/** Mandatory: a tag or digest, never a moving tag; with requireDigests, a digest. */
export function checkImagePinned(type: string, props: Record<string, any>, config: ImagePinningConfig): string[] {
    const d = describe(type);
    const ref = refOf(type, props);
    if (!d || typeof ref !== "string" || isUnknown(ref)) return [];
    const p = parseImageRef(ref);
    const example = `${j(`${p.repository}:<version>`)} or ${j(`${p.repository}@sha256:<digest>`)}`;
    switch (pinLevel(ref)) {
        case "id":
        case "digest":
            return [];
        case "bad-digest":
            return [`${d.what} ${j(ref)} has a malformed digest: set ${d.field} to ${j(`${p.repository}@sha256:<64 hex digits>`)}`];
        case "none":
            return [`${d.what} ${j(ref)} is not pinned: set ${d.field} to ${example}; without a tag Docker pulls :latest, which changes under you`];
        case "moving":
            return [`${d.what} ${j(ref)} uses the moving tag ${j(p.tag)}: set ${d.field} to a release tag or a digest, ${example}`];
        case "tag":
            if (config.requireDigests === true) {
                return [
                    `${d.what} ${j(ref)} is pinned by tag only and this stack requires digests (requireDigests: true): set ${d.field} to ${j(`${p.repository}:${p.tag}@sha256:<digest>`)} (\`docker buildx imagetools inspect ${ref}\` prints the digest)`,
                ];
            }
            return [];
    }
}

/** Advisory: a tag can be moved by whoever controls the registry; a digest can't. */
export function checkImageDigest(type: string, props: Record<string, any>): string[] {
    const d = describe(type);
    const ref = refOf(type, props);
    if (!d || typeof ref !== "string" || isUnknown(ref)) return [];
    if (pinLevel(ref) !== "tag") return [];
    const p = parseImageRef(ref);
    return [`${d.what} ${j(ref)} is pinned by tag only; a tag can be re-pointed by whoever controls the registry: prefer ${j(`${p.repository}:${p.tag}@sha256:<digest>`)}`];
}

export const imagesPinned = resourcePolicy<ImagePinningConfig>({
    name: "images-pinned",
    description:
        "Every container image and RemoteImage is an image ID or a reference with a release tag or a digest; untagged and moving tags (latest, main, nightly, ...) are refused. With requireDigests: true, a digest is required.",
    enforcementLevel: "mandatory",
    types: [T.container, T.remoteImage],
    configSchema: {
        properties: {
            requireDigests: {
                type: "boolean",
                default: false,
                description: "Refuse images pinned by tag only; every reference must carry @sha256:<digest>.",
            },
        },
    },
    check: (props, ctx) => checkImagePinned(ctx.type, props, ctx.config),
});

export const imagesDigestAdvised = resourcePolicy({
    name: "images-digest-advised",
    description: "Warns about images pinned by tag only (a tag can be moved; a digest can't). Set images-pinned's requireDigests to make it mandatory.",
    enforcementLevel: "advisory",
    types: [T.container, T.remoteImage],
    check: (props, ctx) => checkImageDigest(ctx.type, props),
});
