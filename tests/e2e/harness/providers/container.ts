/**
 * docker:index/container:Container, realized the way @pulumi/docker 5.x does
 * it (terraform-provider-docker 4.x, resourceDockerContainerCreate/Update/
 * Delete), through the Engine API:
 *
 *  create: ContainerCreate (NetworkMode = networkMode, default "bridge");
 *          with networksAdvanced: disconnect "bridge", connect each network
 *          (aliases, addresses) before start; each upload is a one-file tar
 *          PUT at "/"; start unless start=false; wait for healthy if wait.
 *  update: only these are applied, with ContainerUpdate: restart,
 *          maxRetryCount, cpuShares, memory, memoryReservation, cpuSet,
 *          memorySwap; mustRun false->true starts the container.
 *  replace: every other input is ForceNew, EXCEPT a few that are in-place in
 *          the provider's schema but never applied (tmpfs, healthcheck, init,
 *          cpuPeriod, cpuQuota, ...): changing them records the new value and
 *          leaves the container as it was. The provider forces
 *          delete-before-replace for containers (pulumi-docker resources.go).
 *  delete: stop (timeout destroyGraceSeconds, default 0), remove with force
 *          and removeVolumes (default true).
 */
import type Docker from "dockerode";
import { engine, isNotFound, unlessAlready } from "../docker";
import { StoredResource } from "../state";
import { singleFileTar } from "../tar";
import { PartialCreateError, Plan, ProviderContext, Realized, ResourceProvider } from "../types";
import { changedKeys, isSet, parseGoDuration, retryUntil, sleep, stableStringify } from "../util";
import { readBack, UNSET_KEEPS_STATE } from "./containerReadBack";
import { labelMap, refuseUnknown, refuseUnknownFields } from "./objects";

const CONTAINER = "docker:index/container:Container";
const MB = 1024 * 1024;

/** Inputs the harness maps onto the engine. */
const IMPLEMENTED = [
    "image", "name", "command", "entrypoints", "envs", "user", "workingDir", "hostname", "domainname",
    "readOnly", "tmpfs", "capabilities", "securityOpts", "privileged",
    "memory", "memorySwap", "memoryReservation", "cpus", "cpuShares", "cpuSet", "cpuPeriod", "cpuQuota", "shmSize",
    "ulimits", "sysctls", "dns", "dnsOpts", "dnsSearches", "hosts", "labels", "logDriver", "logOpts",
    "restart", "maxRetryCount", "networksAdvanced", "networkMode", "volumes", "mounts", "healthcheck",
    "init", "stopSignal", "stopTimeout", "start", "mustRun", "uploads", "wait", "waitTimeout",
    "ports", "publishAllPorts", "rm", "runtime", "cgroupParent", "cgroupnsMode", "ipcMode", "pidMode", "usernsMode",
    "groupAdds", "storageOpts", "tty", "stdinOpen", "devices", "destroyGraceSeconds", "removeVolumes",
    "containerReadRefreshTimeoutMilliseconds",
];

/** Inputs the harness refuses when set to anything but their default. */
const REFUSED = [
    "attach", "logs", "platform", "deviceRequests", "deviceCgroupRules",
    "deviceReadBps", "deviceReadIops", "deviceWriteBps", "deviceWriteIops",
];

/** Provider defaults that are not the zero value (applied before diffing). */
const DEFAULTS: Record<string, unknown> = {
    start: true,
    mustRun: true,
    restart: "no",
    removeVolumes: true,
    waitTimeout: 60,
    networkMode: "bridge",
};

/** Not ForceNew in the provider's schema, and applied by its Update with ContainerUpdate. */
const APPLIED_IN_PLACE = ["restart", "maxRetryCount", "cpuShares", "memory", "memoryReservation", "cpuSet", "memorySwap"];
/** Not ForceNew, but Update does nothing with them (the container keeps the old value). */
const IGNORED_IN_PLACE = [
    "tmpfs", "healthcheck", "init", "cpuPeriod", "cpuQuota",
    "start", "wait", "waitTimeout", "rm", "attach", "logs", "destroyGraceSeconds", "removeVolumes",
    "containerReadRefreshTimeoutMilliseconds",
];

/** A healthcheck's durations default to "0s" and retries to 0 in the provider's schema. */
const HEALTHCHECK_DEFAULTS = { interval: "0s", timeout: "0s", startPeriod: "0s", startInterval: "0s", retries: 0 };

function withDefaults(inputs: Record<string, any>): Record<string, any> {
    const out = { ...inputs };
    for (const [k, v] of Object.entries(DEFAULTS)) if (out[k] === undefined || out[k] === null) out[k] = v;
    if (isSet(out.healthcheck)) {
        const h = { ...out.healthcheck };
        for (const [k, v] of Object.entries(HEALTHCHECK_DEFAULTS)) if (h[k] === undefined || h[k] === null) h[k] = v;
        out.healthcheck = h;
    }
    return out;
}

/** Inputs that are TypeSet in the provider's schema: their order never makes a diff. */
const SET_INPUTS = [
    "dns", "dnsOpts", "dnsSearches", "securityOpts", "mounts", "volumes", "hosts", "ulimits", "envs", "devices",
    "labels", "networksAdvanced", "uploads", "groupAdds",
];

function forDiff(inputs: Record<string, any>): Record<string, any> {
    const out = withDefaults(inputs);
    const sorted = (items: unknown[]) => [...items].sort((a, b) => stableStringify(a).localeCompare(stableStringify(b)));
    for (const key of SET_INPUTS) if (Array.isArray(out[key])) out[key] = sorted(out[key]);
    if (out.capabilities) {
        out.capabilities = {
            ...out.capabilities,
            ...(Array.isArray(out.capabilities.adds) ? { adds: sorted(out.capabilities.adds) } : {}),
            ...(Array.isArray(out.capabilities.drops) ? { drops: sorted(out.capabilities.drops) } : {}),
        };
    }
    return out;
}

function checkInputs(name: string, inputs: Record<string, any>): void {
    const where = `${CONTAINER} ${name}`;
    if (isSet(inputs.gpus)) {
        throw new Error(`e2e harness: ${where}: gpus=${JSON.stringify(inputs.gpus)} asks for GPUs, but this machine has none; run vLLM on a (stand-in) GPU host instead (gpu.placement=remote)`);
    }
    refuseUnknown(CONTAINER, name, inputs, IMPLEMENTED, [...REFUSED, "gpus"]);
    if (!inputs.image) throw new Error(`e2e harness: ${where}: image is required`);
    for (const [i, cmd] of (inputs.command ?? []).entries()) {
        if (cmd === "") throw new Error(`e2e harness: ${where}: command[${i}] is empty (the provider refuses empty command values)`);
    }
    refuseUnknownFields(`${where}: capabilities`, inputs.capabilities, ["adds", "drops"]);
    for (const n of inputs.networksAdvanced ?? []) {
        refuseUnknownFields(`${where}: networksAdvanced`, n, ["name", "aliases", "ipv4Address", "ipv6Address", "linkLocalIps", "macAddress", "driverOpts"]);
        if (isSet(n.gwPriority)) throw new Error(`e2e harness: ${where}: networksAdvanced.gwPriority needs Docker API 1.48; this engine speaks 1.41`);
    }
    for (const v of inputs.volumes ?? []) refuseUnknownFields(`${where}: volumes`, v, ["containerPath", "volumeName", "hostPath", "readOnly", "fromContainer", "selinuxRelabel"]);
    for (const m of inputs.mounts ?? []) {
        refuseUnknownFields(`${where}: mounts`, m, ["type", "target", "source", "readOnly", "bindOptions", "volumeOptions", "tmpfsOptions"]);
        refuseUnknownFields(`${where}: mounts.bindOptions`, m.bindOptions, ["propagation"]);
        refuseUnknownFields(`${where}: mounts.volumeOptions`, m.volumeOptions, ["noCopy", "labels", "driverName", "driverOptions"]);
        refuseUnknownFields(`${where}: mounts.tmpfsOptions`, m.tmpfsOptions, ["sizeBytes", "mode"]);
    }
    if (inputs.healthcheck) {
        refuseUnknownFields(`${where}: healthcheck`, inputs.healthcheck, ["tests", "interval", "timeout", "startPeriod", "retries", "startInterval"]);
        if (inputs.healthcheck.startInterval && parseGoDuration(inputs.healthcheck.startInterval, "healthcheck.startInterval") !== 0) {
            throw new Error(`e2e harness: ${where}: healthcheck.startInterval needs Docker API 1.44; this engine speaks 1.41`);
        }
    }
    for (const u of inputs.uploads ?? []) {
        refuseUnknownFields(`${where}: uploads`, u, ["file", "content", "contentBase64", "source", "sourceHash", "executable", "permissions", "owner", "group"]);
        const sources = [u.content, u.contentBase64, u.source].filter((s) => s !== undefined && s !== "").length;
        // The provider's own checks at create (an empty string counts as unset).
        if (sources === 0) throw new Error(`e2e harness: ${where}: upload ${u.file}: error with upload content: one of 'content', 'content_base64', or 'source' must be set (the provider refuses an empty upload too)`);
        if (sources > 1) throw new Error(`e2e harness: ${where}: upload ${u.file}: error with upload content: only one of 'content', 'content_base64', or 'source' can be set`);
        for (const idField of ["owner", "group"] as const) {
            if (isSet(u[idField]) && !/^\d+$/.test(String(u[idField]))) {
                throw new Error(`e2e harness: ${where}: upload ${u.file}: ${idField}=${u[idField]} is a name; only numeric IDs are implemented`);
            }
        }
    }
    for (const p of inputs.ports ?? []) refuseUnknownFields(`${where}: ports`, p, ["internal", "external", "ip", "protocol"]);
    for (const d of inputs.devices ?? []) refuseUnknownFields(`${where}: devices`, d, ["hostPath", "containerPath", "permissions"]);
    if (inputs.wait && !inputs.healthcheck) {
        throw new Error(`e2e harness: ${where}: wait is set but the container has no healthcheck (the provider refuses this too)`);
    }
}

/** opts.ParseCPUs: a decimal number of CPUs to nano-CPUs. */
function nanoCpus(cpus: string): number {
    const value = Number(cpus);
    if (!Number.isFinite(value) || value < 0) throw new Error(`e2e harness: cpus=${cpus} is not a number`);
    const nano = Math.round(value * 1e9);
    if (Math.abs(nano - value * 1e9) > 1e-3) throw new Error(`e2e harness: cpus=${cpus}: value is too precise`);
    return nano;
}

function mb(value: unknown): number | undefined {
    return isSet(value) ? Number(value) * MB : undefined;
}

/** The ContainerCreate body, field for field as the provider fills it. */
export function createBody(inputs: Record<string, any>): Record<string, unknown> {
    const exposedPorts: Record<string, object> = {};
    const portBindings: Record<string, { HostIp: string; HostPort: string }[]> = {};
    for (const p of inputs.ports ?? []) {
        const port = `${p.internal}/${p.protocol || "tcp"}`;
        exposedPorts[port] = {};
        (portBindings[port] ??= []).push({ HostIp: p.ip || "0.0.0.0", HostPort: String(p.external ?? 0) });
    }
    const configVolumes: Record<string, object> = {};
    const binds: string[] = [];
    const volumesFrom: string[] = [];
    for (const v of inputs.volumes ?? []) {
        const source = v.hostPath || v.volumeName;
        if (!v.fromContainer && !v.containerPath) throw new Error("e2e harness: volume entry without container path or source container");
        if (v.fromContainer && v.containerPath) throw new Error("e2e harness: both a container and a path specified in a volume entry");
        if (v.fromContainer) {
            volumesFrom.push(v.fromContainer);
        } else if (source) {
            configVolumes[v.containerPath] = {};
            binds.push(`${source}:${v.containerPath}:${v.readOnly ? "ro" : "rw"}${v.selinuxRelabel ? `,${v.selinuxRelabel}` : ""}`);
        } else {
            configVolumes[v.containerPath] = {};
        }
    }
    const mounts = (inputs.mounts ?? []).map((m: any) => ({
        Type: m.type,
        Target: m.target,
        Source: m.source ?? "",
        ReadOnly: Boolean(m.readOnly),
        ...(m.type === "bind" && m.bindOptions ? { BindOptions: { Propagation: m.bindOptions.propagation } } : {}),
        ...(m.type === "volume" && m.volumeOptions
            ? {
                  VolumeOptions: {
                      NoCopy: Boolean(m.volumeOptions.noCopy),
                      Labels: labelMap(m.volumeOptions.labels),
                      ...(m.volumeOptions.driverName || m.volumeOptions.driverOptions
                          ? { DriverConfig: { Name: m.volumeOptions.driverName, Options: m.volumeOptions.driverOptions } }
                          : {}),
                  },
              }
            : {}),
        ...(m.type === "tmpfs" && m.tmpfsOptions ? { TmpfsOptions: { SizeBytes: m.tmpfsOptions.sizeBytes, Mode: m.tmpfsOptions.mode } } : {}),
    }));
    let healthcheck: Record<string, unknown> | undefined;
    if (inputs.healthcheck) {
        const h = inputs.healthcheck;
        healthcheck = {
            Test: h.tests,
            Interval: parseGoDuration(h.interval ?? "0s", "healthcheck.interval"),
            Timeout: parseGoDuration(h.timeout ?? "0s", "healthcheck.timeout"),
            StartPeriod: parseGoDuration(h.startPeriod ?? "0s", "healthcheck.startPeriod"),
            Retries: h.retries ?? 0,
        };
    }
    let securityOpt: string[] | undefined;
    let maskedPaths: string[] | undefined;
    let readonlyPaths: string[] | undefined;
    if (isSet(inputs.securityOpts)) {
        securityOpt = [];
        for (const opt of inputs.securityOpts as string[]) {
            if (opt === "systempaths=unconfined") {
                maskedPaths = [];
                readonlyPaths = [];
            } else {
                securityOpt.push(opt);
            }
        }
    }
    const memorySwap = isSet(inputs.memorySwap) ? (Number(inputs.memorySwap) > 0 ? Number(inputs.memorySwap) * MB : Number(inputs.memorySwap)) : undefined;
    const useCpus = isSet(inputs.cpus);
    return {
        Image: inputs.image,
        Hostname: inputs.hostname || undefined,
        Domainname: inputs.domainname || undefined,
        Tty: Boolean(inputs.tty),
        OpenStdin: Boolean(inputs.stdinOpen),
        StopSignal: inputs.stopSignal || undefined,
        StopTimeout: inputs.stopTimeout ?? undefined,
        Env: isSet(inputs.envs) ? inputs.envs : undefined,
        Cmd: isSet(inputs.command) ? inputs.command : undefined,
        Entrypoint: isSet(inputs.entrypoints) ? inputs.entrypoints : undefined,
        User: inputs.user || undefined,
        ExposedPorts: Object.keys(exposedPorts).length ? exposedPorts : undefined,
        WorkingDir: inputs.workingDir || undefined,
        Volumes: Object.keys(configVolumes).length ? configVolumes : undefined,
        Labels: labelMap(inputs.labels),
        Healthcheck: healthcheck,
        HostConfig: {
            Privileged: Boolean(inputs.privileged),
            PublishAllPorts: Boolean(inputs.publishAllPorts),
            RestartPolicy: { Name: inputs.restart ?? "no", MaximumRetryCount: inputs.maxRetryCount ?? 0 },
            Runtime: inputs.runtime || undefined,
            Mounts: mounts.length ? mounts : undefined,
            AutoRemove: Boolean(inputs.rm),
            ReadonlyRootfs: Boolean(inputs.readOnly),
            LogConfig: { Type: inputs.logDriver ?? "", Config: inputs.logOpts },
            Tmpfs: isSet(inputs.tmpfs) ? inputs.tmpfs : undefined,
            PortBindings: Object.keys(portBindings).length ? portBindings : undefined,
            ExtraHosts: isSet(inputs.hosts) ? (inputs.hosts as { host: string; ip: string }[]).map((h) => `${h.host}:${h.ip}`) : undefined,
            Binds: binds.length ? binds : undefined,
            VolumesFrom: volumesFrom.length ? volumesFrom : undefined,
            Ulimits: isSet(inputs.ulimits) ? (inputs.ulimits as any[]).map((u) => ({ Name: u.name, Soft: u.soft, Hard: u.hard })) : undefined,
            CapAdd: inputs.capabilities?.adds,
            CapDrop: inputs.capabilities?.drops,
            Devices: isSet(inputs.devices)
                ? (inputs.devices as any[]).map((d) => ({ PathOnHost: d.hostPath, PathInContainer: d.containerPath || d.hostPath, CgroupPermissions: d.permissions || "rwm" }))
                : undefined,
            Dns: isSet(inputs.dns) ? inputs.dns : undefined,
            DnsOptions: isSet(inputs.dnsOpts) ? inputs.dnsOpts : undefined,
            DnsSearch: isSet(inputs.dnsSearches) ? inputs.dnsSearches : undefined,
            SecurityOpt: securityOpt,
            MaskedPaths: maskedPaths,
            ReadonlyPaths: readonlyPaths,
            Memory: mb(inputs.memory),
            MemoryReservation: mb(inputs.memoryReservation),
            MemorySwap: memorySwap,
            ShmSize: mb(inputs.shmSize),
            NanoCpus: useCpus ? nanoCpus(String(inputs.cpus)) : undefined,
            CpuPeriod: !useCpus && isSet(inputs.cpuPeriod) ? inputs.cpuPeriod : undefined,
            CpuQuota: !useCpus && isSet(inputs.cpuQuota) ? inputs.cpuQuota : undefined,
            CpuShares: isSet(inputs.cpuShares) ? inputs.cpuShares : undefined,
            CpusetCpus: inputs.cpuSet || undefined,
            NetworkMode: inputs.networkMode || "bridge",
            UsernsMode: inputs.usernsMode || undefined,
            PidMode: inputs.pidMode || undefined,
            Sysctls: isSet(inputs.sysctls) ? inputs.sysctls : undefined,
            IpcMode: inputs.ipcMode || undefined,
            GroupAdd: isSet(inputs.groupAdds) ? inputs.groupAdds : undefined,
            CgroupnsMode: inputs.cgroupnsMode || undefined,
            CgroupParent: inputs.cgroupParent || undefined,
            // The provider always sends Init (false when unset).
            Init: Boolean(inputs.init),
            StorageOpt: isSet(inputs.storageOpts) ? inputs.storageOpts : undefined,
        },
        NetworkingConfig: {},
    };
}

function uploadMode(u: any): number {
    if (u.permissions) {
        const mode = parseInt(String(u.permissions), 8);
        if (!Number.isFinite(mode)) throw new Error(`e2e harness: upload ${u.file}: bad permissions ${u.permissions}`);
        return mode;
    }
    return u.executable ? 0o744 : 0o644;
}

function uploadContent(u: any): Buffer {
    if (u.content !== undefined && u.content !== "") return Buffer.from(u.content, "utf8");
    if (u.contentBase64) return Buffer.from(u.contentBase64, "base64");
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    return (require("fs") as typeof import("fs")).readFileSync(u.source);
}

async function inspect(id: string): Promise<any> {
    return engine().getContainer(id).inspect();
}

async function inspectIfExists(id: string): Promise<any> {
    try {
        return await inspect(id);
    } catch (err) {
        if (isNotFound(err)) return undefined;
        throw err;
    }
}

/** Every input of the resource (what of its state the diff looks at). */
const INPUT_KEYS = [...IMPLEMENTED, ...REFUSED, "gpus"];

function storedInputs(record: StoredResource): Record<string, any> {
    return Object.fromEntries(INPUT_KEYS.filter((k) => k in record.outputs).map((k) => [k, record.outputs[k]]));
}

/**
 * The program's inputs as the provider's diff sees them next to the stored
 * ones: the autoname kept, and inputs the schema lets the provider fill
 * (Computed, or "" meaning no change) taken from the state when unset.
 */
function declaredInputs(inputs: Record<string, any>, stored: Record<string, any>): Record<string, any> {
    const out: Record<string, any> = { ...inputs, name: inputs.name ?? stored.name };
    for (const key of UNSET_KEEPS_STATE) if (!isSet(inputs[key]) && stored[key] !== undefined) out[key] = stored[key];
    return out;
}

/** The resource's state: its inputs as stored (see containerReadBack.ts), plus what only the engine knows. */
function stateFrom(inputs: Record<string, any>, info: any): Record<string, any> {
    const networks = info.NetworkSettings?.Networks ?? {};
    return {
        ...inputs,
        bridge: info.NetworkSettings?.Bridge ?? "",
        networkDatas: Object.entries(networks).map(([networkName, n]: [string, any]) => ({
            networkName,
            ipAddress: n.IPAddress ?? "",
            ipPrefixLength: n.IPPrefixLen ?? 0,
            gateway: n.Gateway ?? "",
            globalIpv6Address: n.GlobalIPv6Address ?? "",
            globalIpv6PrefixLength: n.GlobalIPv6PrefixLen ?? 0,
            ipv6Gateway: n.IPv6Gateway ?? "",
            macAddress: n.MacAddress ?? "",
        })),
        ...(info.State && !info.State.Running ? { exitCode: info.State.ExitCode } : {}),
    };
}

async function waitHealthy(id: string, timeoutSeconds: number): Promise<void> {
    const deadline = Date.now() + timeoutSeconds * 1000;
    for (;;) {
        const info = await inspect(id);
        const health = info.State?.Health;
        if (!health) throw new Error("you have supplied a 'wait' argument, but the container does not have a healthcheck defined");
        if (health.Status === "healthy") return;
        if (Date.now() >= deadline) {
            const last = (health.Log ?? []).slice(-1)[0];
            throw new Error(`container did not become healthy within ${timeoutSeconds}s (status ${health.Status}${last ? `, last check exit ${last.ExitCode}: ${String(last.Output).trim().slice(0, 300)}` : ""})`);
        }
        await sleep(1000);
    }
}

async function removeContainer(id: string, inputs: Record<string, any>): Promise<void> {
    const d = withDefaults(inputs);
    if (!d.attach) {
        try {
            await unlessAlready(engine().getContainer(id).stop({ t: d.destroyGraceSeconds ?? 0 }));
        } catch (err) {
            if (!isNotFound(err)) throw err;
        }
    }
    try {
        await engine().getContainer(id).remove({ v: d.removeVolumes !== false, force: true });
    } catch (err) {
        if (!isNotFound(err) && !/is already in progress/.test((err as Error).message)) throw err;
    }
    await retryUntil(`container ${id} to be gone`, 30_000, 200, async () => {
        try {
            await inspect(id);
            return false;
        } catch (err) {
            if (isNotFound(err)) return true;
            throw err;
        }
    });
}

export const containerProvider: ResourceProvider = {
    autoNamed: true,
    forceDeleteBeforeReplace: true,
    check(name, inputs) {
        checkInputs(name, inputs);
    },
    async plan(ctx, old, inputs): Promise<Plan> {
        // `pulumi up --refresh` reads the container back before diffing.
        const live = ctx.refresh ? await inspectIfExists(old.id) : undefined;
        const stored = live ? readBack(storedInputs(old), live) : storedInputs(old);
        const olds = forDiff(stored);
        const news = forDiff(declaredInputs(inputs, stored));
        const changed = changedKeys(olds, news);
        const values = Object.fromEntries(changed.map((k) => [k, { stored: olds[k], declared: news[k] }]));
        if (changed.length === 0) return { kind: "same", changed };
        const inPlace = [...APPLIED_IN_PLACE, ...IGNORED_IN_PLACE, "mustRun"];
        if (changed.every((k) => inPlace.includes(k))) {
            const ignored = changed.filter((k) => IGNORED_IN_PLACE.includes(k));
            if (ignored.length > 0) {
                ctx.note(
                    `${CONTAINER} ${ctx.name}: ${ignored.join(", ")} changed; @pulumi/docker 5.x treats ${ignored.length === 1 ? "it" : "them"} as an in-place ` +
                        "update that it never applies, so the running container keeps the old value (the harness mirrors this)",
                );
            }
            return { kind: "update", changed, values, stored };
        }
        return { kind: "replace", changed, values };
    },
    async create(ctx, rawInputs): Promise<Realized> {
        const inputs = withDefaults(rawInputs);
        const name: string = rawInputs.name ?? ctx.autoName;
        // _query/_body: dockerode would otherwise put the whole body (env values
        // included) in the request's query string as well.
        const created = await engine().createContainer({ _query: { name }, _body: createBody(inputs) } as Docker.ContainerCreateOptions);
        const id = created.id;
        const container = engine().getContainer(id);
        try {
            if (isSet(inputs.networksAdvanced)) {
                try {
                    await engine().getNetwork("bridge").disconnect({ Container: id, Force: false });
                } catch (err) {
                    if (!/is not connected to the network/.test((err as Error).message)) throw err;
                }
                for (const n of inputs.networksAdvanced as any[]) {
                    const ipam = n.ipv4Address || n.ipv6Address || isSet(n.linkLocalIps)
                        ? { IPv4Address: n.ipv4Address || undefined, IPv6Address: n.ipv6Address || undefined, LinkLocalIPs: n.linkLocalIps }
                        : undefined;
                    const driverOpts = isSet(n.driverOpts)
                        ? Object.fromEntries((n.driverOpts as string[]).map((kv) => [kv.split("=")[0], kv.slice(kv.indexOf("=") + 1)]))
                        : undefined;
                    await engine().getNetwork(n.name).connect({
                        Container: id,
                        EndpointConfig: { Aliases: n.aliases, IPAMConfig: ipam, MacAddress: n.macAddress || undefined, DriverOpts: driverOpts },
                    });
                }
            }
            for (const u of inputs.uploads ?? []) {
                const tar = await singleFileTar({
                    name: u.file,
                    content: uploadContent(u),
                    mode: uploadMode(u),
                    uid: isSet(u.owner) ? Number(u.owner) : undefined,
                    gid: isSet(u.group) ? Number(u.group) : undefined,
                });
                try {
                    await container.putArchive(tar, { path: "/" });
                } catch (err) {
                    throw new Error(`Unable to upload volume content (${u.file}): ${(err as Error).message}`);
                }
            }
            if (inputs.start) {
                await container.start();
                if (inputs.wait) await waitHealthy(id, inputs.waitTimeout ?? 60);
            }
            // Create ends with the provider's Read.
            const info = await inspect(id);
            return { id, outputs: stateFrom(readBack(rawInputs, info), info) };
        } catch (err) {
            const partial: Realized = { id, outputs: { ...rawInputs, name } };
            throw new PartialCreateError(partial, err as Error);
        }
    },
    async update(_ctx, old, rawInputs, plan): Promise<Realized> {
        const inputs = withDefaults(rawInputs);
        const stored = plan.stored ?? storedInputs(old);
        // The stored mustRun: false when the provider's Read found the container stopped.
        const olds = withDefaults(stored);
        if (plan.changed.some((k) => APPLIED_IN_PLACE.includes(k))) {
            await engine().getContainer(old.id).update({
                RestartPolicy: { Name: inputs.restart, MaximumRetryCount: inputs.maxRetryCount ?? 0 },
                CpuShares: inputs.cpuShares ?? 0,
                Memory: (inputs.memory ?? 0) * MB,
                MemoryReservation: (inputs.memoryReservation ?? 0) * MB,
                CpusetCpus: inputs.cpuSet ?? "",
                ...(isSet(inputs.memorySwap) ? { MemorySwap: Number(inputs.memorySwap) > 0 ? Number(inputs.memorySwap) * MB : Number(inputs.memorySwap) } : {}),
            });
        }
        if (!olds.mustRun && inputs.mustRun && inputs.start) {
            await unlessAlready(engine().getContainer(old.id).start());
        }
        // Update does not end with Read: the state keeps what the program wrote.
        return { id: old.id, outputs: stateFrom(declaredInputs(rawInputs, stored), await inspect(old.id)) };
    },
    async delete(_ctx: ProviderContext, record: StoredResource) {
        await removeContainer(record.id, record.inputs);
    },
    async exists(record) {
        return (await inspectIfExists(record.id)) !== undefined;
    },
};
