import { allowlistCovers, checkAllowlistEntry, normalizeAllowlist } from "../policy/contract/allowlist";
import { cidrsOverlap, isIPv4, isPrivateCidr, parseCidr } from "./net";
import { MODEL_PRESETS, MODEL_SIZES, ModelSize } from "./presets";
import {
    DEFAULTS,
    GpuConfig,
    LIMITS,
    ModelConfig,
    RawConfig,
    SecretKey,
    SecretPresence,
    SECTIONS,
    StackConfig,
    TelegramConfig,
} from "./schema";

/** One thing wrong with the stack configuration, said so a person can fix it. */
export interface ConfigProblem {
    /** Full config key, e.g. `secureclaw:egress.allowlist[2]`. */
    key: string;
    /** What is wrong with the value there. */
    problem: string;
    /** A value that would be right, or the command that sets one. */
    example: string;
}

/** Thrown before any resource is declared; lists every problem at once. */
export class ConfigError extends Error {
    constructor(readonly problems: ConfigProblem[]) {
        super(
            `SecureClaw configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created or changed:\n` +
                problems.map((p) => `  - ${p.key}: ${p.problem}\n      example: ${p.example}`).join("\n"),
        );
        this.name = "ConfigError";
    }
}

const NS = "secureclaw";

/** Collects problems while reading one section of the raw config. */
class Reader {
    readonly problems: ConfigProblem[] = [];

    fail(key: string, problem: string, example: string): void {
        this.problems.push({ key: `${NS}:${key}`, problem, example });
    }

    /** The section as an object; a missing section is an empty one. */
    section(key: string, value: unknown): Record<string, unknown> {
        if (value === undefined || value === null) return {};
        if (typeof value !== "object" || Array.isArray(value)) {
            this.fail(key, `must be an object, got ${JSON.stringify(value)}`, `pulumi config set --path '${NS}:${key}.<field>' <value>`);
            return {};
        }
        return value as Record<string, unknown>;
    }

    /** Rejects fields the schema does not know, so a typo is not silently ignored. `key` "" is the namespace itself. */
    known(key: string, section: Record<string, unknown>, fields: string[]): void {
        for (const field of Object.keys(section)) {
            if (!fields.includes(field)) {
                const path = key ? `${key}.${field}` : field;
                this.fail(path, `is not a known setting (known: ${fields.join(", ")})`, `pulumi config rm --path '${NS}:${path}'`);
            }
        }
    }

    number(key: string, value: unknown, fallback: number, range: { min: number; max: number }, opts: { integer?: boolean } = {}): number {
        if (value === undefined) return fallback;
        const n = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
        const integerOk = !opts.integer || Number.isInteger(n);
        if (typeof n !== "number" || !Number.isFinite(n) || !integerOk || n < range.min || n > range.max) {
            this.fail(key, `must be ${opts.integer ? "a whole number" : "a number"} from ${range.min} to ${range.max}, got ${JSON.stringify(value)}`, `pulumi config set --path '${NS}:${key}' ${fallback}`);
            return fallback;
        }
        return n;
    }

    string(key: string, value: unknown, example: string): string | undefined {
        if (value === undefined || value === null || value === "") return undefined;
        if (typeof value !== "string") {
            this.fail(key, `must be a string, got ${JSON.stringify(value)}`, example);
            return undefined;
        }
        return value.trim();
    }

    boolean(key: string, value: unknown, fallback: boolean): boolean {
        if (value === undefined) return fallback;
        if (value === true || value === "true") return true;
        if (value === false || value === "false") return false;
        this.fail(key, `must be true or false, got ${JSON.stringify(value)}`, `pulumi config set --path '${NS}:${key}' ${fallback}`);
        return fallback;
    }

    list(key: string, value: unknown, example: string): unknown[] {
        if (value === undefined || value === null) return [];
        if (!Array.isArray(value)) {
            this.fail(key, `must be a list, got ${JSON.stringify(value)}`, example);
            return [];
        }
        return value;
    }
}

/** The official image matching the version images/litellm builds; shown in examples only. */
const LITELLM_IMAGE_EXAMPLE = "ghcr.io/berriai/litellm:v1.83.14-stable";

const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(:\d+)?(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[\w][\w.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;

/** An image reference pinned by a tag other than `latest`, or by digest. */
export function checkImageRef(ref: string): string | undefined {
    if (!IMAGE_REF.test(ref)) return "is not a valid image reference";
    const lastPart = ref.split("/").pop()!;
    const hasDigest = ref.includes("@sha256:");
    const tag = lastPart.split("@")[0].split(":")[1];
    if (!hasDigest && tag === undefined) return "has no tag or digest, so every pull may bring a different image";
    if (!hasDigest && tag === "latest") return "is pinned to `latest`, which moves; use a version tag or a digest";
    return undefined;
}

function readModel(r: Reader, raw: unknown): ModelConfig {
    const s = r.section("model", raw);
    r.known("model", s, ["size", ...Object.keys(MODEL_PRESETS.small)]);
    let size = (s.size ?? "small") as ModelSize;
    if (!MODEL_SIZES.includes(size)) {
        r.fail("model.size", `unknown model size ${JSON.stringify(s.size)} (known: ${MODEL_SIZES.join(", ")})`, `pulumi config set --path '${NS}:model.size' small`);
        size = "small";
    }
    const preset = MODEL_PRESETS[size];
    const text = (field: string, fallback: string, pattern: RegExp, what: string) => {
        const value = r.string(`model.${field}`, s[field], fallback) ?? fallback;
        if (!pattern.test(value)) {
            r.fail(`model.${field}`, `${what}, got ${JSON.stringify(value)}`, `pulumi config set --path '${NS}:model.${field}' ${fallback}`);
            return fallback;
        }
        return value;
    };
    return {
        size,
        huggingFaceId: text("huggingFaceId", preset.huggingFaceId, /^[\w.-]+\/[\w.-]+$/, "must be a Hugging Face repository id like owner/name"),
        servedName: text("servedName", preset.servedName, /^[a-z0-9][a-z0-9._-]{0,62}$/, "must be lower-case letters, digits, '.', '_' or '-'"),
        toolCallParser: text("toolCallParser", preset.toolCallParser, /^[a-z0-9_]+$/, "must be a vLLM tool-call parser name"),
        maxModelLen: r.number("model.maxModelLen", s.maxModelLen, preset.maxModelLen, LIMITS.maxModelLen, { integer: true }),
        tensorParallelSize: r.number("model.tensorParallelSize", s.tensorParallelSize, preset.tensorParallelSize, { min: 1, max: 16 }, { integer: true }),
        gpuMemoryUtilization: r.number("model.gpuMemoryUtilization", s.gpuMemoryUtilization, preset.gpuMemoryUtilization, { min: 0.1, max: 0.98 }),
        maxOutputTokens: r.number("model.maxOutputTokens", s.maxOutputTokens, preset.maxOutputTokens, { min: 256, max: 262144 }, { integer: true }),
    };
}

function readGpu(r: Reader, raw: unknown, secrets: SecretPresence): GpuConfig {
    const s = r.section("gpu", raw);
    const placement = s.placement ?? "local";
    const count = r.number("gpu.count", s.count, DEFAULTS.gpuCount, LIMITS.gpuCount, { integer: true });
    if (placement === "local") {
        r.known("gpu", s, ["placement", "count"]);
        return { placement, count };
    }
    if (placement !== "remote") {
        r.fail("gpu.placement", `must be "local" (vLLM on this Docker host) or "remote" (a GPU host over SSH), got ${JSON.stringify(placement)}`, `pulumi config set --path '${NS}:gpu.placement' remote`);
        return { placement: "local", count };
    }
    r.known("gpu", s, ["placement", "count", "host", "sshUser", "sshPort", "sshHostKey", "bindAddress", "port", "startupTimeoutSeconds"]);
    const host = r.string("gpu.host", s.host, "dgx.lan");
    if (!host) r.fail("gpu.host", "is required when gpu.placement is remote: the GPU host's address or name", `pulumi config set --path '${NS}:gpu.host' 192.168.1.50`);
    else if (!/^[A-Za-z0-9.-]+$/.test(host)) r.fail("gpu.host", `must be a host name or IPv4 address, got ${JSON.stringify(host)}`, `pulumi config set --path '${NS}:gpu.host' 192.168.1.50`);
    const sshUser = r.string("gpu.sshUser", s.sshUser, "ubuntu");
    if (!sshUser) r.fail("gpu.sshUser", "is required when gpu.placement is remote: the user that runs Docker on the GPU host", `pulumi config set --path '${NS}:gpu.sshUser' ubuntu`);
    else if (!/^[a-z_][a-z0-9_-]{0,31}$/.test(sshUser)) r.fail("gpu.sshUser", `is not a valid user name: ${JSON.stringify(sshUser)}`, `pulumi config set --path '${NS}:gpu.sshUser' ubuntu`);
    if (!secrets.present.has("sshPrivateKey")) {
        r.fail("sshPrivateKey", "is required when gpu.placement is remote: the private key that logs in to the GPU host", `pulumi config set --secret ${NS}:sshPrivateKey < ~/.ssh/id_ed25519`);
    }
    const sshHostKey = r.string("gpu.sshHostKey", s.sshHostKey, "ssh-ed25519 AAAAC3Nza...");
    if (sshHostKey !== undefined && !/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+=*$/.test(sshHostKey.split(" ").slice(0, 2).join(" "))) {
        r.fail("gpu.sshHostKey", "must be an SSH public host key: type and base64 key, as in the GPU host's /etc/ssh/ssh_host_ed25519_key.pub", `pulumi config set --path '${NS}:gpu.sshHostKey' "$(ssh-keyscan -t ed25519 <gpu-host> | cut -d' ' -f2-)"`);
    }
    const bindDefault = host && isIPv4(host) ? host : undefined;
    const bindAddress = r.string("gpu.bindAddress", s.bindAddress, "192.168.1.50") ?? bindDefault;
    if (!bindAddress) {
        r.fail("gpu.bindAddress", "is required when gpu.host is a name: the GPU host's IPv4 address the gateway reaches vLLM on (vLLM is never published on every interface)", `pulumi config set --path '${NS}:gpu.bindAddress' 192.168.1.50`);
    } else if (!isIPv4(bindAddress) || bindAddress === "0.0.0.0") {
        r.fail("gpu.bindAddress", `must be one IPv4 address of the GPU host (not 0.0.0.0), got ${JSON.stringify(bindAddress)}`, `pulumi config set --path '${NS}:gpu.bindAddress' 192.168.1.50`);
    }
    return {
        placement,
        count,
        host: host ?? "",
        sshUser: sshUser ?? "",
        sshPort: r.number("gpu.sshPort", s.sshPort, DEFAULTS.sshPort, { min: 1, max: 65535 }, { integer: true }),
        ...(sshHostKey ? { sshHostKey: sshHostKey.split(" ").slice(0, 2).join(" ") } : {}),
        bindAddress: bindAddress ?? "",
        port: r.number("gpu.port", s.port, DEFAULTS.vllmPort, { min: 1024, max: 65535 }, { integer: true }),
        startupTimeoutSeconds: r.number("gpu.startupTimeoutSeconds", s.startupTimeoutSeconds, DEFAULTS.startupTimeoutSeconds, LIMITS.startupTimeoutSeconds, { integer: true }),
    };
}

function checkTensorParallel(r: Reader, model: ModelConfig, gpu: GpuConfig): void {
    const tp = model.tensorParallelSize;
    if ((tp & (tp - 1)) !== 0) {
        r.fail("model.tensorParallelSize", `must be a power of two (1, 2, 4, 8), got ${tp}`, `pulumi config set --path '${NS}:model.tensorParallelSize' 2`);
    } else if (tp > gpu.count) {
        r.fail("model.tensorParallelSize", `is ${tp} but gpu.count is ${gpu.count}: the model can't be split over more GPUs than the host has`, `pulumi config set --path '${NS}:gpu.count' ${tp}`);
    }
}

function readEgress(r: Reader, raw: unknown) {
    const s = r.section("egress", raw);
    r.known("egress", s, ["allowlist", "pinnedHosts"]);
    const entries: string[] = [];
    r.list("egress.allowlist", s.allowlist, `pulumi config set --path '${NS}:egress.allowlist[0]' api.telegram.org`).forEach((raw, i) => {
        const check = checkAllowlistEntry(raw);
        if (check.ok) entries.push(check.entry);
        else r.fail(`egress.allowlist[${i}]`, `${JSON.stringify(raw)} ${check.problem}`, `pulumi config set --path '${NS}:egress.allowlist[${i}]' ${check.example}`);
    });
    const allowlist = normalizeAllowlist(entries);
    const pinnedHosts: Record<string, string> = {};
    for (const [name, address] of Object.entries(r.section("egress.pinnedHosts", s.pinnedHosts))) {
        const key = `egress.pinnedHosts.${name}`;
        const check = checkAllowlistEntry(name);
        if (!check.ok || check.entry.startsWith(".")) r.fail(key, "must be keyed by a full host name", `pulumi config set --path '${NS}:egress.pinnedHosts.api.telegram.org' 10.89.1.50`);
        else if (typeof address !== "string" || !isIPv4(address)) r.fail(key, `must map to an IPv4 address, got ${JSON.stringify(address)}`, `pulumi config set --path '${NS}:${key}' 10.89.1.50`);
        else if (!allowlistCovers(allowlist, check.entry)) r.fail(key, `pins ${check.entry}, which egress.allowlist does not allow; pinning never widens the allowlist`, `pulumi config set --path '${NS}:egress.allowlist[${allowlist.length}]' ${check.entry}`);
        else pinnedHosts[check.entry] = address;
    }
    return { allowlist, pinnedHosts };
}

function readTelegram(r: Reader, raw: unknown, secrets: SecretPresence, allowlist: string[]): TelegramConfig {
    const s = r.section("telegram", raw);
    r.known("telegram", s, ["enabled", "allowFrom", "apiRoot"]);
    if (!r.boolean("telegram.enabled", s.enabled, false)) return { enabled: false };
    if (!secrets.present.has("telegramBotToken")) {
        r.fail("telegramBotToken", "is required when telegram.enabled is true: the token @BotFather gave your bot", `pulumi config set --secret ${NS}:telegramBotToken 123456789:AA...`);
    }
    const allowFrom: string[] = [];
    r.list("telegram.allowFrom", s.allowFrom, "").forEach((id, i) => {
        const text = String(id).trim();
        if (/^\d{1,20}$/.test(text)) allowFrom.push(text);
        else r.fail(`telegram.allowFrom[${i}]`, `must be a numeric Telegram user ID, got ${JSON.stringify(id)}`, `pulumi config set --path '${NS}:telegram.allowFrom[${i}]' 123456789`);
    });
    if (allowFrom.length === 0 && r.problems.every((p) => !p.key.startsWith(`${NS}:telegram.allowFrom`))) {
        r.fail("telegram.allowFrom", "is empty, so nobody could talk to the agent; list the numeric user IDs allowed to (ask @userinfobot for yours)", `pulumi config set --path '${NS}:telegram.allowFrom[0]' 123456789`);
    }
    const apiRoot = r.string("telegram.apiRoot", s.apiRoot, "https://api.telegram.org");
    let apiHost = "api.telegram.org";
    if (apiRoot !== undefined) {
        let url: URL | undefined;
        try {
            url = new URL(apiRoot);
        } catch {
            url = undefined;
        }
        if (!url || url.protocol !== "https:" || url.port !== "" || url.search !== "") {
            r.fail("telegram.apiRoot", `must be an https URL on port 443 without a query, got ${JSON.stringify(apiRoot)}`, `pulumi config set --path '${NS}:telegram.apiRoot' https://api.telegram.org`);
        } else apiHost = url.hostname;
    }
    if (!allowlistCovers(allowlist, apiHost)) {
        r.fail("egress.allowlist", `does not allow ${apiHost}, so the Telegram channel could never connect`, `pulumi config set --path '${NS}:egress.allowlist[${allowlist.length}]' ${apiHost}`);
    }
    return { enabled: true, allowFrom: [...new Set(allowFrom)], ...(apiRoot !== undefined ? { apiRoot: apiRoot.replace(/\/+$/, "") } : {}) };
}

function readAgent(r: Reader, raw: unknown) {
    const s = r.section("agent", raw);
    r.known("agent", s, ["memoryMb", "cpus", "pids", "extraCaCertificates"]);
    const extraCaCertificates = r.string("agent.extraCaCertificates", s.extraCaCertificates, "");
    if (extraCaCertificates !== undefined && !/^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----$/.test(extraCaCertificates)) {
        r.fail("agent.extraCaCertificates", "must be one or more PEM certificates (-----BEGIN CERTIFICATE----- ... -----END CERTIFICATE-----)", `pulumi config set --path '${NS}:agent.extraCaCertificates' "$(cat relay-ca.pem)"`);
    }
    return {
        memoryMb: r.number("agent.memoryMb", s.memoryMb, DEFAULTS.agent.memoryMb, LIMITS.memoryMb, { integer: true }),
        cpus: r.number("agent.cpus", s.cpus, DEFAULTS.agent.cpus, LIMITS.cpus),
        pids: r.number("agent.pids", s.pids, DEFAULTS.agent.pids, LIMITS.pids, { integer: true }),
        ...(extraCaCertificates ? { extraCaCertificates: extraCaCertificates + "\n" } : {}),
    };
}

function readGateway(r: Reader, raw: unknown) {
    const s = r.section("gateway", raw);
    r.known("gateway", s, ["requestTimeoutSeconds", "maxParallelRequests"]);
    return {
        requestTimeoutSeconds: r.number("gateway.requestTimeoutSeconds", s.requestTimeoutSeconds, DEFAULTS.gateway.requestTimeoutSeconds, LIMITS.requestTimeoutSeconds, { integer: true }),
        maxParallelRequests: r.number("gateway.maxParallelRequests", s.maxParallelRequests, DEFAULTS.gateway.maxParallelRequests, LIMITS.maxParallelRequests, { integer: true }),
    };
}

function readImages(r: Reader, raw: unknown) {
    const s = r.section("images", raw);
    r.known("images", s, ["litellm", "vllm"]);
    const image = (field: "litellm" | "vllm", example: string) => {
        const ref = r.string(`images.${field}`, s[field], example);
        const problem = ref === undefined ? undefined : checkImageRef(ref);
        if (problem) r.fail(`images.${field}`, `${JSON.stringify(ref)} ${problem}`, `pulumi config set --path '${NS}:images.${field}' ${example}`);
        return ref;
    };
    const litellm = image("litellm", LITELLM_IMAGE_EXAMPLE);
    return { ...(litellm ? { litellm } : {}), vllm: image("vllm", DEFAULTS.images.vllm) ?? DEFAULTS.images.vllm };
}

function readNetwork(r: Reader, raw: unknown) {
    const s = r.section("network", raw);
    const fields = ["enclaveSubnet", "egressSubnet", "modelSubnet"] as const;
    r.known("network", s, [...fields]);
    const out = { ...DEFAULTS.network } as Record<(typeof fields)[number], string>;
    const parsed = fields.map((field) => {
        const text = r.string(`network.${field}`, s[field], DEFAULTS.network[field]) ?? DEFAULTS.network[field];
        const cidr = parseCidr(text);
        if (!cidr || cidr.prefix < 16 || cidr.prefix > 28 || !isPrivateCidr(cidr)) {
            r.fail(`network.${field}`, `must be a private IPv4 subnet from /16 to /28 with the host bits zero, got ${JSON.stringify(text)}`, `pulumi config set --path '${NS}:network.${field}' ${DEFAULTS.network[field]}`);
            return undefined;
        }
        out[field] = text;
        return { field, cidr };
    });
    for (let i = 0; i < parsed.length; i++) {
        for (let j = i + 1; j < parsed.length; j++) {
            const a = parsed[i], b = parsed[j];
            if (a && b && cidrsOverlap(a.cidr, b.cidr)) {
                r.fail(`network.${b.field}`, `overlaps network.${a.field} (${out[a.field]}); the networks must not share addresses`, `pulumi config set --path '${NS}:network.${b.field}' ${DEFAULTS.network[b.field]}`);
            }
        }
    }
    return out;
}

/**
 * Turns raw stack config into a StackConfig, or throws one ConfigError that
 * lists every problem. Pure: it never reads a secret's value, only whether
 * each secret is present and whether it was stored encrypted.
 */
export function validateConfig(stack: string, raw: RawConfig, secrets: SecretPresence): StackConfig {
    const r = new Reader();
    r.known("", raw as Record<string, unknown>, [...SECTIONS]);
    if (!/^[a-z0-9][a-z0-9-]{0,30}$/.test(stack)) {
        r.fail("(stack name)", `stack ${JSON.stringify(stack)} can't name Docker objects; use lower-case letters, digits and hyphens`, "pulumi stack init dev");
    }
    for (const key of ["gatewayMasterKey", "vllmApiKey"] as SecretKey[]) {
        if (!secrets.present.has(key)) r.fail(key, "is required", `openssl rand -hex 32 | pulumi config set --secret ${NS}:${key}`);
    }
    for (const key of secrets.plaintext) {
        r.fail(key, "is stored in plain text in the stack file; it must be encrypted", `pulumi config set --secret ${NS}:${key} <value>`);
    }
    const model = readModel(r, raw.model);
    const gpu = readGpu(r, raw.gpu, secrets);
    checkTensorParallel(r, model, gpu);
    const egress = readEgress(r, raw.egress);
    const config: StackConfig = {
        namePrefix: `secureclaw-${stack}`,
        model,
        gpu,
        egress,
        telegram: readTelegram(r, raw.telegram, secrets, egress.allowlist),
        agent: readAgent(r, raw.agent),
        gateway: readGateway(r, raw.gateway),
        images: readImages(r, raw.images),
        network: readNetwork(r, raw.network),
    };
    if (r.problems.length > 0) throw new ConfigError(r.problems);
    return config;
}
