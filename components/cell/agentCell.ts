import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { planSubnet } from "../../config/net";
import { AGENT_LABEL, dockerName, ISOLATED_BRIDGE_OPTIONS } from "../../policy/contract/contract";
import { labels } from "../shared/labels";
import { attachToCell } from "./attachToCell";

export interface AgentCellArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** The agent living in the cell. */
    agent: string;
    /** IPv4 subnet of the cell network. */
    subnet: string;
    /** The shared sidecars that serve the agent, each joined under the name the agent knows it by. */
    members: { container: docker.Container; alias: string }[];
}

/**
 * An agent's cell: an internal network of its own, which the shared
 * sidecars (proxy, door, relay) join and no other agent does. The sidecars
 * tell agents apart by the cell a request comes from, so one agent's
 * credential, allowlist and chats are worthless from another's box.
 *
 * The stack's first agent ("main") lives on the enclave network instead,
 * which the sidecars join at creation; its resources keep their names.
 */
export class AgentCell extends pulumi.ComponentResource {
    public readonly network: docker.Network;
    /** A cell address Docker never assigns: the agent's DNS upstream (see AgentBox). */
    public readonly dnsSink: string;
    /** The sidecars' attachments; the agent starts only once they are in place. */
    public readonly attachments: command.local.Command[];

    constructor(name: string, args: AgentCellArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:cell:AgentCell", name, {}, opts);
        const plan = planSubnet(args.subnet);
        this.dnsSink = plan.unassigned;
        // Internal and cut off from the host like the enclave (see ISOLATED_BRIDGE_OPTIONS).
        this.network = new docker.Network(`${name}-network`, {
            name: dockerName(args.namePrefix, "cell", args.agent),
            driver: "bridge",
            internal: true,
            ipv6: false,
            ipamConfigs: [{ subnet: args.subnet, ipRange: plan.ipRange }],
            options: { ...ISOLATED_BRIDGE_OPTIONS },
            labels: labels(args.namePrefix, "cell", { [AGENT_LABEL]: args.agent }),
        }, { parent: this });
        this.attachments = args.members.map((m) => attachToCell(`${name}-${m.alias}`, { container: m.container, network: this.network, alias: m.alias }, this));
        this.registerOutputs({ network: this.network.name, dnsSink: this.dnsSink });
    }
}
