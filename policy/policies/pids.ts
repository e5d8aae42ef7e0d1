import { StackFinding, StackResource, stackPolicy } from "./define";
import { isUnknown, j, list, roleOf, T } from "./util";

/** `docker update ... --pids-limit N ...` (also `docker container update`), N captured. */
const DOCKER_UPDATE_PIDS = /docker\s+(?:container\s+)?update\b[^\n;&|]*?--pids-limit(?:=|\s+)(-?\d+)/g;

function pidsLimits(text: string): number[] {
    return [...text.matchAll(DOCKER_UPDATE_PIDS)].map((m) => Number(m[1]));
}

/**
 * The agent's process limit. @pulumi/docker has no pids-limit input, so the
 * limit is one of: a Command running `docker update --pids-limit N <agent>`
 * (the engine's cgroup limit, re-run when the container is replaced), a
 * cgroupParent whose pids.max is set, or an nproc ulimit (weakest: it counts
 * every process of the uid on the host).
 */
export function checkAgentPidsLimited(resources: StackResource[]): StackFinding[] {
    const out: StackFinding[] = [];
    const commands = resources.filter((r) => r.type === T.localCommand || r.type === T.remoteCommand);
    for (const agent of resources.filter((r) => r.type === T.container && roleOf(r.props) === "agent")) {
        const p = agent.props;
        const ulimits = list<Record<string, any>>(p.ulimits);
        if (ulimits === null || isUnknown(p.cgroupParent)) continue;
        if (ulimits.some((u) => isUnknown(u) || isUnknown(u?.name))) continue;
        const nproc = ulimits.find((u) => u && typeof u.name === "string" && u.name.toLowerCase() === "nproc");
        if (nproc && [nproc.soft, nproc.hard].every((n) => isUnknown(n) || (typeof n === "number" && n > 0))) continue;
        if (typeof p.cgroupParent === "string" && p.cgroupParent.trim() !== "") continue;

        const handles = [p.id, p.name].filter((h): h is string => typeof h === "string" && h !== "" && !isUnknown(h));
        let limited = false;
        // preview: the agent's name or ID may not be known yet
        let undecided = isUnknown(p.name) || isUnknown(p.id);
        for (const c of commands) {
            const texts = [c.props.create, c.props.update];
            if (texts.some((t) => isUnknown(t))) {
                undecided = true; // preview: the command names an agent that doesn't exist yet
                continue;
            }
            for (const t of texts) {
                if (typeof t !== "string") continue;
                const limits = pidsLimits(t);
                if (limits.length === 0) continue;
                const aimsAtAgent = handles.some((h) => t.includes(h)) || c.dependencies.includes(agent.urn);
                if (aimsAtAgent && limits.every((n) => n > 0)) limited = true;
            }
        }
        if (limited || undecided) continue;
        out.push({
            urn: agent.urn,
            message:
                `agent container ${j(agent.name)} has no process limit: add a command.local.Command that runs "docker update --pids-limit 512 <agent container id>" ` +
                `(triggered by the container's id, so it runs again when the container is replaced), or set cgroupParent to a cgroup whose pids.max is set ` +
                `(found no such command, no cgroupParent and no positive nproc ulimit); a fork bomb would otherwise starve the host`,
        });
    }
    return out;
}

export const agentPidsLimited = stackPolicy({
    name: "agent-pids-limited",
    description:
        "The agent has a process limit: a Command running `docker update --pids-limit N` on the agent container, a cgroupParent with pids.max, or a positive nproc ulimit.",
    enforcementLevel: "mandatory",
    check: (resources) => checkAgentPidsLimited(resources),
});
