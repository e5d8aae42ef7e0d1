/**
 * What the Docker provider keeps as a container's state: its Read
 * (terraform-provider-docker 4.x, resourceDockerContainerRead) formats some
 * inputs its own way, and the next `pulumi up` diffs the program's inputs
 * against that, not against what the program wrote. So a program that writes
 * `cpus: "2"` (read back "2.0") or a healthcheck interval "60s" (read back
 * "1m0s") sees a change on every run, and for `cpus` (ForceNew) that change
 * replaces the container.
 *
 * Create ends with Read, so a created container's state is the read-back;
 * Update does not call Read, so an updated container's state is what the
 * program wrote; `pulumi up --refresh` reads every container back again.
 */
import { goDurationString } from "../util";

const MB = 1024 * 1024;

/**
 * The provider's nanoInt64ToDecimalString: NanoCPUs printed with nine
 * decimals; then, when that string holds exactly nine '0' characters, one
 * decimal (rounded, halves away from zero), otherwise the trailing zeros
 * trimmed. So 2e9 reads back "2.0", 1.5e9 "1.5", 10e9 "10." (its own '0'
 * makes ten zeros) and 0.05e9 "0.1".
 */
export function canonicalCpus(nanoCpus: number): string {
    if (!Number.isSafeInteger(nanoCpus) || nanoCpus <= 0) throw new Error(`e2e harness: NanoCpus ${nanoCpus} is not a positive integer`);
    const nano = BigInt(nanoCpus);
    const nine = `${nano / 1_000_000_000n}.${(nano % 1_000_000_000n).toString().padStart(9, "0")}`;
    if ((nine.match(/0/g) ?? []).length !== 9) return nine.replace(/0+$/, "");
    const tenths = (nano + 50_000_000n) / 100_000_000n;
    return `${tenths / 10n}.${tenths % 10n}`;
}

/**
 * Inputs the diff leaves alone when the program does not set them: the
 * schema's Optional+Computed inputs, and `user` and `workingDir`, whose
 * DiffSuppressFunc treats "" as "keep what is there".
 */
export const UNSET_KEEPS_STATE = [
    "hostname", "command", "entrypoints", "securityOpts", "runtime", "stopSignal", "stopTimeout", "envs", "labels",
    "shmSize", "logDriver", "healthcheck", "ipcMode", "init", "user", "workingDir",
];

/**
 * The container's state after the provider's Read: `state` (what the program
 * wrote, or what was stored) with every input Read sets replaced by the
 * engine's value in the provider's form. Inputs Read leaves alone (envs,
 * labels, uploads, volumes, networksAdvanced, mounts, ulimits, ...) keep
 * their stored value.
 */
export function readBack(state: Record<string, any>, info: any): Record<string, any> {
    const config = info.Config ?? {};
    const host = info.HostConfig ?? {};
    const out: Record<string, any> = {
        ...state,
        name: String(info.Name ?? "").replace(/^\//, ""),
        rm: host.AutoRemove,
        readOnly: host.ReadonlyRootfs,
        hostname: config.Hostname,
        domainname: config.Domainname,
        command: config.Cmd ?? undefined,
        entrypoints: config.Entrypoint ?? undefined,
        user: config.User,
        dns: host.Dns ?? undefined,
        dnsOpts: host.DnsOptions ?? undefined,
        securityOpts: host.SecurityOpt ?? undefined,
        dnsSearches: host.DnsSearch ?? undefined,
        publishAllPorts: host.PublishAllPorts,
        restart: host.RestartPolicy?.Name,
        maxRetryCount: host.RestartPolicy?.MaximumRetryCount,
        init: host.Init ?? false,
        workingDir: config.WorkingDir,
        runtime: host.Runtime,
        tmpfs: host.Tmpfs ?? undefined,
        hosts: (host.ExtraHosts ?? []).map((h: string) => ({ host: h.slice(0, h.indexOf(":")), ip: h.slice(h.indexOf(":") + 1) })),
        privileged: host.Privileged,
        memory: Math.trunc((host.Memory ?? 0) / MB),
        memoryReservation: host.MemoryReservation > 0 ? Math.trunc(host.MemoryReservation / MB) : host.MemoryReservation,
        memorySwap: host.MemorySwap > 0 ? Math.trunc(host.MemorySwap / MB) : host.MemorySwap,
        shmSize: Math.trunc((host.ShmSize ?? 0) / MB),
        cpuShares: host.CpuShares,
        cpuSet: host.CpusetCpus,
        logDriver: host.LogConfig?.Type,
        networkMode: host.NetworkMode,
        usernsMode: host.UsernsMode,
        sysctls: host.Sysctls ?? undefined,
        ipcMode: host.IpcMode,
        groupAdds: host.GroupAdd ?? undefined,
        tty: config.Tty,
        stdinOpen: config.OpenStdin,
        stopSignal: config.StopSignal,
        stopTimeout: config.StopTimeout ?? undefined,
    };
    if (host.NanoCpus > 0) out.cpus = canonicalCpus(host.NanoCpus);
    const h = config.Healthcheck;
    if (h) {
        out.healthcheck = {
            tests: h.Test,
            interval: goDurationString(h.Interval ?? 0),
            timeout: goDurationString(h.Timeout ?? 0),
            startPeriod: goDurationString(h.StartPeriod ?? 0),
            startInterval: goDurationString(h.StartInterval ?? 0),
            retries: h.Retries ?? 0,
        };
    }
    // A stopped container that must run is stored as must_run=false: the next
    // diff (default true) is an update, which starts it.
    if (!info.State?.Running && (state.mustRun ?? true)) out.mustRun = false;
    return out;
}
