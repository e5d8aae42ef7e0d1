/**
 * A compliant SecureClaw resource set, shaped like the program's own inputs
 * (see the resource contract in policy/README.md). The mutation tables start
 * from these and break one thing at a time.
 */
import { TestResource } from "./harness";
import { ROLE_LABEL, T } from "../policies/util";

export const PREFIX = "secureclaw-test";

export function labels(role: string): Array<{ label: string; value: string }> {
    return [
        { label: ROLE_LABEL, value: role },
        { label: "secureclaw.stack", value: PREFIX },
    ];
}

const AGENT_IMAGE_ID = `sha256:${"a1".repeat(32)}`;
const PROXY_IMAGE_ID = `sha256:${"b2".repeat(32)}`;
const GATEWAY_IMAGE_ID = `sha256:${"c3".repeat(32)}`;
const VLLM_IMAGE_ID = `sha256:${"d4".repeat(32)}`;
const WRITER_IMAGE_ID = `sha256:${"e5".repeat(32)}`;
const DOOR_IMAGE_ID = `sha256:${"f6".repeat(32)}`;

export const NAMES = {
    enclave: `${PREFIX}-enclave`,
    egress: `${PREFIX}-egress`,
    model: `${PREFIX}-model`,
    gateway: `${PREFIX}-gateway`,
    workspace: `${PREFIX}-workspace`,
    agentState: `${PREFIX}-agent-state`,
    agentConfig: `${PREFIX}-agent-config`,
    egressConfig: `${PREFIX}-egress-config`,
    egressLog: `${PREFIX}-egress-log`,
    gatewayConfig: `${PREFIX}-gateway-config`,
    hfCache: `${PREFIX}-hf-cache`,
    linkKey: `${PREFIX}-link-key-0`,
};

export const ALLOWLIST = [".github.com", "pypi.org", "files.pythonhosted.org"].join("\n") + "\n";

const HARDENED = {
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
    privileged: false,
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    restart: "unless-stopped",
};

function network(name: string, role: string, extra: Record<string, any>): TestResource {
    return { type: T.network, name: role, inputs: { name, driver: "bridge", labels: labels(role), ...extra } };
}

function volume(name: string, role: string): TestResource {
    return { type: T.volume, name: role, inputs: { name, labels: labels(role) } };
}

export const LAUNCH_SCRIPT = `set -eu
IFS= read -r VLLM_API_KEY || true
IFS= read -r HF_TOKEN || true
[ -n "$VLLM_API_KEY" ] || { echo "no vLLM API key on standard input" >&2; exit 1; }
export VLLM_API_KEY HF_TOKEN
docker rm -f secureclaw-vllm >/dev/null 2>&1 || true
docker run -d --name secureclaw-vllm --gpus 1 -e VLLM_API_KEY -e HF_TOKEN \\
  -v secureclaw-hf-cache:/root/.cache/huggingface -p 192.168.1.50:8000:8000 \\
  vllm/vllm-openai:v0.11.0 --model Qwen/Qwen3-Coder-30B-A3B-Instruct --port 8000 >/dev/null
unset VLLM_API_KEY HF_TOKEN
`;

/** Every resource of a compliant stack (local GPU mode plus a remote launch, to cover both). */
export function compliantStack(): TestResource[] {
    // A deep copy every time, so one test's mutation never leaks into another.
    return JSON.parse(JSON.stringify(buildStack()));
}

function buildStack(): TestResource[] {
    return [
        network(NAMES.enclave, "enclave", {
            internal: true,
            ipv6: false,
            options: {
                "com.docker.network.bridge.inhibit_ipv4": "true",
                "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
                "com.docker.network.bridge.enable_ip_masquerade": "false",
            },
            ipamConfigs: [{ subnet: "10.89.0.0/24" }],
        }),
        network(NAMES.egress, "egress", { ipamConfigs: [{ subnet: "10.89.1.0/24" }] }),
        network(NAMES.model, "model", { internal: true, ipamConfigs: [{ subnet: "10.89.2.0/24" }] }),
        network(NAMES.gateway, "gateway", { internal: true, ipamConfigs: [{ subnet: "10.89.3.0/24" }] }),
        volume(NAMES.workspace, "workspace"),
        volume(NAMES.agentState, "agent-state"),
        volume(NAMES.agentConfig, "agent-config"),
        volume(NAMES.egressConfig, "egress-config"),
        volume(NAMES.egressLog, "egress-log"),
        volume(NAMES.gatewayConfig, "gateway-config"),
        volume(NAMES.hfCache, "hf-cache"),
        volume(NAMES.linkKey, "link-key"),
        { type: T.image, name: "agent-image", inputs: { imageName: `secureclaw/agent:${PREFIX}`, build: { context: "images/agent" }, skipPush: true } },
        { type: T.image, name: "egress-image", inputs: { imageName: `secureclaw/egress:${PREFIX}`, build: { context: "images/egress" }, skipPush: true } },
        { type: T.remoteImage, name: "litellm-image", inputs: { name: "ghcr.io/berriai/litellm:v1.83.14-stable", keepLocally: true } },
        { type: T.remoteImage, name: "vllm-image", inputs: { name: "vllm/vllm-openai:v0.11.0", keepLocally: true } },
        {
            type: T.container,
            name: "agent",
            inputs: {
                name: `${PREFIX}-agent`,
                image: AGENT_IMAGE_ID,
                ...HARDENED,
                user: "1000:1000",
                memory: 4096,
                memorySwap: 4096,
                cpus: "2",
                ulimits: [{ name: "nofile", soft: 4096, hard: 8192 }],
                networksAdvanced: [{ name: NAMES.enclave, aliases: ["agent"] }],
                volumes: [
                    { volumeName: NAMES.workspace, containerPath: "/workspace", readOnly: false },
                    { volumeName: NAMES.agentState, containerPath: "/home/node/.openclaw-state", readOnly: false },
                    { volumeName: NAMES.agentConfig, containerPath: "/etc/openclaw", readOnly: true },
                ],
                tmpfs: { "/tmp": "rw,nosuid,nodev,size=256m" },
                envs: ["HTTPS_PROXY=http://egress-proxy:3128", "NO_PROXY=model-gateway", "OPENCLAW_CONFIG_READONLY=1"],
                command: ["openclaw", "gateway", "run", "--port", "18789"],
                labels: labels("agent"),
            },
        },
        {
            type: T.container,
            name: "egress-proxy",
            inputs: {
                name: `${PREFIX}-egress-proxy`,
                image: PROXY_IMAGE_ID,
                ...HARDENED,
                capabilities: { drops: ["ALL"], adds: ["SETUID", "SETGID"] },
                networksAdvanced: [
                    { name: NAMES.enclave, aliases: ["egress-proxy"] },
                    { name: NAMES.egress },
                ],
                volumes: [
                    { volumeName: NAMES.egressConfig, containerPath: "/etc/squid/secureclaw", readOnly: true },
                    { volumeName: NAMES.egressLog, containerPath: "/var/log/squid" },
                ],
                command: ["squid", "-N", "-f", "/etc/squid/secureclaw/squid.conf"],
                labels: labels("egress-proxy"),
            },
        },
        {
            type: T.container,
            name: "egress-config-writer",
            inputs: {
                name: `${PREFIX}-egress-config-writer`,
                image: WRITER_IMAGE_ID,
                ...HARDENED,
                start: false,
                mustRun: false,
                networkMode: "none",
                volumes: [{ volumeName: NAMES.egressConfig, containerPath: "/config" }],
                uploads: [
                    { file: "/config/allowlist.txt", content: ALLOWLIST },
                    { file: "/config/squid.conf", content: "http_access deny all\n" },
                ],
                labels: labels("config-writer"),
            },
        },
        {
            type: T.container,
            name: "model-door",
            inputs: {
                name: `${PREFIX}-model-door`,
                image: DOOR_IMAGE_ID,
                ...HARDENED,
                user: "1000:1000",
                networksAdvanced: [
                    { name: NAMES.enclave, aliases: ["model-gateway"] },
                    { name: NAMES.gateway },
                ],
                envs: ["DOOR_UPSTREAM_KEY=from-a-secret"],
                labels: labels("model-door"),
            },
        },
        {
            type: T.container,
            name: "model-gateway",
            inputs: {
                name: `${PREFIX}-model-gateway`,
                image: GATEWAY_IMAGE_ID,
                ...HARDENED,
                user: "1000:1000",
                networksAdvanced: [
                    { name: NAMES.gateway, aliases: ["litellm"] },
                    { name: NAMES.model },
                ],
                volumes: [{ volumeName: NAMES.gatewayConfig, containerPath: "/config", readOnly: true }],
                command: ["--config", "/config/config.yaml", "--port", "4000"],
                envs: ["DISABLE_ADMIN_UI=True", "LITELLM_LOCAL_MODEL_COST_MAP=True"],
                healthcheck: { tests: ["CMD", "python3", "-c", "import urllib.request; urllib.request.urlopen('http://127.0.0.1:4000/health/liveliness')"] },
                labels: labels("model-gateway"),
            },
        },
        {
            type: T.container,
            name: "vllm",
            inputs: {
                name: `${PREFIX}-vllm`,
                image: VLLM_IMAGE_ID,
                gpus: "all",
                shmSize: 8192,
                networksAdvanced: [{ name: NAMES.model, aliases: ["vllm"] }],
                volumes: [{ volumeName: NAMES.hfCache, containerPath: "/root/.cache/huggingface" }],
                command: ["--model", "Qwen/Qwen3-Coder-30B-A3B-Instruct", "--host", "0.0.0.0", "--port", "8000"],
                envs: ["VLLM_API_KEY=from-a-secret"],
                labels: labels("vllm"),
            },
        },
        {
            type: T.remoteCommand,
            name: "vllm-launch",
            inputs: {
                connection: { host: "192.168.1.50", user: "ubuntu", port: 22, privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nredacted\n-----END OPENSSH PRIVATE KEY-----\n" },
                create: LAUNCH_SCRIPT,
                update: LAUNCH_SCRIPT,
                delete: "docker rm -f secureclaw-vllm >/dev/null 2>&1 || true\n",
                stdin: "key-from-config\nhf_from_config\n",
                triggers: ["v0.11.0"],
            },
        },
        {
            type: T.localCommand,
            name: "pids-limit",
            inputs: { create: `docker update --pids-limit 512 ${PREFIX}-agent`, interpreter: ["/bin/sh", "-c"], triggers: [`${PREFIX}-agent`, 512] },
        },
    ];
}

/** The one resource of the set with this Pulumi name (throws when absent, so a typo fails loudly). */
export function pick(resources: TestResource[], name: string): TestResource {
    const r = resources.find((x) => x.name === name);
    if (!r) throw new Error(`no fixture resource named ${name}`);
    return r;
}

/** A deep copy of one compliant resource, changed by `mutate`. */
export function mutated(name: string, mutate: (inputs: Record<string, any>) => void): TestResource {
    const r = pick(compliantStack(), name);
    mutate(r.inputs);
    return r;
}

/** The compliant stack with one resource changed. */
export function stackWith(name: string, mutate: (inputs: Record<string, any>) => void): TestResource[] {
    const all = compliantStack();
    mutate(pick(all, name).inputs);
    return all;
}

/**
 * Inputs as the engine hands them to a policy after the Docker provider's
 * Check: the provider fills schema defaults (networkMode "bridge", start,
 * mustRun, tty ...), which the policies must not mistake for a weakening.
 */
export function withProviderDefaults(r: TestResource): TestResource {
    const inputs = JSON.parse(JSON.stringify(r.inputs));
    if (r.type === T.container) {
        const d: Record<string, unknown> = {
            networkMode: "bridge",
            restart: "no",
            start: true,
            mustRun: true,
            rm: false,
            readOnly: false,
            tty: false,
            stdinOpen: false,
            attach: false,
            logs: false,
            wait: false,
            waitTimeout: 60,
            removeVolumes: true,
            containerReadRefreshTimeoutMilliseconds: 15000,
        };
        for (const [k, v] of Object.entries(d)) if (inputs[k] === undefined) inputs[k] = v;
        for (const u of inputs.uploads ?? []) if (u.executable === undefined) u.executable = false;
        for (const p of inputs.ports ?? []) {
            if (p.ip === undefined) p.ip = "0.0.0.0";
            if (p.protocol === undefined) p.protocol = "tcp";
        }
    }
    return { ...r, inputs };
}
