/**
 * A one-file tar archive, the shape the Docker provider sends for each
 * container `upload`: a single regular-file entry whose name is the upload's
 * full `file` path, extracted by the engine at "/" (so the engine creates any
 * missing parent directories, owned by root, mode 0755).
 */
import { buffer } from "stream/consumers";
import * as tar from "tar-stream";

export interface TarEntry {
    /** Entry name, e.g. "/config/squid.conf" (kept as given, like Go's archive/tar). */
    name: string;
    content: Buffer;
    /** Permission bits, e.g. 0o644. */
    mode: number;
    uid?: number;
    gid?: number;
}

export async function singleFileTar(entry: TarEntry): Promise<Buffer> {
    const pack = tar.pack();
    const archive = buffer(pack);
    pack.entry({ name: entry.name, type: "file", mode: entry.mode, uid: entry.uid ?? 0, gid: entry.gid ?? 0, mtime: new Date() }, entry.content);
    pack.finalize();
    return archive;
}
