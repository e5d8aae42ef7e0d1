/**
 * An agent's door credential, derived from LiteLLM's master key so no new
 * secret has to be set: HMAC-SHA256(masterKey, "secureclaw-door:" + agent).
 * The door derives the same value (images/door/src/identity.ts) and keeps
 * only its SHA-256; the agent gets it in its environment. It opens that
 * agent's door and nothing else: it is not a LiteLLM key, and one agent's
 * credential says nothing about another's. Rotating the master key rotates
 * every credential.
 */
import { createHmac } from "crypto";

export function doorCredential(masterKey: string, agentName: string): string {
    if (masterKey === "") throw new Error("doorCredential: the master key is empty");
    return `sk-door-${createHmac("sha256", masterKey).update(`secureclaw-door:${agentName}`).digest("hex")}`;
}
