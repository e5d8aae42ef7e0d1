import * as pulumi from "@pulumi/pulumi";
import { Secrets } from "../config/load";
import { StackConfig, telegramApiHost } from "../config/schema";
import { DOOR, GATEWAY } from "../policy/contract/contract";
import { AgentBox } from "./agent/agentBox";
import { ModelDoor } from "./door/modelDoor";
import { EgressProxy } from "./egress/egressProxy";
import { ModelGateway } from "./gateway/modelGateway";
import { TelegramRelay } from "./relay/telegramRelay";
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

    constructor(name: string, args: SecureClawEnclaveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:index:SecureClawEnclave", name, {}, opts);
        const { config, repoRoot } = args;
        const secrets = requireSecrets(args.secrets);
        const child = { parent: this };
        const namePrefix = config.namePrefix;

        const networks = new Networks(`${name}-networks`, {
            namePrefix,
            ...config.network,
            modelFixedAddresses: config.gpu.placement === "remote",
            relaySubnet: config.telegram.enabled ? config.network.relaySubnet : undefined,
        }, child);
        const telegram = config.telegram.enabled ? config.telegram : undefined;

        const proxy = new EgressProxy(`${name}-egress-proxy`, {
            namePrefix, repoRoot,
            cells: [{ agent: DOOR.defaultAgent, subnet: config.network.enclaveSubnet, allowlist: config.egress.allowlist }],
            pinnedHosts: config.egress.pinnedHosts,
            enclaveNetwork: networks.enclave.name,
            egressNetwork: networks.egress.name,
            relay: telegram && { network: networks.relay!.name, sourceSubnet: config.network.relaySubnet, destination: telegramApiHost(telegram) },
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

        const { requestsPerMinute, tokensPerMinute, tokensPerDay, concurrentRequests } = config.agent;
        const door = new ModelDoor(`${name}-model-door`, {
            namePrefix, repoRoot,
            agents: [{ name: DOOR.defaultAgent, model: GATEWAY.modelAlias, maxOutputTokens: config.model.maxOutputTokens, limits: { requestsPerMinute, tokensPerMinute, tokensPerDay, concurrentRequests } }],
            masterKey: secrets.gatewayMasterKey,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            maxConcurrentCalls: config.gateway.maxParallelRequests,
            enclaveNetwork: networks.enclave.name,
            gatewayNetwork: networks.gateway.name,
        }, child);

        // The bot token stays here; the agent gets a relay credential that is worthless anywhere else.
        const relay = telegram && new TelegramRelay(`${name}-telegram-relay`, {
            namePrefix, repoRoot,
            agents: [{ name: DOOR.defaultAgent, allowFrom: telegram.allowFrom, sendsPerMinute: telegram.sendsPerMinute }],
            botToken: requireBotToken(secrets),
            upstream: telegram.apiRoot ?? `https://${telegramApiHost(telegram)}`,
            maxFileBytes: telegram.maxFileBytes,
            extraCaCertificates: config.agent.extraCaCertificates,
            enclaveNetwork: networks.enclave.name,
            relayNetwork: networks.relay!.name,
            dnsSink: networks.enclaveUnassignedAddress,
        }, child);

        const agent = new AgentBox(`${name}-agent`, {
            namePrefix, repoRoot,
            agent: config.agent,
            model: config.model,
            telegram: config.telegram,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            gatewayUrl: door.url,
            proxyUrl: proxy.url,
            // Works at the door and nowhere else: not LiteLLM's key, not vLLM's.
            gatewayKey: door.credentialFor(DOOR.defaultAgent),
            telegramRelayUrl: relay?.url,
            telegramBotToken: relay?.credentialFor(DOOR.defaultAgent),
            enclaveNetwork: networks.enclave.name,
            dnsSink: networks.enclaveUnassignedAddress,
            sidecars: [proxy.started, door.started, gateway.started, ...(relay ? [relay.started] : [])],
        }, child);

        this.agentContainer = agent.container.name;
        this.proxyContainer = proxy.container.name;
        this.doorContainer = door.container.name;
        this.gatewayContainer = gateway.container.name;
        this.workspaceVolume = agent.workspaceVolumeName;
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
        });
    }
}

/** The bot token; the validator has already refused Telegram without it. */
function requireBotToken(secrets: Secrets): pulumi.Input<string> {
    if (secrets.telegramBotToken === undefined) throw new Error("secureclaw:telegramBotToken is required when telegram.enabled is true (the config validator should have said so)");
    return secrets.telegramBotToken;
}

/** The secrets every stack needs; the validator has already refused a stack without them. */
function requireSecrets(secrets: Secrets): Secrets & Required<Pick<Secrets, "gatewayMasterKey" | "vllmApiKey">> {
    const { gatewayMasterKey, vllmApiKey } = secrets;
    if (gatewayMasterKey === undefined || vllmApiKey === undefined) {
        throw new Error("secureclaw:gatewayMasterKey and secureclaw:vllmApiKey are required (the config validator should have said so)");
    }
    return { ...secrets, gatewayMasterKey, vllmApiKey };
}
