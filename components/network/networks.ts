import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planSubnet } from "../../config/net";
import { dockerName, ISOLATED_BRIDGE_OPTIONS } from "../../policy/contract/contract";
import { labels } from "../shared/labels";

export interface NetworksArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** IPv4 subnet of the enclave network. */
    enclaveSubnet: string;
    /** IPv4 subnet of the egress network. */
    egressSubnet: string;
    /** IPv4 subnet of the model network; omit when vLLM is not on this host. */
    modelSubnet?: string;
}

/**
 * The enclave network the agent lives on, the egress network the proxy
 * reaches out from, and (vLLM on this host) the model network only the
 * gateway and vLLM join.
 */
export class Networks extends pulumi.ComponentResource {
    public readonly enclave: docker.Network;
    public readonly egress: docker.Network;
    public readonly model?: docker.Network;
    /** An enclave address Docker never assigns; the agent's DNS upstream (see AgentBox). */
    public readonly enclaveUnassignedAddress: string;

    constructor(name: string, args: NetworksArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:network:Networks", name, {}, opts);
        const enclavePlan = planSubnet(args.enclaveSubnet);
        this.enclaveUnassignedAddress = enclavePlan.unassigned;

        this.enclave = new docker.Network(`${name}-enclave`, {
            name: dockerName(args.namePrefix, "enclave"),
            driver: "bridge",
            internal: true,
            ipv6: false,
            ipamConfigs: [{ subnet: args.enclaveSubnet, ipRange: enclavePlan.ipRange }],
            options: { ...ISOLATED_BRIDGE_OPTIONS },
            labels: labels(args.namePrefix, "enclave"),
        }, { parent: this });

        this.egress = new docker.Network(`${name}-egress`, {
            name: dockerName(args.namePrefix, "egress"),
            driver: "bridge",
            internal: false,
            ipv6: false,
            ipamConfigs: [{ subnet: args.egressSubnet }],
            labels: labels(args.namePrefix, "egress"),
        }, { parent: this });

        if (args.modelSubnet) {
            this.model = new docker.Network(`${name}-model`, {
                name: dockerName(args.namePrefix, "model"),
                driver: "bridge",
                internal: true,
                ipv6: false,
                ipamConfigs: [{ subnet: args.modelSubnet }],
                options: { ...ISOLATED_BRIDGE_OPTIONS },
                labels: labels(args.namePrefix, "model"),
            }, { parent: this });
        }

        this.registerOutputs({ enclave: this.enclave.name, egress: this.egress.name, model: this.model?.name });
    }
}
