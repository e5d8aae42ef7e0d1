/** Small IPv4 helpers for config validation and address planning. Pure. */

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv4(text: string): boolean {
    return IPV4.test(text);
}

export function ipToInt(ip: string): number {
    return ip.split(".").reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

export function intToIp(n: number): string {
    return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join(".");
}

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

export function cidrSize(cidr: Cidr): number {
    return 2 ** (32 - cidr.prefix);
}

export function cidrsOverlap(a: Cidr, b: Cidr): boolean {
    return a.base < b.base + cidrSize(b) && b.base < a.base + cidrSize(a);
}

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16"].map((c) => parseCidr(c)!);

export function isPrivateCidr(cidr: Cidr): boolean {
    return PRIVATE_RANGES.some((range) => range.prefix <= cidr.prefix && cidrsOverlap(range, cidr));
}

/**
 * Splits a subnet into the half Docker may hand out (`ipRange`) and one
 * address Docker never assigns. The agent's DNS upstream points at that
 * address: nothing answers there, so the engine's embedded resolver has no
 * way to forward an outside name (see components/agentBox.ts).
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
