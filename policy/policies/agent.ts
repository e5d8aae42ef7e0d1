import { AGENT_RUNTIMES } from "../contract/contract";
import { resourcePolicy } from "./define";
import { isDockerSocket, isTrue, isUnknown, j, knownStrings, list, T } from "./util";

const AGENT = ["agent"] as const;

function lower(s: string): string {
    return s.toLowerCase();
}

/** Capabilities, privilege escalation, user, root filesystem, namespaces and devices. */
export function checkAgentPrivileges(props: Record<string, any>): string[] {
    const out: string[] = [];

    // Capabilities: drop everything, add nothing.
    const caps = props.capabilities;
    if (!isUnknown(caps)) {
        const drops = list<string>(caps?.drops);
        const adds = list<string>(caps?.adds);
        const knownAdds = knownStrings(caps?.adds);
        const dropsAll = drops === null ? null : drops.some((d) => typeof d === "string" && ["all", "cap_all"].includes(lower(d)));
        if (dropsAll === false || knownAdds.length > 0) {
            out.push(
                `agent container must drop ALL capabilities: set capabilities.drops to ["ALL"] and remove capabilities.adds (found drops: ${j(knownStrings(caps?.drops))}, adds: ${j(adds === null ? "unknown" : knownAdds)})`,
            );
        }
    }

    if (!isUnknown(props.privileged) && isTrue(props.privileged)) {
        out.push(`agent container must not be privileged: remove privileged or set privileged: false (found privileged: true); privileged mode hands the container every device and capability of the host`);
    }

    // no-new-privileges, and no profile switched off.
    const securityOpts = list<string>(props.securityOpts);
    if (securityOpts !== null) {
        const opts = knownStrings(props.securityOpts);
        const nnpOn = opts.some((o) => /^no-new-privileges(?:[:=]true)?$/i.test(o.trim()));
        const nnpOff = opts.some((o) => /^no-new-privileges[:=]false$/i.test(o.trim()));
        const complete = opts.length === securityOpts.length;
        if (nnpOff || (!nnpOn && complete)) {
            out.push(`agent container must not gain privileges through setuid binaries: add "no-new-privileges:true" to securityOpts (found securityOpts: ${j(opts)})`);
        }
        const unconfined = opts.filter((o) => /^(seccomp|apparmor|systempaths)[:=]unconfined$/i.test(o.trim()) || /^label[:=]disable$/i.test(o.trim()));
        if (unconfined.length > 0) {
            out.push(`agent container must keep Docker's default seccomp, AppArmor and SELinux confinement: remove ${j(unconfined)} from securityOpts`);
        }
    }

    // Non-root user and group.
    const user = props.user;
    if (!isUnknown(user)) {
        if (typeof user !== "string" || user.trim() === "") {
            out.push(`agent container must run as a non-root user: set user to "1000:1000" (found no user, so it runs as the image's default user, usually root)`);
        } else {
            const [uid, gid] = user.trim().split(":");
            if (uid === "0" || lower(uid ?? "") === "root") {
                out.push(`agent container must run as a non-root user: set user to "1000:1000" (found user: ${j(user)})`);
            } else if (gid !== undefined && (gid === "0" || lower(gid) === "root")) {
                out.push(`agent container's primary group must not be root: set user to "1000:1000" (found user: ${j(user)}); files owned by group root are often group-writable`);
            }
        }
    }
    const groups = knownStrings(props.groupAdds).filter((g) => ["0", "root", "docker", "disk"].includes(lower(g.trim())));
    if (groups.length > 0) {
        out.push(`agent container must not join privileged groups: remove ${j(groups)} from groupAdds`);
    }

    if (!isUnknown(props.readOnly) && !isTrue(props.readOnly)) {
        out.push(`agent container must have a read-only root filesystem: set readOnly: true (found readOnly: ${j(props.readOnly ?? null)}); give it named volumes or tmpfs for the paths it writes`);
    }

    // Namespaces shared with the host or another container.
    for (const [field, what] of [
        ["pidMode", "process"],
        ["ipcMode", "IPC"],
        ["usernsMode", "user"],
        ["cgroupnsMode", "cgroup"],
    ] as const) {
        const mode = props[field];
        if (typeof mode !== "string" || isUnknown(mode)) continue;
        const m = lower(mode.trim());
        if (m === "host") {
            out.push(`agent container must not share the host's ${what} namespace: remove ${field} (found ${field}: ${j(mode)})`);
        } else if (m.startsWith("container:") && (field === "pidMode" || field === "ipcMode")) {
            out.push(`agent container must not share another container's ${what} namespace: remove ${field} (found ${field}: ${j(mode)})`);
        }
    }

    // Devices and GPUs.
    const gpus = props.gpus;
    if (!isUnknown(gpus) && gpus !== undefined && gpus !== null && gpus !== "") {
        out.push(`agent container must not get GPUs: remove gpus (found gpus: ${j(gpus)}); only the vLLM server uses the GPU`);
    }
    const deviceRequests = list(props.deviceRequests);
    if (deviceRequests !== null && deviceRequests.length > 0) {
        out.push(`agent container must not request devices: remove deviceRequests (found ${deviceRequests.length})`);
    }
    const devices = list<{ hostPath?: unknown }>(props.devices);
    if (devices !== null && devices.length > 0) {
        const paths = devices.map((d) => (d && !isUnknown(d.hostPath) ? d.hostPath : "unknown"));
        out.push(`agent container must not get host devices: remove devices (found ${j(paths)})`);
    }
    const cgroupRules = list(props.deviceCgroupRules);
    if (cgroupRules !== null && cgroupRules.length > 0) {
        out.push(`agent container must not be allowed device access: remove deviceCgroupRules (found ${j(knownStrings(props.deviceCgroupRules))})`);
    }
    const runtime = props.runtime;
    if (typeof runtime === "string" && !isUnknown(runtime) && /nvidia/i.test(runtime)) {
        out.push(`agent container must not use the NVIDIA runtime: remove runtime (found runtime: ${j(runtime)})`);
    } else if (typeof runtime === "string" && !isUnknown(runtime) && runtime !== "" && !(AGENT_RUNTIMES as readonly string[]).includes(runtime)) {
        // The config's agent.runtime grammar: another runtime (a custom shim, a privileged one) is not one the enclave was tested under.
        out.push(`agent container must run under ${AGENT_RUNTIMES.join(" or ")}: set runtime to one of them (found runtime: ${j(runtime)})`);
    }
    return out;
}

const PASSIVE_NETWORK_MODES = ["", "bridge", "default", "none"];

/** Exactly one network, the enclave, and no other network mode. */
export function checkAgentNetwork(props: Record<string, any>): string[] {
    const out: string[] = [];
    const networks = list<{ name?: unknown }>(props.networksAdvanced);
    let firstName: string | undefined;
    if (networks !== null) {
        if (networks.length === 0) {
            out.push(`agent container must be attached to the enclave network: set networksAdvanced to [{ name: <enclave network name> }] (found no networksAdvanced, so Docker puts it on the default bridge, which routes to the internet)`);
        } else if (networks.length > 1) {
            const names = networks.map((n) => (n && !isUnknown(n.name) ? n.name : "unknown"));
            out.push(`agent container must be attached to the enclave network only: keep a single networksAdvanced entry for the enclave network (found ${networks.length}: ${j(names)}); every other network is a way around the proxy`);
        } else {
            const n = networks[0];
            if (n && typeof n.name === "string" && !isUnknown(n.name)) firstName = n.name;
        }
    }
    const mode = props.networkMode;
    if (typeof mode === "string" && !isUnknown(mode)) {
        const m = lower(mode.trim());
        if (m === "host" || m.startsWith("container:")) {
            out.push(`agent container must not share another network stack: remove networkMode (found networkMode: ${j(mode)}) and attach it with networksAdvanced to the enclave network only`);
        } else if (!PASSIVE_NETWORK_MODES.includes(m) && firstName !== undefined && mode !== firstName) {
            out.push(`agent container's networkMode names a second network: remove networkMode or set it to the enclave network ${j(firstName)} (found networkMode: ${j(mode)})`);
        }
    }
    return out;
}

/** Named volumes only: no host path, no bind mount, no Docker socket, nothing borrowed from another container. */
export function checkAgentMounts(props: Record<string, any>): string[] {
    const out: string[] = [];
    const volumes = list<Record<string, any>>(props.volumes);
    (volumes ?? []).forEach((v, i) => {
        if (!v || isUnknown(v)) return;
        const hostPath = v.hostPath;
        const containerPath = v.containerPath;
        if (typeof hostPath === "string" && hostPath !== "" && !isUnknown(hostPath)) {
            const why = isDockerSocket(hostPath, true) ? " (that exposes the Docker socket: root on the host)" : "";
            out.push(`agent container must not mount host paths: replace volumes[${i}] (hostPath ${j(hostPath)}${why}) with a named volume (volumeName)`);
        } else if (typeof v.fromContainer === "string" && v.fromContainer !== "" && !isUnknown(v.fromContainer)) {
            out.push(`agent container must not borrow another container's volumes: remove volumes[${i}] (fromContainer ${j(v.fromContainer)}) and mount the named volume it needs`);
        } else if ((v.volumeName === undefined || v.volumeName === null || v.volumeName === "") && !isUnknown(v.volumeName)) {
            out.push(`agent container must mount named volumes only: give volumes[${i}] (containerPath ${j(containerPath ?? null)}) a volumeName`);
        }
        if (typeof containerPath === "string" && !isUnknown(containerPath) && isDockerSocket(containerPath, false)) {
            out.push(`agent container must never see a Docker socket: remove volumes[${i}] (containerPath ${j(containerPath)})`);
        }
    });
    const mounts = list<Record<string, any>>(props.mounts);
    (mounts ?? []).forEach((m, i) => {
        if (!m || isUnknown(m)) return;
        const type = typeof m.type === "string" && !isUnknown(m.type) ? lower(m.type) : undefined;
        if (type === "bind") {
            out.push(`agent container must not bind-mount host paths: replace mounts[${i}] (type "bind", source ${j(m.source ?? null)}) with { type: "volume", source: <named volume> }`);
        } else if (type === "volume" && (m.source === undefined || m.source === null || m.source === "")) {
            out.push(`agent container must mount named volumes only: give mounts[${i}] (target ${j(m.target ?? null)}) a source volume name`);
        }
        if (typeof m.target === "string" && !isUnknown(m.target) && isDockerSocket(m.target, false)) {
            out.push(`agent container must never see a Docker socket: remove mounts[${i}] (target ${j(m.target)})`);
        }
    });
    return out;
}

function positive(n: unknown): boolean {
    return typeof n === "number" && Number.isFinite(n) && n > 0;
}

/** Memory limits (memory exhaustion) and no fake process limit. */
export function checkAgentLimits(props: Record<string, any>): string[] {
    const out: string[] = [];
    const memory = props.memory;
    if (!isUnknown(memory) && !positive(memory)) {
        out.push(`agent container must have a memory limit: set memory (in MB, e.g. 4096) (found memory: ${j(memory ?? null)})`);
    }
    const swap = props.memorySwap;
    if (!isUnknown(swap) && typeof swap === "number" && swap < 0) {
        out.push(`agent container must not have unlimited swap: set memorySwap equal to memory, or remove it (found memorySwap: ${swap})`);
    }
    // The process limit itself may live outside this resource (a cgroupParent,
    // or `docker update --pids-limit` run by a Command): the stack policy
    // agent-pids-limited checks it. Here only an nproc ulimit that says
    // "unlimited" is refused, since it reads like a limit and isn't one.
    for (const u of list<Record<string, any>>(props.ulimits) ?? []) {
        if (!u || isUnknown(u) || typeof u.name !== "string" || lower(u.name) !== "nproc") continue;
        const bad = [u.soft, u.hard].some((n) => !isUnknown(n) && !positive(n));
        if (bad) {
            out.push(`agent container's nproc ulimit must be a positive limit: set soft and hard to a number such as 512 (found soft ${j(u.soft)}, hard ${j(u.hard)})`);
        }
    }
    return out;
}

export const agentLeastPrivilege = resourcePolicy({
    name: "agent-least-privilege",
    description:
        "The agent container drops ALL capabilities and adds none, is not privileged, sets no-new-privileges, runs as a non-root user, has a read-only root filesystem, shares no host namespace and gets no devices or GPUs.",
    enforcementLevel: "mandatory",
    types: [T.container],
    roles: AGENT,
    check: (props) => checkAgentPrivileges(props),
});

export const agentNetworkConfined = resourcePolicy({
    name: "agent-network-confined",
    description: "The agent container is attached to exactly one network (the enclave) and uses no other network mode.",
    enforcementLevel: "mandatory",
    types: [T.container],
    roles: AGENT,
    check: (props) => checkAgentNetwork(props),
});

export const agentNoHostMounts = resourcePolicy({
    name: "agent-no-host-mounts",
    description: "The agent container mounts named volumes only: no host path, no bind mount, no Docker socket, no volumes borrowed from another container.",
    enforcementLevel: "mandatory",
    types: [T.container],
    roles: AGENT,
    check: (props) => checkAgentMounts(props),
});

export const agentResourceLimits = resourcePolicy({
    name: "agent-resource-limits",
    description: "The agent container has a memory limit, no unlimited swap, and no 'unlimited' nproc ulimit (the process limit itself is checked by agent-pids-limited).",
    enforcementLevel: "mandatory",
    types: [T.container],
    roles: AGENT,
    check: (props) => checkAgentLimits(props),
});
