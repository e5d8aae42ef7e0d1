import { createHash } from "crypto";

/** Short content hash, used as a label so a config change replaces the container that reads it. */
export function contentHash(...parts: string[]): string {
    const h = createHash("sha256");
    for (const part of parts) h.update(part).update("\0");
    return h.digest("hex").slice(0, 16);
}
