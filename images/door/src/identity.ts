/**
 * Who is calling. Each agent presents its own door credential as a Bearer
 * token; the credential is HMAC-SHA256(master key, "secureclaw-door:" + name),
 * so the program derives it for the agent and the door derives it here, and
 * no new secret exists anywhere. The door keeps only the SHA-256 of each
 * credential, mapped to the agent's name: a lookup by hash compares nothing
 * byte by byte, so timing tells a caller nothing about a valid credential.
 *
 * Keep deriveCredential identical to components/door/credentials.ts (a unit
 * test presents the program's credential to this door).
 */
import { createHash, createHmac } from "node:crypto";

const CREDENTIAL_PREFIX = "sk-door-";
const DERIVATION_LABEL = "secureclaw-door:";

export function deriveCredential(masterKey: string, agentName: string): string {
    return CREDENTIAL_PREFIX + createHmac("sha256", masterKey).update(DERIVATION_LABEL + agentName).digest("hex");
}

function sha256Hex(text: string): string {
    return createHash("sha256").update(text).digest("hex");
}

export class Identities {
    private readonly agentByCredentialHash: Map<string, string>;

    constructor(masterKey: string, agentNames: readonly string[]) {
        this.agentByCredentialHash = new Map(agentNames.map((name) => [sha256Hex(deriveCredential(masterKey, name)), name]));
    }

    /** The agent an Authorization header belongs to, or undefined. */
    identify(authorization: string | undefined): string | undefined {
        if (authorization === undefined || authorization.length > 512) return undefined;
        const match = /^Bearer ([\x21-\x7e]+)$/i.exec(authorization);
        return match ? this.agentByCredentialHash.get(sha256Hex(match[1])) : undefined;
    }
}
