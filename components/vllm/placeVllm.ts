import * as pulumi from "@pulumi/pulumi";
import { Secrets } from "../../config/load";
import { StackConfig } from "../../config/schema";
import { Networks } from "../network/networks";
import { LocalVllm } from "./localVllm";
import { RemoteVllm } from "./remoteVllm";

/** Where vLLM ended up, as the gateway needs to know it. */
export interface PlacedVllm {
    /** vLLM's OpenAI base URL, ending in /v1. */
    baseUrl: string;
    /** What must be done before the gateway starts (the local container's start, or the remote launch). */
    ready: pulumi.Resource;
    /** The network the gateway reaches vLLM on. */
    network: pulumi.Output<string>;
}

/**
 * vLLM where the stack puts it: a container on this host that only the
 * gateway reaches (gpu.placement local), or a container on a GPU host
 * launched over SSH (remote).
 */
export function placeVllm(name: string, config: StackConfig, secrets: Required<Pick<Secrets, "vllmApiKey">> & Secrets, networks: Networks, parent: pulumi.Resource): PlacedVllm {
    const common = { namePrefix: config.namePrefix, model: config.model, image: config.images.vllm, vllmApiKey: secrets.vllmApiKey, hfToken: secrets.hfToken };
    if (config.gpu.placement === "local") {
        const vllm = new LocalVllm(name, { ...common, modelNetwork: networks.model!.name, downloadNetwork: networks.egress.name }, { parent });
        return { baseUrl: vllm.baseUrl, ready: vllm.started, network: networks.model!.name };
    }
    if (secrets.sshPrivateKey === undefined) throw new Error("secureclaw:sshPrivateKey is required (the config validator should have said so)");
    const vllm = new RemoteVllm(name, { ...common, gpu: config.gpu, sshPrivateKey: secrets.sshPrivateKey }, { parent });
    return { baseUrl: vllm.baseUrl, ready: vllm.launch, network: networks.egress.name };
}
