import * as pulumi from "@pulumi/pulumi";
import { Secrets } from "../config/load";
import { StackConfig } from "../config/schema";
import { AgentBox } from "./agent/agentBox";
import { EgressProxy } from "./egress/egressProxy";
import { ModelGateway } from "./gateway/modelGateway";
import { Networks } from "./network/networks";
import { LocalVllm } from "./vllm/localVllm";
import { RemoteVllm } from "./vllm/remoteVllm";

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
 * model gateway and agent box, wired so that the agent's only peers are the
 * gateway and the proxy.
 */
export class SecureClawEnclave extends pulumi.ComponentResource {
    public readonly agentContainer: pulumi.Output<string>;
    public readonly proxyContainer: pulumi.Output<string>;
    public readonly gatewayContainer: pulumi.Output<string>;
    public readonly vllmEndpoint: string;
    public readonly workspaceVolume: pulumi.Output<string>;
    public readonly egressLogVolume: pulumi.Output<string>;

    constructor(name: string, args: SecureClawEnclaveArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:index:SecureClawEnclave", name, {}, opts);
        const { config, secrets, repoRoot } = args;
        const required = (key: keyof Secrets) => {
            const value = secrets[key];
            if (value === undefined) throw new Error(`secureclaw:${key} is required (the config validator should have said so)`);
            return value;
        };
        const local = config.gpu.placement === "local";
        const child = { parent: this };

        const networks = new Networks(`${name}-networks`, {
            namePrefix: config.namePrefix,
            enclaveSubnet: config.network.enclaveSubnet,
            egressSubnet: config.network.egressSubnet,
            ...(local ? { modelSubnet: config.network.modelSubnet } : {}),
        }, child);

        const proxy = new EgressProxy(`${name}-egress-proxy`, {
            namePrefix: config.namePrefix,
            repoRoot,
            allowlist: config.egress.allowlist,
            pinnedHosts: config.egress.pinnedHosts,
            enclaveNetwork: networks.enclave.name,
            egressNetwork: networks.egress.name,
        }, child);

        const vllm = config.gpu.placement === "local"
            ? new LocalVllm(`${name}-vllm`, {
                  namePrefix: config.namePrefix,
                  model: config.model,
                  image: config.images.vllm,
                  vllmApiKey: required("vllmApiKey"),
                  hfToken: secrets.hfToken,
                  modelNetwork: networks.model!.name,
                  downloadNetwork: networks.egress.name,
              }, child)
            : new RemoteVllm(`${name}-vllm`, {
                  namePrefix: config.namePrefix,
                  gpu: config.gpu,
                  model: config.model,
                  image: config.images.vllm,
                  sshPrivateKey: required("sshPrivateKey"),
                  vllmApiKey: required("vllmApiKey"),
                  hfToken: secrets.hfToken,
              }, child);
        this.vllmEndpoint = vllm.baseUrl;

        const gateway = new ModelGateway(`${name}-model-gateway`, {
            namePrefix: config.namePrefix,
            repoRoot,
            image: config.images.litellm,
            vllmBaseUrl: vllm.baseUrl,
            upstream: [vllm instanceof LocalVllm ? vllm.started : vllm.launch],
            servedName: config.model.servedName,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            maxParallelRequests: config.gateway.maxParallelRequests,
            maxOutputTokens: config.model.maxOutputTokens,
            masterKey: required("gatewayMasterKey"),
            vllmApiKey: required("vllmApiKey"),
            enclaveNetwork: networks.enclave.name,
            upstreamNetwork: local ? networks.model!.name : networks.egress.name,
        }, child);

        const agent = new AgentBox(`${name}-agent`, {
            namePrefix: config.namePrefix,
            repoRoot,
            agent: config.agent,
            model: config.model,
            telegram: config.telegram,
            requestTimeoutSeconds: config.gateway.requestTimeoutSeconds,
            gatewayUrl: gateway.url,
            proxyUrl: proxy.url,
            gatewayKey: required("gatewayMasterKey"),
            telegramBotToken: config.telegram.enabled ? required("telegramBotToken") : undefined,
            enclaveNetwork: networks.enclave.name,
            dnsSink: networks.enclaveUnassignedAddress,
            sidecars: [proxy.started, gateway.started],
        }, child);

        this.agentContainer = agent.container.name;
        this.proxyContainer = proxy.container.name;
        this.gatewayContainer = gateway.container.name;
        this.workspaceVolume = agent.workspaceVolumeName;
        this.egressLogVolume = proxy.logVolumeName;
        this.registerOutputs({
            agentContainer: this.agentContainer,
            proxyContainer: this.proxyContainer,
            gatewayContainer: this.gatewayContainer,
            vllmEndpoint: this.vllmEndpoint,
            workspaceVolume: this.workspaceVolume,
            egressLogVolume: this.egressLogVolume,
        });
    }
}
