import * as pulumi from "@pulumi/pulumi";
import type { AgentSpec } from "../../config/agents";
import { StackConfig } from "../../config/schema";
import { DOOR, GATEWAY, PROXY, RELAY } from "../../policy/contract/contract";
import { AgentBox } from "../agent/agentBox";
import { ModelDoor } from "../door/modelDoor";
import { EgressProxy } from "../egress/egressProxy";
import { Networks } from "../network/networks";
import { TelegramRelay } from "../relay/telegramRelay";
import { buildRepoImage } from "../shared/images";
import { AgentCell } from "./agentCell";

/** What every agent is wired to: the shared sidecars and the networks. */
export interface AgentWiring {
    config: StackConfig;
    repoRoot: string;
    networks: Networks;
    proxy: EgressProxy;
    door: ModelDoor;
    relay?: TelegramRelay;
    /** Sidecars that must be up before any agent starts. */
    sidecars: pulumi.Input<pulumi.Resource>[];
}

/** One placed agent: its box and the network it lives on. */
export interface PlacedAgent {
    name: string;
    box: AgentBox;
    network: pulumi.Output<string>;
}

/**
 * Every agent in its cell. "main" lives on the enclave network under its
 * single-agent names (so an upgraded stack replaces nothing) and builds the
 * agent image; any other agent gets a cell of its own, named after it, so
 * adding or removing one touches no other agent's resources. Without "main",
 * the enclave builds the image itself.
 */
export function placeAgents(name: string, wiring: AgentWiring, parent: pulumi.Resource): PlacedAgent[] {
    const { config, repoRoot, networks, proxy, door, relay } = wiring;
    const main = config.agents.find((a) => a.name === DOOR.defaultAgent);
    const ordered = main ? [main, ...config.agents.filter((a) => a !== main)] : config.agents;
    let image: pulumi.Input<string> | undefined = main ? undefined : buildRepoImage(`${name}-agent-image`, { namePrefix: config.namePrefix, repoRoot, folder: "agent" }, parent);

    return ordered.map((spec) => {
        const cell = spec === main ? undefined : new AgentCell(`${name}-cell-${spec.name}`, {
            namePrefix: config.namePrefix,
            agent: spec.name,
            subnet: spec.subnet,
            members: [
                { container: proxy.container, alias: PROXY.alias },
                { container: door.container, alias: GATEWAY.alias },
                ...(relay && spec.telegram.enabled ? [{ container: relay.container, alias: RELAY.alias }] : []),
            ],
        }, { parent });
        const box = new AgentBox(spec === main ? `${name}-agent` : `${name}-agent-${spec.name}`, {
            ...boxSettings(spec, wiring),
            agentName: spec.name,
            workspace: spec.workspace,
            image,
            // Works at the door and nowhere else: not LiteLLM's key, not vLLM's, and only from this cell.
            gatewayKey: door.credentialFor(spec.name),
            telegramBotToken: spec.telegram.enabled ? relay?.credentialFor(spec.name) : undefined,
            cellNetwork: cell ? cell.network.name : networks.enclave.name,
            dnsSink: cell ? cell.dnsSink : networks.enclaveUnassignedAddress,
            sidecars: [...wiring.sidecars, ...(cell?.attachments ?? [])],
        }, { parent });
        image ??= box.image;
        return { name: spec.name, box, network: cell ? cell.network.name : networks.enclave.name };
    });
}

/** The box's plain settings: the agent's own limits and channel, the stack's model and timeout. */
function boxSettings(spec: AgentSpec, wiring: AgentWiring) {
    return {
        namePrefix: wiring.config.namePrefix,
        repoRoot: wiring.repoRoot,
        agent: spec.agent,
        model: wiring.config.model,
        telegram: spec.telegram,
        requestTimeoutSeconds: wiring.config.gateway.requestTimeoutSeconds,
        gatewayUrl: wiring.door.url,
        proxyUrl: wiring.proxy.url,
        telegramRelayUrl: spec.telegram.enabled ? wiring.relay?.url : undefined,
    };
}
