import { z } from "zod";
import { exampleFor, NAMESPACE } from "./examples";
import { AgentTokenFacts, resolveAgents, telegramRelayOnlyProblems, tokenBudgetProblems } from "./agents";
import { flag } from "./fields";
import { ConfigError, ConfigProblem, fullKey, problemsFromIssues } from "./problems";
import {
    AgentSection,
    EgressSection,
    GatewaySection,
    GpuConfig,
    GpuSection,
    ImagesSection,
    ModelConfig,
    ModelSection,
    NetworkSection,
    RawConfig,
    SECRET_KEYS,
    SectionName,
    SECTIONS,
    SecretKey,
    SecretPresence,
    StackConfig,
    TelegramSection,
} from "./schema";

export { ConfigError } from "./problems";
export type { ConfigProblem } from "./problems";

/** Top-level keys: the sections, the agents map, and the secrets (whose values never reach the validator). */
const TOP_LEVEL_KEYS = [...SECTIONS, "agents", ...SECRET_KEYS];
const TopLevel = z.strictObject(Object.fromEntries(TOP_LEVEL_KEYS.map((key) => [key, z.unknown().optional()])), {
    error: () => `is not a known setting (known: ${TOP_LEVEL_KEYS.join(", ")})`,
});

/** A field of a raw section, before validation (undefined when the section is not an object). */
function rawField(section: unknown, field: string): unknown {
    return typeof section === "object" && section !== null ? (section as Record<string, unknown>)[field] : undefined;
}

function stackNameProblems(stack: string): ConfigProblem[] {
    if (/^[a-z0-9][a-z0-9-]{0,30}$/.test(stack)) return [];
    return [{ key: fullKey("(stack name)"), problem: `stack ${JSON.stringify(stack)} can't name Docker objects; use lower-case letters, digits and hyphens`, example: "pulumi stack init dev" }];
}

/**
 * Secrets that are missing or stored in plain text. Which are needed is read
 * from the raw config, so a secret is asked for even when its section has
 * other problems.
 */
function secretProblems(raw: RawConfig, secrets: SecretPresence): ConfigProblem[] {
    const remoteGpu = rawField(raw.gpu, "placement") === "remote";
    // With the agents map, which agent needs which bot token is judged per agent (config/agents.ts).
    const telegram = raw.agents === undefined && flag().safeParse(rawField(raw.telegram, "enabled")).data === true;
    const required: Array<[SecretKey, boolean, string, string]> = [
        ["gatewayMasterKey", true, "is required", `openssl rand -hex 32 | pulumi config set --secret ${NAMESPACE}:gatewayMasterKey`],
        ["vllmApiKey", true, "is required", `openssl rand -hex 32 | pulumi config set --secret ${NAMESPACE}:vllmApiKey`],
        ["sshPrivateKey", remoteGpu, "is required when gpu.placement is remote: the private key that logs in to the GPU host", `pulumi config set --secret ${NAMESPACE}:sshPrivateKey < ~/.ssh/id_ed25519`],
        ["sshLinkKey", remoteGpu, "is required when gpu.placement is remote: a key of its own for the model link, which the GPU host lets forward vLLM's port and nothing else", LINK_KEY_EXAMPLE],
        ["telegramBotToken", telegram, "is required when telegram.enabled is true: the token @BotFather gave your bot", `pulumi config set --secret ${NAMESPACE}:telegramBotToken 123456789:AA...`],
    ];
    return [
        ...required.filter(([key, needed]) => needed && !secrets.present.has(key)).map(([key, , problem, example]) => ({ key: fullKey(key), problem, example })),
        ...[...(secrets.malformed ?? new Map<SecretKey, string>())].map(([key, problem]) => ({
            key: fullKey(key),
            problem,
            example: key === "sshLinkKey" ? LINK_KEY_EXAMPLE : `pulumi config set --secret ${NAMESPACE}:${key} <value>`,
        })),
        ...[...secrets.plaintext].map((key) => ({
            key: fullKey(key),
            problem: "is stored in plain text in the stack file; it must be encrypted",
            example: `pulumi config set --secret ${NAMESPACE}:${key} <value>`,
        })),
    ];
}

/** How to make the model link's own key and store it (the files are removed once stored). */
const LINK_KEY_EXAMPLE = `ssh-keygen -q -t ed25519 -N '' -C secureclaw-link -f link_key && pulumi config set --secret ${NAMESPACE}:sshLinkKey < link_key && rm link_key link_key.pub`;

/** vLLM splits the model over `tensorParallelSize` GPUs; the host must have that many. */
function tensorParallelProblems(model: ModelConfig, gpu: GpuConfig): ConfigProblem[] {
    const tp = model.tensorParallelSize;
    if (tp <= gpu.count) return [];
    return [{
        key: fullKey("model.tensorParallelSize"),
        problem: `is ${tp} but gpu.count is ${gpu.count}: the model can't be split over more GPUs than the host has`,
        example: exampleFor("gpu.count", { value: String(tp) }),
    }];
}

/** What the validator knows of the bot tokens, the stack's and each agent's. */
function agentTokens(secrets: SecretPresence): AgentTokenFacts {
    return { stackToken: secrets.present.has("telegramBotToken"), present: new Set(), plaintext: false, botIds: new Map(), ...secrets.agentTokens };
}

/**
 * Turns raw stack config into a StackConfig, or throws one ConfigError that
 * lists every problem. Pure: it never reads a secret's value, only whether
 * each secret is present and whether it was stored encrypted.
 */
export function validateConfig(stack: string, raw: RawConfig, secrets: SecretPresence): StackConfig {
    const problems: ConfigProblem[] = [
        ...problemsFromIssues(undefined, TopLevel.safeParse(raw).error?.issues ?? []),
        ...stackNameProblems(stack),
        ...secretProblems(raw, secrets),
    ];
    /** Each section on its own, so a problem in one still lets the others be checked, and checked against each other. */
    const parse = <T>(name: SectionName, schema: z.ZodType<T>): T | undefined => {
        const result = schema.safeParse(raw[name]);
        if (!result.success) problems.push(...problemsFromIssues(name, result.error.issues));
        return result.data;
    };
    const model = parse("model", ModelSection);
    const gpu = parse("gpu", GpuSection);
    const egress = parse("egress", EgressSection);
    const telegram = parse("telegram", TelegramSection);
    const agent = parse("agent", AgentSection);
    const gateway = parse("gateway", GatewaySection);
    const images = parse("images", ImagesSection);
    const network = parse("network", NetworkSection);
    if (model && gpu) problems.push(...tensorParallelProblems(model, gpu));
    if (model && agent) problems.push(...tokenBudgetProblems(model, agent));
    if (telegram && egress) problems.push(...telegramRelayOnlyProblems(telegram, egress.allowlist));

    const namePrefix = `secureclaw-${stack}`;
    const agents = model && egress && telegram && agent && network
        ? resolveAgents(namePrefix, raw.agents, { rawAgent: raw.agent, rawEgress: raw.egress, rawTelegram: raw.telegram, model, egress, agent, telegram, network }, agentTokens(secrets))
        : undefined;
    problems.push(...(agents?.problems ?? []));

    if (problems.length > 0 || !model || !gpu || !egress || !telegram || !agent || !gateway || !images || !network || !agents) {
        throw new ConfigError(problems);
    }
    return { namePrefix, model, gpu, egress, telegram, agent, gateway, images, network, agents: agents.agents };
}
