/**
 * The whole program, through index.ts, under Pulumi mocks: every security
 * property asserted on the inputs the program declares, for both stacks.
 */
import { dockerCpus, goDuration } from "../../components/shared/canonical";
import { planSubnet } from "../../config/net";
import { doorCredential } from "../../components/door/credentials";
import { relayCredential } from "../../components/relay/credentials";
import { DEFAULT_DOOR_LIMITS } from "../../components/door/doorSettings";
import { CONFIG_HASH_LABEL, DOOR } from "../../policy/contract/contract";
import { DeclaredResource, ProgramRun, readmeSetup, runFailingProgram, runProgram, stackFileConfig, TEST_SECRETS, withPaths } from "../support/program";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const REMOTE_COMMAND = "command:remote:Command";
const LOCAL_COMMAND = "command:local:Command";

const runs: Record<string, ProgramRun> = {};
beforeAll(async () => {
    runs.dev = await runProgram("dev");
    runs.dgx = await runProgram("dgx");
});

/** The config writers of a volume role, one per file. */
const writersOf = (run: ProgramRun, volumeRole: string) => {
    const volume = run.one("docker:index/volume:Volume", volumeRole).inputs.name;
    return run.byRole(CONTAINER, "config-writer").filter((w) => (w.inputs.volumes as any[])[0].volumeName === volume);
};
/** The local command that sets a container's pids limit and starts it. */
const startCommandOf = (run: ProgramRun, container: DeclaredResource) =>
    run.resources.find((r) => r.type === LOCAL_COMMAND && (r.inputs.triggers as unknown[])?.[0] === `${container.name}-id`)!;

const roleOfInputs = (r: DeclaredResource) => (r.inputs.labels as { label: string; value: string }[]).find((l) => l.label === "secureclaw.role")?.value;
/** Seconds in a Go duration string such as "1m0s". */
const goSeconds = (text: string) => {
    const m = /^(?:(\d+)h)?(?:(\d+)m)?(\d+)s$/.exec(text);
    if (!m) throw new Error(`not a Go duration: ${text}`);
    return Number(m[1] ?? 0) * 3600 + Number(m[2] ?? 0) * 60 + Number(m[3]);
};

const networkNames = (c: DeclaredResource) => (c.inputs.networksAdvanced as { name: string }[]).map((n) => n.name);
const env = (c: DeclaredResource) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));
const mountAt = (c: DeclaredResource, path: string) => (c.inputs.volumes as any[]).find((v) => v.containerPath === path);

describe.each(["dev", "dgx"])("stack %s: the agent box", (stack) => {
    const agent = () => runs[stack].one(CONTAINER, "agent");
    const enclave = () => runs[stack].one(NETWORK, "enclave");

    test.each<[string, (a: DeclaredResource) => unknown, unknown]>([
        ["drops every capability", (a) => a.inputs.capabilities, { drops: ["ALL"] }],
        ["can't gain privileges (no-new-privileges)", (a) => a.inputs.securityOpts, ["no-new-privileges:true"]],
        ["has a read-only root filesystem", (a) => a.inputs.readOnly, true],
        ["runs as uid 1000", (a) => a.inputs.user, "1000:1000"],
        ["is not privileged", (a) => a.inputs.privileged, false],
        ["publishes no ports", (a) => a.inputs.ports ?? [], []],
        ["gets no GPU", (a) => a.inputs.gpus ?? a.inputs.deviceRequests, undefined],
        ["has no devices", (a) => a.inputs.devices, undefined],
        ["has no host network, PID or IPC namespace", (a) => [a.inputs.networkMode, a.inputs.pidMode, a.inputs.ipcMode], [undefined, undefined, undefined]],
        ["turns IPv6 off inside", (a) => a.inputs.sysctls, { "net.ipv6.conf.all.disable_ipv6": "1" }],
        ["has no swap beyond its memory", (a) => a.inputs.memorySwap === a.inputs.memory, true],
        ["writes no core dumps", (a) => (a.inputs.ulimits as any[]).find((u) => u.name === "core"), { name: "core", soft: 0, hard: 0 }],
    ])("%s", (_title, pick, expected) => {
        expect(pick(agent())).toEqual(expected);
    });

    test("joins only the enclave network", () => {
        expect(networkNames(agent())).toEqual([enclave().inputs.name]);
    });

    test("the enclave network is internal, IPv6-free and has no address on the host (inhibit_ipv4)", () => {
        expect(enclave().inputs.internal).toBe(true);
        expect(enclave().inputs.ipv6).toBe(false);
        expect(enclave().inputs.options).toMatchObject({
            "com.docker.network.bridge.inhibit_ipv4": "true",
            "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
            "com.docker.network.bridge.enable_ip_masquerade": "false",
        });
    });

    test("mounts only named volumes: workspace and state writable, config read-only; no host path, no Docker socket", () => {
        const volumes = agent().inputs.volumes as any[];
        expect(volumes.every((v) => v.hostPath === undefined && typeof v.volumeName === "string")).toBe(true);
        expect(JSON.stringify(agent().inputs)).not.toContain("docker.sock");
        expect(mountAt(agent(), "/workspace").readOnly).toBeFalsy();
        expect(mountAt(agent(), "/var/lib/openclaw").readOnly).toBeFalsy();
        expect(mountAt(agent(), "/etc/openclaw").readOnly).toBe(true);
        expect(volumes).toHaveLength(3);
        expect(agent().inputs.mounts).toBeUndefined();
    });

    test("/tmp is a size-capped, noexec, nosuid tmpfs; HOME is a tmpfs owned by the agent", () => {
        expect(agent().inputs.tmpfs["/tmp"]).toMatch(/^rw,nosuid,nodev,size=\d+m,noexec$/);
        expect(agent().inputs.tmpfs["/home/node"]).toMatch(/uid=1000,gid=1000/);
    });

    test("the skill folders OpenClaw would prefer over ours are empty read-only mounts", () => {
        for (const dir of ["/workspace/skills", "/workspace/.agents/skills", "/var/lib/openclaw/skills"]) {
            expect(agent().inputs.tmpfs[dir]).toMatch(/^ro,/);
        }
    });

    test("memory and CPU come from the stack", () => {
        const agentConfig = (stackFileConfig(stack).agent ?? {}) as { memoryMb?: number; cpus?: number };
        expect(agent().inputs.memory).toBe(agentConfig.memoryMb ?? 4096);
        // In the form the provider reads back ("2.0"), so a second `pulumi up` sees no change.
        expect(agent().inputs.cpus).toBe(dockerCpus(agentConfig.cpus ?? 2));
    });

    test("the container is created stopped and started only after its process limit is set, again on every replacement", () => {
        const pids = (stackFileConfig(stack).agent as { pids?: number } | undefined)?.pids ?? 512;
        expect([agent().inputs.start, agent().inputs.mustRun]).toEqual([false, false]);
        const start = runs[stack].resources.find((r) => r.type === LOCAL_COMMAND && r.name === `${agent().name}-start`)!;
        expect(start.inputs.create).toBe(`docker update --pids-limit ${pids} ${agent().name}-id && docker start ${agent().name}-id`);
        expect(start.inputs.triggers).toEqual([`${agent().name}-id`, pids]);
    });

    test("the health check is written in the provider's read-back form", () => {
        expect(agent().inputs.healthcheck).toMatchObject({ interval: "15s", timeout: "5s", startPeriod: "1m0s", retries: 3 });
    });

    test("all outbound traffic goes to the proxy, model calls to the gateway directly", () => {
        const e = env(agent());
        for (const name of ["HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy"]) expect(e[name]).toBe("http://egress-proxy:3128");
        expect(e.NO_PROXY.split(",")).toEqual(["model-gateway", "telegram-relay", "localhost", "127.0.0.1"]);
        expect(e.no_proxy).toBe(e.NO_PROXY);
    });

    test("OpenClaw can't rewrite its config and does not phone home", () => {
        expect(env(agent())).toMatchObject({
            OPENCLAW_CONFIG_READONLY: "1",
            OPENCLAW_CONFIG_PATH: "/etc/openclaw/openclaw.json",
            OPENCLAW_STATE_DIR: "/var/lib/openclaw",
            OPENCLAW_NO_AUTO_UPDATE: "1",
            OPENCLAW_OFFLINE: "1",
            OPENCLAW_DISABLE_BONJOUR: "1",
            DO_NOT_TRACK: "1",
        });
    });

    test("DNS upstream is an enclave address Docker never assigns (no forwarding, CVE-2024-29018)", () => {
        const subnet = (enclave().inputs.ipamConfigs as any[])[0];
        const plan = planSubnet(subnet.subnet);
        expect(agent().inputs.dns).toEqual([plan.unassigned]);
        expect(subnet.ipRange).toBe(plan.ipRange);
    });

    test("its environment, which carries the door and relay credentials (never the bot token), is a secret", async () => {
        // The door credential: derived from the master key, accepted by the door and nothing else.
        expect(env(agent()).SECURECLAW_GATEWAY_KEY).toBe(doorCredential(TEST_SECRETS.gatewayMasterKey, DOOR.defaultAgent));
        // The relay credential: derived from the bot token, accepted by the relay and nothing else.
        expect(env(agent()).TELEGRAM_BOT_TOKEN).toBe(relayCredential(TEST_SECRETS.telegramBotToken, DOOR.defaultAgent));
        expect(JSON.stringify(agent().inputs)).not.toContain(TEST_SECRETS.telegramBotToken);
        expect(agent().isSecretInput("envs")).toBe(true);
    });

    test("holds neither LiteLLM's master key, the vLLM key, the SSH key nor the HF token", () => {
        const text = JSON.stringify(agent().inputs);
        for (const secret of [TEST_SECRETS.gatewayMasterKey, TEST_SECRETS.vllmApiKey, TEST_SECRETS.sshPrivateKey, TEST_SECRETS.hfToken]) expect(text).not.toContain(secret);
    });

    test("starts after its config is written and the sidecars have started (explicit dependencies)", () => {
        const deps = agent().opts.dependsOn;
        const writers = writersOf(runs[stack], "agent-config");
        expect(writers.length).toBeGreaterThan(1);
        const sidecarStarts = ["egress-proxy", "model-gateway"].map((role) => startCommandOf(runs[stack], runs[stack].one(CONTAINER, role)).name);
        expect(deps).toEqual(expect.arrayContaining([...writers.map((w) => w.name), ...sidecarStarts]));
    });
});

describe.each(["dev", "dgx"])("stack %s: the sidecars", (stack) => {
    const proxy = () => runs[stack].one(CONTAINER, "egress-proxy");
    const gateway = () => runs[stack].one(CONTAINER, "model-gateway");
    const networkName = (role: string) => runs[stack].one(NETWORK, role).inputs.name;

    test.each(["egress-proxy", "model-gateway"])("%s: hardened like the agent, no ports, no host-gateway entry", (role) => {
        const c = runs[stack].one(CONTAINER, role);
        expect(c.inputs.capabilities).toEqual({ drops: ["ALL"] });
        expect(c.inputs.securityOpts).toEqual(["no-new-privileges:true"]);
        expect(c.inputs.readOnly).toBe(true);
        expect(c.inputs.ports ?? []).toEqual([]);
        expect(JSON.stringify(c.inputs.hosts ?? [])).not.toContain("host-gateway");
        expect(c.inputs.memory).toBeGreaterThan(0);
    });

    test("the proxy sits on the enclave (as egress-proxy) and the egress network, runs as proxy, config read-only", () => {
        expect(proxy().inputs.networksAdvanced).toEqual([
            { name: networkName("enclave"), aliases: ["egress-proxy"] },
            { name: networkName("egress") },
            { name: networkName("relay"), aliases: ["relay-egress-proxy"] },
        ]);
        expect(proxy().inputs.user).toBe("proxy");
        expect(mountAt(proxy(), "/etc/squid/secureclaw").readOnly).toBe(true);
    });

    test("the door answers as model-gateway on the enclave; LiteLLM is behind it, off the agent's network", () => {
        const upstream = "model";
        expect(runs[stack].one(CONTAINER, "model-door").inputs.networksAdvanced).toEqual([
            { name: networkName("enclave"), aliases: ["model-gateway"] },
            { name: networkName("gateway") },
        ]);
        expect(gateway().inputs.networksAdvanced).toEqual([
            { name: networkName("gateway"), aliases: ["litellm"] },
            { name: networkName(upstream) },
        ]);
        expect(runs[stack].one(NETWORK, "gateway").inputs).toMatchObject({ internal: true, ipv6: false });
    });

    test("LiteLLM joins internal networks only, each without an address on the host: it has no route out", () => {
        const networks = runs[stack].resources.filter((r) => r.type === NETWORK);
        const joined = networkNames(gateway()).map((n) => networks.find((net) => net.inputs.name === n)!);
        expect(joined).toHaveLength(2);
        for (const net of joined) {
            expect([net.inputs.name, net.inputs.internal, net.inputs.options?.["com.docker.network.bridge.inhibit_ipv4"]]).toEqual([net.inputs.name, true, "true"]);
        }
    });

    test("the door holds LiteLLM's key in a secret environment, and the agent's limits from the stack", () => {
        const door = runs[stack].one(CONTAINER, "model-door");
        expect(env(door).DOOR_UPSTREAM_KEY).toBe(TEST_SECRETS.gatewayMasterKey);
        expect(door.isSecretInput("envs")).toBe(true);
        const settings = JSON.parse(writersOf(runs[stack], "door-config")[0].inputs.uploads[0].content);
        expect(settings.agents[DOOR.defaultAgent]).toMatchObject({ model: "secureclaw-model", limits: DEFAULT_DOOR_LIMITS });
        expect(JSON.stringify(settings)).not.toContain(TEST_SECRETS.gatewayMasterKey);
    });

    test("the gateway's keys are in a secret environment, never in its config file", async () => {
        const e = env(gateway());
        expect(e.LITELLM_MASTER_KEY).toBe(TEST_SECRETS.gatewayMasterKey);
        expect(e.VLLM_API_KEY).toBe(TEST_SECRETS.vllmApiKey);
        expect(e).toMatchObject({ DISABLE_ADMIN_UI: "True", LITELLM_LOCAL_MODEL_COST_MAP: "True" });
        expect(gateway().isSecretInput("envs")).toBe(true);
        const [writer] = writersOf(runs[stack], "gateway-config");
        expect(writer.inputs.uploads[0].content).toContain("os.environ/VLLM_API_KEY");
    });
});

describe.each(["dev", "dgx"])("stack %s: every container and Docker object", (stack) => {
    const running = () => runs[stack].resources.filter((r) => r.type === CONTAINER && r.inputs.labels && roleOfInputs(r) !== "config-writer");

    test("every long-running container starts only under a pids limit (CIS 5.29)", () => {
        expect(running().length).toBeGreaterThanOrEqual(3);
        for (const c of running()) {
            expect([c.name, c.inputs.start, c.inputs.mustRun]).toEqual([c.name, false, false]);
            expect(startCommandOf(runs[stack], c).inputs.create).toMatch(/^docker update --pids-limit \d+ \S+ && docker start \S+$/);
        }
    });

    test("every long-running container has a health check (CIS 5.27), its durations in the provider's canonical form", () => {
        for (const c of running()) {
            const h = c.inputs.healthcheck as Record<string, string>;
            expect(h.tests[0]).toBe("CMD");
            for (const field of ["interval", "timeout", "startPeriod"]) expect([c.name, h[field], goDuration(goSeconds(h[field]))]).toEqual([c.name, h[field], h[field]]);
        }
    });

    test("every CPU count is written as the provider reads it back, so a second up replaces nothing", () => {
        // vLLM (local) has no CPU cap: it is fed by the GPU. Every other container has one.
        const capped = running().filter((c) => c.inputs.cpus !== undefined);
        expect(capped.map((c) => roleOfInputs(c)).sort()).toEqual(["agent", "egress-proxy", "model-door", "model-gateway", ...(stack === "dgx" ? ["model-link"] : []), "telegram-relay"]);
        for (const c of capped) expect([c.name, c.inputs.cpus]).toEqual([c.name, dockerCpus(Number(c.inputs.cpus))]);
    });

    test("every container, network and volume is named with the stack's prefix", () => {
        const named = runs[stack].resources.filter((r) => [CONTAINER, NETWORK, "docker:index/volume:Volume"].includes(r.type));
        expect(named.length).toBeGreaterThan(10);
        for (const r of named) expect(r.inputs.name).toMatch(new RegExp(`^secureclaw-${stack}-`));
    });
});

describe("vLLM placement", () => {
    test("dev: vLLM is a container on the model network (only the gateway joins it) with no published port", () => {
        const vllm = runs.dev.one(CONTAINER, "vllm");
        const model = runs.dev.one(NETWORK, "model");
        expect(model.inputs.internal).toBe(true);
        expect(networkNames(vllm)).toContain(model.inputs.name);
        expect(vllm.inputs.ports ?? []).toEqual([]);
        const members = runs.dev.byRole(CONTAINER).filter((c) => c.inputs.networksAdvanced && networkNames(c).includes(model.inputs.name));
        expect(members.map((c) => c.inputs.name).sort()).toEqual(["secureclaw-dev-model-gateway", "secureclaw-dev-vllm"]);
        expect(vllm.inputs.command).toEqual(expect.arrayContaining(["--model", "Qwen/Qwen3-4B-Instruct-2507", "--served-model-name", "qwen3-4b"]));
        expect(env(vllm).VLLM_API_KEY).toBe(TEST_SECRETS.vllmApiKey);
    });

    test("dgx: vLLM is launched over SSH with the key and tokens as secrets, none on a command line", async () => {
        const launch = runs.dgx.resources.find((r) => r.type === REMOTE_COMMAND && r.name === "secureclaw-vllm")!;
        expect(launch.inputs.connection).toMatchObject({ host: "192.168.1.50", user: "ubuntu", port: 22, privateKey: TEST_SECRETS.sshPrivateKey });
        expect(launch.isSecretInput("stdin")).toBe(true);
        expect(launch.isSecretInput("connection")).toBe(true);
        expect(launch.inputs.stdin).toBe(`${TEST_SECRETS.vllmApiKey}\n${TEST_SECRETS.hfToken}\n`);
        for (const field of ["create", "delete", "triggers"]) {
            const text = JSON.stringify(launch.inputs[field]);
            for (const secret of Object.values(TEST_SECRETS)) expect(text).not.toContain(secret);
        }
        expect(launch.inputs.create).toContain("Qwen/Qwen3-30B-A3B-Instruct-2507-FP8");
        expect(launch.inputs.create).toContain("-p 127.0.0.1:8000:8000");
        expect(launch.inputs.create).not.toContain("192.168.1.50");
        expect(launch.opts.deleteBeforeReplace).toBe(true);
        expect(runs.dgx.byRole(CONTAINER, "vllm")).toHaveLength(0);
        expect(runs.dgx.outputs.vllmEndpoint).toBe("http://model-link-0:8000/v1");
    });

    test("dev exports the model network endpoint", () => {
        expect(runs.dev.outputs.vllmEndpoint).toBe("http://vllm:8000/v1");
    });
});

describe("secrets never appear in plain inputs", () => {
    test.each(["dev", "dgx"])("%s: with every secret-marked part removed, no input of any resource contains a secret value", (stack) => {
        const leaks: string[] = [];
        for (const resource of runs[stack].resources) {
            for (const [key, value] of Object.entries(resource.inputsWithoutSecrets)) {
                const text = JSON.stringify(value);
                for (const [name, secret] of Object.entries(TEST_SECRETS)) {
                    if (text.includes(secret.trim())) leaks.push(`${resource.type} ${resource.name}.${key} carries ${name}`);
                }
            }
        }
        expect(leaks).toEqual([]);
    });
});

describe("changing one thing changes only what it should", () => {
    const containerInputs = (run: ProgramRun, role: string) => run.one(CONTAINER, role).inputs;

    test("a new allowlist entry touches only the proxy's config writer: proxy, gateway and agent containers keep identical inputs", async () => {
        const config = withPaths(stackFileConfig("dev"), { ...readmeSetup("dev").config, "egress.allowlist": ["pypi.org"] });
        const changed = await runProgram("dev", { config });
        for (const role of ["agent", "egress-proxy", "model-door", "model-gateway", "vllm", "telegram-relay"]) {
            expect(containerInputs(changed, role)).toEqual(containerInputs(runs.dev, role));
        }
        // Only the allowlist file's writer changes: the preview shows that file's edit and nothing else.
        const uploads = (run: ProgramRun) => Object.fromEntries(writersOf(run, "egress-config").map((w) => [w.name, w.inputs.uploads]));
        const before = uploads(runs.dev), after = uploads(changed);
        const differing = Object.keys(after).filter((name) => JSON.stringify(after[name]) !== JSON.stringify(before[name]));
        expect(differing).toEqual(["secureclaw-egress-proxy-config-writer-allowlist-txt"]);
        expect(after[differing[0]]).toEqual([{ file: "/config/allowlist.txt", content: "pypi.org\n", permissions: "0644" }]);
    });

    test("a model size change replaces the gateway through its config hash label", async () => {
        const config = withPaths(stackFileConfig("dev"), { ...readmeSetup("dev").config, "model.size": "medium" });
        const changed = await runProgram("dev", { config });
        const hash = (run: ProgramRun) => (run.one(CONTAINER, "model-gateway").inputs.labels as any[]).find((l) => l.label === CONFIG_HASH_LABEL).value;
        expect(hash(changed)).not.toBe(hash(runs.dev));
    });

    test("a new model size relaunches vLLM and replaces the gateway, but leaves the agent container's inputs alone", async () => {
        const config = withPaths(stackFileConfig("dev"), { ...readmeSetup("dev").config, "model.size": "medium" });
        const changed = await runProgram("dev", { config });
        expect(containerInputs(changed, "agent")).toEqual(containerInputs(runs.dev, "agent"));
        expect(containerInputs(changed, "egress-proxy")).toEqual(containerInputs(runs.dev, "egress-proxy"));
        expect(containerInputs(changed, "vllm").command).not.toEqual(containerInputs(runs.dev, "vllm").command);
        expect(containerInputs(changed, "model-gateway").labels).not.toEqual(containerInputs(runs.dev, "model-gateway").labels);
    });

    test("dgx: unrelated changes (agent memory, the agent's output cap, the gateway timeout) do not re-trigger the vLLM launch", async () => {
        const config = withPaths(stackFileConfig("dgx"), { ...readmeSetup("dgx").config, "agent.memoryMb": 16384, "model.maxOutputTokens": 4096, "gateway.requestTimeoutSeconds": 900 });
        const changed = await runProgram("dgx", { config, secrets: readmeSetup("dgx").secrets });
        const launch = (run: ProgramRun) => run.resources.find((r) => r.type === REMOTE_COMMAND && r.name === "secureclaw-vllm")!.inputs;
        expect(launch(changed)).toEqual(launch(runs.dgx));
    });
});

describe("bad config stops the program before any resource is declared", () => {
    test("an invalid allowlist entry and a missing key: a ConfigError listing both, zero resources", async () => {
        const config = withPaths(stackFileConfig("dev"), { ...readmeSetup("dev").config, "egress.allowlist": ["api.telegram.org", "*"] });
        const { gatewayMasterKey: _dropped, ...secrets } = readmeSetup("dev").secrets;
        const { error, resources } = await runFailingProgram("dev", { config, secrets });
        expect(error).toMatchObject({ name: "ConfigError" });
        expect(String(error)).toMatch(/secureclaw:gatewayMasterKey[\s\S]*secureclaw:egress\.allowlist\[1\]/);
        // Only the stack itself exists: not one component or resource was declared.
        expect(resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    });

    test("a secret set without --secret is refused", async () => {
        await expect(runProgram("dev", { plaintextSecrets: ["telegramBotToken"] })).rejects.toThrow(/secureclaw:telegramBotToken: is stored in plain text/);
    });

    test("the stack files alone (without the README's setup steps) say exactly what is missing", async () => {
        await expect(runProgram("dgx", { config: stackFileConfig("dgx"), secrets: {} })).rejects.toThrow(
            /gatewayMasterKey[\s\S]*vllmApiKey[\s\S]*sshPrivateKey[\s\S]*telegramBotToken[\s\S]*telegram\.allowFrom/,
        );
    });
});
