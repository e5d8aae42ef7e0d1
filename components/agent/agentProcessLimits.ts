import { AgentRuntime } from "../../policy/contract/contract";

/**
 * Host tasks of an idle gVisor sandbox (its Sentry, gofer and stub
 * processes), rounded up: 38 to 51 measured with the agent image.
 */
export const GVISOR_SANDBOX_TASKS = 64;

/**
 * Host tasks per task inside gVisor, rounded up. Its ptrace platform runs
 * each guest process with a stub process and threads of its own: 101
 * sleeping processes took 603 host tasks (about 6 each); 100 threads of one
 * process took 13.
 */
export const GVISOR_HOST_TASKS_PER_GUEST = 8;

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
 * RLIMIT_NPROC itself, counting only the box's tasks, so there nproc is the
 * ceiling (a fork past it fails with EAGAIN, as under runc), and the host
 * limit is sized to what that many guest tasks can cost, as a backstop.
 */
export function agentProcessLimits(runtime: AgentRuntime, pids: number): AgentProcessLimits {
    if (runtime === "runc") return { hostPidsLimit: pids };
    return { hostPidsLimit: GVISOR_SANDBOX_TASKS + GVISOR_HOST_TASKS_PER_GUEST * pids, nproc: pids };
}
