/**
 * A one-file ustar archive, the shape the Docker provider sends for each
 * container `upload`: a single regular-file entry whose name is the upload's
 * full `file` path, extracted by the engine at "/" (so the engine creates any
 * missing parent directories, owned by root, mode 0755).
 */

export interface TarEntry {
    /** Entry name, e.g. "/config/squid.conf" (kept as given, like Go's archive/tar). */
    name: string;
    content: Buffer;
    /** Permission bits, e.g. 0o644. */
    mode: number;
    uid?: number;
    gid?: number;
    mtime?: Date;
}

const BLOCK = 512;

export function singleFileTar(entry: TarEntry): Buffer {
    const header = Buffer.alloc(BLOCK, 0);
    const { name, prefix } = splitName(entry.name);
    header.write(name, 0, 100, "utf8");
    writeOctal(header, entry.mode & 0o7777, 100, 8);
    writeOctal(header, entry.uid ?? 0, 108, 8);
    writeOctal(header, entry.gid ?? 0, 116, 8);
    writeOctal(header, entry.content.length, 124, 12);
    writeOctal(header, Math.floor((entry.mtime ?? new Date()).getTime() / 1000), 136, 12);
    header.fill(0x20, 148, 156); // checksum field counts as spaces while summing
    header.write("0", 156, 1, "ascii"); // regular file
    header.write("ustar\u0000", 257, 6, "ascii");
    header.write("00", 263, 2, "ascii");
    header.write(prefix, 345, 155, "utf8");
    let sum = 0;
    for (const byte of header) sum += byte;
    header.write(`${sum.toString(8).padStart(6, "0")}\u0000 `, 148, 8, "ascii");
    const padding = (BLOCK - (entry.content.length % BLOCK)) % BLOCK;
    return Buffer.concat([header, entry.content, Buffer.alloc(padding, 0), Buffer.alloc(BLOCK * 2, 0)]);
}

function writeOctal(buf: Buffer, value: number, offset: number, length: number): void {
    buf.write(`${value.toString(8).padStart(length - 1, "0")}\u0000`, offset, length, "ascii");
}

/** ustar keeps 100 bytes of name and 155 of prefix, split at a slash. */
function splitName(full: string): { name: string; prefix: string } {
    if (Buffer.byteLength(full) <= 100) return { name: full, prefix: "" };
    for (let i = full.lastIndexOf("/"); i > 0; i = full.lastIndexOf("/", i - 1)) {
        const prefix = full.slice(0, i);
        const name = full.slice(i + 1);
        if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100 && name.length > 0) return { name, prefix };
    }
    throw new Error(`e2e harness: upload path too long for a ustar entry: ${full}`);
}
