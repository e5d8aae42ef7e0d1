/**
 * The end-to-end suite: index.ts realized on the real Docker engine (and the
 * vLLM launch over real SSH), then attacked from inside the agent box.
 *
 * Runs when SECURECLAW_E2E=1. With SECURECLAW_E2E_REQUIRED=1 (CI) a missing
 * engine fails the run; elsewhere it skips with one line saying why.
 * SECURECLAW_E2E_KEEP=1 leaves the enclave running afterwards.
 */
import { execFileSync } from "child_process";
import { createHash } from "crypto";
import * as dgram from "dgram";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { REPO_ROOT } from "../support/program";
import { destroy, leftovers, purgeLabelled, realize, RealizeResult } from "./harness";
import { E2E_SECRETS, GPU_HOST_IP, Materials, PREFIX, STACK, STANDINS, TELEGRAM_IP, buildStandinImages, destroyHooks, e2eConfig, materials, stackFile, standinHooks, teardownE2E, telegramRequests } from "./setup";
import { containerEvents, containerId, docker, engineAvailable, health, listenOnHost, probe, probeFrom, sh, Tally, waitFor } from "./support";

const missingEngine = engineAvailable();
if (missingEngine && process.env.SECURECLAW_E2E_REQUIRED === "1") {
    throw new Error(`end-to-end suite required (SECURECLAW_E2E_REQUIRED=1) but ${missingEngine}`);
}
const suite = missingEngine ? describe.skip : describe;
if (missingEngine) console.log(`SecureClaw e2e skipped: ${missingEngine}`);

const AGENT = `${PREFIX}-agent`;
const PROXY = `${PREFIX}-egress-proxy`;
const GATEWAY = `${PREFIX}-model-gateway`;
const VLLM_ON_GPU_HOST = `${PREFIX}-vllm`;
const CA = "/etc/openclaw/ca/extra.pem";
const tally = new Tally();
const MINUTE = 60_000;

let m: Materials;
let secrets: Record<string, string>;
let first: RealizeResult;
/** When the first realize started and ended (ms since the epoch): the window of the containers' first events. */
let firstRun: { since: number; until: number };

/** Destroys what an earlier run left, even when its stand-ins are gone (then the remote stop can't run). */
async function clean(): Promise<void> {
    try {
        await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
    } catch (err) {
        console.log(`e2e: destroy of a previous run failed (${String(err).split("\n")[0]}); removing by label`);
        await purgeLabelled(PREFIX);
        fs.rmSync(path.join(REPO_ROOT, ".e2e-state", `${STACK}.json`), { force: true });
    }
    await teardownE2E();
}

async function up(paths: Record<string, unknown> = {}): Promise<RealizeResult> {
    return realize(STACK, e2eConfig(m, paths), secrets, standinHooks(m));
}

const chat = (text: string) =>
    probe(AGENT, "http", ["POST", "http://model-gateway:4000/v1/chat/completions", "SECURECLAW_GATEWAY_KEY", JSON.stringify({ model: "secureclaw-model", messages: [{ role: "user", content: text }] })]);

async function gpuHostLaunches(): Promise<Array<Record<string, any>>> {
    const r = await sh("docker", ["exec", STANDINS.gpuHost.name, "cat", "/var/log/vllm-standin/launches.jsonl"]);
    return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

suite("SecureClaw enclave on a real Docker engine", () => {
    beforeAll(async () => {
        buildStandinImages();
        m = materials();
        secrets = { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey };
        await clean();
        const started = Date.now();
        first = await up();
        firstRun = { since: started, until: Date.now() };
        await waitFor("the agent to be healthy", async () => health(AGENT) === "healthy" || undefined, 3 * MINUTE, 2000);
        tally.notes.push(`enclave realized in ${Math.round((Date.now() - started) / 1000)} s (${first.resources.length} resources)`);
    }, 40 * MINUTE);

    afterAll(async () => {
        console.log(tally.summary());
        if (process.env.SECURECLAW_E2E_KEEP !== "1" && !missingEngine) await clean();
    }, 10 * MINUTE);

    describe("the program realized what it declared", () => {
        test("the agent runs the program's image with its hardening, on the enclave network only", () => {
            const info = JSON.parse(docker("inspect", AGENT))[0];
            expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
            expect(info.HostConfig.ReadonlyRootfs).toBe(true);
            expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
            expect(info.HostConfig.PidsLimit).toBe(256);
            expect(info.HostConfig.Privileged).toBe(false);
            expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${PREFIX}-enclave`]);
            expect(info.NetworkSettings.Ports ?? {}).toEqual({});
            expect(info.Config.User).toBe("1000:1000");
        });

        test.each([AGENT, PROXY, GATEWAY])("the pids limit holds from the first second: %s was updated before it was started", (name) => {
            const id = containerId(name);
            // The program's own start command for this container: triggers [container ID, pids limit].
            const start = first.resources.find((r) => r.type === "command:local:Command" && r.inputs.triggers?.[0] === id);
            expect(start).toBeDefined();
            const pids = Number(start!.inputs.triggers[1]);
            expect(pids).toBeGreaterThan(0);
            if (name === AGENT) expect(pids).toBe(stackFile().agent.pids);
            expect(JSON.parse(docker("inspect", id))[0].HostConfig.PidsLimit).toBe(pids);
            // Created by this suite's first realize: its first events are the engine's record of how it came up.
            const events = containerEvents(id, firstRun.since, firstRun.until + 1000);
            expect(events).toContain("start");
            expect(events.indexOf("update")).toBeGreaterThanOrEqual(0);
            expect(events.indexOf("update")).toBeLessThan(events.indexOf("start"));
        });

        test("every running container of the program has a pids limit and a health check (CIS Docker Benchmark 5.27, 5.29)", () => {
            const ids = docker("ps", "-q", "--no-trunc", "--filter", `label=secureclaw.stack=${PREFIX}`).split("\n").filter(Boolean);
            const containers = ids.map((id) => JSON.parse(docker("inspect", id))[0]);
            expect(containers.map((c) => c.Name.slice(1))).toEqual(expect.arrayContaining([AGENT, PROXY, GATEWAY]));
            const missing = containers.flatMap((c) => {
                const test: string[] = c.Config.Healthcheck?.Test ?? [];
                return [
                    ...(c.HostConfig.PidsLimit > 0 ? [] : [`${c.Name.slice(1)}: no pids limit (${c.HostConfig.PidsLimit})`]),
                    ...(test.length > 0 && test[0] !== "NONE" ? [] : [`${c.Name.slice(1)}: no health check (${JSON.stringify(test)})`]),
                ];
            });
            expect(missing).toEqual([]);
        });

        test("vLLM was launched over SSH with its key from the environment, published on one address only", async () => {
            const [launch] = await gpuHostLaunches();
            expect(launch).toMatchObject({
                name: VLLM_ON_GPU_HOST,
                vllm_api_key_from_env: true,
                api_key_in_vllm_args: false,
                secret_env_given_literally: [],
                binds_all_interfaces: false,
                publish: { addr: GPU_HOST_IP, host_port: 8000, container_port: 8000 },
            });
            expect(launch.env_names).toEqual(expect.arrayContaining(["VLLM_API_KEY", "HF_TOKEN"]));
        });

        test("the enclave bridge has no address on the host (inhibit_ipv4), so no gateway to talk to", () => {
            const id = docker("network", "inspect", "-f", "{{.Id}}", `${PREFIX}-enclave`).slice(0, 12);
            const addresses = execFileSync("ip", ["-4", "-o", "addr", "show", "dev", `br-${id}`], { encoding: "utf8" }).trim();
            expect(addresses).toBe("");
        });
    });

    describe("attacks from inside the agent box", () => {
        test("1. direct TCP to servers on the egress network is blocked", async () => {
            for (const [host, port] of [[TELEGRAM_IP, "443"], [GPU_HOST_IP, "22"]]) {
                const r = await probe(AGENT, "tcp", [host, port]);
                tally.record(`direct TCP to the egress network ${host}:${port}`, !r.connected, r);
                expect(r.connected).toBe(false);
            }
        });

        test("2. services on the Docker host are unreachable through every bridge address", async () => {
            const listener = await listenOnHost("host service\n");
            const port = String(listener.port);
            try {
                const hostAddresses = execFileSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).split("\n")
                    .map((l) => /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(l))
                    .filter((x): x is RegExpExecArray => x !== null && (x[1] === "docker0" || x[1].startsWith("br-")))
                    .map((x) => x[2]);
                const gateways = ["enclave", "egress"].map((n) => docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", `${PREFIX}-${n}`));
                const targets = [...new Set([...hostAddresses, ...gateways.filter(Boolean)])];
                expect(targets).toContain("172.17.0.1");
                // Control: from an ordinary bridge container the listener answers, so a block below is the enclave's doing.
                const control = await probeFrom(first.resources.find((r) => r.name === "secureclaw-agent-image")!.outputs.repoDigest, "bridge", "tcp", ["172.17.0.1", port]);
                expect(control.connected).toBe(true);
                for (const address of targets) {
                    const r = await probe(AGENT, "tcp", [address, port, "2"]);
                    tally.record(`host service via ${address}:${port}`, !r.connected, r);
                    expect(r.connected).toBe(false);
                }
                tally.notes.push(`host listener: ${listener.accepted} connection(s) accepted (the control's), peer errors absorbed: ${JSON.stringify(listener.connectionErrors)}`);
            } finally {
                await listener.close();
            }
        });

        test("3. DNS: an outside lookup from the agent never reaches the engine's upstream resolver, even on a loopback resolver (CVE-2024-29018)", async () => {
            const queries: string[] = [];
            const dns = dgram.createSocket("udp4");
            dns.on("message", (msg, rinfo) => {
                queries.push(parseQname(msg));
                const reply = Buffer.from(msg);
                reply[2] = 0x81; // QR, RD
                reply[3] = 0x85; // RA, REFUSED
                // The REFUSED answer only spares the querier a timeout; a failed send changes nothing the test looks at.
                dns.send(reply, rinfo.port, rinfo.address, () => undefined);
            });
            await new Promise<void>((resolve, reject) => {
                dns.once("error", reject);
                dns.bind(53, "127.0.0.1", () => {
                    dns.off("error", reject);
                    resolve();
                });
            });
            // An unhandled 'error' on the socket would fail the whole suite rather than this test.
            const dnsErrors: string[] = [];
            dns.on("error", (err) => dnsErrors.push(err.message));
            const resolvConf = path.join(fs.mkdtempSync(path.join(os.tmpdir(), "e2e-dns-")), "resolv.conf");
            fs.writeFileSync(resolvConf, "nameserver 127.0.0.1\n");
            const tag = createHash("sha256").update(String(Date.now())).digest("hex").slice(0, 8);
            let mounted = false;
            try {
                // The engine reads the host's resolver at container start: point it at our logging server on loopback.
                await sh("mount", ["--bind", resolvConf, "/etc/resolv.conf"]).then((r) => {
                    if (r.code !== 0) throw new Error(`mount --bind failed: ${r.stderr}`);
                    mounted = true;
                });
                docker("restart", "-t", "2", AGENT);
                const agentLookup = await probe(AGENT, "resolve", [`agent-${tag}.leak-probe.example`]);
                const image = first.resources.find((r) => r.name === "secureclaw-agent-image")!.outputs.repoDigest;
                // The control: same network, no DNS setting. Whether it leaked shows in `queries`.
                await probeFrom(image, `${PREFIX}-enclave`, "resolve", [`control-${tag}.leak-probe.example`]);
                await new Promise((r) => setTimeout(r, 1000));
                const leaked = queries.some((q) => q.startsWith(`agent-${tag}`));
                const controlLeaked = queries.some((q) => q.startsWith(`control-${tag}`));
                tally.record("DNS lookup of an outside name (upstream resolver on host loopback)", !leaked && !agentLookup.resolved, { agentLookup, upstreamSaw: queries });
                tally.notes.push(controlLeaked
                    ? "control: a container on the same internal network WITHOUT the agent's DNS setting leaked its lookup to the host's loopback resolver (this engine has CVE-2024-29018); the agent did not"
                    : "control: a container without the agent's DNS setting did not leak either on this engine");
                expect(dnsErrors).toEqual([]);
                expect(agentLookup.resolved).toBe(false);
                expect(leaked).toBe(false);
                // The sidecars' names still resolve (embedded DNS answers those itself).
                const gateway = await probe(AGENT, "resolve", ["model-gateway"]);
                expect(gateway.resolved).toBe(true);
            } finally {
                if (mounted) await sh("umount", ["/etc/resolv.conf"]);
                dns.close();
                docker("restart", "-t", "2", AGENT);
                await waitFor("the agent to be healthy again", async () => health(AGENT) === "healthy" || undefined, 3 * MINUTE, 2000);
            }
        });

        test("4. IPv6: no addresses, no route, connects fail", async () => {
            const self = await probe(AGENT, "selfcheck");
            expect(self.ipv6_disabled).toBe("1");
            expect(self.ipv6_addresses).toBe("");
            const r = await probe(AGENT, "tcp6", ["::1", "18789"]);
            tally.record("IPv6 connect", !r.connected, r);
            expect(r.connected).toBe(false);
        });

        test.each<[string, string, string]>([
            ["a name not on the allowlist", "not-allowed.e2e.test", "443"],
            ["the allowed server's own IP", TELEGRAM_IP, "443"],
            ["an IP literal (cloud metadata)", "169.254.169.254", "80"],
            ["an IPv6 literal", "[::1]", "443"],
            ["an allowlisted name on another port", "api.telegram.org", "8443"],
            ["the proxy itself (loopback)", "127.0.0.1", "3128"],
        ])("5. CONNECT through the proxy to %s is denied", async (title, target, port) => {
            const r = await probe(AGENT, "connect", [target, port]);
            tally.record(`proxy CONNECT to ${title} (${target}:${port})`, r.code === 403, r);
            expect(r.code).toBe(403);
        });

        test("5. plain HTTP to an allowlisted name through the proxy is denied", async () => {
            const r = await probe(AGENT, "http-via-proxy", ["http://api.telegram.org/bot123:x/getMe"]);
            tally.record("plain HTTP through the proxy", r.code === 403, r);
            expect(r.code).toBe(403);
        });

        test("6. CONNECT to an allowlisted name on 443 works end to end (TLS to the Telegram stand-in, test CA)", async () => {
            const r = await probe(AGENT, "tls-via-proxy", ["api.telegram.org", "/bot123:probe/getMe", CA]);
            expect(r.ok).toBe(true);
            expect(r.status).toBe("HTTP/1.1 200 OK");
            expect(JSON.parse(r.body).result.is_bot).toBe(true);
        });

        test("6. OpenClaw's Telegram channel reached the stand-in through the proxy with the agent's bot token", async () => {
            const proxyEgressIp = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-egress").IPAddress}}`, PROXY);
            const tokenHash = createHash("sha256").update(E2E_SECRETS.telegramBotToken).digest("hex");
            const calls = await waitFor("a Bot API call from OpenClaw", async () => {
                const found = telegramRequests().filter((r) => r.token_sha256 === tokenHash);
                return found.length > 0 ? found : undefined;
            }, 2 * MINUTE, 2000);
            expect(calls.every((c) => c.client === proxyEgressIp)).toBe(true);
            tally.notes.push(`OpenClaw's Telegram channel made ${calls.length} Bot API calls (${[...new Set(calls.map((c) => c.method))].join(", ")}), all from the proxy's address`);
        });

        test("7. with the proxy variables unset, the allowlisted name is unreachable", async () => {
            const unset = ["-u", "HTTP_PROXY", "-u", "HTTPS_PROXY", "-u", "http_proxy", "-u", "https_proxy"];
            const lookup = await probe(AGENT, "resolve", ["api.telegram.org"], unset);
            const direct = await probe(AGENT, "tcp", [TELEGRAM_IP, "443"], unset);
            tally.record("allowlisted name without the proxy", !lookup.resolved && !direct.connected, { lookup, direct });
            expect(lookup.resolved).toBe(false);
            expect(direct.connected).toBe(false);
        });

        test("8. cloud metadata (169.254.169.254) is unreachable", async () => {
            const r = await probe(AGENT, "tcp", ["169.254.169.254", "80", "2"]);
            tally.record("metadata address direct", !r.connected, r);
            expect(r.connected).toBe(false);
        });

        test("9. vLLM is unreachable from the agent; a chat completion through the real gateway reaches it", async () => {
            const direct = await probe(AGENT, "tcp", [GPU_HOST_IP, "8000"]);
            tally.record("vLLM directly", !direct.connected, direct);
            expect(direct.connected).toBe(false);
            const r = await chat("hello from the enclave");
            expect(r.code).toBe(200);
            expect(JSON.parse(r.body).choices[0].message.content).toBe("stand-in reply from qwen3-4b: hello from the enclave");
        });

        test("10. LiteLLM admin routes with the key the agent holds (recorded)", async () => {
            const routes: Array<[string, string, string?]> = [
                ["POST", "/key/generate", "{}"],
                ["GET", "/key/list"],
                ["POST", "/model/new", JSON.stringify({ model_name: "x", litellm_params: { model: "openai/gpt-4o", api_key: "sk-attacker" } })],
                ["GET", "/model/info"],
                ["POST", "/config/update", "{}"],
                ["GET", "/get/config/callbacks"],
                ["POST", "/user/new", "{}"],
                ["GET", "/global/spend/logs"],
                ["GET", "/vllm/tokenize"],
                ["GET", "/ui"],
            ];
            const results: string[] = [];
            for (const [method, route, body] of routes) {
                const r = await probe(AGENT, "http", [method, `http://model-gateway:4000${route}`, "SECURECLAW_GATEWAY_KEY", ...(body ? [body] : [])]);
                results.push(`${method} ${route} -> ${r.code}`);
            }
            tally.notes.push(`LiteLLM admin routes with the agent's key (it holds the master key for now): ${results.join("; ")}`);
            // A model added by the agent would be a route to a hosted provider: it must not exist.
            const models = await probe(AGENT, "http", ["GET", "http://model-gateway:4000/v1/models", "SECURECLAW_GATEWAY_KEY"]);
            expect(JSON.parse(models.body).data.map((d: { id: string }) => d.id)).toEqual(["secureclaw-model"]);
        });

        test("11. inside the box: no capabilities, no new privileges, uid 1000, read-only root and config, writable workspace", async () => {
            const self = await probe(AGENT, "selfcheck");
            expect(self).toMatchObject({
                uid: 1000,
                gid: 1000,
                cap_eff: "0000000000000000",
                cap_prm: "0000000000000000",
                cap_bnd: "0000000000000000",
                no_new_privs: "1",
                docker_sock: false,
                setuid_files: [],
                gpu_devices: [],
            });
            expect(self.writable).toEqual({
                "/": false, "/usr": false, "/etc": false, "/etc/openclaw": false, "/etc/openclaw/skills/aider": false,
                "/workspace": true, "/var/lib/openclaw": true, "/tmp": true, "/home/node": true,
            });
            tally.record("escalate: capabilities / setuid / write root or config", true, { cap_eff: self.cap_eff, no_new_privs: self.no_new_privs });
        });

        test("11. a fork bomb stops at the process limit and the host is unharmed", async () => {
            const r = await probe(AGENT, "forkbomb", ["5000"]);
            tally.record("fork bomb", r.forked < 256, r);
            expect(r.forked).toBeLessThan(256);
            expect(r.stopped_by).toMatch(/Resource temporarily unavailable/);
            expect(docker("info", "--format", "{{.ServerVersion}}")).not.toBe("");
            expect(docker("inspect", "-f", "{{.State.Running}}", AGENT)).toBe("true");
        });

        test("11. OpenClaw started with the rendered config and answers its health check", async () => {
            expect(health(AGENT)).toBe("healthy");
            const logs = await sh("docker", ["logs", AGENT]);
            expect(logs.stdout + logs.stderr).not.toMatch(/invalid config|Unrecognized key|config validation failed/i);
        });

        test("12. the proxy's access log records the denied attempts", async () => {
            const log = docker("exec", PROXY, "cat", "/var/log/squid/access.log");
            expect(log).toMatch(/TCP_DENIED\/403 CONNECT not-allowed\.e2e\.test:443/);
            expect(log).toMatch(new RegExp(`TCP_DENIED/403 CONNECT ${TELEGRAM_IP.replace(/\./g, "\\.")}:443`));
            expect(log).toMatch(/TCP_DENIED\/403 GET http:\/\/api\.telegram\.org\//);
            expect(log).toMatch(/TCP_TUNNEL\/200 CONNECT api\.telegram\.org:443/);
        });
    });

    describe("lifecycle", () => {
        test("a second up with the same config changes nothing (expect-no-changes): every resource the same, no container replaced", async () => {
            const containers = () => docker("ps", "-a", "--no-trunc", "--filter", `label=secureclaw.stack=${PREFIX}`, "--format", "{{.Names}} {{.ID}}").split("\n").sort();
            const before = containers();
            // Throws an UnexpectedChangesError naming every input the provider would store in another form.
            const again = await realize(STACK, e2eConfig(m), secrets, standinHooks(m), { expectNoChanges: true });
            expect(again.resources.filter((r) => r.action !== "same").map((r) => `${r.action} ${r.name}`)).toEqual([]);
            expect(again.resources.length).toBe(first.resources.length);
            expect(containers()).toEqual(before);
        });

        test("an allowlist change reaches the running proxy: no container is replaced, a new name is allowed, a removed one denied", async () => {
            const ids = [AGENT, GATEWAY, PROXY].map(containerId);
            const pins = { "api.telegram.org": TELEGRAM_IP, "relay.e2e.test": TELEGRAM_IP };
            const changedAt = Date.now();
            await up({ "egress.allowlist": ["api.telegram.org", "relay.e2e.test"], "egress.pinnedHosts": pins });
            await waitFor("relay.e2e.test to be allowed", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 200 || undefined, MINUTE, 500);
            tally.notes.push(`allowlist change took effect ${Date.now() - changedAt} ms after the re-run started`);
            expect([AGENT, GATEWAY, PROXY].map(containerId)).toEqual(ids);

            await up();
            await waitFor("relay.e2e.test to be denied again", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 403 || undefined, MINUTE, 500);
            expect([AGENT, GATEWAY, PROXY].map(containerId)).toEqual(ids);
            expect((await probe(AGENT, "connect", ["api.telegram.org", "443"])).code).toBe(200);
        });

        test("a model size change relaunches vLLM with the new arguments; the agent is not replaced", async () => {
            const agentId = containerId(AGENT);
            const before = (await gpuHostLaunches()).length;
            const result = await up({ "model.size": "medium" });
            const launches = await gpuHostLaunches();
            expect(launches.length).toBe(before + 1);
            const args: string[] = launches[launches.length - 1].vllm_args;
            expect(args[args.indexOf("--model") + 1]).toBe("Qwen/Qwen3-14B");
            expect(args[args.indexOf("--served-model-name") + 1]).toBe("qwen3-14b");
            expect(containerId(AGENT)).toBe(agentId);
            expect(result.resources.find((r) => r.type === "command:remote:Command")!.action).toBe("replace");
            await waitFor("the new gateway", async () => health(GATEWAY) === "healthy" || undefined, 3 * MINUTE, 2000);
            const r = await chat("after the switch");
            expect(JSON.parse(r.body).choices[0].message.content).toBe("stand-in reply from qwen3-14b: after the switch");
        });

        test("vLLM down: the agent gets a clear error from the gateway and keeps running", async () => {
            await waitFor("the gateway", async () => health(GATEWAY) === "healthy" || undefined, 3 * MINUTE, 2000);
            await sh("docker", ["exec", STANDINS.gpuHost.name, "docker", "rm", "-f", VLLM_ON_GPU_HOST]);
            const r = await chat("is anyone there?");
            expect(r.code).toBeGreaterThanOrEqual(500);
            expect(r.body).toMatch(/error/i);
            tally.notes.push(`with vLLM down the gateway answered ${r.code}: ${r.body.slice(0, 200)}`);
            expect(docker("inspect", "-f", "{{.State.Running}}", AGENT)).toBe("true");
        });

        test("teardown leaves no container, network or volume behind", async () => {
            await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
            await teardownE2E();
            const left = await leftovers(PREFIX);
            expect(left).toEqual({ containers: [], networks: [], volumes: [] });
        });
    });
});

/** The first question name of a DNS query packet, dotted. */
function parseQname(msg: Buffer): string {
    const labels: string[] = [];
    let i = 12;
    while (i < msg.length && msg[i] !== 0) {
        labels.push(msg.subarray(i + 1, i + 1 + msg[i]).toString());
        i += msg[i] + 1;
    }
    return labels.join(".");
}
