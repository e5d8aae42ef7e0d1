import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planSubnet } from "../../config/net";
import { dockerName, ISOLATED_BRIDGE_OPTIONS, Role } from "../../policy/contract/contract";
import { labels } from "../shared/labels";

export interface NetworksArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** IPv4 subnet of the enclave network. */
    enclaveSubnet: string;
    /** IPv4 subnet of the egress network. */
    egressSubnet: string;
    /** IPv4 subnet of the gateway network (door to LiteLLM). */
    gatewaySubnet: string;
    /** IPv4 subnet of the model network (LiteLLM and a local vLLM, or LiteLLM and the model links). */
    modelSubnet: string;
    /** Keep the model subnet's upper half free of Docker's own assignments, for the links' fixed addresses. */
    modelFixedAddresses: boolean;
    /** IPv4 subnet of the relay network (Telegram relay to proxy); omit without a relay. */
    relaySubnet?: string;
}

/**
 * The enclave network the agent lives on, the egress network the proxy
 * reaches out from, the gateway network only the door and LiteLLM join, and
 * the model network only LiteLLM and vLLM (on this host) or the model links
 * (to GPU hosts) join. Every network but egress is internal and gives the
 * host no address on it.
 */
export class Networks extends pulumi.ComponentResource {
    public readonly enclave: docker.Network;
    public readonly egress: docker.Network;
    public readonly gateway: docker.Network;
    public readonly model: docker.Network;
    public readonly relay?: docker.Network;
    /** An enclave address Docker never assigns; the agent's DNS upstream (see AgentBox). */
    public readonly enclaveUnassignedAddress: string;

    constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:network:Networks", name, {}, opts);
        const network = (role: Role, ipamConfig: { subnet: string; ipRange?: string }, internal: boolean) => new docker.Network(`${name}-${role}`, {
            name: dockerName(args.namePrefix, role),
            driver: "bridge",
            internal,
            ipv6: false,
            ipamConfigs: [ipamConfig],
            ...(internal ? { options: { ...ISOLATED_BRIDGE_OPTIONS } } : {}),
            labels: labels(args.namePrefix, role),
        }, { parent: this });

        // Docker hands out only the lower half of the enclave subnet, so an
        // address in the upper half is never anyone's: the agent's DNS sink.
        const enclavePlan = planSubnet(args.enclaveSubnet);
        this.enclaveUnassignedAddress = enclavePlan.unassigned;
        this.enclave = network("enclave", { subnet: args.enclaveSubnet, ipRange: enclavePlan.ipRange }, true);
        // The only network with a route out; the agent never joins it.
        this.egress = network("egress", { subnet: args.egressSubnet }, false);
        // Why its own network: LiteLLM holds the master key and must not be on the agent's network.
        this.gateway = network("gateway", { subnet: args.gatewaySubnet }, true);
        this.model = network("model", { subnet: args.modelSubnet, ...(args.modelFixedAddresses ? { ipRange: planSubnet(args.modelSubnet).ipRange } : {}) }, true);
        // Why its own network: the proxy tells the relay by this source, which the agent can't take.
        if (args.relaySubnet) this.relay = network("relay", { subnet: args.relaySubnet }, true);

        this.registerOutputs({ enclave: this.enclave.name, egress: this.egress.name, gateway: this.gateway.name, model: this.model.name, relay: this.relay?.name });
    }
}
