import * as pulumi from "@pulumi/pulumi";
import { Secrets } from "../../config/load";
import { RemoteGpu, StackConfig } from "../../config/schema";
import { ModelLink } from "../modellink/modelLink";
import { linkAddress, linkBaseUrl } from "../modellink/linkPlan";
import { openSshPublicKey } from "../modellink/openssh";
import { Networks } from "../network/networks";
import { buildRepoImage } from "../shared/images";
import { linkKeyMarker } from "./launch";
import { LocalVllm } from "./localVllm";
import { RemoteVllm } from "./remoteVllm";

/** Where vLLM ended up, as the gateway needs to know it. */
export interface PlacedVllm {
    /** vLLM's OpenAI base URLs (one per GPU host, each through its link), ending in /v1. */
    baseUrls: string[];
    /** What must be done before the gateway starts (the local container's start, or the links' starts). */
    ready: pulumi.Resource[];
    /** The internal network the gateway reaches vLLM (or the links) on. */
    network: pulumi.Output<string>;
}

/**
 * vLLM where the stack puts it: a container on this host that only the
 * gateway reaches (gpu.placement local), or a container on each GPU host
 * launched over SSH and reached through a model link (remote). Either way
 * the gateway joins internal networks only.
 */
export function placeVllm(name: string, config: StackConfig, secrets: Required<Pick<Secrets, "vllmApiKey">> & Secrets, networks: Networks, repoRoot: string, parent: pulumi.Resource): PlacedVllm {
    const common = { namePrefix: config.namePrefix, model: config.model, image: config.images.vllm, vllmApiKey: secrets.vllmApiKey, hfToken: secrets.hfToken };
    if (config.gpu.placement === "local") {
        const vllm = new LocalVllm(name, { ...common, modelNetwork: networks.model.name, downloadNetwork: networks.egress.name }, { parent });
        return { baseUrls: [vllm.baseUrl], ready: [vllm.started], network: networks.model.name };
    }
    const { sshPrivateKey, sshLinkKey } = secrets;
    if (sshPrivateKey === undefined || sshLinkKey === undefined) throw new Error("secureclaw:sshPrivateKey and secureclaw:sshLinkKey are required (the config validator should have said so)");
    const gpu = config.gpu;
    const bindWarning = ignoredBindAddressWarning(gpu);
    if (bindWarning) pulumi.log.warn(bindWarning, parent);
    // Not secret: the public half, which goes into each host's authorized_keys.
    const linkPublicKey = pulumi.unsecret(sshLinkKey.apply((key) => {
        const parsed = openSshPublicKey(key);
        if (!parsed.ok) throw new Error(`secureclaw:sshLinkKey ${parsed.problem} (the config validator should have said so)`);
        return parsed.publicKey;
    }));
    const linkImage = buildRepoImage(`${name}-link-image`, { namePrefix: config.namePrefix, repoRoot, folder: "model-link" }, parent);
    const links = gpu.hosts.map((host, i) => {
        // The first host keeps the names a single-host stack always had, so its resources keep their URNs.
        const hostName = i === 0 ? name : `${name}-${i}`;
        const vllm = new RemoteVllm(hostName, {
            ...common, host, startupTimeoutSeconds: gpu.startupTimeoutSeconds, sshPrivateKey,
            linkPublicKey, linkKeyMarker: linkKeyMarker(config.namePrefix),
        }, { parent });
        return new ModelLink(`${name}-link-${i}`, {
            namePrefix: config.namePrefix, index: i, host, image: linkImage, linkKey: sshLinkKey,
            modelNetwork: networks.model.name, listenAddress: linkAddress(config.network.modelSubnet, i),
            egressNetwork: networks.egress.name, dependsOn: [vllm.launch, vllm.linkAuthorization],
        }, { parent });
    });
    return { baseUrls: gpu.hosts.map((_h, i) => linkBaseUrl(i)), ready: links.map((l) => l.started), network: networks.model.name };
}

/** What `pulumi up` prints for a stack that still sets gpu.bindAddress; undefined when it does not. */
export function ignoredBindAddressWarning(gpu: RemoteGpu): string | undefined {
    if (gpu.ignoredBindAddress === undefined) return undefined;
    return `secureclaw:gpu.bindAddress (${JSON.stringify(gpu.ignoredBindAddress)}) is no longer used: vLLM is published on the GPU host's loopback only and reached through the model link's SSH tunnel, so nothing on the LAN reaches it. Remove it: pulumi config rm --path 'secureclaw:gpu.bindAddress'`;
}
