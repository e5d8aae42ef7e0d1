import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";

/**
 * Joins a running sidecar to an agent's cell network under `alias`.
 *
 * Why not the sidecar's `networksAdvanced`: the Docker provider replaces a
 * container whenever that list changes, so adding an agent would restart the
 * proxy, the door and the relay, and cut every other agent's open tunnels.
 * `docker network connect` adds the endpoint to the running container
 * instead, and the provider never reads it back as drift (it leaves a
 * non-empty networks_advanced as written). IDs, not names: when the
 * sidecar is replaced, the old attachment's delete must not disconnect the
 * new container of the same name. The delete tolerates a container or
 * network already gone; the create tolerates an endpoint already there
 * (a run interrupted after connecting).
 */
export function attachToCell(name: string, args: { container: docker.Container; network: docker.Network; alias: string }, parent: pulumi.Resource): command.local.Command {
    const { container, network, alias } = args;
    const connected = pulumi.interpolate`docker network inspect --format '{{range $id, $c := .Containers}}{{$id}} {{end}}' ${network.id} | tr ' ' '\n' | grep -qx ${container.id}`;
    return new command.local.Command(name, {
        create: pulumi.interpolate`docker network connect --alias ${alias} ${network.id} ${container.id} || ${connected}`,
        delete: pulumi.interpolate`docker network disconnect --force ${network.id} ${container.id} 2>/dev/null || true`,
        triggers: [container.id, network.id],
    }, { parent, deleteBeforeReplace: true });
}
