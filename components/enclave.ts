import * as pulumi from "@pulumi/pulumi";
import { Secrets } from "../config/load";
import { StackConfig } from "../config/schema";
import { DOOR, GATEWAY } from "../policy/contract/contract";
import { placeAgents } from "./cell/placeAgents";
import { DoorAgent } from "./door/doorSettings";
import { ModelDoor } from "./door/modelDoor";
import { EgressProxy } from "./egress/egressProxy";
import { ModelGateway } from "./gateway/modelGateway";
import { placeRelay, relayDestination } from "./relay/placeRelay";
import { Networks } from "./network/networks";
import { placeVllm } from "./vllm/placeVllm";

export interface SecureClawEnclaveArgs {
    /** The validated stack configuration. */
    config: StackConfig;
    /** The stack's secrets, as secret outputs. */
    secrets: Secrets;
    /** Directory holding the repo's images/ folder (the Docker build contexts). */
    repoRoot: string;
}

/**
 * The whole enclave: networks, egress proxy, vLLM (here or on a GPU host),
 * LiteLLM behind the door, and the agent box, wired so that the agent's only
 * peers are the door and the proxy.
 */
export class SecureClawEnclave extends pulumi.ComponentResource {
    public readonly agentContainer: pulumi.Output<string>;
    public readonly proxyContainer: pulumi.Output<string>;
    public readonly doorContainer: pulumi.Output<string>;
    public readonly gatewayContainer: pulumi.Output<string>;
    public readonly vllmEndpoint: string;
    public readonly workspaceVolume: pulumi.Output<string>;
    public readonly egressLogVolume: pulumi.Output<string>;
    public readonly usageVolume: pulumi.Output<string>;
    /** The Telegram relay's audit volume; undefined without Telegram. */
    public readonly relayAuditVolume?: pulumi.Output<string>;
    /** Each agent's container, workspace volume and cell network, by agent name. */
    public readonly agents: Record<string, { container: pulumi.Output<string>; workspaceVolume: pulumi.Output<string>; network: pulumi.Output<string> }>;

    constructor(name: string, args: SecureClawEnclaveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:index:SecureClawEnclave", name, {}, opts);
        const { config, repoRoot } = args;
        const secrets = requireSecrets(args.secrets);
        const child = { parent: this };
        const namePrefix = config.namePrefix;

        const relayHost = relayDestination(config);
        const networks = new Networks(`${name}-networks`, {
            namePrefix,
            ...config.network,
            modelFixedAddresses: config.gpu.placement === "remote",
            relaySubnet: relayHost === undefined ? undefined : config.network.relaySubnet,
        }, child);

        const proxy = new EgressProxy(`${name}-egress-proxy`, {
            namePrefix, repoRoot,
            cells: config.agents.map((a) => ({ agent: a.name, subnet: a.subnet, allowlist: a.allowlist })),
            pinnedHosts: config.egress.pinnedHosts,
            enclaveNetwork: networks.enclave.name,
            egressNetwork: networks.egress.name,
            relay: relayHost === undefined ? undefined : { network: networks.relay!.name, sourceSubnet: config.network.relaySubnet, destination: relayHost },
        }, child);

        const vllm = placeVllm(`${name}-vllm`, config, secrets, networks, repoRoot, this);
        this.vllmEndpoint = vllm.baseUrls.join(" ");

        const gateway = new ModelGateway(`${name}-model-gateway`, {
            namePrefix, repoRoot,
            image: config.images.litellm,
            vllmBaseUrls: vllm.baseUrls,
            upstream: vllm.ready,
            servedName: config.model.servedName,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            maxOutputTokens: config.model.maxOutputTokens,
            masterKey: secrets.gatewayMasterKey,
            vllmApiKey: secrets.vllmApiKey,
            doorNetwork: networks.gateway.name,
            upstreamNetwork: vllm.network,
        }, child);

        // One credential and one set of limits per agent, each good only from the agent's own cell.
        const door = new ModelDoor(`${name}-model-door`, {
            namePrefix, repoRoot,
            agents: doorAgents(config),
            masterKey: secrets.gatewayMasterKey,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            maxConcurrentCalls: config.gateway.maxParallelRequests,
            enclaveNetwork: networks.enclave.name,
            gatewayNetwork: networks.gateway.name,
        }, child);

        const relay = placeRelay(`${name}-telegram-relay`, config, secrets, networks, repoRoot, this);

        const agents = placeAgents(name, { config, repoRoot, networks, proxy, door, relay, sidecars: [proxy.started, door.started, gateway.started, ...(relay ? [relay.started] : [])] }, this);
        const agent = agents.find((a) => a.name === DOOR.defaultAgent) ?? agents[0];
        this.agents = Object.fromEntries(agents.map((a) => [a.name, { container: a.box.container.name, workspaceVolume: a.box.workspaceVolumeName, network: a.network }]));

        this.agentContainer = agent.box.container.name;
        this.proxyContainer = proxy.container.name;
        this.doorContainer = door.container.name;
        this.gatewayContainer = gateway.container.name;
        this.workspaceVolume = agent.box.workspaceVolumeName;
        this.egressLogVolume = proxy.logVolumeName;
        this.usageVolume = door.usageVolumeName;
        this.relayAuditVolume = relay?.auditVolumeName;
        this.registerOutputs({
            agentContainer: this.agentContainer,
            proxyContainer: this.proxyContainer,
            doorContainer: this.doorContainer,
            gatewayContainer: this.gatewayContainer,
            vllmEndpoint: this.vllmEndpoint,
            workspaceVolume: this.workspaceVolume,
            egressLogVolume: this.egressLogVolume,
            usageVolume: this.usageVolume,
            relayAuditVolume: this.relayAuditVolume,
            agents: this.agents,
        });
    }
}

/** Each agent at the door: the one model alias, its own limits, and its cell as the only source of its credential. */
function doorAgents(config: StackConfig): DoorAgent[] {
    return config.agents.map((a) => {
        const { requestsPerMinute, tokensPerMinute, tokensPerDay, concurrentRequests } = a.agent;
        return { name: a.name, model: GATEWAY.modelAlias, maxOutputTokens: config.model.maxOutputTokens, sources: [a.subnet], limits: { requestsPerMinute, tokensPerMinute, tokensPerDay, concurrentRequests } };
    });
}

/** The secrets every stack needs; the validator has already refused a stack without them. */
function requireSecrets(secrets: Secrets): Secrets & Required<Pick<Secrets, "gatewayMasterKey" | "vllmApiKey">> {
    const { gatewayMasterKey, vllmApiKey } = secrets;
    if (gatewayMasterKey === undefined || vllmApiKey === undefined) {
        throw new Error("secureclaw:gatewayMasterKey and secureclaw:vllmApiKey are required (the config validator should have said so)");
    }
    return { ...secrets, gatewayMasterKey, vllmApiKey };
}
