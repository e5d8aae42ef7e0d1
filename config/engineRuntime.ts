/**
 * Whether the Docker engine can run the agent box under the runtime the stack
 * asks for (`agent.runtime`), checked before any resource is declared.
 *
 * `runc` is every engine's own runtime, so only `runsc` (gVisor) is asked
 * about. Without the check, `pulumi up` would build images and create the
 * networks and the sidecars, and only then fail on the agent container with
 * the engine's "unknown or invalid runtime name".
 */
import { execFileSync } from "child_process";
import * as pulumi from "@pulumi/pulumi";
import { AgentRuntime, GVISOR_RUNTIME_ARGS } from "../policy/contract/contract";
import { exampleFor } from "./examples";
import { ConfigError, ConfigProblem, fullKey } from "./problems";

/** The engine's runtimes as `docker info --format '{{json .Runtimes}}'` prints them: name → path and arguments. */
export type EngineRuntimes = Record<string, { path?: string; runtimeArgs?: string[] }>;

/** What asking the engine gave: its runtimes, or why it could not be asked. */
export type EngineAnswer = { runtimes: EngineRuntimes } | { unreachable: string };

/**
 * Runtimes to assume instead of asking the engine, in the JSON `docker info`
 * prints. For the unit tests (Pulumi mocks, no engine) and for a preview on a
 * machine whose engine is not the one the stack deploys to.
 */
export const ASSUME_RUNTIMES_ENV = "SECURECLAW_ASSUME_ENGINE_RUNTIMES";

/**
 * Asks the engine the docker CLI talks to (DOCKER_HOST, or the current
 * context), the same one the program already drives with `docker update`.
 * Synchronous, so the program can stop before it declares anything.
 */
export function askEngineRuntimes(): EngineAnswer {
    const assumed = process.env[ASSUME_RUNTIMES_ENV];
    if (assumed !== undefined) return { runtimes: JSON.parse(assumed) as EngineRuntimes };
    try {
        const out = execFileSync("docker", ["info", "--format", "{{json .Runtimes}}"], { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], timeout: 30_000 });
        return { runtimes: (JSON.parse(out) ?? {}) as EngineRuntimes };
    } catch (err) {
        const e = err as { stderr?: string; message?: string };
        return { unreachable: String(e.stderr || e.message || err).trim().split("\n")[0] };
    }
}

/** The steps that install gVisor and register it the way the agent box needs it (Debian/Ubuntu). */
export const GVISOR_INSTALL_STEPS = [
    "apt-get install runsc",
    `runsc install -- ${GVISOR_RUNTIME_ARGS.join(" ")}   # adds "runsc": {"path": "/usr/bin/runsc", "runtimeArgs": ${JSON.stringify(GVISOR_RUNTIME_ARGS)}} to the "runtimes" of /etc/docker/daemon.json`,
    'kill -HUP "$(cat /var/run/docker.pid)"   # or: systemctl reload docker',
];

/** What is wrong with running the agent box under `runtime` on an engine with `runtimes`; [] when nothing. Pure. */
export function runtimeProblems(runtime: AgentRuntime, runtimes: EngineRuntimes, at = "agent.runtime"): ConfigProblem[] {
    if (runtime === "runc") return [];
    const key = fullKey(at);
    const steps = `; install and register gVisor on the Docker host, then run pulumi up again:\n${GVISOR_INSTALL_STEPS.map((s) => `        ${s}`).join("\n")}\n      or keep the box under runc`;
    const example = exampleFor(at, { value: "runc" });
    const entry = runtimes[runtime];
    if (entry === undefined) {
        const known = Object.keys(runtimes).sort().join(", ") || "none";
        return [{ key, problem: `is ${runtime} (gVisor), but the Docker engine has no runtime of that name (it has: ${known})${steps}`, example }];
    }
    const missing = GVISOR_RUNTIME_ARGS.filter((arg) => !(entry.runtimeArgs ?? []).includes(arg));
    if (missing.length === 0) return [];
    return [{
        key,
        problem: `is ${runtime}, but the engine registered it without ${missing.join(" ")}, so the agent box (on a Docker network) could not start ("cannot run with network enabled in root network namespace")${steps}`,
        example,
    }];
}

/** How the check runs; each part replaceable in tests. */
export interface RuntimeCheckOptions {
    /** Asks the engine (default: the docker CLI, or ASSUME_RUNTIMES_ENV). */
    ask?: () => EngineAnswer;
    /** True in `pulumi preview` (default: the Pulumi runtime's own flag). */
    dryRun?: boolean;
    /** Where a preview's warning goes (default: the Pulumi log). */
    warn?: (message: string) => void;
    /** The config key that asked for the runtime (default `agent.runtime`; `agents.alice.agent.runtime` for one agent's). */
    at?: string;
}

/**
 * Throws a ConfigError when the engine can't run the agent under
 * `agent.runtime`. In `pulumi up` an engine that can't be asked fails too:
 * nothing could be created on it anyway. A preview only warns: it changes
 * nothing, and it often runs where the target engine isn't (a CI runner);
 * the update that follows runs the check again before it creates anything.
 */
export function checkAgentRuntime(runtime: AgentRuntime, options: RuntimeCheckOptions = {}): void {
    if (runtime === "runc") return;
    const { ask = askEngineRuntimes, dryRun = pulumi.runtime.isDryRun(), warn = (m: string) => void pulumi.log.warn(m), at = "agent.runtime" } = options;
    const answer = ask();
    const problems: ConfigProblem[] = "unreachable" in answer
        ? [{
            key: fullKey(at),
            problem: `is ${runtime}, but the Docker engine could not be asked whether it has that runtime (${answer.unreachable}); start the engine, or point DOCKER_HOST at it`,
            example: exampleFor(at, { value: "runc" }),
        }]
        : runtimeProblems(runtime, answer.runtimes, at);
    if (problems.length === 0) return;
    const error = new ConfigError(problems);
    if (!dryRun) throw error;
    warn(`${error.message}\n(preview only: pulumi up stops here before creating anything)`);
}
