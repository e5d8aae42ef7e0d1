/** Small IPv4 subnet helpers for config validation and address planning. Pure. */
import { isIPv4 } from "net";

function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

/** An IPv4 subnet: its first address as a number, and its prefix length. */
export interface Cidr {
    base: number;
    prefix: number;
}

/** Parses "a.b.c.d/n" with the host bits zero; undefined when it is not one. */
export function parseCidr(text: string): Cidr | undefined {
    const match = /^([\d.]+)\/(\d{1,2})$/.exec(text);
    if (!match || !isIPv4(match[1])) return undefined;
    const prefix = Number(match[2]);
    if (prefix > 32) return undefined;
    const base = ipToInt(match[1]);
    if (base % 2 ** (32 - prefix) !== 0) return undefined;
    return { base, prefix };
}

function cidrSize(cidr: Cidr): number {
    return 2 ** (32 - cidr.prefix);
}

/** True when the two subnets share an address. */
export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);

/** True when the subnet lies inside one of the RFC 1918 private ranges. */
export function isPrivateCidr(cidr: Cidr): boolean {
    return PRIVATE_RANGES.some((range) => range.prefix <= cidr.prefix && cidrsOverlap(range, cidr));
}

/** The first /24 from 10.89.0.0 upwards that overlaps none of `taken`: a right value to suggest. */
export function freeSubnet(taken: Cidr[]): string {
    const start = ipToInt("10.89.0.0");
    for (let base = start; base < ipToInt("11.0.0.0"); base += 256) {
        if (!taken.some((t) => cidrsOverlap(t, { base, prefix: 24 }))) return `${intToIp(base)}/24`;
    }
    return "192.168.89.0/24";
}

/**
 * Splits a subnet into the half Docker may hand out (`ipRange`) and one
 * address Docker never assigns. The agent's DNS upstream points at that
 * address: nothing answers there, so the engine's embedded resolver has no
 * way to forward an outside name (see components/agent/agentBox.ts).
 */
export function planSubnet(subnet: string): { ipRange: string; unassigned: string } {
    const cidr = parseCidr(subnet);
    if (!cidr) throw new Error(`not an IPv4 subnet: ${subnet}`);
    const half = cidr.prefix + 1;
    return {
        ipRange: `${intToIp(cidr.base)}/${half}`,
        unassigned: intToIp(cidr.base + cidrSize(cidr) - 2),
    };
}
