/**
 * The example command each config problem ends with: `pulumi config set` of a
 * right value at the key, or `pulumi config rm` of a key that has no place.
 */
import { MODEL_PRESETS } from "./presets";
import { DEFAULTS } from "./schema";

/** The config namespace of every SecureClaw key. */
export const NAMESPACE = "secureclaw";

/** The official image matching the version images/litellm builds; shown in examples only. */
const LITELLM_IMAGE_EXAMPLE = "ghcr.io/berriai/litellm:v1.83.14-stable";

/** A right value for a key, or a right value for a key near it (a list's first item, a section's main field). */
type RightValue = string | { at: string; value: string };

const small = MODEL_PRESETS.small;

/**
 * A right value for every setting, keyed by config path with list indexes
 * and map keys written `[]`. A setting with a default shows its default.
 */
const RIGHT_VALUES: Record<string, RightValue> = {
    model: { at: "model.size", value: "small" },
    "model.size": "small",
    "model.huggingFaceId": small.huggingFaceId,
    "model.servedName": small.servedName,
    "model.toolCallParser": small.toolCallParser,
    "model.maxModelLen": String(small.maxModelLen),
    "model.tensorParallelSize": "2",
    "model.gpuMemoryUtilization": String(small.gpuMemoryUtilization),
    "model.maxOutputTokens": String(small.maxOutputTokens),
    gpu: { at: "gpu.placement", value: "local" },
    "gpu.placement": "remote",
    "gpu.count": "1",
    "gpu.host": "192.168.1.50",
    "gpu.sshUser": "ubuntu",
    "gpu.sshPort": "22",
    "gpu.sshHostKey": `"$(ssh-keyscan -t ed25519 <gpu-host> | cut -d' ' -f2-)"`,
    "gpu.insecureAnyHostKey": "false",
    "gpu.hosts": { at: "gpu.hosts[0].host", value: "192.168.1.50" },
    "gpu.hosts[]": { at: "gpu.hosts[0].host", value: "192.168.1.50" },
    "gpu.hosts[].host": "192.168.1.50",
    "gpu.hosts[].sshUser": "ubuntu",
    "gpu.hosts[].sshPort": "22",
    "gpu.hosts[].sshHostKey": `"$(ssh-keyscan -t ed25519 <gpu-host> | cut -d' ' -f2-)"`,
    "gpu.hosts[].port": "8000",
    "gpu.port": "8000",
    "gpu.startupTimeoutSeconds": "1800",
    egress: { at: "egress.allowlist[0]", value: "pypi.org" },
    "egress.allowlist": { at: "egress.allowlist[0]", value: "pypi.org" },
    "egress.allowlist[]": "pypi.org",
    "egress.pinnedHosts": { at: 'egress.pinnedHosts["api.telegram.org"]', value: "10.89.1.50" },
    "egress.pinnedHosts[]": "10.89.1.50",
    telegram: { at: "telegram.enabled", value: "true" },
    "telegram.enabled": "true",
    "telegram.allowFrom": { at: "telegram.allowFrom[0]", value: "123456789" },
    "telegram.allowFrom[]": "123456789",
    "telegram.apiRoot": "https://api.telegram.org",
    "telegram.sendsPerMinute": "60",
    "telegram.maxFileBytes": "20971520",
    agent: { at: "agent.memoryMb", value: "4096" },
    "agent.memoryMb": "4096",
    "agent.cpus": "2",
    "agent.pids": "512",
    "agent.requestsPerMinute": "120",
    "agent.tokensPerMinute": "1000000",
    "agent.tokensPerDay": "50000000",
    "agent.concurrentRequests": "4",
    "agent.runtime": "runsc",
    "agent.extraCaCertificates": `"$(cat relay-ca.pem)"`,
    gateway: { at: "gateway.requestTimeoutSeconds", value: "600" },
    "gateway.requestTimeoutSeconds": "600",
    "gateway.maxParallelRequests": "8",
    images: { at: "images.vllm", value: DEFAULTS.vllmImage },
    "images.litellm": LITELLM_IMAGE_EXAMPLE,
    "images.vllm": DEFAULTS.vllmImage,
    network: { at: "network.enclaveSubnet", value: DEFAULTS.network.enclaveSubnet },
    "network.enclaveSubnet": DEFAULTS.network.enclaveSubnet,
    "network.relaySubnet": DEFAULTS.network.relaySubnet,
    "network.egressSubnet": DEFAULTS.network.egressSubnet,
    "network.modelSubnet": DEFAULTS.network.modelSubnet,
    "network.gatewaySubnet": DEFAULTS.network.gatewaySubnet,
    agents: { at: "agents.alice.egress.allowlist[0]", value: "pypi.org" },
    "agents.*": { at: "agents.alice.egress.allowlist[0]", value: "pypi.org" },
    "agents.*.model": small.servedName,
    "agents.*.subnet": "10.90.1.0/24",
    "agents.*.workspace": "secureclaw-dev-workspace-alice",
};

/**
 * The right value at a key: the table's, and for an agent's override of a
 * stack-wide setting (`agents.alice.agent.memoryMb`) the stack setting's,
 * at the agent's key.
 */
function rightValue(key: string): RightValue | undefined {
    const pattern = key.replace(/\[[^\]]*\]/g, "[]");
    const agent = /^agents\.([^.[]+)(?:\.(.*))?$/.exec(pattern);
    if (!agent) return RIGHT_VALUES[pattern];
    const own = RIGHT_VALUES[`agents.*${agent[2] === undefined ? "" : `.${agent[2]}`}`];
    if (own !== undefined || agent[2] === undefined) return own;
    const stackWide = RIGHT_VALUES[agent[2]];
    return typeof stackWide === "object" ? { at: `agents.${agent[1]}.${stackWide.at}`, value: stackWide.value } : stackWide;
}

/** The command that sets `key` (a `--path` path) to `value`. */
export function setCommand(key: string, value: string): string {
    return `pulumi config set --path '${NAMESPACE}:${key}' ${value}`;
}

/** The command that removes `key`. */
export function removeCommand(key: string): string {
    return `pulumi config rm --path '${NAMESPACE}:${key}'`;
}

/**
 * An example that sets a right value at `key`: `value` when given, else the
 * one the table holds. With `replace`, it first removes what is there: a
 * string where a list or a section belongs can't be set into with `--path`.
 */
export function exampleFor(key: string, { value, replace = false }: { value?: string; replace?: boolean } = {}): string {
    const right = value ?? rightValue(key) ?? "<value>";
    const set = typeof right === "string" ? setCommand(key, right) : setCommand(right.at, right.value);
    return replace ? `${removeCommand(key)} && ${set}` : set;
}
