import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { contentHash } from "./hash";
import { dockerName, Role } from "../../policy/contract/contract";
import { labels } from "./labels";
import { volumeWriter } from "./volumeWriter";

/** A file to place in the volume. */
export interface ConfigFile {
    /** Path relative to the volume root, e.g. "skills/aider/SKILL.md". */
    path: string;
    /** File content; never a secret (the service reads secrets from its environment). */
    content: string;
    /** Mark the file executable (mode 0755 instead of 0644). */
    executable?: boolean;
}

export interface ConfigVolumeArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Role label of the volume, e.g. "egress-config". */
    role: Role;
    /** The files, always the same set for a volume so no stale file outlives a change. */
    files: ConfigFile[];
    /** Any image present on the engine; the writer container is created from it but never started. */
    writerImage: pulumi.Input<string>;
    /** Docker name of the volume when not `<namePrefix>-<role>` (one agent's of several); its writers are named after it. */
    volumeName?: string;
}

/** Where the writer container mounts the volume. */
const WRITER_MOUNT = "/config";

/**
 * A named volume holding rendered config files, and the never-started
 * writers (see volumeWriter) that put them there, one per file.
 *
 * Why not upload straight into the service's container? Docker refuses
 * uploads into a read-only root filesystem, and the Docker provider replaces a
 * container whenever its uploads change. Writing into a volume through a
 * separate container keeps the service's root read-only, mounts the files
 * read-only where the service sees them, and lets a file change (the egress
 * allowlist) reach a running container without replacing it: the writer is
 * replaced instead, its uploads land in the same volume, and the service
 * reloads. Services that can't reload carry `hash` as a label, so a change
 * replaces them on purpose.
 */
export class ConfigVolume extends pulumi.ComponentResource {
    /** Docker name of the volume. */
    public readonly volumeName: pulumi.Output<string>;
    /** One writer per file; services depend on them so the files exist before they start. */
    public readonly writers: docker.Container[];
    /** Hash of every file's path, mode and content. */
    public readonly hash: string;

    constructor(name: string, args: ConfigVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:config:ConfigVolume", name, {}, opts);
        const files = [...args.files].sort((a, b) => a.path.localeCompare(b.path));
        for (const file of files) {
            if (file.path.startsWith("/") || file.path.split("/").includes("..")) {
                throw new Error(`ConfigVolume ${name}: file path must be relative and stay inside the volume, got ${file.path}`);
            }
        }
        this.hash = contentHash(...files.flatMap((f) => [f.path, f.executable ? "x" : "-", f.content]));

        const volumeName = args.volumeName ?? dockerName(args.namePrefix, args.role);
        const volume = new docker.Volume(name, {
            name: volumeName,
            labels: labels(args.namePrefix, args.role),
        }, { parent: this });
        this.volumeName = volume.name;

        this.writers = files.map((f) => volumeWriter(`${name}-writer-${slug(f.path)}`, {
            name: `${volumeName}-writer-${slug(f.path)}`,
            namePrefix: args.namePrefix,
            image: args.writerImage,
            volumeName: volume.name,
            mountPath: WRITER_MOUNT,
            upload: { file: `${WRITER_MOUNT}/${f.path}`, content: f.content, permissions: f.executable ? "0755" : "0644" },
        }, { parent: this }));

        this.registerOutputs({ volumeName: this.volumeName, hash: this.hash });
    }
}

/** "skills/aider/SKILL.md" -> "skills-aider-skill-md": a Docker-name-safe form of a file path. */
export function slug(filePath: string): string {
    return filePath.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}
