import { ModelPreset, ModelSize } from "./presets";

/**
 * The stack configuration as `pulumi config` holds it, before validation.
 * Every field is optional and untyped on purpose: it comes from YAML a person
 * wrote, and `validateConfig` is the only place that decides what it means.
 */
export interface RawConfig {
    model?: unknown;
    gpu?: unknown;
    egress?: unknown;
    telegram?: unknown;
    agent?: unknown;
    gateway?: unknown;
    images?: unknown;
    network?: unknown;
}

/** The config sections (each an object under `secureclaw:`). */
export const SECTIONS = ["model", "gpu", "egress", "telegram", "agent", "gateway", "images", "network"] as const;

/** Names of the secret config keys, each set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["telegramBotToken", "gatewayMasterKey", "vllmApiKey", "sshPrivateKey", "hfToken"] as const;
export type SecretKey = (typeof SECRET_KEYS)[number];

/** What the validator needs to know about secrets without ever reading their values. */
export interface SecretPresence {
    /** Secret keys that have a value in the stack. */
    present: ReadonlySet<SecretKey>;
    /** Secret keys that have a value stored in plain text (set without --secret). */
    plaintext: ReadonlySet<SecretKey>;
}

export interface ModelConfig extends ModelPreset {
    /** The preset the stack picked; fields above already carry its overrides. */
    size: ModelSize;
}

export interface LocalGpu {
    /** vLLM runs as a container on this Docker host, reachable only by the gateway. */
    placement: "local";
    /** GPUs on this host that vLLM may use. */
    count: number;
}

export interface RemoteGpu {
    /** vLLM runs on another machine, launched over SSH. */
    placement: "remote";
    /** GPUs on the GPU host. */
    count: number;
    /** Address or name the program connects to with SSH. */
    host: string;
    sshUser: string;
    sshPort: number;
    /** The GPU host's SSH public host key ("ssh-ed25519 AAAA..."); when set, any other key is refused. */
    sshHostKey?: string;
    /** IPv4 address on the GPU host that vLLM's port is published on (never every interface). */
    bindAddress: string;
    /** Port vLLM is published on at bindAddress. */
    port: number;
    /** How long the launch waits for vLLM's /health before failing (a cold 30B start takes minutes). */
    startupTimeoutSeconds: number;
}

export type GpuConfig = LocalGpu | RemoteGpu;

export interface EgressConfig {
    /** Normalised host names (`api.telegram.org`) and suffixes (`.github.com`) the proxy lets the agent reach. */
    allowlist: string[];
    /**
     * Allowlisted names pinned to a fixed address, resolved by the proxy from
     * its hosts file instead of DNS. For a server on a private address that the
     * private-destination rule would otherwise refuse (a LAN relay, a test server).
     */
    pinnedHosts: Record<string, string>;
}

export type TelegramConfig =
    | { enabled: false }
    | {
          enabled: true;
          /** Numeric Telegram user IDs allowed to talk to the agent. */
          allowFrom: string[];
          /** Bot API root, when not https://api.telegram.org (a relay or a test server). */
          apiRoot?: string;
      };

export interface AgentConfig {
    memoryMb: number;
    cpus: number;
    /** Most processes the agent box may run (fork-bomb ceiling). */
    pids: number;
    /** PEM certificates the agent trusts in addition to the system store (a TLS-inspecting relay, a test CA). */
    extraCaCertificates?: string;
}

export interface GatewayConfig {
    /** Seconds LiteLLM waits for one model call. */
    requestTimeoutSeconds: number;
    /** Model calls LiteLLM runs at once; more wait in line. */
    maxParallelRequests: number;
}

export interface ImagesConfig {
    /** LiteLLM proxy image, pinned by tag or digest; unset builds images/litellm (hash-pinned from PyPI). */
    litellm?: string;
    /** vLLM OpenAI server image, pinned by tag or digest. */
    vllm: string;
}

export interface NetworkConfig {
    /** IPv4 subnet of the internal enclave network. */
    enclaveSubnet: string;
    /** IPv4 subnet of the egress network the sidecars use to reach out. */
    egressSubnet: string;
    /** IPv4 subnet of the network joining the gateway to a local vLLM. */
    modelSubnet: string;
}

/** A validated stack: every default applied, every value checked. */
export interface StackConfig {
    /** Prefix for every Docker object the stack creates, `secureclaw-<stack>`. */
    namePrefix: string;
    model: ModelConfig;
    gpu: GpuConfig;
    egress: EgressConfig;
    telegram: TelegramConfig;
    agent: AgentConfig;
    gateway: GatewayConfig;
    images: ImagesConfig;
    network: NetworkConfig;
}

export const DEFAULTS = {
    gpuCount: 1,
    sshPort: 22,
    vllmPort: 8000,
    startupTimeoutSeconds: 1800,
    agent: { memoryMb: 4096, cpus: 2, pids: 512 },
    gateway: { requestTimeoutSeconds: 600, maxParallelRequests: 8 },
    images: {
        vllm: "vllm/vllm-openai:v0.11.0",
    },
    network: { enclaveSubnet: "10.89.0.0/24", egressSubnet: "10.89.1.0/24", modelSubnet: "10.89.2.0/24" },
} as const;

export const LIMITS = {
    memoryMb: { min: 512, max: 262144 },
    cpus: { min: 0.5, max: 128 },
    pids: { min: 64, max: 65536 },
    requestTimeoutSeconds: { min: 10, max: 3600 },
    maxParallelRequests: { min: 1, max: 256 },
    gpuCount: { min: 1, max: 16 },
    maxModelLen: { min: 1024, max: 1048576 },
    startupTimeoutSeconds: { min: 60, max: 7200 },
} as const;
