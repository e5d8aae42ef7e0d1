import * as pulumi from "@pulumi/pulumi";
import { NAMESPACE } from "./examples";
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
    const config = validateConfig(pulumi.getStack(), rawConfig(), { present, plaintext });
    return { config, secrets };
}
