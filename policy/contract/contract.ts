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
/** Docker label naming the agent an agent's container, volume or cell network belongs to. */
export const AGENT_LABEL = "secureclaw.agent";
/** Docker label carrying a hash of rendered config, so a change replaces what reads it. */
export const CONFIG_HASH_LABEL = "secureclaw.config-sha256";

/** Every role the program uses, per kind of Docker object. */
export const ROLES = {
    network: ["enclave", "cell", "egress", "gateway", "model", "relay"],
    container: ["agent", "egress-proxy", "model-door", "model-gateway", "vllm", "model-link", "config-writer", "telegram-relay"],
    volume: ["workspace", "agent-state", "agent-config", "egress-config", "egress-log", "door-config", "door-usage", "gateway-config", "hf-cache", "link-key", "relay-config", "relay-secret", "relay-audit"],
} as const;
export type Role = (typeof ROLES)[keyof typeof ROLES][number];

/** Containers that sit on the enclave network; nothing else may join it (LiteLLM is behind the door). */
export const ENCLAVE_MEMBERS: readonly string[] = ["agent", "egress-proxy", "model-door", "telegram-relay"];
/** Containers on the relay network: the relay and the proxy, whose rule for the Telegram API host matches that network alone. */
export const RELAY_NETWORK_MEMBERS: readonly string[] = ["telegram-relay", "egress-proxy"];

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
    /** Loopback-only port where Squid peeks at the TLS ClientHello of every tunnel the agent's port allowed. */
    sniPort: 3129,
    /** tmpfs where the entrypoint writes the throwaway certificate `ssl-bump` needs (never used to sign or decrypt). */
    tlsDir: "/tmp/squid-tls",
    /** Squid's external ACL helper comparing a tunnel's SNI with its CONNECT name (images/squid/sni-check.sh). */
    helperPath: "/usr/local/bin/sni-check",
} as const;

/**
 * The audit trail: every component that decides on egress (the proxy, the
 * Telegram relay) writes one JSON line per decision to AUDIT.file in a volume
 * labelled AUDIT.label, rotated beside it as AUDIT.file.0, .1, ...
 * scripts/audit.ts finds those volumes by label and merges them by time.
 */
export const AUDIT = {
    label: "secureclaw.audit",
    file: "audit.jsonl",
    /** Rotated files kept beside the live one. */
    rotations: 3,
    /** The live file is rotated once it passes this size. */
    rotateAtBytes: 4 * 1024 * 1024,
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
/**
 * An agent's name as every part accepts it (the proxy's ACL names, the door's
 * and the relay's identities, the audit filter): lowercase letters, digits and
 * dashes, starting with a letter, at most 32. The config validator is stricter
 * (config/agents.ts: 24, so Docker names stay short); the sidecar images keep
 * their own copy (images/sidecar-kit/strictSettings.ts), outside this tree's reach.
 */
export const AGENT_NAME = /^[a-z][a-z0-9-]{0,31}$/;

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

/** The Telegram relay: holds the bot token; the agent's Telegram channel talks to it. */
export const RELAY = {
    /** Not the agent's uid: the token file is this uid's alone. */
    uid: 1001,
    /** Name the agent reaches the relay by on the enclave network. */
    alias: "telegram-relay",
    port: 8081,
    /** Name the relay reaches the proxy by on the relay network (not the enclave alias, which would resolve to the proxy's enclave address). */
    proxyAlias: "relay-egress-proxy",
    configDir: "/etc/secureclaw-relay",
    settingsFile: "relay.json",
    extraCaFile: "extra-ca.pem",
    secretDir: "/run/secureclaw-relay-secret",
    /** Each agent's bot token is `<secretDir>/<agent><tokenSuffix>` (images/relay/src/tokens.ts reads it). */
    tokenSuffix: ".bot-token",
    auditDir: "/var/log/secureclaw-relay",
    auditFile: "audit.jsonl",
} as const;

/** vLLM, local or on a GPU host. */
export const VLLM = {
    /** Name the gateway reaches a local vLLM by on the model network. */
    alias: "vllm",
    containerPort: 8000,
} as const;

/** The model link: an SSH tunnel from the model network to vLLM on a GPU host's loopback. */
export const LINK = {
    /** uid and gid of the link user in images/model-link. */
    uid: 1000,
    /** Name LiteLLM reaches link `i` by on the model network: `model-link-<i>`. */
    aliasPrefix: "model-link",
    /** Port the link listens on, on its model-network address only. */
    port: 8000,
    /** Where the link reads its private key (0400, owned by the link user) and known_hosts. */
    keyDir: "/etc/model-link",
    keyFile: "id_link",
    knownHostsFile: "known_hosts",
    /** vLLM's address on the GPU host: its loopback, never a LAN address. */
    vllmHost: "127.0.0.1",
} as const;
