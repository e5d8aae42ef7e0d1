import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./examples";
import { openSshPublicKey } from "../components/modellink/openssh";
import { RawConfig, SECRET_KEYS, SecretKey, SecretPresence, StackConfig } from "./schema";
import { validateConfig } from "./validate";

/** The stack's secrets as Pulumi secret outputs; a value is never read in the clear. */
export type Secrets = { [K in SecretKey]?: pulumi.Output<string> } & {
    /** Each agent's own bot token (`agents.<name>.telegram.botToken`), by agent name. */
    agentBotTokens?: Record<string, pulumi.Output<string>>;
};

/** The validated config and the secrets, ready for SecureClawEnclave. */
export interface LoadedConfig {
    config: StackConfig;
    secrets: Secrets;
}

/**
 * Names of config keys the engine holds encrypted. The CLI hands them to the
 * program (PULUMI_CONFIG_SECRET_KEYS), and the SDK keeps them in its runtime
 * store; the SDK has no public accessor yet, so this reads the store. When an
 * engine passes nothing, the plain-text check is skipped rather than guessed.
 */
function encryptedKeys(): Set<string> | undefined {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { getStore } = require("@pulumi/pulumi/runtime/state") as { getStore(): { config: Record<string, string | undefined> } };
    const raw = getStore().config.PULUMI_CONFIG_SECRET_KEYS;
    if (!raw) return undefined;
    try {
        return new Set(JSON.parse(raw) as string[]);
    } catch {
        return undefined;
    }
}

/** A config value as the engine passes it (JSON for objects and lists); text that is not JSON stays text, for the validator to judge. */
function parsed(value: string): unknown {
    try {
        return JSON.parse(value);
    } catch {
        return value;
    }
}

/**
 * Every non-secret key of the `secureclaw` namespace, so the validator sees
 * a misspelt key too (`pulumi.Config` would only return the keys asked for).
 */
function rawConfig(): RawConfig {
    const raw: RawConfig = {};
    const prefix = `${NAMESPACE}:`;
    for (const [fullKey, value] of Object.entries(pulumi.runtime.allConfig())) {
        const key = fullKey.slice(prefix.length);
        if (fullKey.startsWith(prefix) && !(SECRET_KEYS as readonly string[]).includes(key)) raw[key] = parsed(value);
    }
    return raw;
}

/**
 * What is wrong with the form of a secret, read here so the validator never
 * sees a value: the model link's key must be an unencrypted OpenSSH key, and
 * not the login key (the GPU host would then match the login key's
 * unrestricted line first and give the link a shell).
 */
export function secretForms(read: (key: SecretKey) => string | undefined = (key) => pulumi.runtime.getConfig(`${NAMESPACE}:${key}`)): Map<SecretKey, string> {
    const problems = new Map<SecretKey, string>();
    const linkKey = read("sshLinkKey");
    if (linkKey === undefined) return problems;
    const link = openSshPublicKey(linkKey);
    if (!link.ok) problems.set("sshLinkKey", link.problem);
    const loginKey = read("sshPrivateKey");
    const login = loginKey === undefined ? undefined : openSshPublicKey(loginKey);
    if (link.ok && login?.ok && login.publicKey === link.publicKey) {
        problems.set("sshLinkKey", "is the same key as secureclaw:sshPrivateKey; the link needs a key of its own, which the GPU host restricts to forwarding vLLM's port");
    }
    return problems;
}

/** The bot id of a token (the digits before its colon), or undefined when it has no such form. */
function botIdOf(token: string | undefined): string | undefined {
    return token === undefined ? undefined : /^(\d{1,20}):/.exec(token.trim())?.[1];
}

/**
 * Takes each agent's bot token out of the raw `agents` map, so the validator
 * never sees a value: it learns which agents have one, their bot ids, and
 * whether the map is stored encrypted. The tokens become secret outputs.
 */
export function takeAgentTokens(raw: RawConfig, encrypted: Set<string> | undefined, stackToken: string | undefined): { facts: NonNullable<SecretPresence["agentTokens"]>; tokens: Record<string, string> } {
    const tokens: Record<string, string> = {};
    const agents = raw.agents;
    if (typeof agents === "object" && agents !== null && !Array.isArray(agents)) {
        for (const [name, entry] of Object.entries(agents as Record<string, unknown>)) {
            const telegram = (entry as { telegram?: unknown } | null)?.telegram;
            if (typeof telegram !== "object" || telegram === null || !("botToken" in telegram)) continue;
            const { botToken, ...rest } = telegram as Record<string, unknown>;
            (entry as Record<string, unknown>).telegram = rest;
            if (typeof botToken === "string" && botToken.trim() !== "") tokens[name] = botToken.trim();
        }
    }
    const botIds = new Map<string, string>();
    const stackBot = botIdOf(stackToken);
    if (stackBot !== undefined) botIds.set("", stackBot);
    for (const [name, token] of Object.entries(tokens)) {
        const id = botIdOf(token);
        if (id !== undefined) botIds.set(name, id);
    }
    const plaintext = Object.keys(tokens).length > 0 && encrypted !== undefined && !encrypted.has(`${NAMESPACE}:agents`);
    return { facts: { present: new Set(Object.keys(tokens)), plaintext, botIds }, tokens };
}

/** Reads the `secureclaw` namespace, validates it, and wraps every secret as a secret output. */
export function loadConfig(): LoadedConfig {
    const cfg = new pulumi.Config(NAMESPACE);
    const encrypted = encryptedKeys();
    const secrets: Secrets = {};
    const present = new Set<SecretKey>();
    const plaintext = new Set<SecretKey>();
    for (const key of SECRET_KEYS) {
        const value = cfg.getSecret(key);
        if (value === undefined) continue;
        secrets[key] = value;
        present.add(key);
        if (encrypted && !encrypted.has(`${NAMESPACE}:${key}`)) plaintext.add(key);
    }
    const raw = rawConfig();
    const agentTokens = takeAgentTokens(raw, encrypted, pulumi.runtime.getConfig(`${NAMESPACE}:telegramBotToken`));
    const config = validateConfig(pulumi.getStack(), raw, { present, plaintext, malformed: secretForms(), agentTokens: agentTokens.facts });
    secrets.agentBotTokens = Object.fromEntries(Object.entries(agentTokens.tokens).map(([name, token]) => [name, pulumi.secret(token)]));
    return { config, secrets };
}
