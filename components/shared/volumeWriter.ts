import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { HARDENED } from "./hardening";
import { labels } from "./labels";

export interface VolumeWriterArgs {
    /** Docker name of the writer container. */
    name: string;
    /** Prefix of Docker object names, `secureclaw-<stack>`, for its labels. */
    namePrefix: string;
    /** Any image present on the engine; the container is created from it but never started. */
    image: pulumi.Input<string>;
    /** The volume the file lands in. */
    volumeName: pulumi.Input<string>;
    /** Where the writer mounts the volume; the upload's path starts with it. */
    mountPath: string;
    /** The one file: its path under `mountPath`, content (a secret where it is one), mode and owner. */
    upload: docker.types.input.ContainerUpload;
}

/**
 * A never-started container whose only job is to put one file into a named
 * volume, which the service then mounts read-only.
 *
 * Why a container that never runs: Docker refuses uploads into a read-only
 * root filesystem (the provider extracts them at "/", even when the file
 * lands in a volume), so the service itself can't receive them; this writer's
 * root is writable, which exposes nothing since nothing ever runs in it. An
 * upload is an input of the resource, so a secret stays a Pulumi secret and
 * never appears on a command line. One writer per file: the provider keeps
 * uploads as a set and reads them back reordered, so a changed file replaces
 * only its own writer and a preview shows that file's edit and nothing else.
 */
export function volumeWriter(resourceName: string, args: VolumeWriterArgs, opts: pulumi.CustomResourceOptions): docker.Container {
    return new docker.Container(resourceName, {
        name: args.name,
        image: args.image,
        start: false,
        mustRun: false,
        networkMode: "none",
        ...HARDENED,
        readOnly: false,
        restart: "no",
        volumes: [{ volumeName: args.volumeName, containerPath: args.mountPath }],
        uploads: [args.upload],
        labels: labels(args.namePrefix, "config-writer"),
    }, opts);
}
