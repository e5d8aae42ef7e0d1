import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * Starts a container that was created with `start: false` (and `mustRun:
 * false`), after putting its process limit in force.
 *
 * @pulumi/docker has no pids-limit input, and `ulimits` nproc counts every
 * process of the uid on the host, not the container. The engine's cgroup
 * limit is set with `docker update`, and only then is the container started,
 * so not one process of it runs without the limit. The command runs again
 * whenever the container is replaced (its ID is a trigger), so a new
 * container is never left unstarted or unlimited.
 */
export function startUnderPidsLimit(name: string, container: docker.Container, pids: number, parent: pulumi.Resource): command.local.Command {
    return new command.local.Command(name, {
        create: pulumi.interpolate`docker update --pids-limit ${pids} ${container.id} && docker start ${container.id}`,
        triggers: [container.id, pids],
    }, { parent });
}

/** The container inputs that defer the start to startUnderPidsLimit. */
export const STARTED_UNDER_PIDS_LIMIT = { start: false, mustRun: false } as const;
