import { resourcePolicy } from "./define";
import { describeContainer, isDockerSocket, isTrue, isUnknown, j, list, normPath, T } from "./util";

/** Host paths no SecureClaw container may mount, whatever its role. */
const FORBIDDEN_HOST_PREFIXES = ["/proc", "/sys", "/dev", "/boot", "/var/lib/docker", "/var/lib/containerd", "/run/containerd"];

function forbiddenHostPath(p: string): string | undefined {
    const n = normPath(p);
    if (isDockerSocket(n, true)) return "it exposes the Docker socket, which is root on the host";
    const prefix = FORBIDDEN_HOST_PREFIXES.find((f) => n === f || n.startsWith(`${f}/`));
    return prefix ? `it exposes the host's ${prefix}` : undefined;
}

function describePort(p: Record<string, any>): string {
    const ip = p?.ip ?? "0.0.0.0";
    const ext = p?.external ?? "random";
    return `${ip}:${ext}->${p?.internal}/${p?.protocol ?? "tcp"}`;
}

/**
 * Ways a container (any role) becomes reachable from, or reaches into, the
 * Docker host: published ports, host-gateway, host networking, privileged
 * mode, the Docker socket and the host's system directories.
 */
export function checkHostExposure(props: Record<string, any>, role: string | undefined | null): string[] {
    const who = describeContainer(role);
    const out: string[] = [];
    const ports = list<Record<string, any>>(props.ports);
    if (ports !== null && ports.length > 0) {
        out.push(`${who} must not publish ports on the Docker host: remove ports (found ${ports.map(describePort).join(", ")}); enclave services are reached over their internal networks only`);
    }
    if (!isUnknown(props.publishAllPorts) && isTrue(props.publishAllPorts)) {
        out.push(`${who} must not publish ports on the Docker host: set publishAllPorts to false or remove it (found publishAllPorts: true)`);
    }
    for (const h of list<Record<string, any>>(props.hosts) ?? []) {
        if (h && typeof h.ip === "string" && h.ip.trim().toLowerCase() === "host-gateway") {
            out.push(`${who} must not be given a route to the Docker host: remove the hosts entry ${j({ host: h.host, ip: h.ip })}; host-gateway reaches every service listening on the host`);
        }
    }
    const mode = props.networkMode;
    if (typeof mode === "string" && !isUnknown(mode) && mode.trim().toLowerCase() === "host") {
        out.push(`${who} must not use the host's network stack: remove networkMode "host" and attach it with networksAdvanced`);
    }
    if (!isUnknown(props.privileged) && isTrue(props.privileged)) {
        out.push(`${who} must not be privileged: set privileged: false or remove it (found privileged: true)`);
    }
    (list<Record<string, any>>(props.volumes) ?? []).forEach((v, i) => {
        if (!v || isUnknown(v)) return;
        if (typeof v.hostPath === "string" && !isUnknown(v.hostPath)) {
            const why = forbiddenHostPath(v.hostPath);
            if (why) out.push(`${who} must not mount ${j(v.hostPath)} from the host: remove volumes[${i}]; ${why}`);
        }
        if (typeof v.containerPath === "string" && !isUnknown(v.containerPath) && isDockerSocket(v.containerPath, false)) {
            out.push(`${who} must not get a Docker socket: remove volumes[${i}] (containerPath ${j(v.containerPath)})`);
        }
    });
    (list<Record<string, any>>(props.mounts) ?? []).forEach((m, i) => {
        if (!m || isUnknown(m)) return;
        if (typeof m.type === "string" && m.type.toLowerCase() === "bind" && typeof m.source === "string" && !isUnknown(m.source)) {
            const why = forbiddenHostPath(m.source);
            if (why) out.push(`${who} must not mount ${j(m.source)} from the host: remove mounts[${i}]; ${why}`);
        }
        if (typeof m.target === "string" && !isUnknown(m.target) && isDockerSocket(m.target, false)) {
            out.push(`${who} must not get a Docker socket: remove mounts[${i}] (target ${j(m.target)})`);
        }
    });
    return out;
}

export const noHostExposure = resourcePolicy({
    name: "no-host-exposure",
    description:
        "No container (agent, proxy, gateway, vLLM, config writer or unlabeled) publishes ports, maps host-gateway, uses host networking, runs privileged, or mounts the Docker socket or the host's system directories.",
    enforcementLevel: "mandatory",
    types: [T.container],
    check: (props, ctx) => checkHostExposure(props, ctx.role),
});
