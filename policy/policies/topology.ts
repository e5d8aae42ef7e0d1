import { ENCLAVE_MEMBERS, RELAY_NETWORK_MEMBERS } from "../contract/contract";
import { StackFinding, StackResource, stackPolicy } from "./define";
import { isTrue, isUnknown, j, list, roleOf, T } from "./util";


interface Named {
    res: StackResource;
    role: string | undefined | null;
    /** Names and IDs a reference may use for it. */
    ids: string[];
    /** False when preview does not know its name yet. */
    known: boolean;
}

function index(resources: StackResource[], type: string): Named[] {
    return resources
        .filter((r) => r.type === type)
        .map((res) => {
            const ids: string[] = [];
            let known = true;
            for (const key of ["name", "id"]) {
                const v = res.props[key];
                if (typeof v === "string" && v !== "") {
                    if (isUnknown(v)) known = key === "id" ? known : false;
                    else ids.push(v);
                }
            }
            if (ids.length === 0) known = false;
            return { res, role: roleOf(res.props), ids, known };
        });
}

type Resolved = { kind: "found"; item: Named } | { kind: "unknown" } | { kind: "undeclared" };

function resolve(ref: unknown, items: Named[]): Resolved {
    if (typeof ref !== "string" || isUnknown(ref)) return { kind: "unknown" };
    const item = items.find((i) => i.ids.includes(ref));
    if (item) return { kind: "found", item };
    return items.some((i) => !i.known) ? { kind: "unknown" } : { kind: "undeclared" };
}

const PASSIVE_NETWORK_MODES = ["", "bridge", "default", "none", "host"];

/** Network references of a container: networksAdvanced names, plus a networkMode naming a network. */
function networkRefs(props: Record<string, any>): unknown[] {
    const refs: unknown[] = (list<Record<string, any>>(props.networksAdvanced) ?? []).map((n) => (n && !isUnknown(n) ? n.name : n));
    const mode = props.networkMode;
    if (typeof mode === "string" && !isUnknown(mode) && !PASSIVE_NETWORK_MODES.includes(mode.toLowerCase()) && !mode.toLowerCase().startsWith("container:")) {
        refs.push(mode);
    }
    return refs;
}

/**
 * Who is on the enclave network: the agent joins the enclave and nothing
 * else; only the agent, the egress proxy and the model gateway join it (vLLM
 * in particular never does: its non-/v1 routes ignore --api-key). LiteLLM
 * joins internal networks only.
 */
export function checkEnclaveMembership(resources: StackResource[]): StackFinding[] {
    const out: StackFinding[] = [];
    const networks = index(resources, T.network);
    const enclaves = networks.filter((n) => n.role === "enclave" || n.role === "cell");
    const agentsOn = new Map<Named, string[]>();
    const rolesKnown = networks.every((n) => n.role !== null);
    for (const c of resources.filter((r) => r.type === T.container)) {
        const role = roleOf(c.props);
        if (role === null) continue;
        const who = `${role ?? "unlabeled"} container ${j(c.name)}`;
        if (role === "agent" && enclaves.length === 0 && rolesKnown) {
            out.push({ urn: c.urn, message: `${who} has no enclave or cell network to join: declare a docker.Network labeled secureclaw.role=enclave (internal: true) and attach the agent to it` });
        }
        for (const ref of networkRefs(c.props)) {
            const r = resolve(ref, networks);
            if (r.kind === "unknown") continue;
            if (r.kind === "undeclared") {
                if (role === "agent") {
                    out.push({ urn: c.urn, message: `${who} is attached to network ${j(ref)}, which this stack does not declare: attach the agent to its own cell (the enclave network for a single agent) only` });
                }
                continue;
            }
            const netRole = r.item.role;
            if (netRole === null) continue;
            if (role === "agent" && netRole !== "enclave" && netRole !== "cell") {
                out.push({
                    urn: c.urn,
                    message: `${who} is attached to the ${netRole ?? "unlabeled"} network ${j(ref)}: attach the agent to its own cell (the enclave network for a single agent) only (remove this networksAdvanced entry); every other network is a way around the egress proxy`,
                });
            }
            if (role === "agent" && (netRole === "enclave" || netRole === "cell")) agentsOn.set(r.item, [...(agentsOn.get(r.item) ?? []), c.name]);
            if (role === "model-gateway" && !isUnknown(r.item.res.props.internal) && !isTrue(r.item.res.props.internal)) {
                out.push({
                    urn: c.urn,
                    message: `${who} is attached to the ${netRole ?? "unlabeled"} network ${j(ref)}, which is not internal: LiteLLM holds the keys and must have no route out (a pass-through route or a bug would connect out without meeting the proxy); attach it to the gateway and model networks only, and reach a GPU host through the model link`,
                });
            }
            if ((netRole === "enclave" || netRole === "cell") && !ENCLAVE_MEMBERS.includes(role ?? "")) {
                const why =
                    role === "vllm"
                        ? "the agent could reach vLLM's routes that --api-key does not protect (/health, /invocations, /tokenize, ...); attach vLLM to the model network only, behind the gateway"
                        : `only ${ENCLAVE_MEMBERS.join(", ")} belong there`;
                out.push({ urn: c.urn, message: `${who} must not join the ${netRole} network ${j(ref)}: remove that networksAdvanced entry; ${why}` });
            }
            // The proxy lets the relay network reach the Telegram API host: anyone else on it would borrow that rule.
            if (netRole === "relay" && !RELAY_NETWORK_MEMBERS.includes(role ?? "")) {
                out.push({ urn: c.urn, message: `${who} must not join the relay network ${j(ref)}: remove that networksAdvanced entry; only ${RELAY_NETWORK_MEMBERS.join(" and ")} belong there, as the proxy lets that network reach the Telegram API host` });
            }
        }
    }
    // One agent per cell: two agents on one network could reach each other and borrow each other's source.
    for (const [network, agents] of agentsOn) {
        if (agents.length > 1) out.push({ urn: network.res.urn, message: `network ${j(network.ids[0])} holds ${agents.length} agent containers (${agents.map(j).join(", ")}): give each agent its own cell (secureclaw:agents), so no agent can reach another` });
    }
    return out;
}

const FORBIDDEN_FOR_AGENT: Record<string, string> = {
    "egress-config": "it holds the proxy's allowlist and rules, so the agent could widen its own egress",
    "egress-log": "it holds the proxy's audit log, so the agent could erase its tracks",
    "relay-secret": "it holds the Telegram bot token, which only the relay may read",
    "relay-config": "it holds the relay's rules (who the agent may talk to), so the agent could widen them",
    "relay-audit": "it holds the relay's audit log, so the agent could erase its tracks",
    "gateway-config": "it holds the model gateway's configuration, so the agent could reroute or unlock the gateway",
    "door-config": "it holds the door's limits and the agents it serves, so the agent could lift its own limits",
    "door-usage": "it holds the door's usage record, so the agent could erase its trail or reset its daily budget",
    "hf-cache": "it holds the weights vLLM loads, so the agent could poison the model",
    "link-key": "it holds the model link's SSH key, which opens a tunnel to vLLM on a GPU host",
};

interface VolumeRef {
    ref: unknown;
    readOnly: unknown;
    where: string;
}

function volumeRefs(props: Record<string, any>): VolumeRef[] {
    const refs: VolumeRef[] = [];
    (list<Record<string, any>>(props.volumes) ?? []).forEach((v, i) => {
        if (!v || isUnknown(v) || v.volumeName === undefined || v.volumeName === null || v.volumeName === "") return;
        refs.push({ ref: v.volumeName, readOnly: v.readOnly, where: `volumes[${i}]` });
    });
    (list<Record<string, any>>(props.mounts) ?? []).forEach((m, i) => {
        if (!m || isUnknown(m) || typeof m.type !== "string" || m.type.toLowerCase() !== "volume") return;
        if (m.source === undefined || m.source === null || m.source === "") return;
        refs.push({ ref: m.source, readOnly: m.readOnly, where: `mounts[${i}]` });
    });
    return refs;
}

/**
 * What the agent may mount: its workspace and state (writable) and its own
 * config (read-only); never the proxy's or gateway's config, the proxy's log
 * or the model cache.
 */
export function checkAgentVolumeAccess(resources: StackResource[]): StackFinding[] {
    const out: StackFinding[] = [];
    const volumes = index(resources, T.volume);
    for (const c of resources.filter((r) => r.type === T.container && roleOf(r.props) === "agent")) {
        const who = `agent container ${j(c.name)}`;
        for (const { ref, readOnly, where } of volumeRefs(c.props)) {
            const r = resolve(ref, volumes);
            if (r.kind === "unknown") continue;
            if (r.kind === "undeclared") {
                out.push({ urn: c.urn, message: `${who} mounts volume ${j(ref)} (${where}), which this stack does not declare: mount only the stack's workspace, agent-state and agent-config volumes` });
                continue;
            }
            const role = r.item.role;
            if (role === null || role === undefined) continue;
            if (role === "agent-config" && !isUnknown(readOnly) && !isTrue(readOnly)) {
                out.push({ urn: c.urn, message: `${who} must mount the agent-config volume ${j(ref)} read-only: set readOnly: true on ${where}; a writable config lets a hijacked agent persist a backdoor` });
            }
            const why = FORBIDDEN_FOR_AGENT[role];
            if (why) {
                out.push({ urn: c.urn, message: `${who} must not mount the ${role} volume ${j(ref)}: remove ${where}; ${why}` });
            }
        }
    }
    return out;
}

export const enclaveMembership = stackPolicy({
    name: "enclave-membership",
    description:
        "The agent joins the enclave network and no other; only the agent, the egress proxy, the model gateway and the Telegram relay join the enclave network (never vLLM or anything else); only the relay and the proxy join the relay network; LiteLLM joins internal networks only.",
    enforcementLevel: "mandatory",
    check: (resources) => checkEnclaveMembership(resources),
});

export const agentVolumeAccess = stackPolicy({
    name: "agent-volume-access",
    description:
        "The agent mounts only its workspace, its state and its config (read-only); never the proxy's config or log, the gateway's config, the model cache or the model link's key, and no volume the stack does not declare.",
    enforcementLevel: "mandatory",
    check: (resources) => checkAgentVolumeAccess(resources),
});
