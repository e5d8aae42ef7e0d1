/**
 * agent.runtime: the config key, the check that the Docker engine has the
 * runtime (before anything is declared), and what the agent container gets.
 * The engine is never asked here: its answer is injected.
 */
import { agentProcessLimits } from "../../components/agent/agentProcessLimits";
import { ASSUME_RUNTIMES_ENV, checkAgentRuntime, EngineAnswer, EngineRuntimes, runtimeProblems } from "../../config/engineRuntime";
import { ConfigError } from "../../config/problems";
import { readmeSetup, runFailingProgram, runProgram, stackFileConfig, withPaths } from "../support/program";

const CONTAINER = "docker:index/container:Container";
const RUNC: EngineRuntimes = { runc: { path: "runc" } };
const WITH_GVISOR: EngineRuntimes = { ...RUNC, runsc: { path: "/usr/bin/runsc", runtimeArgs: ["--network=host"] } };
const GVISOR_NETSTACK: EngineRuntimes = { ...RUNC, runsc: { path: "/usr/bin/runsc" } };

describe("runtimeProblems: what the engine must have for each runtime", () => {
    test.each<[string, "runc" | "runsc", EngineRuntimes, RegExp | undefined]>([
        ["runc on any engine", "runc", {}, undefined],
        ["runsc registered with --network=host", "runsc", WITH_GVISOR, undefined],
        ["runsc on an engine without it", "runsc", RUNC, /has no runtime of that name \(it has: runc\)/],
        ["runsc registered in its default network mode", "runsc", GVISOR_NETSTACK, /without --network=host.*cannot run with network enabled/],
    ])("%s", (_title, runtime, runtimes, problem) => {
        const problems = runtimeProblems(runtime, runtimes);
        if (problem === undefined) {
            expect(problems).toEqual([]);
            return;
        }
        expect(problems).toHaveLength(1);
        expect(problems[0].key).toBe("secureclaw:agent.runtime");
        expect(problems[0].problem).toMatch(problem);
        // The install steps, in order: the package, the daemon.json entry with its argument, the reload.
        expect(problems[0].problem).toMatch(/apt-get install runsc[\s\S]*runsc install -- --network=host[\s\S]*"runtimeArgs": \["--network=host"\][\s\S]*kill -HUP/);
        expect(problems[0].example).toBe("pulumi config set --path 'secureclaw:agent.runtime' runc");
    });
});

describe("checkAgentRuntime: up fails, preview warns", () => {
    const answer = (a: EngineAnswer) => () => a;
    const collect = () => {
        const warnings: string[] = [];
        return { warnings, warn: (m: string) => void warnings.push(m) };
    };

    test("runc never asks the engine", () => {
        const ask = jest.fn(answer({ unreachable: "no engine" }));
        checkAgentRuntime("runc", { ask, dryRun: false });
        expect(ask).not.toHaveBeenCalled();
    });

    test.each<[string, EngineAnswer, RegExp]>([
        ["a missing runtime", { runtimes: RUNC }, /has no runtime of that name/],
        ["an engine that can't be asked", { unreachable: "Cannot connect to the Docker daemon at unix:///x.sock" }, /could not be asked.*Cannot connect.*DOCKER_HOST/],
    ])("%s: up throws a ConfigError naming agent.runtime; preview only warns", (_title, a, problem) => {
        const up = collect();
        let thrown: unknown;
        try {
            checkAgentRuntime("runsc", { ask: answer(a), dryRun: false, warn: up.warn });
        } catch (err) {
            thrown = err;
        }
        expect(thrown).toBeInstanceOf(ConfigError);
        expect((thrown as ConfigError).problems.map((p) => p.key)).toEqual(["secureclaw:agent.runtime"]);
        expect((thrown as ConfigError).message).toMatch(problem);
        expect(up.warnings).toEqual([]);

        const preview = collect();
        expect(() => checkAgentRuntime("runsc", { ask: answer(a), dryRun: true, warn: preview.warn })).not.toThrow();
        expect(preview.warnings).toHaveLength(1);
        expect(preview.warnings[0]).toMatch(problem);
        expect(preview.warnings[0]).toMatch(/pulumi up stops here before creating anything/);
    });

    test("an engine with gVisor registered passes, in up and in preview", () => {
        const { warnings, warn } = collect();
        checkAgentRuntime("runsc", { ask: answer({ runtimes: WITH_GVISOR }), dryRun: false, warn });
        checkAgentRuntime("runsc", { ask: answer({ runtimes: WITH_GVISOR }), dryRun: true, warn });
        expect(warnings).toEqual([]);
    });
});

describe("agentProcessLimits: agent.pids under each runtime", () => {
    test.each<["runc" | "runsc", number, number, { hostPidsLimit: number; nproc?: number }]>([
        // runc: the cgroup counts the box's own processes; an nproc ulimit would count the whole host's uid 1000. Memory plays no part.
        ["runc", 512, 4096, { hostPidsLimit: 512 }],
        ["runc", 256, 1536, { hostPidsLimit: 256 }],
        ["runc", 64, 512, { hostPidsLimit: 64 }],
        // runsc: nproc is pids when the memory beside OpenClaw (1024 MiB) holds that many guest processes at 6 MiB each...
        ["runsc", 512, 4096, { hostPidsLimit: 64 + 32 * 512, nproc: 512 }],
        ["runsc", 256, 3072, { hostPidsLimit: 64 + 32 * 256, nproc: 256 }],
        // ...and what it holds when less: the e2e box (1536 MiB) gets 85, where the fork bomb is refused with the box healthy.
        ["runsc", 256, 1536, { hostPidsLimit: 64 + 32 * 85, nproc: 85 }],
        ["runsc", 512, 3072, { hostPidsLimit: 64 + 32 * 341, nproc: 341 }],
        // Never below 64, the least agent.pids accepts.
        ["runsc", 256, 1100, { hostPidsLimit: 64 + 32 * 64, nproc: 64 }],
        ["runsc", 64, 512, { hostPidsLimit: 64 + 32 * 64, nproc: 64 }],
    ])("%s, pids %d, memory %d MiB", (runtime, pids, memoryMb, expected) => {
        expect(agentProcessLimits(runtime, pids, memoryMb)).toEqual(expected);
    });
});

describe("the program (index.ts under mocks) with agent.runtime", () => {
    const setup = readmeSetup("dev");
    const config = (runtime?: string) => withPaths(withPaths(stackFileConfig("dev"), setup.config), runtime === undefined ? {} : { "agent.runtime": runtime });
    const withEngine = async <T>(runtimes: EngineRuntimes, fn: () => Promise<T>): Promise<T> => {
        process.env[ASSUME_RUNTIMES_ENV] = JSON.stringify(runtimes);
        try {
            return await fn();
        } finally {
            delete process.env[ASSUME_RUNTIMES_ENV];
        }
    };
    const agentRuntime = (run: Awaited<ReturnType<typeof runProgram>>) => run.one(CONTAINER, "agent").inputs.runtime;

    test("by default the agent container is written runtime \"runc\" (what the provider reads back), never left unset", async () => {
        // No engine answer is injected: with runc the program must not ask one.
        const run = await runProgram("dev", { config: config(), secrets: setup.secrets });
        expect(agentRuntime(run)).toBe("runc");
        const runcAgent = run.one(CONTAINER, "agent");
        expect((runcAgent.inputs.envs as string[]).filter((e) => e.startsWith("FS_SAFE_NATIVE_MODE"))).toEqual([]);
        expect((runcAgent.inputs.volumes as Array<{ volumeName: string; containerPath: string }>).find((v) => v.containerPath === "/var/lib/openclaw")!.volumeName).toBe("secureclaw-dev-agent-state");
        expect(runcAgent.inputs.destroyGraceSeconds).toBe(10);
        // A fixed hostname: OpenClaw's state lease names the host, so a replaced box must be the same host to reclaim it.
        expect(run.one(CONTAINER, "agent").inputs.hostname).toBe("agent");
        expect((run.one(CONTAINER, "agent").inputs.ulimits as Array<{ name: string }>).map((u) => u.name)).not.toContain("nproc");
    });

    test("agent.runtime runsc on an engine that has it: the agent runs under runsc, nothing else does", async () => {
        const run = await withEngine(WITH_GVISOR, () => runProgram("dev", { config: config("runsc"), secrets: setup.secrets }));
        expect(agentRuntime(run)).toBe("runsc");
        const agent = run.one(CONTAINER, "agent");
        expect(agent.inputs.ulimits).toContainEqual({ name: "nproc", soft: 512, hard: 512 });
        // gVisor 2022-12 lacks openat2: OpenClaw's file helper runs without it.
        expect(agent.inputs.envs).toContain("FS_SAFE_NATIVE_MODE=off");
        // Its own state (runc's SQLite state can't be reopened there); the runc state volume is still declared.
        const stateMount = (agent.inputs.volumes as Array<{ volumeName: string; containerPath: string }>).find((v) => v.containerPath === "/var/lib/openclaw")!;
        expect(stateMount.volumeName).toBe("secureclaw-dev-agent-state-gvisor");
        expect(run.byRole("docker:index/volume:Volume", "agent-state").map((v) => v.inputs.name).sort()).toEqual(["secureclaw-dev-agent-state", "secureclaw-dev-agent-state-gvisor"]);
        const start = run.resources.find((r) => r.type === "command:local:Command" && r.name === `${agent.name}-start`)!;
        expect(start.inputs.create).toBe(`docker update --pids-limit 16448 ${agent.name}-id && docker start ${agent.name}-id`);
        const others = run.resources.filter((r) => r.type === CONTAINER && r.inputs.runtime !== undefined && r !== run.one(CONTAINER, "agent"));
        expect(others.map((r) => r.name)).toEqual([]);
    });

    test("agent.runtime runsc on an engine without it: a ConfigError with the install steps, and not one resource declared", async () => {
        const { error, resources } = await withEngine(RUNC, () => runFailingProgram("dev", { config: config("runsc"), secrets: setup.secrets }));
        expect(error).toBeInstanceOf(Error);
        expect(error).toMatchObject({ name: "ConfigError" });
        expect((error as Error).message).toMatch(/secureclaw:agent\.runtime: is runsc \(gVisor\), but the Docker engine has no runtime of that name[\s\S]*apt-get install runsc/);
        expect(resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    });

    test("an unknown runtime is refused by the validator, with an example", async () => {
        const { error, resources } = await runFailingProgram("dev", { config: config("gvisor"), secrets: setup.secrets });
        expect((error as ConfigError).problems).toEqual([{
            key: "secureclaw:agent.runtime",
            problem: 'must be "runc" or "runsc" (gVisor), got "gvisor"',
            example: "pulumi config set --path 'secureclaw:agent.runtime' runsc",
        }]);
        expect(resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    });
});
