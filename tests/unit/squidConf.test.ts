import { renderAllowlistFile, renderHostsFile, renderSquidConf } from "../../components/egress/squidConf";

const accessRules = (conf: string) => conf.split("\n").filter((l) => l.startsWith("http_access "));

describe("renderSquidConf", () => {
    const plain = renderSquidConf({ pinnedHosts: {}, maxConnectionsPerClient: 64 });
    const pinned = renderSquidConf({ pinnedHosts: { "api.telegram.org": "10.89.1.50", "a.example.com": "10.89.1.51" }, maxConnectionsPerClient: 64 });
    const relay = renderSquidConf({ pinnedHosts: { "api.telegram.org": "10.89.1.50" }, maxConnectionsPerClient: 64, relay: { sourceSubnet: "10.89.4.0/24", destination: "api.telegram.org" } });

    test.each<[string, string, string[]]>([
        ["without pinned names", plain, [
            "http_access deny manager",
            "http_access deny !CONNECT",
            "http_access deny !tls_port",
            "http_access deny !allowlist",
            "http_access deny per_client_connections",
            "http_access deny special_destination",
            "http_access allow allowlist",
            "http_access deny all",
        ]],
        ["with pinned names (allowed after the allowlist check, before the private-address check)", pinned, [
            "http_access deny manager",
            "http_access deny !CONNECT",
            "http_access deny !tls_port",
            "http_access deny !allowlist",
            "http_access deny per_client_connections",
            "http_access allow pinned",
            "http_access deny special_destination",
            "http_access allow allowlist",
            "http_access deny all",
        ]],
        ["with the Telegram relay (its network reaches the API host and nothing else; nobody else reaches that host)", relay, [
            "http_access deny manager",
            "http_access deny !CONNECT",
            "http_access deny !tls_port",
            "http_access deny relay_source !relay_destination",
            "http_access deny relay_destination !relay_source",
            "http_access deny !allowlist !relay_destination",
            "http_access deny per_client_connections",
            "http_access allow pinned",
            "http_access deny special_destination",
            "http_access allow allowlist",
            "http_access allow relay_destination",
            "http_access deny all",
        ]],
    ])("access rules come in the designed order %s", (_title, conf, expected) => {
        expect(accessRules(conf)).toEqual(expected);
    });

    test.each<[string, RegExp]>([
        ["the allowlist never reverse-resolves IP literals (-n) and is read from the volume", /^acl allowlist dstdomain -n "\/etc\/squid\/secureclaw\/allowlist\.txt"$/m],
        ["only port 443 is a TLS port", /^acl tls_port port 443$/m],
        ["loopback, private, CGNAT and link-local (metadata) destinations are special", /^acl special_destination dst .*127\.0\.0\.0\/8.*169\.254\.0\.0\/16.*172\.16\.0\.0\/12.*192\.168\.0\.0\/16/m],
        ["IPv6 loopback, ULA and link-local are special too", /^acl special_destination dst .*::1\/128 fc00::\/7 fe80::\/10/m],
        ["nothing is cached", /^cache deny all$/m],
        ["no ICP", /^icp_port 0$/m],
        ["no HTCP", /^htcp_port 0$/m],
        ["no SNMP", /^snmp_port 0$/m],
        ["no version string in errors", /^httpd_suppress_version_string on$/m],
        ["no client address forwarded", /^forwarded_for delete$/m],
        ["no Via header", /^via off$/m],
        ["every decision is logged to the log volume", /^access_log stdio:\/var\/log\/squid\/access\.log secureclaw !health_probe$/m],
        ["no pid file (the proxy runs as PID 1 and reloads on SIGHUP)", /^pid_filename none$/m],
        ["listens on 3128 only", /^http_port 3128$/m],
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

    test("exactly one http_port and no ssl-bump or intercept mode", () => {
        expect(plain.match(/^http_port/gm)).toHaveLength(1);
        expect(plain).not.toMatch(/intercept|tproxy|ssl-bump/);
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
