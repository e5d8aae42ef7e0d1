import { PROXY } from "../../policy/contract/contract";

/**
 * Renders the egress proxy's configuration. Pure.
 *
 * The rule order is the security design, so it is spelled out here:
 *  1. refuse the cache manager and anything that is not CONNECT to port 443
 *     (no plain HTTP: a plain request could carry data in its URL to any
 *     host the proxy can name, and is unencrypted anyway);
 *  2. refuse names not on the allowlist, matched with `dstdomain -n` so an IP
 *     literal is never reverse-resolved into an allowlisted name. This runs
 *     before any rule that looks at destination addresses, so a refused name
 *     is never looked up in DNS (Squid bug 5241: address rules resolve);
 *  3. allow pinned names (resolved from the proxy's own hosts file, never DNS);
 *  4. refuse private, loopback, link-local (cloud metadata) and other
 *     special destinations, so an allowlisted name that resolves to an
 *     internal address (DNS rebinding) can't reach the host or the LAN;
 *  5. allow what is left (allowlisted, public, port 443); refuse all else.
 * The Telegram relay has its own rule, matched on its source: the relay
 * network (its own subnet, which only the relay and the proxy join; the
 * agent can't send from it, whatever it does on the enclave) reaches the
 * Telegram API host and nothing else, and no other source reaches that host
 * (the validator also keeps it off the allowlist). Why a network and not a
 * fixed enclave address: a source on a bridge the agent is not on can't be
 * borrowed by the agent, and it needs no address bookkeeping.
 */

export interface SquidConfInput {
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

export function renderSquidConf(input: SquidConfInput): string {
    const pinnedNames = Object.keys(input.pinnedHosts).sort();
    const lines = [
        "# Rendered by SecureClaw; edits are overwritten on the next `pulumi up`.",
        `http_port ${PROXY.port}`,
        "",
        "# Pinned names resolve from this file (it lives in the config volume, so",
        "# pinning a name reloads the proxy instead of replacing it).",
        `hosts_file ${PROXY.configDir}/hosts`,
        "",
        "acl CONNECT method CONNECT",
        "acl tls_port port 443",
        `acl allowlist dstdomain -n "${PROXY.configDir}/allowlist.txt"`,
        ...(pinnedNames.length > 0 ? [`acl pinned dstdomain -n ${pinnedNames.join(" ")}`] : []),
        `acl special_destination dst ${SPECIAL_DESTINATIONS.join(" ")}`,
        `acl per_client_connections maxconn ${input.maxConnectionsPerClient}`,
        ...(input.relay ? [`acl relay_source src ${input.relay.sourceSubnet}`, `acl relay_destination dstdomain -n ${input.relay.destination}`] : []),
        "",
        "http_access deny manager",
        "http_access deny !CONNECT",
        "http_access deny !tls_port",
        ...(input.relay
            ? ["http_access deny relay_source !relay_destination", "http_access deny relay_destination !relay_source", "http_access deny !allowlist !relay_destination"]
            : ["http_access deny !allowlist"]),
        "http_access deny per_client_connections",
        ...(pinnedNames.length > 0 ? ["http_access allow pinned"] : []),
        "http_access deny special_destination",
        "http_access allow allowlist",
        ...(input.relay ? ["http_access allow relay_destination"] : []),
        "http_access deny all",
        "",
        "# Nothing is cached or forwarded to a peer; no ICP, HTCP or SNMP.",
        "cache deny all",
        "cache_mem 8 MB",
        "icp_port 0",
        "htcp_port 0",
        "snmp_port 0",
        "",
        "# Say nothing about ourselves or the client to the far end.",
        "httpd_suppress_version_string on",
        "via off",
        "forwarded_for delete",
        "",
        "# Every decision is logged, allowed and denied alike, for audit.",
        "# The container's health check connects from loopback and sends nothing;",
        "# it is not a decision, so it is not logged.",
        "acl health_probe src 127.0.0.1/32",
        "logformat secureclaw %ts.%03tu %>a %Ss/%03>Hs %rm %ru %<a %<st",
        `access_log stdio:${PROXY.logDir}/access.log secureclaw !health_probe`,
        `cache_log ${PROXY.logDir}/cache.log`,
        "logfile_rotate 0",
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

/** The allowlist file the `allowlist` ACL reads: one entry a line; empty means no egress. */
export function renderAllowlistFile(allowlist: string[]): string {
    return allowlist.length === 0
        ? "# empty: the agent may reach nothing outside\n"
        : `${allowlist.join("\n")}\n`;
}
