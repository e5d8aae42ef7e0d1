/**
 * ModelDoor under Pulumi mocks: what it declares for the Docker engine.
 */
import * as pulumi from "@pulumi/pulumi";
import { doorCredential } from "../../components/door/credentials";
import { DEFAULT_DOOR_LIMITS, renderDoorSettings } from "../../components/door/doorSettings";
import { ModelDoor } from "../../components/door/modelDoor";
import { CONFIG_HASH_LABEL, ROLE_LABEL } from "../../policy/contract/contract";
import { recordDeclarations, settled } from "../support/componentMocks";

const MASTER_KEY = "sk-test-gateway-master-key-door";
const declared = recordDeclarations("sha256:door-image");

const agents = [
    { name: "main", model: "secureclaw-model", maxOutputTokens: 8192, limits: DEFAULT_DOOR_LIMITS, sources: ["10.89.0.0/24"] },
    { name: "helper", model: "secureclaw-model", maxOutputTokens: 4096, limits: { ...DEFAULT_DOOR_LIMITS, concurrentRequests: 1 }, sources: ["10.89.1.0/24"] },
];
const door = new ModelDoor("door", {
    namePrefix: "secureclaw-test",
    repoRoot: "/repo",
    agents,
    masterKey: pulumi.secret(MASTER_KEY),
    requestTimeoutSeconds: 600,
    maxConcurrentCalls: 12,
    enclaveNetwork: "secureclaw-test-enclave",
    gatewayNetwork: "secureclaw-test-gateway",
});

describe("ModelDoor", () => {
    let container: (typeof declared)[number];
    beforeAll(async () => {
        await settled(door.container.id);
        await settled(door.started.id);
        container = declared.find((r) => r.type === "docker:index/container:Container" && r.name === "door")!;
    });
    const role = (r: (typeof declared)[number]) => r.inputs.labels?.find((l: any) => l.label === ROLE_LABEL)?.value;

    test.each<[string, (c: Record<string, any>) => unknown, unknown]>([
        ["name", (c) => c.name, "secureclaw-test-model-door"],
        ["the image built from images/door", (c) => c.image, "sha256:door-image"],
        ["role label", (c) => c.labels.find((l: any) => l.label === ROLE_LABEL).value, "model-door"],
        ["no config-hash label: settings are re-read in place", (c) => c.labels.some((l: any) => l.label === CONFIG_HASH_LABEL), false],
        ["uid 1000", (c) => c.user, "1000:1000"],
        ["read-only root", (c) => c.readOnly, true],
        ["no capabilities", (c) => c.capabilities, { drops: ["ALL"] }],
        ["no new privileges", (c) => c.securityOpts, ["no-new-privileges:true"]],
        ["not privileged", (c) => c.privileged, false],
        ["no published ports", (c) => c.ports, undefined],
        ["started later, under its pids limit", (c) => [c.start, c.mustRun], [false, false]],
        ["memory cap, no swap", (c) => [c.memory, c.memorySwap], [256, 256]],
        ["cpus in the provider's form", (c) => c.cpus, "1.0"],
        ["the gateway's name on the enclave, and the network to LiteLLM", (c) => c.networksAdvanced, [
            { name: "secureclaw-test-enclave", aliases: ["model-gateway"] },
            { name: "secureclaw-test-gateway" },
        ]],
        ["listens on the gateway's port, forwards to litellm:4000", (c) => c.command, [
            "--settings", "/etc/secureclaw-door/door.json", "--usage", "/var/lib/secureclaw-door/usage.jsonl",
            "--listen", "0.0.0.0:4000", "--upstream", "litellm:4000",
        ]],
        ["settings read-only, usage writable", (c) => c.volumes, [
            { volumeName: "secureclaw-test-door-config", containerPath: "/etc/secureclaw-door", readOnly: true },
            { volumeName: "secureclaw-test-door-usage", containerPath: "/var/lib/secureclaw-door" },
        ]],
        ["health check on loopback /healthz", (c) => c.healthcheck.tests.join(" "), expect.stringContaining("http://127.0.0.1:4000/healthz")],
        ["health check durations in the provider's form", (c) => [c.healthcheck.interval, c.healthcheck.timeout, c.healthcheck.startPeriod], ["15s", "5s", "10s"]],
    ])("%s", (_title, pick, expected) => {
        expect(pick(container.inputs)).toEqual(expected);
    });

    test("the master key is in its environment only, as a secret", () => {
        expect(container.inputs.envs).toEqual([`DOOR_UPSTREAM_KEY=${MASTER_KEY}`]);
        expect(container.secretInputs).toContain("envs");
        for (const r of declared.filter((x) => x !== container)) expect(JSON.stringify(r.inputs)).not.toContain(MASTER_KEY);
    });

    test("its settings file is the rendered one, with no credential in it", () => {
        const writer = declared.find((r) => r.type === "docker:index/container:Container" && role(r) === "config-writer")!;
        expect(writer.inputs.uploads).toEqual([{ file: "/config/door.json", content: renderDoorSettings({ agents, requestTimeoutSeconds: 600, maxBodyBytes: 4 * 1024 * 1024, maxConcurrentCalls: 12 }), permissions: "0644" }]);
        for (const a of agents) expect(writer.inputs.uploads[0].content).not.toContain(doorCredential(MASTER_KEY, a.name));
    });

    test("it starts under a pids limit once created", () => {
        const start = declared.find((r) => r.type === "command:local:Command" && r.name === "door-start")!;
        expect(start.inputs.create).toBe("docker update --pids-limit 64 door-id && docker start door-id");
    });

    test("credentialFor gives each agent its derived credential, as a secret", async () => {
        const main = await settled(door.credentialFor("main"));
        expect(main).toEqual({ value: doorCredential(MASTER_KEY, "main"), secret: true });
        expect((await settled(door.credentialFor("helper"))).value).toBe(doorCredential(MASTER_KEY, "helper"));
        expect(() => door.credentialFor("nobody")).toThrow(/no agent named nobody/);
    });
});
