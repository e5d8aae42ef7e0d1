/**
 * A small model of how Squid runs a rendered squid.conf's http_access rules,
 * for the ACL types SecureClaw renders, so unit tests can ask "what does this
 * configuration decide for this request, and what does it log" instead of
 * only comparing lines. The live proof stays Squid itself (tests/e2e); this
 * follows Squid's documented semantics: rules in order, the first whose ACLs
 * all match decides; ACLs of a rule, all-of and any-of are evaluated left to
 * right and stop at the first that decides (so an annotate_transaction ACL
 * only annotates when everything before it matched).
 */

export interface SquidRequest {
    /** The port's name (http_port ... name=): "agent" or "sni". */
    port: string;
    /** The direct client address. */
    src: string;
    method?: string;
    host: string;
    dstPort?: number;
    /** The address the destination resolves to (for `dst`); unset = a public address. */
    dstAddress?: string;
    headers?: Record<string, string>;
}

export interface SquidDecision {
    action: "allow" | "deny" | "none";
    notes: Record<string, string>;
}

type Acl = { type: string; args: string[] };

function ipv4(address: string): number | undefined {
    const parts = address.split(".").map(Number);
    if (parts.length !== 4 || parts.some((p) => !Number.isInteger(p) || p < 0 || p > 255)) return undefined;
    return parts.reduce((n, p) => n * 256 + p, 0);
}

function inCidr(address: string, cidr: string): boolean {
    const [base, bits = "32"] = cidr.split("/");
    const a = ipv4(address);
    const b = ipv4(base);
    if (a === undefined || b === undefined) return false;
    const size = 2 ** (32 - Number(bits));
    return Math.floor(a / size) === Math.floor(b / size);
}

function domainMatches(host: string, entry: string): boolean {
    const h = host.toLowerCase();
    const e = entry.toLowerCase();
    return e.startsWith(".") ? h === e.slice(1) || h.endsWith(e) : h === e;
}

/** The http_access decision for `request` under `conf`; `files` holds the contents of files ACLs read ("path" arguments). */
export function decide(conf: string, request: SquidRequest, files: Record<string, string> = {}): SquidDecision {
    const acls = new Map<string, Acl>([
        ["all", { type: "src", args: ["0.0.0.0/0"] }],
        ["localhost", { type: "src", args: ["127.0.0.1/32"] }],
        ["manager", { type: "never", args: [] }],
    ]);
    const rules: Array<{ action: "allow" | "deny"; acls: string[] }> = [];
    for (const line of conf.split("\n")) {
        const words = line.trim().split(/\s+/);
        if (words[0] === "acl") {
            const args = words.slice(3).filter((w) => w !== "-n");
            const fromFiles = args.flatMap((a) => (a.startsWith('"') ? fileEntries(files, a.slice(1, -1)) : [a]));
            acls.set(words[1], { type: words[2], args: fromFiles });
        } else if (words[0] === "http_access") {
            rules.push({ action: words[1] as "allow" | "deny", acls: words.slice(2) });
        }
    }
    const notes: Record<string, string> = {};
    const match = (ref: string): boolean => {
        const negated = ref.startsWith("!");
        const name = negated ? ref.slice(1) : ref;
        const acl = acls.get(name);
        if (!acl) throw new Error(`squid.conf uses ACL ${name} but never defines it`);
        const result = evaluate(acl);
        return negated ? !result : result;
    };
    const evaluate = ({ type, args }: Acl): boolean => {
        switch (type) {
            case "src": return args.some((c) => inCidr(request.src, c.includes("/") ? c : `${c}/32`));
            case "myportname": return args.includes(request.port);
            case "method": return args.includes(request.method ?? "CONNECT");
            case "port": return args.includes(String(request.dstPort ?? 443));
            case "dstdomain": return args.some((e) => domainMatches(request.host, e));
            case "dstdom_regex": return args.some((r) => new RegExp(r).test(request.host));
            case "dst": return args.some((c) => inCidr(request.dstAddress ?? "203.0.113.7", c));
            case "req_header": return new RegExp(args[1]).test(request.headers?.[args[0]] ?? "");
            case "maxconn": return false;
            case "never": return false;
            case "annotate_transaction":
                for (const kv of args) notes[kv.slice(0, kv.indexOf("="))] = kv.slice(kv.indexOf("=") + 1);
                return true;
            case "all-of": return args.every(match);
            case "any-of": return args.some(match);
            default: throw new Error(`squidAccess: ACL type ${type} is not modelled`);
        }
    };
    for (const rule of rules) {
        if (rule.acls.every(match)) return { action: rule.action, notes };
    }
    return { action: "none", notes };
}

function fileEntries(files: Record<string, string>, path: string): string[] {
    const content = files[path];
    if (content === undefined) throw new Error(`squid.conf reads ${path}, which the test did not provide`);
    return content.split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
}
