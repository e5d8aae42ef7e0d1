/**
 * docker:index/image:Image (pulumi-docker's native build resource) and
 * docker:index/remoteImage:RemoteImage (terraform-provider-docker's
 * docker_image), with no registry reachable.
 */
import { createHash } from "crypto";
import * as fs from "fs";
import * as path from "path";
import { dockerBuildCli, engine, isNotFound } from "../docker";
import { StoredResource } from "../state";
import { Plan, ProviderContext, Realized, ResourceProvider } from "../types";
import { changedKeys, isSet, runProcess, sameValue } from "../util";
import { refuseUnknown, refuseUnknownFields } from "./objects";

const IMAGE = "docker:index/image:Image";
const REMOTE_IMAGE = "docker:index/remoteImage:RemoteImage";

/**
 * ENVIRONMENT ADAPTATION (this machine, not the provider): containers here
 * reach package registries only through an egress proxy whose CA is in the
 * host's bundle. Every BuildKit build gets that bundle as the build secret
 * `build_ca`; SecureClaw's Dockerfiles use it only when it is present
 * (`RUN --mount=type=secret,id=build_ca,required=false`), so the same
 * Dockerfiles build unchanged through the real provider, which passes no
 * secrets. Nothing of it ends up in an image layer. SECURECLAW_BUILD_CA
 * overrides the path; "none" turns it off.
 */
const BUILD_CA_SECRET_ID = "build_ca";
function buildCaPath(): string | undefined {
    const configured = process.env.SECURECLAW_BUILD_CA;
    if (configured === "none") return undefined;
    const file = configured || "/etc/ssl/certs/ca-certificates.crt";
    return fs.existsSync(file) ? file : undefined;
}

function buildPaths(ctx: ProviderContext, inputs: Record<string, any>): { context: string; dockerfile: string } {
    const build = inputs.build ?? {};
    const context = path.resolve(ctx.cwd, build.context || ".");
    // The provider's default: <context>/Dockerfile; a relative dockerfile is relative to the program.
    const dockerfile = build.dockerfile ? path.resolve(ctx.cwd, build.dockerfile) : path.join(context, "Dockerfile");
    return { context, dockerfile };
}

/**
 * Like pulumi-docker's contextDigest: a hash of every file in the build
 * context (path, mode, content) and of the Dockerfile. (The provider skips
 * .dockerignore'd files; hashing them too can only cause an extra, cached
 * build.)
 */
function contextDigest(context: string, dockerfile: string): string {
    const h = createHash("sha256");
    const walk = (dir: string) => {
        for (const entry of fs.readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
            const full = path.join(dir, entry.name);
            if (entry.isDirectory()) {
                walk(full);
            } else if (entry.isFile() || entry.isSymbolicLink()) {
                const st = fs.lstatSync(full);
                h.update(path.relative(context, full)).update("\0").update(String(st.mode)).update("\0");
                h.update(entry.isSymbolicLink() ? fs.readlinkSync(full) : fs.readFileSync(full)).update("\0");
            }
        }
    };
    walk(context);
    h.update("dockerfile\0").update(fs.readFileSync(dockerfile));
    return `sha256:${h.digest("hex")}`;
}

async function imageExists(id: string): Promise<boolean> {
    try {
        await engine().getImage(id).inspect();
        return true;
    } catch (err) {
        if (isNotFound(err)) return false;
        throw err;
    }
}

async function buildImage(ctx: ProviderContext, inputs: Record<string, any>): Promise<Realized> {
    const build = inputs.build ?? {};
    const { context, dockerfile } = buildPaths(ctx, inputs);
    if (!fs.existsSync(dockerfile)) throw new Error(`e2e harness: ${IMAGE} ${ctx.name}: no Dockerfile at ${dockerfile}`);
    const buildKit = (build.builderVersion ?? "BuilderBuildKit") === "BuilderBuildKit";
    const args = ["build", "-t", inputs.imageName, "-f", dockerfile];
    for (const [k, v] of Object.entries(build.args ?? {})) args.push("--build-arg", `${k}=${v}`);
    if (build.target) args.push("--target", build.target);
    if (build.platform) args.push("--platform", build.platform);
    if (build.network) args.push("--network", build.network);
    for (const host of build.addHosts ?? []) args.push("--add-host", host);
    const ca = buildKit ? buildCaPath() : undefined;
    if (ca) args.push("--secret", `id=${BUILD_CA_SECRET_ID},src=${ca}`);
    args.push(context);
    const cli = buildKit ? await dockerBuildCli() : "docker";
    const result = await runProcess(cli, args, {
        cwd: ctx.cwd,
        env: { ...process.env, DOCKER_BUILDKIT: buildKit ? "1" : "0", BUILDKIT_PROGRESS: "plain" },
        timeoutMs: ctx.timeouts.create ?? 60 * 60_000,
    });
    if (result.code !== 0) {
        const tail = result.combined.split("\n").slice(-60).join("\n");
        throw new Error(`e2e harness: ${IMAGE} ${ctx.name}: docker build of ${inputs.imageName} failed (exit ${result.code}${result.timedOut ? ", timed out" : ""}):\n${tail}`);
    }
    const image = await engine().getImage(inputs.imageName).inspect();
    return {
        // The provider's id is the image name; with skipPush, repoDigest is the local image ID.
        id: inputs.imageName,
        outputs: {
            ...inputs,
            imageName: inputs.imageName,
            baseImageName: inputs.imageName,
            context: build.context,
            dockerfile: path.relative(context, dockerfile),
            platform: build.platform,
            registryServer: undefined,
            repoDigest: image.Id,
            contextDigest: contextDigest(context, dockerfile),
        },
    };
}

export const imageProvider: ResourceProvider = {
    check(name, inputs) {
        refuseUnknown(IMAGE, name, inputs, ["imageName", "build", "skipPush", "buildOnPreview"], ["registry"]);
        if (inputs.skipPush !== true) throw new Error(`e2e harness: ${IMAGE} ${name}: skipPush is not true, but no registry is reachable to push to`);
        refuseUnknownFields(`${IMAGE} ${name}: build`, inputs.build, ["context", "dockerfile", "args", "target", "platform", "network", "addHosts", "builderVersion"]);
    },
    /**
     * pulumi-docker rebuilds (an update, same id) when the inputs or the build
     * context's contents change. So does the harness; it also rebuilds when
     * the image it built is gone, and on every run with refresh. A rebuild
     * that yields a new image ID changes repoDigest, which replaces the
     * containers that run it.
     */
    async plan(ctx, old, inputs): Promise<Plan> {
        const changed = changedKeys(old.inputs, inputs);
        const { context, dockerfile } = buildPaths(ctx, inputs);
        if (!fs.existsSync(dockerfile)) throw new Error(`e2e harness: ${IMAGE} ${ctx.name}: no Dockerfile at ${dockerfile}`);
        if (contextDigest(context, dockerfile) !== old.outputs.contextDigest) changed.push("(build context)");
        if (changed.length === 0 && !ctx.refresh && (await imageExists(old.outputs.repoDigest))) return { kind: "same", changed };
        const built = await buildImage(ctx, inputs);
        if (built.outputs.repoDigest !== old.outputs.repoDigest) changed.push("(image ID)");
        return { kind: changed.length === 0 ? "same" : "update", changed, precomputed: built };
    },
    async create(ctx, inputs) {
        return buildImage(ctx, inputs);
    },
    async update(ctx, _old, inputs, plan) {
        return plan.precomputed ?? buildImage(ctx, inputs);
    },
    async delete() {
        // pulumi-docker's Image delete does nothing: the local image stays.
    },
    async exists() {
        return true;
    },
};

async function inspectLocal(ctx: ProviderContext, ref: string): Promise<{ Id: string; RepoDigests?: string[] }> {
    try {
        return await engine().getImage(ref).inspect();
    } catch (err) {
        if (isNotFound(err)) {
            throw new Error(
                `e2e harness: ${REMOTE_IMAGE} ${ctx.name}: image ${ref} is not on this Docker engine, and no registry can be reached to pull it. ` +
                    "Make it locally first (base images: scripts/make-base-images.sh), or pull it on a machine that reaches its registry.",
            );
        }
        throw err;
    }
}

async function realizeRemote(ctx: ProviderContext, inputs: Record<string, any>): Promise<Realized> {
    const image = await inspectLocal(ctx, inputs.name);
    return {
        id: `${image.Id}${inputs.name}`,
        outputs: { ...inputs, imageId: image.Id, repoDigest: image.RepoDigests?.[0] ?? "" },
    };
}

/** Inputs of docker_image that are not ForceNew. */
const REMOTE_IN_PLACE = ["keepLocally", "forceRemove"];

export const remoteImageProvider: ResourceProvider = {
    check(name, inputs) {
        refuseUnknown(REMOTE_IMAGE, name, inputs, ["name", "keepLocally", "forceRemove", "pullTriggers", "triggers"], ["build", "platform"]);
        if (inputs.keepLocally !== true) {
            throw new Error(`e2e harness: ${REMOTE_IMAGE} ${name}: keepLocally is not true; deleting local images on destroy is not implemented`);
        }
    },
    /**
     * Like `pulumi up --refresh` for images: the local image is inspected
     * every run, so a re-made image (same tag, new ID) shows up as an update
     * and replaces the containers that run it.
     */
    async plan(ctx, old, inputs): Promise<Plan> {
        const changed = changedKeys(old.inputs, inputs);
        if (changed.some((k) => !REMOTE_IN_PLACE.includes(k))) return { kind: "replace", changed };
        const now = await realizeRemote(ctx, inputs);
        if (!sameValue(now.outputs.imageId, old.outputs.imageId)) changed.push("(local image ID)");
        return { kind: changed.length === 0 ? "same" : "update", changed, precomputed: now };
    },
    async create(ctx, inputs) {
        return realizeRemote(ctx, inputs);
    },
    async update(ctx, _old, inputs, plan) {
        return plan.precomputed ?? realizeRemote(ctx, inputs);
    },
    async delete() {
        // keepLocally: the image stays.
    },
    async exists(record: StoredResource) {
        return isSet(record.outputs.imageId);
    },
};
