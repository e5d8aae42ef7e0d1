import { agentVolumeAccess, enclaveMembership } from "../policies";
import { compliantStack, NAMES, stackWith } from "./fixtures";
import { findingsOf, urnOf } from "./harness";
import { T } from "../policies/util";

const containerUrn = (name: string) => urnOf({ type: T.container, name });

describe("enclave-membership", () => {
    test("the compliant stack passes", async () => {
        expect(await findingsOf(enclaveMembership, compliantStack())).toEqual([]);
    });

    test.each<[string, string, (i: Record<string, any>) => void, string]>([
        ["the agent replaces the enclave by the egress network", "agent", (i) => (i.networksAdvanced = [{ name: NAMES.egress }]), `agent container "agent" is attached to the egress network "${NAMES.egress}": attach the agent to its own cell (the enclave network for a single agent) only (remove this networksAdvanced entry); every other network is a way around the egress proxy`],
        ["the agent also joins the model network", "agent", (i) => i.networksAdvanced.push({ name: NAMES.model }), `agent container "agent" is attached to the model network "${NAMES.model}"`],
        ["the agent joins a network the stack doesn't declare", "agent", (i) => (i.networksAdvanced = [{ name: "bridge2" }]), 'agent container "agent" is attached to network "bridge2", which this stack does not declare: attach the agent to its own cell (the enclave network for a single agent) only'],
        ["the agent's networkMode names the egress network", "agent", (i) => (i.networkMode = NAMES.egress), `agent container "agent" is attached to the egress network "${NAMES.egress}"`],
        ["vLLM joins the enclave", "vllm", (i) => i.networksAdvanced.push({ name: NAMES.enclave }), `vllm container "vllm" must not join the enclave network "${NAMES.enclave}": remove that networksAdvanced entry; the agent could reach vLLM's routes that --api-key does not protect (/health, /invocations, /tokenize, ...); attach vLLM to the model network only, behind the gateway`],
        ["LiteLLM, which holds the master key, joins the enclave beside the door", "model-gateway", (i) => i.networksAdvanced.push({ name: NAMES.enclave }), `model-gateway container "model-gateway" must not join the enclave network "${NAMES.enclave}": remove that networksAdvanced entry; only agent, egress-proxy, model-door, telegram-relay belong there`],
        ["LiteLLM joins the egress network (a route out)", "model-gateway", (i) => i.networksAdvanced.push({ name: NAMES.egress }), `model-gateway container "model-gateway" is attached to the egress network "${NAMES.egress}", which is not internal: LiteLLM holds the keys and must have no route out`],
        ["the config writer joins the enclave", "egress-config-writer", (i) => (i.networksAdvanced = [{ name: NAMES.enclave }]), `config-writer container "egress-config-writer" must not join the enclave network "${NAMES.enclave}": remove that networksAdvanced entry; only agent, egress-proxy, model-door, telegram-relay belong there`],
        ["an unlabeled container joins the enclave", "vllm", (i) => {
            i.labels = [];
            i.networksAdvanced = [{ name: NAMES.enclave }];
        }, `unlabeled container "vllm" must not join the enclave network`],
    ])("%s is refused", async (_l, name, mutate, expected) => {
        const findings = await findingsOf(enclaveMembership, stackWith(name, mutate));
        expect(findings).toEqual(expect.arrayContaining([{ urn: containerUrn(name), message: expect.stringContaining(expected) }]));
    });

    test("an agent with no enclave network in the stack is refused", async () => {
        const resources = compliantStack().filter((r) => !(r.type === T.network && r.name === "enclave"));
        const findings = await findingsOf(enclaveMembership, resources);
        expect(findings).toEqual(expect.arrayContaining([{ urn: containerUrn("agent"), message: expect.stringContaining('agent container "agent" has no enclave or cell network to join: declare a docker.Network labeled secureclaw.role=enclave') }]));
    });

    test("an agent in a cell network of its own passes, and two agents sharing one cell are refused", async () => {
        const resources = compliantStack();
        const enclave = resources.find((r) => r.type === T.network && r.name === "enclave")!;
        const cell = JSON.parse(JSON.stringify(enclave));
        cell.name = "cell-bob";
        cell.inputs.name = `${NAMES.enclave}-cell-bob`;
        cell.inputs.labels = cell.inputs.labels.map((l: { label: string; value: string }) => (l.label === "secureclaw.role" ? { ...l, value: "cell" } : l));
        const bob = JSON.parse(JSON.stringify(resources.find((r) => r.type === T.container && r.name === "agent")!));
        bob.name = "agent-bob";
        bob.inputs.networksAdvanced = [{ name: cell.inputs.name }];
        expect(await findingsOf(enclaveMembership, [...resources, cell, bob])).toEqual([]);
        const shared = JSON.parse(JSON.stringify(bob));
        shared.name = "agent-carol";
        expect(await findingsOf(enclaveMembership, [...resources, cell, bob, shared])).toEqual([
            { urn: urnOf({ type: T.network, name: "cell-bob" }), message: expect.stringContaining('holds 2 agent containers ("agent-bob", "agent-carol"): give each agent its own cell') },
        ]);
    });

    test("a network matched by ID counts like one matched by name", async () => {
        const resources = stackWith("agent", (i) => (i.networksAdvanced = [{ name: "net-enclave-id" }]));
        resources.find((r) => r.name === "enclave")!.inputs.id = "net-enclave-id";
        expect(await findingsOf(enclaveMembership, resources)).toEqual([]);
    });
});

describe("agent-volume-access", () => {
    test("the compliant stack passes", async () => {
        expect(await findingsOf(agentVolumeAccess, compliantStack())).toEqual([]);
    });

    test.each<[string, (i: Record<string, any>) => void, string]>([
        ["a writable agent-config", (i) => (i.volumes[2].readOnly = false), `agent container "agent" must mount the agent-config volume "${NAMES.agentConfig}" read-only: set readOnly: true on volumes[2]; a writable config lets a hijacked agent persist a backdoor`],
        ["agent-config with readOnly absent", (i) => delete i.volumes[2].readOnly, "must mount the agent-config volume"],
        ["the proxy's config", (i) => i.volumes.push({ volumeName: NAMES.egressConfig, containerPath: "/x", readOnly: true }), `agent container "agent" must not mount the egress-config volume "${NAMES.egressConfig}": remove volumes[3]; it holds the proxy's allowlist and rules, so the agent could widen its own egress`],
        ["the proxy's log", (i) => i.volumes.push({ volumeName: NAMES.egressLog, containerPath: "/x" }), "must not mount the egress-log volume"],
        ["the gateway's config", (i) => (i.mounts = [{ type: "volume", source: NAMES.gatewayConfig, target: "/g", readOnly: true }]), `agent container "agent" must not mount the gateway-config volume "${NAMES.gatewayConfig}": remove mounts[0]`],
        ["the model cache", (i) => i.volumes.push({ volumeName: NAMES.hfCache, containerPath: "/x" }), "must not mount the hf-cache volume"],
        ["the model link's key", (i) => i.volumes.push({ volumeName: NAMES.linkKey, containerPath: "/x", readOnly: true }), `must not mount the link-key volume "${NAMES.linkKey}": remove volumes[3]; it holds the model link's SSH key`],
        ["a volume the stack doesn't declare", (i) => i.volumes.push({ volumeName: "someones-data", containerPath: "/x" }), 'agent container "agent" mounts volume "someones-data" (volumes[3]), which this stack does not declare: mount only the stack\'s workspace, agent-state and agent-config volumes'],
    ])("%s is refused", async (_l, mutate, expected) => {
        const findings = await findingsOf(agentVolumeAccess, stackWith("agent", mutate));
        expect(findings).toEqual(expect.arrayContaining([{ urn: containerUrn("agent"), message: expect.stringContaining(expected) }]));
    });

    test("other containers may mount the config volumes", async () => {
        expect(await findingsOf(agentVolumeAccess, stackWith("egress-proxy", (i) => i.volumes.push({ volumeName: NAMES.agentConfig, containerPath: "/a" })))).toEqual([]);
    });
});
