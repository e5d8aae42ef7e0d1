import { AgentRuntime } from "../../policy/contract/contract";

/**
 * Host tasks of an idle gVisor sandbox (its Sentry, gofer and stub
 * processes), rounded up: 38 to 51 measured with the agent image.
 */
export const GVISOR_SANDBOX_TASKS = 64;

/**
 * Host tasks per task inside gVisor, with room. Its ptrace platform runs each
 * guest process with a stub process and threads of its own, and keeps them
 * after the process exits: 101 sleeping processes took 603 host tasks (about
 * 6 each); 256 took 1893 and, while being killed, went past a limit of 2112
 * (64 + 8 each), which killed the sandbox. Kept stubs grow with each fork
 * bomb: the e2e box (nproc 128) idled at 222 host tasks, then 906, 1238 and
 * 1557 after three bombs of 97 forks, and a limit of 1600 (64 + 12 each)
 * killed it in the fourth. At nproc 85 and 64 + 32 each (2784), 12 bombs
 * in a row took it from 220 to 1866, by less each time, and it lived.
 */
export const GVISOR_HOST_TASKS_PER_GUEST = 32;

/**
 * Memory the box keeps for OpenClaw under gVisor, in MiB: it idles at 818
 * (anon + shmem of the sandbox) and peaks at 890 while starting; rounded up
 * with room for its work.
 */
export const GVISOR_AGENT_RESERVE_MB = 1024;

/**
 * Memory one more guest process costs under gVisor, in MiB, as the memory
 * cgroup counts it, rounded up. A forked child's copied pages live in the
 * Sentry's memory file (shmem of the sandbox): the probe's Python fork bomb
 * cost 3.4 MiB of shmem per child (64 children +219 MiB; 254 children
 * +855 MiB), and up to 5.6 MiB of cgroup usage (97 children: 863 -> 1411),
 * against 0.27 under runc.
 */
export const GVISOR_MB_PER_GUEST = 6;
/** The least nproc under runsc: the least `agent.pids` the config accepts. */
export const MIN_GVISOR_NPROC = 64;

/** How the agent's process ceiling (`agent.pids`) is put in force under a runtime. */
export interface AgentProcessLimits {
    /** The engine's cgroup pids limit (`docker update --pids-limit`), on host tasks. */
    hostPidsLimit: number;
    /** An RLIMIT_NPROC for the agent's uid, when the runtime counts it per box. */
    nproc?: number;
}

/**
 * Under runc the box's processes are host processes: the cgroup pids limit
 * is the ceiling, and an nproc ulimit would count every process of uid 1000
 * on the host, so none is set.
 *
 * Under runsc the box's processes live in gVisor's kernel, and the host sees
 * only the sandbox's tasks, several per guest process: a cgroup limit of
 * `pids` kills the whole sandbox at about a tenth of that many processes
 * (measured: 50 forks under --pids-limit 256). gVisor's kernel enforces
 * RLIMIT_NPROC itself, counting only the box's tasks (threads included:
 * OpenClaw idles at 31), so there nproc is the ceiling (a fork past it fails
 * with EAGAIN, as under runc).
 *
 * The host's memory cgroup sees the sandbox as one process too: past the
 * memory limit the OOM killer kills the whole box, not the forking process.
 * So under runsc nproc is also kept to what the memory left beside OpenClaw
 * can hold: min(pids, (memoryMb - 1024) / 6), and never below 64 (the least
 * `agent.pids` allows; a box that small has no room for OpenClaw anyway).
 * Measured with the e2e limits (1536 MiB, pids 256): at nproc 256 the fork
 * bomb reached the memory limit and the OOM killer killed the sandbox; at
 * nproc 128 it was refused at 97 forks with the box healthy, but its memory
 * peaked at 1447 MiB of 1536, too close; 6 MiB each gives that box 85,
 * where 12 bombs in a row each stopped at 54 forks, peaking at 1136 MiB.
 * The host limit is sized to what nproc guest tasks can cost, as a backstop.
 */
export function agentProcessLimits(runtime: AgentRuntime, pids: number, memoryMb: number): AgentProcessLimits {
    if (runtime === "runc") return { hostPidsLimit: pids };
    const nproc = Math.min(pids, Math.max(MIN_GVISOR_NPROC, Math.floor((memoryMb - GVISOR_AGENT_RESERVE_MB) / GVISOR_MB_PER_GUEST)));
    return { hostPidsLimit: GVISOR_SANDBOX_TASKS + GVISOR_HOST_TASKS_PER_GUEST * nproc, nproc };
}
