/**
 * The contract between the SecureClaw program and its guardrails: every name,
 * port, path, uid, label and bridge option that more than one place needs.
 *
 * It lives inside the policy pack so the pack stays publishable on its own
 * (`pulumi policy publish` packs this folder and nothing outside it); the
 * program imports it from here. Change a value once, here, and the program,
 * the policies and the tests follow.
 */

/** Docker label naming what an object is; the policies and tests find objects by it. */
export const ROLE_LABEL = "secureclaw.role";
/** Docker label naming the stack (`secureclaw-<stack>`) an object belongs to. */
export const STACK_LABEL = "secureclaw.stack";
/** Docker label carrying a hash of rendered config, so a change replaces what reads it. */
export const CONFIG_HASH_LABEL = "secureclaw.config-sha256";

/** Every role the program uses, per kind of Docker object. */
export const ROLES = {
    network: ["enclave", "egress", "gateway", "model"],
    container: ["agent", "egress-proxy", "model-door", "model-gateway", "vllm", "config-writer"],
    volume: ["workspace", "agent-state", "agent-config", "egress-config", "egress-log", "door-config", "door-usage", "gateway-config", "hf-cache"],
} as const;
export type Role = (typeof ROLES)[keyof typeof ROLES][number];

/** Containers that sit on the enclave network; nothing else may join it (LiteLLM is behind the door). */
export const ENCLAVE_MEMBERS: readonly string[] = ["agent", "egress-proxy", "model-door"];

/** The Docker name of a stack's object: `secureclaw-<stack>-<role>`. */
export function dockerName(namePrefix: string, role: Role, suffix?: string): string {
    return [namePrefix, role, ...(suffix ? [suffix] : [])].join("-");
}

export const INHIBIT_IPV4 = "com.docker.network.bridge.inhibit_ipv4";
export const GATEWAY_MODE_IPV4 = "com.docker.network.bridge.gateway_mode_ipv4";
export const ENABLE_IP_MASQUERADE = "com.docker.network.bridge.enable_ip_masquerade";
export const ENABLE_ICC = "com.docker.network.bridge.enable_icc";

/**
 * Bridge options that cut an internal network off from the host as well.
 *
 * `internal: true` only removes the default route. On the engines we measured
 * (docker.io 20.10) a container on an internal network still reached services
 * listening on the host through its own bridge's gateway address. With
 * `inhibit_ipv4` the bridge gets no address at all, so there is no gateway to
 * talk to; `gateway_mode_ipv4=isolated` is the same intent for engines 28+,
 * and masquerading is off because nothing may be routed out.
 */
export const ISOLATED_BRIDGE_OPTIONS: Readonly<Record<string, string>> = {
    [INHIBIT_IPV4]: "true",
    [GATEWAY_MODE_IPV4]: "isolated",
    [ENABLE_IP_MASQUERADE]: "false",
    [ENABLE_ICC]: "true",
};

/** The agent box. */
export const AGENT = {
    /** uid and gid of the agent user (`node` in the base image). */
    uid: 1000,
    /**
     * The box's hostname, the same in every container that replaces it.
     * OpenClaw leases its state directory to the process that owns it, named
     * by host, pid and start time; a lease of another host can't be judged
     * dead and holds for its whole TTL (5 minutes), so a replaced box with a
     * new hostname (Docker's default: the container ID) could not start its
     * gateway for up to 5 minutes.
     */
    hostname: "agent",
    /** OpenClaw's gateway port inside the box (health checks only; never published). */
    port: 18789,
    paths: {
        /** Rendered OpenClaw config, skills and Aider files (read-only volume). */
        config: "/etc/openclaw",
        /** OpenClaw's runtime state (writable volume). */
        state: "/var/lib/openclaw",
        /** The user's code (writable volume, kept on destroy). */
        workspace: "/workspace",
        /** HOME, a tmpfs. */
        home: "/home/node",
    },
} as const;

/**
 * OCI runtimes the agent box may run under. `runc` is every engine's own;
 * `runsc` is gVisor, which the engine has only once it is installed and
 * registered (with GVISOR_RUNTIME_ARGS).
 */
export const AGENT_RUNTIMES = ["runc", "runsc"] as const;
/** One of AGENT_RUNTIMES. */
export type AgentRuntime = (typeof AGENT_RUNTIMES)[number];

/**
 * The arguments runsc must be registered with. Its default network mode
 * (netstack) refuses a container on a Docker network ("cannot run with
 * network enabled in root network namespace"); in host mode gVisor uses the
 * network namespace Docker made for the container, so the box keeps its own.
 */
export const GVISOR_RUNTIME_ARGS = ["--network=host"] as const;

/** Files inside the agent's config volume, relative to AGENT.paths.config. */
export const AGENT_FILES = {
    openclaw: "openclaw.json",
    skillMd: "skills/aider/SKILL.md",
    aiderWrapper: "skills/aider/run-aider.sh",
    aiderMetadata: "aider/model.metadata.json",
    aiderSettings: "aider/model.settings.yml",
    extraCa: "ca/extra.pem",
} as const;

/** The egress proxy. */
export const PROXY = {
    /** Name the agent reaches the proxy by on the enclave network. */
    alias: "egress-proxy",
    port: 3128,
    /** Where the proxy reads squid.conf, the allowlist and the hosts file. */
    configDir: "/etc/squid/secureclaw",
    logDir: "/var/log/squid",
} as const;

/** The model gateway: the door on the enclave network, LiteLLM behind it. */
export const GATEWAY = {
    /** Name the agent reaches the gateway (the door) by on the enclave network. */
    alias: "model-gateway",
    port: 4000,
    configDir: "/etc/litellm",
    /** The one model name the agent asks for, whatever vLLM serves. */
    modelAlias: "secureclaw-model",
    /** Name LiteLLM answers to on the network only the door and LiteLLM join. */
    litellmAlias: "litellm",
} as const;

/** The door: the agent's only way to a model, in front of LiteLLM. */
export const DOOR = {
    uid: 1000,
    settingsDir: "/etc/secureclaw-door",
    settingsFile: "door.json",
    usageDir: "/var/lib/secureclaw-door",
    usageFile: "usage.jsonl",
    /** Environment variable carrying LiteLLM's master key into the door. */
    upstreamKeyEnv: "DOOR_UPSTREAM_KEY",
    /** The one agent of a single-agent stack. */
    defaultAgent: "main",
} as const;

/** vLLM, local or on a GPU host. */
export const VLLM = {
    /** Name the gateway reaches a local vLLM by on the model network. */
    alias: "vllm",
    containerPort: 8000,
} as const;
