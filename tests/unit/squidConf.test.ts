import { AUDIT_LOGFORMAT, renderAllowlistFile, renderHostsFile, renderSquidConf, type EgressCell, type SquidConfInput } from "../../components/egress/squidConf";
import { allowlistFileName } from "../../components/egress/cells";
import { decide, type SquidRequest } from "../support/squidAccess";

const linesStarting = (conf: string, prefix: string) => conf.split("\n").filter((l) => l.startsWith(prefix));
const accessRules = (conf: string) => linesStarting(conf, "http_access ");

const MAIN = [{ agent: "main", subnet: "10.89.0.0/24" }];

describe("renderSquidConf", () => {
    const plain = renderSquidConf({ cells: MAIN, pinnedHosts: {}, maxConnectionsPerClient: 64 });
    const pinned = renderSquidConf({ cells: MAIN, pinnedHosts: { "api.telegram.org": "10.89.1.50", "a.example.com": "10.89.1.51" }, maxConnectionsPerClient: 64 });
    const relay = renderSquidConf({ cells: MAIN, pinnedHosts: { "api.telegram.org": "10.89.1.50" }, maxConnectionsPerClient: 64, relay: { sourceSubnet: "10.89.4.0/24", destination: "api.telegram.org" } });

    test.each<[string, string, string[]]>([
        ["without pinned names", plain, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny !cell_source mark_deny_unknown_source",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny !cell_allowlist mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow cell_allowlist mark_allow_allowlisted",
            "http_access deny all mark_deny_denied",
        ]],
        ["with pinned names (allowed after the allowlist check, before the private-address check)", pinned, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny !cell_source mark_deny_unknown_source",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny !cell_allowlist mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access allow pinned mark_allow_pinned",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow cell_allowlist mark_allow_allowlisted",
            "http_access deny all mark_deny_denied",
        ]],
        ["with the Telegram relay (its network reaches the API host and nothing else; nobody else reaches that host)", relay, [
            "http_access allow agent_port localhost warmup",
            "http_access deny sni_port warmup",
            "http_access deny !cell_source !relay_source mark_deny_unknown_source",
            "http_access deny manager mark_deny_cache_manager",
            "http_access deny !CONNECT mark_deny_not_connect",
            "http_access deny ip_literal mark_deny_ip_literal",
            "http_access deny !tls_port mark_deny_not_port_443",
            "http_access deny agent_port relay_source !relay_destination mark_deny_relay_reaches_only_telegram",
            "http_access deny agent_port relay_destination !relay_source mark_deny_telegram_only_through_relay",
            "http_access deny !cell_allowlist !relay_destination mark_deny_not_allowlisted",
            "http_access deny agent_port per_client_connections mark_deny_too_many_connections",
            "http_access allow pinned mark_allow_pinned",
            "http_access deny special_destination mark_deny_private_destination",
            "http_access allow cell_allowlist mark_allow_allowlisted",
            "http_access allow relay_destination mark_allow_relay",
            "http_access deny all mark_deny_denied",
        ]],
    ])("access rules come in the designed order %s; the last ACL of each marks its decision and reason", (_title, conf, expected) => {
        expect(accessRules(conf)).toEqual(expected);
    });

    test.each<[string, string]>([
        ["mark_deny_unknown_source", "decision=deny reason=unknown-source"],
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
        ["an agent's allowlist never reverse-resolves IP literals (-n) and is read from its own file in the volume (the default agent's keeps the single-agent name)", /^acl cell_main_allowlist dstdomain -n "\/etc\/squid\/secureclaw\/allowlist\.txt"$/m],
        ["the agent's port adds the source's cell to the CONNECT it forwards, and never passes a client's own", /^request_header_access X-SecureClaw-Agent deny all\nrequest_header_add X-SecureClaw-Agent "%\{agent\}note" agent_port$/m],
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
            .replace('%"{agent}note', "alice")
            .replace('%">rd:%>rP', "api.telegram.org:443")
            .replace('%"{decision}note', "deny")
            .replace('%"{reason}note', "sni-mismatch")
            .replace("%st", "156")
            .replace('%"rm', "CONNECT");
        expect(JSON.parse(sample)).toEqual({
            time: "2026-12-03T13:26:25.917Z", component: "proxy", source: "10.201.0.5", agent: "alice", destination: "api.telegram.org:443",
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

describe("cells: each agent's allowlist applies to requests from its own network", () => {
    const cells: EgressCell[] = [
        { agent: "bob", subnet: "10.89.6.0/24", allowlist: ["b.example.org", ".shared.example"] },
        { agent: "alice", subnet: "10.89.5.0/24", allowlist: ["a.example.org", ".shared.example"] },
        { agent: "empty", subnet: "10.89.7.0/24", allowlist: [] },
    ];
    const input: SquidConfInput = { cells, pinnedHosts: { "a.example.org": "10.89.1.50" }, maxConnectionsPerClient: 64, relay: { sourceSubnet: "10.89.4.0/24", destination: "api.telegram.org" } };
    const conf = renderSquidConf(input);
    const files = Object.fromEntries(cells.map((c) => [`/etc/squid/secureclaw/${allowlistFileName(c.agent)}`, renderAllowlistFile(c.allowlist)]));
    const agentPort = (src: string, host: string, headers?: Record<string, string>): SquidRequest => ({ port: "agent", src, host, headers });
    // What the SNI port sees: the agent port's CONNECT (its header), or Squid's re-check of a spliced tunnel (no header).
    const sniPort = (host: string, agent?: string): SquidRequest => ({ port: "sni", src: "127.0.0.1", host, headers: agent ? { "X-SecureClaw-Agent": agent } : {} });

    test.each<[string, SquidRequest, string, string, string]>([
        ["alice reaches her own name", agentPort("10.89.5.9", "b.shared.example"), "allow", "allowlisted", "alice"],
        ["alice reaches her pinned name", agentPort("10.89.5.9", "a.example.org"), "allow", "pinned", "alice"],
        ["alice's name from bob's network is refused", agentPort("10.89.6.9", "a.example.org"), "deny", "not-allowlisted", "bob"],
        ["bob's name from alice's network is refused", agentPort("10.89.5.9", "b.example.org"), "deny", "not-allowlisted", "alice"],
        ["a name on both lists: bob reaches it too", agentPort("10.89.6.9", "x.shared.example"), "allow", "allowlisted", "bob"],
        ["a cell with an empty allowlist reaches nothing, not even a shared name", agentPort("10.89.7.9", "x.shared.example"), "deny", "not-allowlisted", "empty"],
        ["a cell with an empty allowlist reaches no pinned name", agentPort("10.89.7.9", "a.example.org"), "deny", "not-allowlisted", "empty"],
        ["a source in no cell is refused first, even for an allowlisted name", agentPort("10.89.9.9", "a.example.org"), "deny", "unknown-source", ""],
        ["the enclave's other networks are no cell", agentPort("10.89.1.3", "x.shared.example"), "deny", "unknown-source", ""],
        ["a cell's own refusals name it (not port 443)", { ...agentPort("10.89.5.9", "a.example.org"), dstPort: 80 }, "deny", "not-port-443", "alice"],
        ["the relay still reaches its host, naming no agent", agentPort("10.89.4.2", "api.telegram.org"), "allow", "relay", ""],
        ["the relay reaches no cell's name", agentPort("10.89.4.2", "b.example.org"), "deny", "relay-reaches-only-telegram", ""],
        ["a client's own agent header changes nothing on the agent's port", agentPort("10.89.6.9", "a.example.org", { "X-SecureClaw-Agent": "alice" }), "deny", "not-allowlisted", "bob"],
        ["SNI port: the forwarded CONNECT names its cell from the header", sniPort("b.example.org", "bob"), "allow", "allowlisted", "bob"],
        ["SNI port: Squid's header-less re-check of a spliced tunnel passes on any cell's list", sniPort("b.example.org"), "allow", "allowlisted", ""],
        ["SNI port: a name on no cell's list is refused", sniPort("c.example.org", "bob"), "deny", "not-allowlisted", "bob"],
        ["SNI port: the relay's tunnel (header '-') passes", sniPort("api.telegram.org", "-"), "allow", "relay", ""],
    ])("%s", (_title, request, action, reason, agent) => {
        const { action: got, notes } = decide(conf, request, files);
        expect({ action: got, reason: notes.reason, agent: notes.agent ?? "" }).toEqual({ action, reason, agent });
    });

    test("the audit line names the agent from the transaction's `agent` note", () => {
        expect(AUDIT_LOGFORMAT).toContain(`"agent":"%"{agent}note"`);
        expect(conf).toMatch(/^acl cell_alice_name annotate_transaction agent=alice$/m);
    });

    test("each cell reads its own allowlist file, and is known by its own subnet", () => {
        for (const { agent, subnet } of cells) {
            expect(conf).toContain(`acl cell_${agent}_subnet src ${subnet}\n`);
            expect(conf).toContain(`acl cell_${agent}_allowlist dstdomain -n "/etc/squid/secureclaw/allowlist-${agent}.txt"\n`);
        }
    });

    test("deterministic: the cells' order in the input does not change a byte; cells are rendered sorted by agent", () => {
        expect(renderSquidConf({ ...input, cells: [...cells].reverse() })).toBe(conf);
        expect(linesStarting(conf, "acl cell_source ")).toEqual(["acl cell_source any-of cell_alice_member cell_bob_member cell_empty_member cell_alice_forwarded cell_bob_forwarded cell_empty_forwarded sni_port"]);
    });

    test("an agent's allowlist is not in squid.conf (an edit touches only that agent's file)", () => {
        const edited = cells.map((c) => (c.agent === "bob" ? { ...c, allowlist: ["other.example"] } : c));
        expect(renderSquidConf({ ...input, cells: edited })).toBe(conf);
    });

    test("a dash in an agent name maps to an underscore in its ACLs", () => {
        expect(renderSquidConf({ ...input, cells: [{ agent: "team-a", subnet: "10.89.8.0/24" }] })).toMatch(/^acl cell_team_a_subnet src 10\.89\.8\.0\/24$/m);
    });

    test.each<[string, SquidConfInput["cells"], RegExp]>([
        ["no cell", [], /at least one cell/],
        ["a bad agent name", [{ agent: "Alice", subnet: "10.89.5.0/24" }], /agent name "Alice" must be lowercase/],
        ["a name over 32 characters", [{ agent: `a${"b".repeat(32)}`, subnet: "10.89.5.0/24" }], /at most 32 characters/],
        ["a subnet that is not IPv4 CIDR", [{ agent: "alice", subnet: "10.89.5.0" }], /subnet "10\.89\.5\.0" must be an IPv4 CIDR/],
        ["a squid.conf injection in a subnet", [{ agent: "alice", subnet: "10.89.5.0/24\nhttp_access allow all" }], /must be an IPv4 CIDR/],
        ["two cells with one name", [{ agent: "alice", subnet: "10.89.5.0/24" }, { agent: "alice", subnet: "10.89.6.0/24" }], /share the agent "alice"/],
        ["two cells on one subnet", [{ agent: "alice", subnet: "10.89.5.0/24" }, { agent: "bob", subnet: "10.89.5.0/24" }], /share the subnet "10\.89\.5\.0\/24"/],
    ])("refuses %s", (_title, badCells, message) => {
        expect(() => renderSquidConf({ ...input, cells: badCells })).toThrow(message);
    });
});

describe("the single-agent stack under the model", () => {
    const conf = renderSquidConf({ cells: MAIN, pinnedHosts: {}, maxConnectionsPerClient: 64 });
    const files = { "/etc/squid/secureclaw/allowlist.txt": renderAllowlistFile(["pypi.org"]) };
    test.each<[string, SquidRequest, string, string]>([
        ["its allowlisted name", { port: "agent", src: "10.89.0.5", host: "pypi.org" }, "allow", "allowlisted"],
        ["an allowlisted name resolving to a private address (rebinding)", { port: "agent", src: "10.89.0.5", host: "pypi.org", dstAddress: "10.0.0.1" }, "deny", "private-destination"],
        ["an IP literal", { port: "agent", src: "10.89.0.5", host: "1.2.3.4" }, "deny", "ip-literal"],
        ["not a CONNECT", { port: "agent", src: "10.89.0.5", host: "pypi.org", method: "GET" }, "deny", "not-connect"],
    ])("%s", (_title, request, action, reason) => {
        const d = decide(conf, request, files);
        expect([d.action, d.notes.reason, d.notes.agent]).toEqual([action, reason, "main"]);
    });
});

describe("allowlistFileName", () => {
    test.each([["main", "allowlist.txt"], ["alice", "allowlist-alice.txt"], ["team-a", "allowlist-team-a.txt"]])("%s -> %s", (agent, file) => {
        expect(allowlistFileName(agent)).toBe(file);
    });
});
