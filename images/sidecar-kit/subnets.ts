/**
 * The subnets of an agent's cell. A sidecar honours an agent's credential
 * only from its cell, so one copied out of a hijacked agent opens nothing
 * from another.
 */
import { isIPv4 } from "node:net";

/** An IPv4 subnet as its first address and mask, both unsigned 32-bit. */
export interface Subnet {
    text: string;
    base: number;
    mask: number;
}

function toInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => ((acc << 8) | Number(octet)) >>> 0, 0);
}

/** "a.b.c.d/n" with the host bits zero, or undefined. */
export function parseSubnet(text: string): Subnet | undefined {
    const match = /^([0-9.]{7,15})\/([0-9]{1,2})$/.exec(text);
    if (!match || !isIPv4(match[1]) || Number(match[2]) > 32) return undefined;
    const prefix = Number(match[2]);
    const mask = prefix === 0 ? 0 : (0xffffffff << (32 - prefix)) >>> 0;
    const base = toInt(match[1]);
    return (base & mask) >>> 0 === base ? { text, base, mask } : undefined;
}

/**
 * True when the peer address lies in one of the subnets. A dual-stack socket
 * reports an IPv4 peer as `::ffff:a.b.c.d`; any other IPv6 address is in no
 * IPv4 subnet.
 */
export function fromSources(remoteAddress: string | undefined, sources: readonly Subnet[]): boolean {
    const address = (remoteAddress ?? "").replace(/^::ffff:/i, "");
    if (!isIPv4(address)) return false;
    const ip = toInt(address);
    return sources.some((s) => ((ip & s.mask) >>> 0) === s.base);
}
