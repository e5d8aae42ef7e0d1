import { AUDIT_LOGFORMAT, renderAllowlistFile, renderHostsFile, renderSquidConf } from "../../components/egress/squidConf";

const linesStarting = (conf: string, prefix: string) => conf.split("\n").filter((l) => l.startsWith(prefix));
const accessRules = (conf: string) => linesStarting(conf, "http_access ");

describe("renderSquidConf", () => {
    const plain = renderSquidConf({ pinnedHosts: {}, maxConnectionsPerClient: 64 });
    const pinned = renderSquidConf({ pinnedHosts: { "api.telegram.org": "10.89.1.50", "a.example.com": "10.89.1.51" }, maxConnectionsPerClient: 64 });
    const relay = renderSquidConf({ pinnedHosts: { "api.telegram.org": "10.89.1.50" }, maxConnectionsPerClient: 64, relay: { sourceSubnet: "10.89.4.0/24", destination: "api.telegram.org" } });

    test.each<[string, string, string[]]>([
        ["without pinned names", plain, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny !allowlist mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow allowlist mark_allow_allowlisted",
            "http_access deny all mark_deny_denied",
        ]],
        ["with pinned names (allowed after the allowlist check, before the private-address check)", pinned, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny !allowlist mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access allow pinned mark_allow_pinned",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow allowlist mark_allow_allowlisted",
            "http_access deny all mark_deny_denied",
        ]],
        ["with the Telegram relay (its network reaches the API host and nothing else; nobody else reaches that host)", relay, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny agent_port relay_source !relay_destination mark_deny_relay_reaches_only_telegram",
            "http_access deny agent_port relay_destination !relay_source mark_deny_telegram_only_through_relay",
            "http_access deny !allowlist !relay_destination mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access allow pinned mark_allow_pinned",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow allowlist mark_allow_allowlisted",
            "http_access allow relay_destination mark_allow_relay",
            "http_access deny all mark_deny_denied",
        ]],
    ])("access rules come in the designed order %s; the last ACL of each marks its decision and reason", (_title, conf, expected) => {
        expect(accessRules(conf)).toEqual(expected);
    });

    test.each<[string, string]>([
        ["mark_deny_cache_manager", "decision=deny reason=cache-manager"],
        ["mark_deny_not_connect", "decision=deny reason=not-connect"],
        ["mark_deny_ip_literal", "decision=deny reason=ip-literal"],
        ["mark_deny_not_port_443", "decision=deny reason=not-port-443"],
        ["mark_deny_not_allowlisted", "decision=deny reason=not-allowlisted"],
        ["mark_deny_too_many_connections", "decision=deny reason=too-many-connections"],
        ["mark_allow_pinned", "decision=allow reason=pinned"],
        ["mark_deny_private_destination", "decision=deny reason=private-destination"],
        ["mark_allow_allowlisted", "decision=allow reason=allowlisted"],
        ["mark_deny_denied", "decision=deny reason=denied"],
        ["mark_deny_sni_missing", "decision=deny reason=sni-missing"],
        ["mark_deny_sni_mismatch", "decision=deny reason=sni-mismatch"],
        ["mark_deny_not_tls", "decision=deny reason=not-tls"],
    ])("%s annotates %s", (acl, annotation) => {
        expect(pinned.split("\n")).toContain(`acl ${acl} annotate_transaction ${annotation}`);
    });

    test("the SNI rules: peek at step 1, cut a missing SNI, splice only a matching one, cut the rest; non-TLS is refused", () => {
        expect(linesStarting(plain, "ssl_bump ")).toEqual([
            "ssl_bump peek step1",
            "ssl_bump terminate sni_missing mark_deny_sni_missing",
            "ssl_bump splice sni_matches",
            "ssl_bump terminate all mark_deny_sni_mismatch",
        ]);
        expect(linesStarting(plain, "on_unsupported_protocol ")).toEqual(["on_unsupported_protocol respond all mark_deny_not_tls"]);
        expect(plain).not.toMatch(/^ssl_bump (bump|stare)/m);
    });

    test("the SNI helper gets the ClientHello's SNI and the CONNECT name, and is asked two questions", () => {
        expect(plain).toMatch(/^external_acl_type sni_check .*%ssl::>sni %>rd \/usr\/local\/bin\/sni-check$/m);
        expect(plain).toMatch(/^acl sni_missing external sni_check missing$/m);
        expect(plain).toMatch(/^acl sni_matches external sni_check matches$/m);
    });

    test.each<[string, RegExp]>([
        ["the agent's port is a plain forward proxy (a refusal is a 403, not a bumped error page)", /^http_port 3128 name=agent$/m],
        ["the SNI port listens on loopback only, mints no certificates, uses the throwaway one from the tmpfs", /^http_port 127\.0\.0\.1:3129 name=sni ssl-bump generate-host-certificates=off tls-cert=\/tmp\/squid-tls\/cert\.pem tls-key=\/tmp\/squid-tls\/key\.pem$/m],
        ["allowed tunnels from the agent's port go only to the SNI port", /^cache_peer 127\.0\.0\.1 parent 3129 0 no-query no-digest no-netdb-exchange name=sni_check$/m],
        ["the agent's port never connects out itself", /^never_direct allow agent_port$/m],
        ["the SNI port takes the client's address only from the agent's port (loopback)", /^follow_x_forwarded_for allow sni_port localhost\nfollow_x_forwarded_for deny all$/m],
        ["the allowlist never reverse-resolves IP literals (-n) and is read from the volume", /^acl allowlist dstdomain -n "\/etc\/squid\/secureclaw\/allowlist\.txt"$/m],
        ["IP literals are recognised without a lookup", /^acl ip_literal dstdom_regex -n \^\[0-9\.\]\+\$ :$/m],
        ["only port 443 is a TLS port", /^acl tls_port port 443$/m],
        ["loopback, private, CGNAT and link-local (metadata) destinations are special", /^acl special_destination dst .*127\.0\.0\.0\/8.*169\.254\.0\.0\/16.*172\.16\.0\.0\/12.*192\.168\.0\.0\/16/m],
        ["IPv6 loopback, ULA and link-local are special too", /^acl special_destination dst .*::1\/128 fc00::\/7 fe80::\/10/m],
        ["nothing is cached", /^cache deny all$/m],
        ["no ICP", /^icp_port 0$/m],
        ["no HTCP", /^htcp_port 0$/m],
        ["no SNMP", /^snmp_port 0$/m],
        ["no version string in errors", /^httpd_suppress_version_string on$/m],
        ["no Via header", /^via off$/m],
        ["decisions are logged as JSON to the audit file in the log volume; the SNI port's allows are the agent port's already", /^access_log stdio:\/var\/log\/squid\/audit\.jsonl secureclaw_audit decided !allowed_again$/m],
        ["old logs are kept, three of them (rotated by the entrypoint)", /^logfile_rotate 3$/m],
        ["no pid file (the proxy runs as PID 1 and reloads on SIGHUP)", /^pid_filename none$/m],
        ["resolves pinned names from its own hosts file in the config volume", /^hosts_file \/etc\/squid\/secureclaw\/hosts$/m],
        ["per-client connection cap", /^acl per_client_connections maxconn 64$/m],
    ])("%s", (_title, pattern) => {
        expect(plain).toMatch(pattern);
    });

    test("pinned names are matched without DNS (dstdomain -n) and sorted", () => {
        expect(pinned).toMatch(/^acl pinned dstdomain -n a\.example\.com api\.telegram\.org$/m);
        expect(plain).not.toMatch(/acl pinned/);
    });

    test("the relay is known by its network's subnet, its destination by name without DNS", () => {
        expect(relay).toMatch(/^acl relay_source src 10\.89\.4\.0\/24$/m);
        expect(relay).toMatch(/^acl relay_destination dstdomain -n api\.telegram\.org$/m);
        expect(plain).not.toMatch(/relay_/);
    });

    test("exactly two ports, only the loopback one bumps, no intercept mode, no old text log", () => {
        expect(plain.match(/^http_port/gm)).toHaveLength(2);
        expect(linesStarting(plain, "http_port ").filter((l) => l.includes("ssl-bump"))).toEqual([expect.stringMatching(/^http_port 127\.0\.0\.1:/)]);
        expect(plain).not.toMatch(/intercept|tproxy|access\.log|logfile_rotate 0/);
    });

    test("the audit format is one JSON object with the fields the relay writes too", () => {
        // Fill each %code with a sample value the way Squid would.
        const sample = AUDIT_LOGFORMAT
            .replace("%{%Y-%m-%dT%H:%M:%S}tg.%03tu", "2026-12-03T13:26:25.917")
            .replace("%>a", "10.201.0.5")
            .replace('%">rd:%>rP', "api.telegram.org:443")
            .replace('%"{decision}note', "deny")
            .replace('%"{reason}note', "sni-mismatch")
            .replace("%st", "156")
            .replace('%"rm', "CONNECT");
        expect(JSON.parse(sample)).toEqual({
            time: "2026-12-03T13:26:25.917Z", component: "proxy", source: "10.201.0.5", destination: "api.telegram.org:443",
            decision: "deny", reason: "sni-mismatch", bytes: 156, method: "CONNECT",
        });
    });
});

describe("renderAllowlistFile", () => {
    test.each<[string[], string]>([
        [["api.telegram.org"], "api.telegram.org\n"],
        [[".github.com", "pypi.org"], ".github.com\npypi.org\n"],
        [[], "# empty: the agent may reach nothing outside\n"],
    ])("%j", (allowlist, expected) => {
        expect(renderAllowlistFile(allowlist)).toBe(expected);
    });
});

describe("renderHostsFile", () => {
    test.each<[Record<string, string>, string]>([
        [{}, "# pinned names (secureclaw:egress.pinnedHosts)\n"],
        [{ "b.example.com": "10.0.0.2", "a.example.com": "10.0.0.1" }, "# pinned names (secureclaw:egress.pinnedHosts)\n10.0.0.1 a.example.com\n10.0.0.2 b.example.com\n"],
    ])("%j", (pinned, expected) => {
        expect(renderHostsFile(pinned)).toBe(expected);
    });
});
