/**
 * The stack configuration: one zod schema per section under `secureclaw:`,
 * with every type, range and default, and the validated types the rest of the
 * program reads. Every rule a renderer in components/ enforces is enforced
 * here too, so bad input stops the program before any resource is declared.
 *
 * Cross-section rules (a split over more GPUs than the host has, a Telegram
 * host the allowlist does not allow) and secrets live in validate.ts.
 */
import { cpusRoundTrip, dockerCpus } from "../components/shared/canonical";
import { DEFAULT_DOOR_LIMITS } from "../components/door/doorSettings";
import { GVISOR_AGENT_RESERVE_MB, GVISOR_MB_PER_GUEST, MIN_GVISOR_NPROC } from "../components/agent/agentProcessLimits";
import { AGENT_RUNTIMES } from "../policy/contract/contract";
import { z } from "zod";
import type { AgentSpec, AgentTokenFacts } from "./agents";
import { checkAllowlistEntry, normalizeAllowlist, relayOnlyHostOpenedBy, relayOnlyProblem } from "../policy/contract/allowlist";
import { addProblem, fields, flag, list, numberIn, onceValid, section, shown, text } from "./fields";
import { cidrsOverlap, freeSubnet, parseCidr } from "./net";
import { MODEL_PRESETS, MODEL_SIZES, ModelPreset, ModelSize } from "./presets";
import * as values from "./values";

/** The config sections (each an object under `secureclaw:`). */
export const SECTIONS = ["model", "gpu", "egress", "telegram", "agent", "gateway", "images", "network"] as const;
/** One of SECTIONS. */
export type SectionName = (typeof SECTIONS)[number];

/**
 * The stack configuration as `pulumi config` holds it, before validation:
 * every key of the namespace but the secrets. Untyped on purpose: it comes
 * from YAML a person wrote, and `validateConfig` is the only place that
 * decides what it means (a key that is not a section is refused).
 */
export type RawConfig = { [Section in SectionName]?: unknown } & Record<string, unknown>;

/** Names of the secret config keys, each set with `pulumi config set --secret`. */
export const SECRET_KEYS = ["telegramBotToken", "gatewayMasterKey", "vllmApiKey", "sshPrivateKey", "sshLinkKey", "hfToken"] as const;
/** One of SECRET_KEYS. */
export type SecretKey = (typeof SECRET_KEYS)[number];

/** What the validator needs to know about secrets without ever reading their values. */
export interface SecretPresence {
    /** Secret keys that have a value in the stack. */
    present: ReadonlySet<SecretKey>;
    /** Secret keys that have a value stored in plain text (set without --secret). */
    plaintext: ReadonlySet<SecretKey>;
    /** What is wrong with a secret's form, judged where it is read (config/load.ts); never the value. */
    malformed?: ReadonlyMap<SecretKey, string>;
    /** The per-agent bot tokens (`agents.<name>.telegram.botToken`): which are set, and their bots; never a value. */
    agentTokens?: Omit<AgentTokenFacts, "stackToken">;
}

/** Defaults that examples repeat; the rest sit where the schema declares them. */
export const DEFAULTS = {
    vllmImage: "vllm/vllm-openai:v0.11.0",
    network: { enclaveSubnet: "10.89.0.0/24", egressSubnet: "10.89.1.0/24", modelSubnet: "10.89.2.0/24", gatewaySubnet: "10.89.3.0/24", relaySubnet: "10.89.4.0/24" },
} as const;

// ---- model ------------------------------------------------------------------

/** The preset the stack picked, with its overrides applied. */
export interface ModelConfig extends ModelPreset {
    size: ModelSize;
}

const isPowerOfTwo = (n: number) => (n & (n - 1)) === 0;

/** Drops unset overrides, so they don't hide the preset's value. */
function setOnly<T extends object>(overrides: T): Partial<T> {
    return Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined)) as Partial<T>;
}

/** `secureclaw:model`: a preset size, and overrides of any preset field. */
export const ModelSection = section(
    fields({
        size: z.enum(MODEL_SIZES, { error: (issue) => `unknown model size ${shown(issue.input)} (known: ${MODEL_SIZES.join(", ")})` }).default("small"),
        huggingFaceId: text(values.huggingFaceId).optional(),
        servedName: text(values.servedName).optional(),
        toolCallParser: text(values.toolCallParser).optional(),
        maxModelLen: numberIn(1024, 1048576, { integer: true }).optional(),
        tensorParallelSize: numberIn(1, 16, { integer: true })
            .refine(isPowerOfTwo, { ...onceValid(), error: (issue) => `must be a power of two (1, 2, 4, 8), got ${shown(issue.input)}` })
            .optional(),
        gpuMemoryUtilization: numberIn(0.1, 0.98).optional(),
        maxOutputTokens: numberIn(256, 262144, { integer: true }).optional(),
    }),
)
    .transform(({ size, ...overrides }): ModelConfig => ({ size, ...MODEL_PRESETS[size], ...setOnly(overrides) }))
    .superRefine((model, ctx) => {
        // OpenClaw and Aider refuse a completion cap above the context window.
        if (model.maxOutputTokens > model.maxModelLen) {
            addProblem(ctx, ["maxOutputTokens"], `is ${model.maxOutputTokens} but model.maxModelLen is ${model.maxModelLen}: a completion can't be longer than the whole context`, {
                example: String(Math.floor(model.maxModelLen / 4)),
            });
        }
    }, onceValid());

// ---- gpu --------------------------------------------------------------------

const gpuCount = numberIn(1, 16, { integer: true }).default(1);

const LocalGpuFields = fields({
    /** vLLM runs as a container on this Docker host, reachable only by the gateway. */
    placement: z.literal("local"),
    /** GPUs on this host that vLLM may use. */
    count: gpuCount,
});

/** Most GPU hosts one stack balances over (each link takes one address in the model subnet's upper half). */
export const MAX_GPU_HOSTS = 6;

/** One GPU host of `gpu.hosts`; unset fields take the section's value (`gpu.sshUser`, `gpu.sshPort`, `gpu.port`). */
const GpuHostFields = fields({
    /** Address or name the program and the model link connect to with SSH. */
    host: text(values.gpuHost, "is required: the GPU host's address or name"),
    sshUser: text(values.sshUser).optional(),
    sshPort: numberIn(1, 65535, { integer: true }).optional(),
    /** The host's SSH public host key; required unless gpu.insecureAnyHostKey. */
    sshHostKey: text(values.sshHostKey).transform(values.typeAndKey).optional(),
    /** Port vLLM listens on, on the host's loopback. */
    port: numberIn(1024, 65535, { integer: true }).optional(),
});

const RemoteGpuFields = fields({
    /** vLLM runs on other machines, launched over SSH and reached through the model link. */
    placement: z.literal("remote"),
    /** GPUs on each GPU host. */
    count: gpuCount,
    /** Address or name the program connects to with SSH (one GPU host; `hosts` lists several). */
    host: text(values.gpuHost).optional(),
    sshUser: text(values.sshUser).optional(),
    sshPort: numberIn(1, 65535, { integer: true }).default(22),
    /** The GPU host's SSH public host key ("ssh-ed25519 AAAA..."); any other key is refused. Required unless insecureAnyHostKey. */
    sshHostKey: text(values.sshHostKey).transform(values.typeAndKey).optional(),
    /** Several GPU hosts, balanced by LiteLLM's router; instead of `host`. */
    hosts: list(GpuHostFields).optional(),
    /** Trust whatever host key a GPU host shows (it receives the vLLM key and the HF token): an explicit, loud opt-out. */
    insecureAnyHostKey: flag().default(false),
    /** No longer used: vLLM is published on the GPU host's loopback only. Accepted so an older stack still runs; `pulumi up` says to remove it. */
    bindAddress: z.unknown().optional(),
    /** Port vLLM listens on, on the GPU host's loopback. */
    port: numberIn(1024, 65535, { integer: true }).default(8000),
    /** How long the launch waits for vLLM's /health before failing (a cold 30B start takes minutes). */
    startupTimeoutSeconds: numberIn(60, 7200, { integer: true }).default(1800),
});

/** vLLM as a container on this Docker host. */
export type LocalGpu = z.output<typeof LocalGpuFields>;

/** One GPU host, every field resolved. */
export interface GpuHost {
    host: string;
    sshUser: string;
    sshPort: number;
    /** Pinned host key; undefined only with insecureAnyHostKey. */
    sshHostKey?: string;
    /** vLLM's port on the host's loopback. */
    port: number;
}

/** vLLM on one or more GPU hosts the program reaches over SSH. */
export interface RemoteGpu {
    placement: "remote";
    count: number;
    /** The hosts, in the order the stack lists them (one for `gpu.host`). */
    hosts: GpuHost[];
    insecureAnyHostKey: boolean;
    startupTimeoutSeconds: number;
    /** What the stack still sets at gpu.bindAddress, which nothing reads any more (pulumi up warns). */
    ignoredBindAddress?: unknown;
}
/** Where vLLM runs. */
export type GpuConfig = LocalGpu | RemoteGpu;

type RawRemote = z.output<typeof RemoteGpuFields>;

/** The problems of a remote section's host fields, each at its own key path. */
function remoteHostProblems(gpu: RawRemote, ctx: z.RefinementCtx): void {
    if (gpu.host !== undefined && gpu.hosts !== undefined) {
        addProblem(ctx, ["hosts"], "is set together with gpu.host: list every GPU host under gpu.hosts, or one at gpu.host, not both", { exampleKey: "gpu.hosts[0].host", example: gpu.host });
        return;
    }
    if (gpu.hosts === undefined) {
        if (gpu.host === undefined) addProblem(ctx, ["host"], "is required when gpu.placement is remote: the GPU host's address or name (or list several under gpu.hosts)");
        if (gpu.sshUser === undefined) addProblem(ctx, ["sshUser"], "is required when gpu.placement is remote: the user that runs Docker on the GPU host");
        if (gpu.host !== undefined && gpu.sshHostKey === undefined && !gpu.insecureAnyHostKey) addProblem(ctx, ["sshHostKey"], hostKeyRequired(gpu.host), { example: hostKeyExample(gpu.host) });
        return;
    }
    if (gpu.hosts.length === 0 || gpu.hosts.length > MAX_GPU_HOSTS) {
        addProblem(ctx, ["hosts"], `lists ${gpu.hosts.length} GPU hosts; list 1 to ${MAX_GPU_HOSTS}`, { exampleKey: "gpu.hosts[0].host", example: "192.168.1.50" });
    }
    const seen = new Set<string>();
    gpu.hosts.forEach((h, i) => {
        if (seen.has(h.host)) addProblem(ctx, ["hosts", i, "host"], `${shown(h.host)} is listed twice; each GPU host once`);
        seen.add(h.host);
        if (h.sshUser === undefined && gpu.sshUser === undefined) addProblem(ctx, ["hosts", i, "sshUser"], "is required (or set gpu.sshUser for every host): the user that runs Docker on this GPU host", { example: "ubuntu" });
        if (h.sshHostKey === undefined && !gpu.insecureAnyHostKey) addProblem(ctx, ["hosts", i, "sshHostKey"], hostKeyRequired(h.host), { example: hostKeyExample(h.host) });
    });
}

const hostKeyRequired = (host: string) =>
    `is required when gpu.placement is remote: the launch hands the GPU host the vLLM key and the HF token, so it must be the host you mean (read its key once, on a network you trust, with ssh-keyscan -t ed25519 ${host}; to skip the check, which is insecure, set gpu.insecureAnyHostKey true)`;
const hostKeyExample = (host: string) => `"$(ssh-keyscan -t ed25519 ${host} | cut -d' ' -f2-)"`;

/** The validated remote section: `host` or `hosts` as one list, each host's fields resolved. */
function remoteGpu(gpu: RawRemote): RemoteGpu {
    const listed = gpu.hosts ?? [{ host: gpu.host!, sshHostKey: gpu.sshHostKey }];
    return {
        placement: "remote",
        count: gpu.count,
        hosts: listed.map((h) => ({
            host: h.host,
            sshUser: ("sshUser" in h && h.sshUser) || gpu.sshUser!,
            sshPort: ("sshPort" in h && h.sshPort) || gpu.sshPort,
            ...(h.sshHostKey !== undefined ? { sshHostKey: h.sshHostKey } : {}),
            port: ("port" in h && h.port) || gpu.port,
        })),
        insecureAnyHostKey: gpu.insecureAnyHostKey,
        startupTimeoutSeconds: gpu.startupTimeoutSeconds,
        ...(gpu.bindAddress !== undefined ? { ignoredBindAddress: gpu.bindAddress } : {}),
    };
}

/** `secureclaw:gpu`: where vLLM runs (`placement` picks the fields), and on how many GPUs. */
export const GpuSection = section(
    z.discriminatedUnion("placement", [LocalGpuFields, RemoteGpuFields], {
        error: (issue) =>
            issue.code === "invalid_union"
                ? `must be "local" (vLLM on this Docker host) or "remote" (a GPU host over SSH), got ${shown((issue.input as { placement?: unknown }).placement)}`
                : `must be an object, got ${shown(issue.input)}`,
    }),
    { placement: "local" },
)
    // Without a pinned key, whoever answers on a GPU host's address gets the vLLM key and the HF token.
    .superRefine((gpu, ctx) => {
        if (gpu.placement === "remote") remoteHostProblems(gpu, ctx);
    }, onceValid("host", "hosts", "sshUser", "sshHostKey", "insecureAnyHostKey"))
    .transform((gpu): GpuConfig => (gpu.placement === "remote" ? remoteGpu(gpu) : gpu));

// ---- egress -----------------------------------------------------------------

/** `secureclaw:egress`: what the proxy lets the agent reach. */
export const EgressSection = section(
    fields({
        /** Host names (`api.telegram.org`) and suffixes (`.github.com`) the proxy lets the agent reach. */
        allowlist: list(values.allowlistEntry).default([]),
        /**
         * Allowlisted names pinned to a fixed address, resolved by the proxy from
         * its hosts file instead of DNS. For a server on a private address that the
         * private-destination rule would otherwise refuse (a LAN relay, a test server).
         */
        pinnedHosts: z.record(z.string(), values.pinnedAddress, { error: (issue) => `must map host names to IPv4 addresses, got ${shown(issue.input)}` }).default({}),
    }),
)
    // Whether a pinned name is on an allowlist is judged per agent (config/agents.ts).
    .superRefine(({ allowlist, pinnedHosts }, ctx) => {
        allowlist.forEach((entry, i) => {
            const host = relayOnlyHostOpenedBy(entry);
            if (host !== undefined) addProblem(ctx, ["allowlist", i], relayOnlyProblem(host), { exampleKey: "telegram.enabled", example: "true" });
        });
        for (const name of Object.keys(pinnedHosts)) {
            const check = checkAllowlistEntry(name);
            if (!check.ok || check.entry.startsWith(".")) {
                addProblem(ctx, ["pinnedHosts", name], "must be keyed by a full host name", { exampleKey: 'egress.pinnedHosts["api.telegram.org"]' });
            }
        }
    }, onceValid("allowlist", "pinnedHosts"))
    .transform(({ allowlist, pinnedHosts }) => ({
        /** Normalised: lower-case, no duplicates, no name a suffix already covers, sorted. */
        allowlist: normalizeAllowlist(allowlist),
        /** Keyed by the normalised host name. */
        pinnedHosts: Object.fromEntries(Object.entries(pinnedHosts).map(([name, address]) => [name.trim().toLowerCase().replace(/\.$/, ""), address])),
    }));

/** The validated egress section. */
export type EgressConfig = z.output<typeof EgressSection>;

// ---- telegram ---------------------------------------------------------------

/** The Telegram channel, off or on with the users it answers. */
export type TelegramConfig =
    | { enabled: false }
    | {
          enabled: true;
          /** Numeric Telegram user IDs allowed to talk to the agent. */
          allowFrom: string[];
          /** Bot API root the relay calls, when not https://api.telegram.org. */
          apiRoot?: string;
          /** Writes (sends, edits, chat actions) the relay admits from the agent in any 60 s. */
          sendsPerMinute: number;
          /** Largest file the relay uploads or downloads for the agent. */
          maxFileBytes: number;
      };

/** Telegram's own ceilings: about 30 messages a second per bot; 20 MB downloads and 50 MB uploads for a bot. */
export const RELAY_DEFAULTS = { sendsPerMinute: 60, maxFileBytes: 20 * 1024 * 1024 } as const;

/** `secureclaw:telegram`: the channel, who may use it, and an optional relay. */
export const TelegramSection = section(
    fields({
        enabled: flag().default(false),
        /** Numeric Telegram user IDs allowed to talk to the agent. */
        allowFrom: list(values.telegramUserId).default([]),
        /** Bot API root the relay calls, when not https://api.telegram.org (a test server). */
        apiRoot: text(values.apiRoot).transform(values.withoutTrailingSlashes).optional(),
        /** Writes the relay admits from the agent in any 60 s. */
        sendsPerMinute: numberIn(1, 1800, { integer: true }).default(RELAY_DEFAULTS.sendsPerMinute),
        /** Largest file the relay moves either way (Telegram's bot upload ceiling is 50 MB). */
        maxFileBytes: numberIn(1024, 50 * 1024 * 1024, { integer: true }).default(RELAY_DEFAULTS.maxFileBytes),
    }),
)
    .superRefine((telegram, ctx) => {
        if (telegram.enabled && telegram.allowFrom.length === 0) {
            addProblem(ctx, ["allowFrom"], "is empty, so nobody could talk to the agent; list the numeric user IDs allowed to (ask @userinfobot for yours)");
        }
    }, onceValid("enabled", "allowFrom"))
    .transform(({ enabled, allowFrom, apiRoot, sendsPerMinute, maxFileBytes }): TelegramConfig =>
        enabled ? { enabled, allowFrom: [...new Set(allowFrom)], ...(apiRoot !== undefined ? { apiRoot } : {}), sendsPerMinute, maxFileBytes } : { enabled: false },
    );

/** The host the Telegram relay connects to (through the proxy, on its own rule); never on the agent's allowlist. */
export function telegramApiHost(telegram: TelegramConfig & { enabled: true }): string {
    return telegram.apiRoot === undefined ? "api.telegram.org" : new URL(telegram.apiRoot).hostname.replace(/\.$/, "");
}

// ---- agent, gateway, images, network ----------------------------------------

/** `secureclaw:agent`: the agent box's limits and extra trust. */
export const AgentSection = section(
    fields({
        memoryMb: numberIn(512, 262144, { integer: true }).default(4096),
        /** CPU cap; refused when Docker would keep another value (10.05 is stored as 10.1), so a second `up` sees no change. */
        cpus: numberIn(0.5, 128)
            .refine((n) => n < 0.5 || n > 128 || cpusRoundTrip(n), { error: (issue) => `can't be kept exactly by Docker (it would store ${dockerCpus(Number(issue.input))}); use a count like 2, 1.5 or 1.25` })
            .default(2),
        /** Most processes the agent box may run (fork-bomb ceiling). */
        pids: numberIn(64, 65536, { integer: true }).default(512),
        /** Model requests the door admits from this agent in any 60 s. */
        requestsPerMinute: numberIn(1, 100000, { integer: true }).default(DEFAULT_DOOR_LIMITS.requestsPerMinute),
        /** Prompt + completion tokens in any 60 s. */
        tokensPerMinute: numberIn(1000, 1e9, { integer: true }).default(DEFAULT_DOOR_LIMITS.tokensPerMinute),
        /** Prompt + completion tokens in any 24 h. */
        tokensPerDay: numberIn(1000, 1e12, { integer: true }).default(DEFAULT_DOOR_LIMITS.tokensPerDay),
        /** Model requests in flight at once. */
        concurrentRequests: numberIn(1, 256, { integer: true }).default(DEFAULT_DOOR_LIMITS.concurrentRequests),
        /** The OCI runtime of the agent box: `runc` (the engine's own) or `runsc` (gVisor's user-space kernel between the box and the host's). */
        runtime: z.enum(AGENT_RUNTIMES, { error: (issue) => `must be ${AGENT_RUNTIMES.map((r) => `"${r}"`).join(" or ")} (gVisor), got ${shown(issue.input)}` }).default("runc"),
        /** PEM certificates the agent trusts in addition to the system store (a TLS-inspecting relay, a test CA). */
        extraCaCertificates: text(values.pemCertificates)
            .transform((pem) => `${pem}\n`)
            .optional(),
    }),
).superRefine((agent, ctx) => {
    // Under gVisor the host's memory cgroup sees the whole sandbox as one
    // process: a box out of memory is killed whole, so the process ceiling is
    // derived from the memory beside OpenClaw, and it needs room for the least one.
    const least = GVISOR_AGENT_RESERVE_MB + GVISOR_MB_PER_GUEST * MIN_GVISOR_NPROC;
    if (agent.runtime === "runsc" && agent.memoryMb < least) {
        addProblem(ctx, ["memoryMb"], `is ${agent.memoryMb} but agent.runtime is runsc, which needs at least ${least}: gVisor's box is killed whole when it runs out of memory, so it keeps ${GVISOR_AGENT_RESERVE_MB} MiB for OpenClaw and ${GVISOR_MB_PER_GUEST} MiB for each of at least ${MIN_GVISOR_NPROC} processes`, {
            example: "2048",
        });
    }
}, onceValid("memoryMb", "runtime"));

/** The validated agent section. */
export type AgentConfig = z.output<typeof AgentSection>;

/** `secureclaw:gateway`: LiteLLM's per-call timeout and concurrency. */
export const GatewaySection = section(
    fields({
        /** Seconds LiteLLM waits for one model call. */
        requestTimeoutSeconds: numberIn(10, 3600, { integer: true }).default(600),
        /** Model calls LiteLLM runs at once; more wait in line. */
        maxParallelRequests: numberIn(1, 256, { integer: true }).default(8),
    }),
);

/** The validated gateway section. */
export type GatewayConfig = z.output<typeof GatewaySection>;

/** `secureclaw:images`: pinned images instead of the defaults. */
export const ImagesSection = section(
    fields({
        /** LiteLLM proxy image, pinned by tag or digest; unset builds images/litellm (hash-pinned from PyPI). */
        litellm: text(values.imageRef).optional(),
        /** vLLM OpenAI server image, pinned by tag or digest. */
        vllm: text(values.imageRef).default(DEFAULTS.vllmImage),
    }),
);

/** The validated images section. */
export type ImagesConfig = z.output<typeof ImagesSection>;

const SUBNETS = ["enclaveSubnet", "egressSubnet", "modelSubnet", "gatewaySubnet", "relaySubnet"] as const;

/** `secureclaw:network`: the Docker subnets, private and apart. */
export const NetworkSection = section(
    fields({
        /** IPv4 subnet of the internal enclave network. */
        enclaveSubnet: text(values.privateSubnet).default(DEFAULTS.network.enclaveSubnet),
        /** IPv4 subnet of the egress network the sidecars use to reach out. */
        egressSubnet: text(values.privateSubnet).default(DEFAULTS.network.egressSubnet),
        /** IPv4 subnet of the network joining the gateway to a local vLLM. */
        modelSubnet: text(values.privateSubnet).default(DEFAULTS.network.modelSubnet),
        /** IPv4 subnet of the network joining the door to LiteLLM (nothing else joins it). */
        gatewaySubnet: text(values.privateSubnet).default(DEFAULTS.network.gatewaySubnet),
        /** IPv4 subnet of the network joining the Telegram relay to the proxy (nothing else joins it). */
        relaySubnet: text(values.privateSubnet).default(DEFAULTS.network.relaySubnet),
    }),
).superRefine((network, ctx) => {
    const cidrs = SUBNETS.map((field) => parseCidr(network[field])!);
    SUBNETS.forEach((field, j) => {
        const earlier = SUBNETS.slice(0, j).find((_, i) => cidrsOverlap(cidrs[i], cidrs[j]));
        if (earlier === undefined) return;
        const free = freeSubnet(cidrs.filter((_, i) => i !== j));
        addProblem(ctx, [field], `overlaps network.${earlier} (${network[earlier]}); the networks must not share addresses`, { example: free });
        // Later fields are judged against the suggestion, so two suggestions never collide.
        cidrs[j] = parseCidr(free)!;
    });
}, onceValid(...SUBNETS));

/** The validated network section. */
export type NetworkConfig = z.output<typeof NetworkSection>;

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
    /** Every agent, sorted by name: the map's entries, or the single agent "main" built from the sections above. */
    agents: AgentSpec[];
}
