import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./examples";
import { openSshPublicKey } from "../components/modellink/openssh";
import { RawConfig, SECRET_KEYS, SecretKey, StackConfig } from "./schema";
import { validateConfig } from "./validate";

/** The stack's secrets as Pulumi secret outputs; a value is never read in the clear. */
export type Secrets = { [K in SecretKey]?: pulumi.Output<string> };

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
    const config = validateConfig(pulumi.getStack(), rawConfig(), { present, plaintext, malformed: secretForms() });
    return { config, secrets };
}
