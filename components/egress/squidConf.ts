import { AUDIT, PROXY } from "../../policy/contract/contract";
import { allowlistFileName, cellAcl, sortedCells, type EgressCell } from "./cells";

export { allowlistFileName, type EgressCell } from "./cells";

/**
 * Renders the egress proxy's configuration. Pure.
 *
 * Every tunnel passes two stages inside one Squid:
 *
 *  A. The agent's port (PROXY.port) decides on the CONNECT request. The rule
 *     order is the security design:
 *      0. name the cell the source address is in (the `agent` of the audit
 *         line), and refuse a source in no cell (and not the relay's);
 *      1. refuse the cache manager, anything that is not CONNECT (plain HTTP
 *         could carry data in its URL to any host the proxy can name), IP
 *         literals, and ports other than 443;
 *      2. refuse names not on the allowlist of the source's cell (agent A's
 *         names are not agent B's), matched with `dstdomain -n` so an
 *         IP literal is never reverse-resolved into an allowlisted name. This
 *         runs before any rule that looks at destination addresses, so a
 *         refused name is never looked up in DNS (Squid bug 5241: address
 *         rules resolve);
 *      3. allow pinned names (resolved from the proxy's own hosts file, never DNS);
 *      4. refuse private, loopback, link-local (cloud metadata) and other
 *         special destinations, so an allowlisted name that resolves to an
 *         internal address (DNS rebinding) can't reach the host or the LAN;
 *      5. allow what is left (allowlisted, public, port 443); refuse all else.
 *     An allowed tunnel is not opened to the far end: it is forwarded to
 *
 *  B. the SNI port (PROXY.sniPort, loopback only, `ssl-bump`). The same rules
 *     run again there, then Squid peeks at the client's TLS ClientHello
 *     (step 1, nothing decrypted) and splices the tunnel through only when
 *     its SNI equals the CONNECT name; it cuts one whose SNI is missing or
 *     differs, or whose first bytes are not TLS.
 *
 * Why two ports: on an `ssl-bump` port Squid answers a refused CONNECT with
 * "200" and then serves its error page over TLS with its own certificate
 * (client_side_request.cc, "Force bump action on error"; unchanged from 5.7
 * to 7.x). The agent's port has no ssl-bump, so a refusal stays a plain 403,
 * and the proxy never speaks TLS to anyone. The price is a second Squid
 * transaction per allowed tunnel (twice the syscalls, mostly loopback TCP):
 * about 1.2-1.4x plain Squid for a new tunnel's CONNECT and handshake.
 * Routing refusals to a 403-only peer instead (so one ssl-bump port would do)
 * fails: Squid counts each 403 as a failed peer and declares it dead after
 * ten, and every refusal then gets a 500.
 *
 * Every decision is one JSON line in the log volume (see AUDIT_LOGFORMAT).
 * The Telegram relay has its own rule, matched on its source: the relay
 * network (its own subnet, which only the relay and the proxy join; the
 * agent can't send from it, whatever it does on the enclave) reaches the
 * Telegram API host and nothing else, and no other source reaches that host
 * (the validator also keeps it off the allowlist). Why a network and not a
 * fixed enclave address: a source on a bridge the agent is not on can't be
 * borrowed by the agent, and it needs no address bookkeeping.
 */

export interface SquidConfInput {
    /** One cell per agent: its name and network (its allowlist is a file of its own, see allowlistFileName). */
    cells: Array<Pick<EgressCell, "agent" | "subnet">>;
    /** Allowlisted names pinned to an address (already checked to be on the allowlist). */
    pinnedHosts: Record<string, string>;
    /** Most simultaneous connections one client may hold. */
    maxConnectionsPerClient: number;
    /** The Telegram relay: its network's subnet, and the one host it may reach. */
    relay?: { sourceSubnet: string; destination: string };
}

/** Destinations no allowlisted name may resolve to. IPv6 is off on the enclave, but rules cover it anyway. */
const SPECIAL_DESTINATIONS = [
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "127.0.0.0/8", "169.254.0.0/16", "172.16.0.0/12",
    "192.0.0.0/24", "192.168.0.0/16", "198.18.0.0/15", "224.0.0.0/4", "240.0.0.0/4",
    "::/128", "::1/128", "fc00::/7", "fe80::/10", "ff00::/8",
];

/** Why a line of the audit trail says what it says (the `reason` field). */
export const REASONS = {
    unknownSource: "unknown-source",
    cacheManager: "cache-manager",
    notConnect: "not-connect",
    ipLiteral: "ip-literal",
    notPort443: "not-port-443",
    notAllowlisted: "not-allowlisted",
    tooManyConnections: "too-many-connections",
    pinned: "pinned",
    privateDestination: "private-destination",
    allowlisted: "allowlisted",
    denied: "denied",
    sniMissing: "sni-missing",
    sniMismatch: "sni-mismatch",
    notTls: "not-tls",
    relayOnlyTelegram: "relay-reaches-only-telegram",
    telegramOnlyByRelay: "telegram-only-through-relay",
    relay: "relay",
} as const;

/** One http_access rule: its action, the ACLs that must all match, and what it logs. */
export interface AccessRule {
    action: "allow" | "deny";
    acls: string[];
    reason: (typeof REASONS)[keyof typeof REASONS] | string;
}

/** The http_access rules in order (both stages run them). Insert a new rule where its meaning fits the order above. */
export function accessRules(input: SquidConfInput): AccessRule[] {
    const pinned = Object.keys(input.pinnedHosts).length > 0;
    return [
        // First, so every line names its agent: evaluating cell_source names it. It
        // refuses only on the agent's port (see cell_source; relay_source is an agent-port source).
        { action: "deny", acls: ["!cell_source", ...(input.relay ? ["!relay_source"] : [])], reason: REASONS.unknownSource },
        { action: "deny", acls: ["manager"], reason: REASONS.cacheManager },
        { action: "deny", acls: ["!CONNECT"], reason: REASONS.notConnect },
        { action: "deny", acls: ["ip_literal"], reason: REASONS.ipLiteral },
        { action: "deny", acls: ["!tls_port"], reason: REASONS.notPort443 },
        ...(input.relay
            ? [
                  // Source rules run on the agent's port only: on the SNI port every
                  // connection comes from that port over loopback (src is 127.0.0.1
                  // there; X-Forwarded-For does not reach `src`), so they were decided already.
                  { action: "deny" as const, acls: ["agent_port", "relay_source", "!relay_destination"], reason: REASONS.relayOnlyTelegram },
                  { action: "deny" as const, acls: ["agent_port", "relay_destination", "!relay_source"], reason: REASONS.telegramOnlyByRelay },
                  { action: "deny" as const, acls: ["!cell_allowlist", "!relay_destination"], reason: REASONS.notAllowlisted },
              ]
            : [{ action: "deny" as const, acls: ["!cell_allowlist"], reason: REASONS.notAllowlisted }]),
        // maxconn counts direct connections: on the SNI port every one comes from the agent's port.
        { action: "deny", acls: ["agent_port", "per_client_connections"], reason: REASONS.tooManyConnections },
        ...(pinned ? [{ action: "allow" as const, acls: ["pinned"], reason: REASONS.pinned }] : []),
        { action: "deny", acls: ["special_destination"], reason: REASONS.privateDestination },
        { action: "allow", acls: ["cell_allowlist"], reason: REASONS.allowlisted },
        ...(input.relay ? [{ action: "allow" as const, acls: ["relay_destination"], reason: REASONS.relay }] : []),
        { action: "deny", acls: ["all"], reason: REASONS.denied },
    ];
}

/** The ACL that annotates a transaction with a rule's decision and reason (Squid's annotate_transaction: always matches). */
const markAcl = (action: string, reason: string) => `mark_${action}_${reason.replace(/-/g, "_")}`;

function accessLines(rules: AccessRule[]): string[] {
    const marks = [...new Map(rules.map((r) => [markAcl(r.action, r.reason), r])).entries()]
        .map(([name, r]) => `acl ${name} annotate_transaction decision=${r.action} reason=${r.reason}`);
    return [
        ...marks,
        // The mark comes last: it is reached only when every ACL before it matched.
        ...rules.map((r) => `http_access ${r.action} ${[...r.acls, markAcl(r.action, r.reason)].join(" ")}`),
    ];
}

/**
 * One JSON object a line; the relay writes the same fields. %"… escapes
 * quotes, backslashes and control characters; the destination is the
 * CONNECT host and port.
 */
export const AUDIT_LOGFORMAT = [
    `{"time":"%{%Y-%m-%dT%H:%M:%S}tg.%03tuZ"`,
    `"component":"proxy"`,
    `"source":"%>a"`,
    `"agent":"%"{agent}note"`,
    `"destination":"%">rd:%>rP"`,
    `"decision":"%"{decision}note"`,
    `"reason":"%"{reason}note"`,
    `"bytes":%st`,
    `"method":"%"rm"}`,
].join(",");

/** Where the entrypoint puts the throwaway certificate (see images/squid/run-squid.sh). */
const TLS_CERT = `${PROXY.tlsDir}/cert.pem`;
const TLS_KEY = `${PROXY.tlsDir}/key.pem`;
/** A name only the entrypoint's warm-up request uses (see the forwarding section). */
export const WARMUP_NAME = "sni-port-warmup.invalid";

/**
 * The header the agent's port adds to the CONNECT it forwards to the SNI port,
 * naming the source's cell ("-" for the relay). Squid's own copy only: the
 * client's is removed (request_header_access), so an agent can't pass as
 * another. On the SNI port `src` is loopback, so this is how it knows the cell.
 */
export const AGENT_HEADER = "X-SecureClaw-Agent";

/**
 * One group of ACLs per cell, sorted by agent. All-of and any-of stop at the
 * first ACL that decides, so a cell's `name` (annotate_transaction) runs only
 * when the request is that cell's.
 *
 *  - cell_source: on the agent's port, the source is in a cell's subnet (and
 *    the agent is named); on the SNI port always true, naming the cell the
 *    agent's port put in AGENT_HEADER (so the SNI port's cuts name the agent).
 *  - cell_allowlist: on the agent's port, the destination is on the source's
 *    own cell's list. On the SNI port, on any cell's list: the agent's port
 *    decided per cell already, and Squid re-checks a spliced tunnel there as
 *    a new request from loopback with no headers, so no cell can be told.
 */
function cellLines(cells: SquidConfInput["cells"]): string[] {
    const sorted = sortedCells(cells);
    const each = (what: string) => sorted.map((c) => cellAcl(c.agent, what)).join(" ");
    return [
        "# The cells: an agent is known by its network's subnet, and reaches only its own allowlist.",
        ...sorted.flatMap(({ agent, subnet }) => {
            const acl = (what: string) => cellAcl(agent, what);
            return [
                `acl ${acl("subnet")} src ${subnet}`,
                `acl ${acl("header")} req_header ${AGENT_HEADER} ^${agent}$`,
                `acl ${acl("name")} annotate_transaction agent=${agent}`,
                `acl ${acl("allowlist")} dstdomain -n "${PROXY.configDir}/${allowlistFileName(agent)}"`,
                `acl ${acl("member")} all-of agent_port ${acl("subnet")} ${acl("name")}`,
                `acl ${acl("forwarded")} all-of sni_port ${acl("header")} ${acl("name")}`,
                `acl ${acl("allows")} all-of agent_port ${acl("subnet")} ${acl("allowlist")}`,
            ];
        }),
        `acl cell_source any-of ${each("member")} ${each("forwarded")} sni_port`,
        `acl any_cell_allowlist any-of ${each("allowlist")}`,
        "acl sni_port_allowlist all-of sni_port any_cell_allowlist",
        `acl cell_allowlist any-of ${each("allows")} sni_port_allowlist`,
    ];
}

export function renderSquidConf(input: SquidConfInput): string {
    const pinnedNames = Object.keys(input.pinnedHosts).sort();
    const lines = [
        "# Rendered by SecureClaw; edits are overwritten on the next `pulumi up`.",
        "# The agent's port: plain forward proxy, refusals are plain 403s.",
        `http_port ${PROXY.port} name=agent`,
        "# The SNI port, loopback only. ssl-bump needs a certificate even though this",
        "# port only peeks and splices: a throwaway self-signed one the entrypoint makes",
        "# in a tmpfs at every start. It signs nothing (no host certificates) and no",
        "# client is ever handed it: refusals happen on the agent's port.",
        `http_port 127.0.0.1:${PROXY.sniPort} name=sni ssl-bump generate-host-certificates=off tls-cert=${TLS_CERT} tls-key=${TLS_KEY}`,
        "",
        "# Pinned names resolve from this file (it lives in the config volume, so",
        "# pinning a name reloads the proxy instead of replacing it).",
        `hosts_file ${PROXY.configDir}/hosts`,
        "",
        "acl CONNECT method CONNECT",
        "acl agent_port myportname agent",
        "acl sni_port myportname sni",
        "acl tls_port port 443",
        "# IPv4 literals, and anything with a colon (IPv6), without a lookup.",
        "acl ip_literal dstdom_regex -n ^[0-9.]+$ :",
        ...cellLines(input.cells),
        ...(pinnedNames.length > 0 ? [`acl pinned dstdomain -n ${pinnedNames.join(" ")}`] : []),
        `acl special_destination dst ${SPECIAL_DESTINATIONS.join(" ")}`,
        `acl per_client_connections maxconn ${input.maxConnectionsPerClient}`,
        ...(input.relay ? [`acl relay_source src ${input.relay.sourceSubnet}`, `acl relay_destination dstdomain -n ${input.relay.destination}`] : []),
        "",
        "# The entrypoint's warm-up: Squid probes its own SNI port once at start, before",
        "# that port listens, and then treats it as down until a request needs it; this",
        "# request (from loopback, to a name that never resolves) makes that happen.",
        `acl warmup dstdomain -n ${WARMUP_NAME}`,
        "http_access allow agent_port localhost warmup",
        "http_access deny sni_port warmup",
        ...accessLines(accessRules(input)),
        "",
        "# Allowed tunnels go from the agent's port to the SNI port, never straight out.",
        "# The client's address rides along in X-Forwarded-For (the only request Squid",
        "# ever sends is this CONNECT to itself), so the SNI port logs the agent.",
        `cache_peer 127.0.0.1 parent ${PROXY.sniPort} 0 no-query no-digest no-netdb-exchange name=sni_check`,
        "cache_peer_access sni_check allow agent_port",
        "cache_peer_access sni_check deny all",
        "never_direct allow agent_port",
        "forwarded_for on",
        `request_header_access ${AGENT_HEADER} deny all`,
        `request_header_add ${AGENT_HEADER} "%{agent}note" agent_port`,
        "follow_x_forwarded_for allow sni_port localhost",
        "follow_x_forwarded_for deny all",
        "",
        "# SNI: peek at the ClientHello (step 1), splice only when its SNI is the",
        "# CONNECT name, cut everything else. The helper compares the two.",
        `external_acl_type sni_check ttl=60 negative_ttl=60 children-max=4 children-startup=1 %ssl::>sni %>rd ${PROXY.helperPath}`,
        "acl sni_missing external sni_check missing",
        "acl sni_matches external sni_check matches",
        "acl step1 at_step SslBump1",
        `acl mark_deny_sni_missing annotate_transaction decision=deny reason=${REASONS.sniMissing}`,
        `acl mark_deny_sni_mismatch annotate_transaction decision=deny reason=${REASONS.sniMismatch}`,
        `acl mark_deny_not_tls annotate_transaction decision=deny reason=${REASONS.notTls}`,
        "ssl_bump peek step1",
        "ssl_bump terminate sni_missing mark_deny_sni_missing",
        "ssl_bump splice sni_matches",
        "ssl_bump terminate all mark_deny_sni_mismatch",
        "# Bytes that are not a TLS ClientHello: an error, nothing reaches the far end.",
        "on_unsupported_protocol respond all mark_deny_not_tls",
        "",
        "# Nothing is cached; no ICP, HTCP or SNMP.",
        "cache deny all",
        "cache_mem 8 MB",
        "icp_port 0",
        "htcp_port 0",
        "snmp_port 0",
        "",
        "# Say nothing about ourselves to the far end (tunnels carry no Squid headers).",
        "httpd_suppress_version_string on",
        "via off",
        "",
        "# The audit trail: one JSON line per decision. The agent's port logs its",
        "# refusals and every tunnel it forwarded (with its bytes, at the end); the SNI",
        "# port logs what it cut. Lines without a decision (the health check, the",
        "# warm-up) are not decisions. The entrypoint rotates by size (SIGUSR1).",
        "acl decided note decision",
        "acl allowed note decision allow",
        "acl allowed_again all-of sni_port allowed",
        `logformat secureclaw_audit ${AUDIT_LOGFORMAT}`,
        `access_log stdio:${PROXY.logDir}/${AUDIT.file} secureclaw_audit decided !allowed_again`,
        `cache_log ${PROXY.logDir}/cache.log`,
        `logfile_rotate ${AUDIT.rotations}`,
        "pid_filename none",
        "coredump_dir /tmp",
        "shutdown_lifetime 2 seconds",
        "",
    ];
    return lines.join("\n");
}

/** The proxy's hosts file: pinned names only, so nothing else is resolved from it. */
export function renderHostsFile(pinnedHosts: Record<string, string>): string {
    const names = Object.keys(pinnedHosts).sort();
    return ["# pinned names (secureclaw:egress.pinnedHosts)", ...names.map((name) => `${pinnedHosts[name]} ${name}`), ""].join("\n");
}

/** One cell's allowlist file (allowlistFileName), read by its `cell_<agent>_allowlist` ACL: one entry a line; empty means no egress. */
export function renderAllowlistFile(allowlist: string[]): string {
    return allowlist.length === 0
        ? "# empty: the agent may reach nothing outside\n"
        : `${allowlist.join("\n")}\n`;
}
