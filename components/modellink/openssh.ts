/**
 * Reads the public half of an OpenSSH private key ("-----BEGIN OPENSSH
 * PRIVATE KEY-----", what ssh-keygen writes). Pure.
 *
 * The openssh-key-v1 format keeps the public key in clear ahead of the
 * (possibly encrypted) private part, so the program learns the line to put in
 * the GPU host's authorized_keys without a crypto library and without ever
 * sending the private key anywhere.
 */

const MAGIC = "openssh-key-v1\0";

/** The public key line (`<type> <base64>`), or what is wrong with the text. */
export type PublicKeyResult = { ok: true; publicKey: string } | { ok: false; problem: string };

/** The public key of an unencrypted OpenSSH private key (the link runs unattended, so it can't have a passphrase). */
export function openSshPublicKey(privateKey: string): PublicKeyResult {
    const match = /-----BEGIN OPENSSH PRIVATE KEY-----([\s\S]*?)-----END OPENSSH PRIVATE KEY-----/.exec(privateKey);
    const notOne = { ok: false as const, problem: "must be an OpenSSH private key (-----BEGIN OPENSSH PRIVATE KEY-----), as ssh-keygen writes it" };
    if (!match) return notOne;
    const blob = Buffer.from(match[1].replace(/\s+/g, ""), "base64");
    if (blob.subarray(0, MAGIC.length).toString("latin1") !== MAGIC) return notOne;
    let at = MAGIC.length;
    const string = (): Buffer | undefined => {
        if (at + 4 > blob.length) return undefined;
        const length = blob.readUInt32BE(at);
        if (at + 4 + length > blob.length) return undefined;
        const value = blob.subarray(at + 4, at + 4 + length);
        at += 4 + length;
        return value;
    };
    const cipher = string()?.toString("latin1");
    string(); // kdf name
    string(); // kdf options
    if (cipher === undefined || at + 4 > blob.length) return notOne;
    const count = blob.readUInt32BE(at);
    at += 4;
    const publicBlob = string();
    if (publicBlob === undefined || count !== 1) return notOne;
    if (cipher !== "none") return { ok: false, problem: "has a passphrase; the model link connects unattended, so give it a key without one (ssh-keygen -N '')" };
    const typeLength = publicBlob.length >= 4 ? publicBlob.readUInt32BE(0) : -1;
    const type = typeLength > 0 && 4 + typeLength <= publicBlob.length ? publicBlob.subarray(4, 4 + typeLength).toString("latin1") : "";
    if (!/^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/.test(type)) return { ok: false, problem: `holds a key of an unsupported type ${JSON.stringify(type)}; use ssh-keygen -t ed25519` };
    return { ok: true, publicKey: `${type} ${publicBlob.toString("base64")}` };
}
