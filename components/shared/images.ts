import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as path from "path";

/**
 * The images that build with all of images/ as their context, so that they
 * can COPY images/sidecar-kit (the modules the door and the relay share);
 * images/.dockerignore keeps that context to what their Dockerfiles use.
 * Every other image builds from its own folder.
 */
const SHARED_CONTEXT = new Set(["door", "relay"]);

/**
 * Builds one of the repo's images (images/<folder>/Dockerfile) on the Docker
 * host and returns its image ID. Containers reference the ID, not the tag, so
 * a rebuild that changes the image replaces the containers that run it.
 */
export function buildRepoImage(name: string, args: { namePrefix: string; repoRoot: string; folder: string }, parent: pulumi.Resource): pulumi.Output<string> {
    const folder = path.join(args.repoRoot, "images", args.folder);
    const image = new docker.Image(name, {
        imageName: `secureclaw/${args.folder}:${args.namePrefix}`,
        build: {
            ...(SHARED_CONTEXT.has(args.folder)
                ? { context: path.join(args.repoRoot, "images"), dockerfile: path.join(folder, "Dockerfile") }
                : { context: folder }),
            builderVersion: "BuilderBuildKit",
        },
        skipPush: true,
    }, { parent });
    return image.repoDigest;
}

/** Pulls a pinned image reference (validated to carry a tag or digest) and returns its image ID. */
export function pinnedImage(name: string, ref: string, parent: pulumi.Resource): pulumi.Output<string> {
    const image = new docker.RemoteImage(name, { name: ref, keepLocally: true }, { parent });
    return image.imageId;
}
