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
import { doorCredential } from "../../components/door/credentials";
import { agentProcessLimits } from "../../components/agent/agentProcessLimits";
import { MODEL_PRESETS } from "../../config/presets";
import { REPO_ROOT } from "../support/program";
import { controls, forkBomb, memoryPeakMb, probeAttacks } from "./attackSet";
import { AGENT_KEY, askGateway, askGatewayMany, burst, chatBody, gatewayAnswers, header, liteLLMRequests, REFUSED_ROUTES, revealing, sseData, standinRequests, tag } from "./gateway";
import { destroy, leftovers, realize, RealizeResult } from "./harness";
import { E2E_SECRETS, GPU_HOST_IP, Materials, PREFIX, STACK, STANDINS, TELEGRAM_IP, buildStandinImages, cleanE2E, destroyHooks, e2eConfig, materials, stackFile, standinHooks, teardownE2E, telegramRequests } from "./setup";
import { containerEvents, containerId, docker, engineAvailable, health, listenOnHost, probe, probeFrom, sh, Tally, waitFor } from "./support";

const missingEngine = engineAvailable();
if (missingEngine && process.env.SECURECLAW_E2E_REQUIRED === "1") {
    throw new Error(`end-to-end suite required (SECURECLAW_E2E_REQUIRED=1) but ${missingEngine}`);
}
const suite = missingEngine ? describe.skip : describe;
if (missingEngine) console.log(`SecureClaw e2e skipped: ${missingEngine}`);

const AGENT = `${PREFIX}-agent`;
const PROXY = `${PREFIX}-egress-proxy`;
/** The door: answers as model-gateway on the enclave network. */
const DOOR = `${PREFIX}-model-door`;
/** LiteLLM, on the gateway network behind the door. */
const LITELLM = `${PREFIX}-model-gateway`;
const VLLM_ON_GPU_HOST = `${PREFIX}-vllm`;
const CA = "/etc/openclaw/ca/extra.pem";
const tally = new Tally();
const MINUTE = 60_000;

let m: Materials;
let secrets: Record<string, string>;
let first: RealizeResult;
/** When the first realize started and ended (ms since the epoch): the window of the containers' first events. */
let firstRun: { since: number; until: number };

async function up(paths: Record<string, unknown> = {}): Promise<RealizeResult> {
    return realize(STACK, e2eConfig(m, paths), secrets, standinHooks(m));
}

/** Model calls the suite made that the door answered 200: the usage command must count at least these. */
let modelCallsAnswered = 0;

/** A chat completion from the agent box, with its own key; every answer is kept for the upstream check. */
async function chat(text: string, extra: Record<string, unknown> = {}, target = "/v1/chat/completions") {
    const r = await askGateway(AGENT, { method: "POST", target, body: chatBody(text, extra) });
    if (r.code === 200) modelCallsAnswered++;
    return r;
}

/** Waits for the door to log that it applied settings it re-read after `sinceMs`. */
async function doorAppliedSettings(sinceMs: number): Promise<void> {
    await waitFor("the door to apply its new settings", async () => {
        const r = await sh("docker", ["logs", "--since", (sinceMs / 1000).toFixed(3), DOOR]);
        return r.stdout.includes('"event":"settings-applied"') || undefined;
    }, MINUTE, 500);
}

/**
 * What LiteLLM itself answers `key` for GET /v1/models and a chat completion
 * (status and the start of the body), asked from inside its own container;
 * the key goes over stdin.
 */
async function liteLLMDirect(key: string): Promise<Array<{ status: number; body: string }>> {
    const script = [
        "import json, sys, urllib.request, urllib.error",
        "key = sys.stdin.read().strip()",
        "def ask(path, body=None):",
        "    req = urllib.request.Request('http://127.0.0.1:4000' + path, data=body, headers={'Authorization': 'Bearer ' + key, 'Content-Type': 'application/json'})",
        "    try:",
        "        with urllib.request.urlopen(req, timeout=30) as r:",
        "            return {'status': r.status, 'body': r.read(300).decode(errors='replace')}",
        "    except urllib.error.HTTPError as e:",
        "        return {'status': e.code, 'body': e.read(300).decode(errors='replace')}",
        "chat = json.dumps({'model': 'secureclaw-model', 'messages': [{'role': 'user', 'content': 'direct'}], 'max_tokens': 8}).encode()",
        "print(json.dumps([ask('/v1/models'), ask('/v1/chat/completions', chat)]))",
    ].join("\n");
    const r = await sh("docker", ["exec", "-i", LITELLM, "python3", "-c", script], key);
    return JSON.parse(r.stdout.trim().split("\n").pop() ?? "[]");
}

/** When the door last admitted a model call (ms since the epoch), from its usage log; 0 if never. */
async function doorLastAdmitted(): Promise<number> {
    const r = await sh("docker", ["exec", DOOR, "cat", "/var/lib/secureclaw-door/usage.jsonl"]);
    const times = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter((u) => u.refused === undefined).map((u) => Date.parse(u.time));
    return Math.max(0, ...times);
}

const runningContainers = () => docker("ps", "--no-trunc", "--filter", `label=secureclaw.stack=${PREFIX}`, "--format", "{{.Names}} {{.ID}}").split("\n").sort();

async function gpuHostLaunches(): Promise<Array<Record<string, any>>> {
    const r = await sh("docker", ["exec", STANDINS.gpuHost.name, "cat", "/var/log/vllm-standin/launches.jsonl"]);
    return r.stdout.trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

suite("SecureClaw enclave on a real Docker engine", () => {
    beforeAll(async () => {
        buildStandinImages();
        m = materials();
        secrets = { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey };
        await cleanE2E();
        const started = Date.now();
        first = await up();
        firstRun = { since: started, until: Date.now() };
        await waitFor("the agent to be healthy", async () => health(AGENT) === "healthy" || undefined, 3 * MINUTE, 2000);
        tally.notes.push(`enclave realized in ${Math.round((Date.now() - started) / 1000)} s (${first.resources.length} resources)`);
    }, 40 * MINUTE);

    afterAll(async () => {
        console.log(tally.summary());
        if (process.env.SECURECLAW_E2E_KEEP !== "1" && !missingEngine) await cleanE2E();
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

        test("the door joins the enclave (as model-gateway) and the gateway network; LiteLLM the gateway and egress networks, never the enclave", () => {
            const networks = (name: string) => JSON.parse(docker("inspect", name))[0].NetworkSettings.Networks as Record<string, { Aliases: string[] | null }>;
            const door = networks(DOOR);
            expect(Object.keys(door).sort()).toEqual([`${PREFIX}-enclave`, `${PREFIX}-gateway`]);
            expect(door[`${PREFIX}-enclave`].Aliases).toContain("model-gateway");
            const litellm = networks(LITELLM);
            expect(Object.keys(litellm).sort()).toEqual([`${PREFIX}-egress`, `${PREFIX}-gateway`]);
            expect(litellm[`${PREFIX}-gateway`].Aliases).toContain("litellm");
            const gatewayNet = JSON.parse(docker("network", "inspect", `${PREFIX}-gateway`))[0];
            expect(gatewayNet.Internal).toBe(true);
            expect(gatewayNet.IPAM.Config[0].Subnet).toBe(stackFile().network.gatewaySubnet);
        });

        test.each([AGENT, PROXY, DOOR, LITELLM])("the pids limit holds from the first second: %s was updated before it was started", (name) => {
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
            expect(containers.map((c) => c.Name.slice(1))).toEqual(expect.arrayContaining([AGENT, PROXY, DOOR, LITELLM]));
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

        test("10a. the agent holds no credential worth stealing: a door credential, not LiteLLM's key, refused by LiteLLM itself", async () => {
            const env: string[] = JSON.parse(docker("inspect", AGENT))[0].Config.Env;
            const key = env.find((e) => e.startsWith(`${AGENT_KEY}=`))!.slice(AGENT_KEY.length + 1);
            expect(key.startsWith("sk-door-")).toBe(true);
            expect(key).toBe(doorCredential(E2E_SECRETS.gatewayMasterKey, "main"));
            // Neither upstream key is anywhere in the box's environment, under any name.
            const leakedKeys = env.filter((e) => e.includes(E2E_SECRETS.gatewayMasterKey) || e.includes(E2E_SECRETS.vllmApiKey));
            expect(leakedKeys).toEqual([]);
            // Presented to LiteLLM directly (from inside LiteLLM's container), it opens nothing; the master key is the control.
            const withDoorKey = await liteLLMDirect(key);
            const withMasterKey = await liteLLMDirect(E2E_SECRETS.gatewayMasterKey);
            // LiteLLM without a database answers any key but its master key with 400 "No connected db." (it
            // would look the key up there), 401 with one: either way an error, never a model list or a reply.
            const refused = (a: { status: number; body: string }) => [400, 401].includes(a.status) && /"error"/.test(a.body) && !/"choices"|"data"/.test(a.body);
            tally.record("the agent's key presented to LiteLLM directly", withDoorKey.every(refused), withDoorKey.map((a) => `${a.status} ${a.body.slice(0, 80)}`));
            expect(withMasterKey.map((a) => a.status)).toEqual([200, 200]);
            expect(withDoorKey.filter((a) => !refused(a))).toEqual([]);
        });

        test("10b. LiteLLM is out of the agent's reach: its name does not resolve, its addresses do not answer", async () => {
            const lookup = await probe(AGENT, "resolve", ["litellm"]);
            tally.record("resolve litellm from the agent", !lookup.resolved, lookup);
            expect(lookup.resolved).toBe(false);
            for (const network of ["gateway", "egress"]) {
                const address = docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-${network}").IPAddress}}`, LITELLM);
                expect(address).toMatch(/^\d+\.\d+\.\d+\.\d+$/);
                const r = await probe(AGENT, "tcp", [address, "4000", "2"]);
                tally.record(`LiteLLM directly on the ${network} network (${address}:4000)`, !r.connected, r);
                expect(r.connected).toBe(false);
            }
        });

        test(`10c. ${REFUSED_ROUTES.length} admin, pass-through, path-trick and wrong-method requests with the agent's key are refused by the door; none reaches LiteLLM or vLLM`, async () => {
            expect(REFUSED_ROUTES.length).toBeGreaterThanOrEqual(30);
            const since = Date.now();
            const answers = await askGatewayMany(AGENT, REFUSED_ROUTES.map(({ method, target, body }) => ({ method, target, body })));
            const wrong = REFUSED_ROUTES.flatMap((c, i) => {
                const a = answers[i];
                tally.record(`gateway ${c.group}: ${c.method} ${c.target}`, a.code === c.status, `${a.code} ${a.body.slice(0, 100)}`);
                return a.code === c.status ? [] : [`${c.method} ${c.target}: expected ${c.status}, got ${a.code} ${a.body.slice(0, 200)}`];
            });
            expect(wrong).toEqual([]);
            // A 405 says which method the path takes.
            expect(answers.filter((_a, i) => REFUSED_ROUTES[i].status === 405).every((a) => header(a, "allow") !== undefined)).toBe(true);
            // The control: one allowed call, which LiteLLM logs like any request it routes.
            const control = await chat("control after the refused routes");
            expect(control.code).toBe(200);
            // Uvicorn logs a request as its answer starts; the engine's log may trail by a moment.
            const reached = await waitFor("LiteLLM to log the control", async () => {
                const lines = await liteLLMRequests(LITELLM, since);
                return lines.length > 0 ? lines : undefined;
            }, 10_000, 250);
            expect(reached.filter((l) => !(l.method === "POST" && l.path === "/v1/chat/completions"))).toEqual([]);
            const atVllm = (await standinRequests(STANDINS.gpuHost.name)).filter((r) => r.time * 1000 >= since);
            expect(atVllm.map((r) => `${r.path} ${r.tag}`)).toEqual(["/v1/chat/completions control after the refused routes"]);
            tally.notes.push(`${REFUSED_ROUTES.length} refused gateway requests; LiteLLM logged only the control (${reached.map((l) => `${l.method} ${l.path} from ${l.client}`).join(", ")})`);
        });

        test("10d. the allowed routes work with and without /v1, and only with the agent's own credential and model", async () => {
            const [chatV1, chatBare, complV1, complBare, modelsV1, modelsBare] = await askGatewayMany(AGENT, [
                { method: "POST", target: "/v1/chat/completions", body: chatBody("allowed v1 chat") },
                { method: "POST", target: "/chat/completions", body: chatBody("allowed bare chat") },
                { method: "POST", target: "/v1/completions", body: JSON.stringify({ model: "secureclaw-model", prompt: "allowed v1 completion" }) },
                { method: "POST", target: "/completions", body: JSON.stringify({ model: "secureclaw-model", prompt: "allowed bare completion" }) },
                { method: "GET", target: "/v1/models" },
                { method: "GET", target: "/models" },
            ]);
            modelCallsAnswered += [chatV1, chatBare, complV1, complBare].filter((a) => a.code === 200).length;
            expect(JSON.parse(chatV1.body).choices[0].message.content).toBe("stand-in reply from qwen3-4b: allowed v1 chat");
            expect(JSON.parse(chatBare.body).choices[0].message.content).toBe("stand-in reply from qwen3-4b: allowed bare chat");
            expect(JSON.parse(complV1.body).choices[0].text).toContain("allowed v1 completion");
            expect(JSON.parse(complBare.body).choices[0].text).toContain("allowed bare completion");
            for (const models of [modelsV1, modelsBare]) {
                expect(models.code).toBe(200);
                expect(JSON.parse(models.body).data.map((d: { id: string }) => d.id)).toEqual(["secureclaw-model"]);
            }
            const [noKey, otherAgent, otherModel] = await askGatewayMany(AGENT, [
                { method: "GET", target: "/v1/models", key: null },
                { method: "POST", target: "/v1/chat/completions", key: doorCredential(E2E_SECRETS.gatewayMasterKey, "other"), body: chatBody("not my key") },
                { method: "POST", target: "/v1/chat/completions", body: JSON.stringify({ model: "openai/gpt-4o", messages: [{ role: "user", content: "x" }] }) },
            ]);
            tally.record("gateway without a credential", noKey.code === 401, noKey.code);
            tally.record("gateway with another agent's credential", otherAgent.code === 401, otherAgent.code);
            tally.record("gateway asked for another model", otherModel.code === 400, otherModel.body.slice(0, 120));
            expect([noKey.code, otherAgent.code, otherModel.code]).toEqual([401, 401, 400]);
            expect(JSON.parse(otherModel.body).error.code).toBe("model_not_allowed");
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

        test("13. max_tokens above the model's cap is lowered before vLLM; parameters LiteLLM would obey are dropped", async () => {
            const cap = MODEL_PRESETS.small.maxOutputTokens;
            const asks = [tag("max-tokens"), tag("max-completion-tokens"), tag("injected-params")];
            const answers = [
                await chat(asks[0], { max_tokens: 60000 }),
                await chat(asks[1], { max_completion_tokens: 60000 }),
                // api_base / mock_response / custom_llm_provider would send LiteLLM elsewhere or answer without vLLM.
                await chat(asks[2], { max_tokens: 60000, api_base: `http://${TELEGRAM_IP}:443/v1`, custom_llm_provider: "openai", mock_response: "pwned", metadata: { x: 1 } }),
            ];
            expect(answers.map((a) => a.code)).toEqual([200, 200, 200]);
            expect(JSON.parse(answers[2].body).choices[0].message.content).toBe(`stand-in reply from qwen3-4b: ${asks[2]}`);
            const seen = (await standinRequests(STANDINS.gpuHost.name)).filter((r) => asks.includes(r.tag));
            expect(seen.map((r) => r.tag).sort()).toEqual([...asks].sort());
            const over = seen.filter((r) => (r.max_tokens ?? 0) > cap || (r.max_completion_tokens ?? 0) > cap);
            tally.record(`max_tokens 60000 past the cap (${cap})`, over.length === 0, seen.map((r) => ({ max_tokens: r.max_tokens, max_completion_tokens: r.max_completion_tokens })));
            expect(over).toEqual([]);
            expect(seen.every((r) => typeof r.max_tokens === "number" && r.max_tokens <= cap)).toBe(true);
        });

        test("14. a streamed chat completion arrives as SSE chunks in order, ending with data: [DONE]", async () => {
            const text = `${tag("stream")} one two three four five`;
            const r = await askGateway(AGENT, { method: "POST", target: "/v1/chat/completions", body: chatBody(text, { stream: true }) });
            expect(r.code).toBe(200);
            modelCallsAnswered++;
            expect(header(r, "content-type")).toMatch(/^text\/event-stream/);
            const data = sseData(r.body);
            expect(data[data.length - 1]).toBe("[DONE]");
            const chunks = data.slice(0, -1).map((d) => JSON.parse(d));
            const deltas = chunks.filter((c) => c.choices?.length > 0).map((c) => c.choices[0]);
            const content = deltas.map((c) => c.delta?.content ?? "").join("");
            expect(content).toBe(`stand-in reply from qwen3-4b: ${text}`);
            // One word per chunk at the stand-in: several content chunks, the finish after the last of them.
            const contentChunks = deltas.filter((c) => (c.delta?.content ?? "") !== "");
            expect(contentChunks.length).toBeGreaterThanOrEqual(text.split(" ").length);
            const finishAt = deltas.findIndex((c) => c.finish_reason === "stop");
            expect(finishAt).toBeGreaterThanOrEqual(deltas.indexOf(contentChunks[contentChunks.length - 1]));
            const atVllm = (await standinRequests(STANDINS.gpuHost.name)).filter((s) => s.tag === text);
            expect(atVllm.map((s) => s.stream)).toEqual([true]);
        });
    });

    describe("usage", () => {
        const usageCommand = (args: string[]) => sh("npx", ["ts-node", "--transpile-only", path.join(REPO_ROOT, "scripts", "usage.ts"), ...args], undefined, 2 * MINUTE);
        /** The requests column of agent `main`'s row, or undefined when there is none. */
        const mainRequests = (table: string) => {
            const row = table.split("\n").find((l) => /^main\s/.test(l));
            return row === undefined ? undefined : Number(row.trim().split(/\s+/)[1]);
        };

        test("the usage command prints agent main's requests and tokens, from the running door and from its volume when the door is down", async () => {
            const live = await usageCommand([STACK, "--since", "1h"]);
            expect(live.stderr).toBe("");
            expect(live.code).toBe(0);
            expect(live.stdout).toMatch(/^agent\s+requests\s+prompt tokens\s+completion tokens/m);
            expect(mainRequests(live.stdout)).toBeGreaterThanOrEqual(modelCallsAnswered);
            expect(modelCallsAnswered).toBeGreaterThan(0);
            tally.notes.push(`usage command:\n${live.stdout.trimEnd()}`);

            docker("stop", "-t", "5", DOOR);
            try {
                const offline = await usageCommand([STACK]);
                expect(offline.code).toBe(0);
                expect(offline.stdout).toContain(`volume ${PREFIX}-door-usage`);
                expect(mainRequests(offline.stdout)).toBeGreaterThanOrEqual(mainRequests(live.stdout)!);
            } finally {
                docker("start", DOOR);
                await waitFor("the door to be healthy again", async () => health(DOOR) === "healthy" || undefined, 2 * MINUTE, 1000);
            }
        }, 4 * MINUTE);

        test("the usage command names the stack when it finds nothing", async () => {
            const r = await usageCommand(["no-such-e2e-stack"]);
            expect(r.code).toBe(1);
            expect(r.stderr).toMatch(/no usage found for stack "no-such-e2e-stack".*secureclaw-no-such-e2e-stack-model-door/);
        });
    });

    // ---- gVisor (agent.runtime: runsc) ----
    describe("the agent box under gVisor (agent.runtime: runsc), then back to runc", () => {
        const timings: string[] = [];
        beforeAll(async () => {
            const started = Date.now();
            const runcId = containerId(AGENT);
            const switched = await up({ "agent.runtime": "runsc" });
            expect(switched.resources.filter((r) => r.action === "replace").map((r) => r.name).sort()).toEqual(["secureclaw-agent", "secureclaw-agent-start"]);
            expect(containerId(AGENT)).not.toBe(runcId);
            await waitFor("the agent under runsc to be healthy", async () => health(AGENT) === "healthy" || undefined, 3 * MINUTE, 1000);
            timings.push(`switch to runsc until healthy ${Math.round((Date.now() - started) / 1000)} s`);
        }, 6 * MINUTE);

        afterAll(async () => {
            const started = Date.now();
            await up();
            await waitFor("the agent back under runc to be healthy", async () => health(AGENT) === "healthy" || undefined, 3 * MINUTE, 1000);
            expect(docker("inspect", "-f", "{{.HostConfig.Runtime}}", AGENT)).toBe("runc");
            timings.push(`back to runc until healthy ${Math.round((Date.now() - started) / 1000)} s`);
            tally.notes.push(`gVisor phase: ${timings.join(", ")}`);
        }, 6 * MINUTE);

        test("the box runs under runsc with the same hardening, its process ceiling in gVisor's kernel; OpenClaw is healthy", () => {
            const info = JSON.parse(docker("inspect", AGENT))[0];
            expect(info.HostConfig.Runtime).toBe("runsc");
            expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
            expect(info.HostConfig.ReadonlyRootfs).toBe(true);
            expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
            expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${PREFIX}-enclave`]);
            const { pids, memoryMb } = stackFile().agent;
            const limits = agentProcessLimits("runsc", pids, memoryMb);
            expect(info.HostConfig.Ulimits).toContainEqual({ Name: "nproc", Soft: limits.nproc, Hard: limits.nproc });
            expect(info.HostConfig.PidsLimit).toBe(limits.hostPidsLimit);
            expect(info.Mounts.find((mt: { Destination: string }) => mt.Destination === "/var/lib/openclaw").Name).toBe(`${PREFIX}-agent-state-gvisor`);
            expect(health(AGENT)).toBe("healthy");
        });

        test("the box reports gVisor's kernel, not the host's", async () => {
            const k = await probe(AGENT, "kernel");
            tally.notes.push(`under runsc the box sees: ${k.proc_version}; host: ${os.release()}`);
            expect(k.proc_version).toMatch(/^Linux version 4\.4\.0 /);
            expect(k.release).not.toBe(os.release());
            expect(k.dmesg).toMatch(/Starting gVisor/);
        });

        test("its network namespace has no IPv6, seen from the host (gVisor has no /proc/sys/net inside)", () => {
            const pid = docker("inspect", "-f", "{{.State.Pid}}", AGENT);
            const ns = (...cmd: string[]) => execFileSync("nsenter", ["-t", pid, "-n", ...cmd], { encoding: "utf8" }).trim();
            expect(ns("cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6")).toBe("1");
            expect(ns("ip", "-6", "-o", "addr")).toBe("");
            expect(ns("ip", "-4", "-o", "addr", "show", "eth0")).toMatch(new RegExp(`inet ${stackFile().network.enclaveSubnet.split(".").slice(0, 3).join("\\.")}\\.`));
        });

        test("every probe attack of the suite is blocked under gVisor too, and the controls pass", async () => {
            const control = await controls(AGENT);
            expect(control).toEqual({ allowedConnect: 200, doorResolves: true, chat: 200 });
            modelCallsAnswered++;
            const rows = await probeAttacks(AGENT);
            for (const r of rows) tally.record(`[runsc] ${r.attack}`, r.blocked, r.detail);
            expect(rows.length).toBeGreaterThanOrEqual(20);
            expect(rows.filter((r) => !r.blocked)).toEqual([]);
            expect(health(AGENT)).toBe("healthy");
        }, 4 * MINUTE);

        // At nproc = pids (256) the box's memory limit (1536 MiB, OpenClaw ~800 idle)
        // was reached first, and the cgroup OOM killer killed the whole sandbox. The
        // nproc under runsc is now what the memory holds (agentProcessLimits): 85 here.
        test("a fork bomb stops at the nproc ceiling inside gVisor, within the memory limit, and OpenClaw stays healthy", async () => {
            const { pids, memoryMb } = stackFile().agent;
            const nproc = agentProcessLimits("runsc", pids, memoryMb).nproc!;
            const peakBefore = memoryPeakMb(AGENT);
            const r = await forkBomb(AGENT, nproc);
            tally.record(`[runsc] ${r.attack}`, r.blocked, r.detail);
            expect(r).toMatchObject({ blocked: true });
            const peak = memoryPeakMb(AGENT);
            tally.notes.push(`under runsc the fork bomb stopped at ${(r.detail as { forked?: number }).forked} forks (nproc ${nproc}); the box's memory peaked at ${peak} MiB of ${memoryMb} (before: ${peakBefore})`);
            expect(peak).toBeLessThan(memoryMb);
            expect(docker("inspect", "-f", "{{.State.Running}} {{.RestartCount}}", AGENT)).toBe("true 0");
            expect(health(AGENT)).toBe("healthy");
        }, 2 * MINUTE);
    });
    // ---- end gVisor ----

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
            const ids = runningContainers();
            const pins = { "api.telegram.org": TELEGRAM_IP, "relay.e2e.test": TELEGRAM_IP };
            const changedAt = Date.now();
            await up({ "egress.allowlist": ["api.telegram.org", "relay.e2e.test"], "egress.pinnedHosts": pins });
            await waitFor("relay.e2e.test to be allowed", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 200 || undefined, MINUTE, 500);
            tally.notes.push(`allowlist change took effect ${Date.now() - changedAt} ms after the re-run started`);
            expect(runningContainers()).toEqual(ids);

            await up();
            await waitFor("relay.e2e.test to be denied again", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 403 || undefined, MINUTE, 500);
            expect(runningContainers()).toEqual(ids);
            expect((await probe(AGENT, "connect", ["api.telegram.org", "443"])).code).toBe(200);
        });

        test("a lower requests-per-minute limit reaches the running door in place: past it the agent gets 429 naming the limit, and vLLM never sees those", async () => {
            const before = runningContainers();
            const changedAt = Date.now();
            const lowered = await up({ "agent.requestsPerMinute": 5 });
            // Only the door's settings writer changes: its file lands in the volume the door re-reads.
            const changed = lowered.resources.filter((r) => r.action !== "same").map((r) => `${r.action} ${r.name}`);
            expect(changed).toEqual([expect.stringMatching(/^replace .*door.*settings.*writer/)]);
            await doorAppliedSettings(changedAt);
            const appliedAfter = Date.now() - changedAt;
            expect(runningContainers()).toEqual(before);

            // Calls admitted in the last minute count against the new limit: wait until there are none, so exactly 5 fit.
            await waitFor("the door's one-minute window to empty", async () => Date.now() >= (await doorLastAdmitted()) + 61_000 || undefined, 2 * MINUTE, 1000);
            const marker = tag("burst");
            const answers = await burst(AGENT, 10, "/v1/chat/completions", chatBody(marker));
            const ok = answers.filter((a) => a.code === 200);
            modelCallsAnswered += ok.length;
            const limited = answers.filter((a) => a.code === 429);
            const atVllm = (await standinRequests(STANDINS.gpuHost.name)).filter((r) => r.tag === marker);
            tally.record("a burst of 10 past requestsPerMinute 5", limited.length === 5 && atVllm.length === 5, { ok: ok.length, limited: limited.length, atVllm: atVllm.length });
            expect(ok.length).toBe(5);
            expect(limited.length).toBe(5);
            for (const a of limited) {
                expect(JSON.parse(a.body).error).toMatchObject({ code: "requests_per_minute", message: expect.stringMatching(/requests per minute \(5\)/) });
                expect(Number(header(a, "retry-after"))).toBeGreaterThan(0);
            }
            expect(atVllm.length).toBe(5);
            tally.notes.push(`requestsPerMinute 5 applied in place ${appliedAfter} ms after the re-run started; burst of 10: ${ok.length} answered, ${limited.length} refused 429`);

            // Back to the stack's limit (120): the requests admitted this minute are far below it, so no wait.
            const restoredAt = Date.now();
            await up();
            await doorAppliedSettings(restoredAt);
            expect(runningContainers()).toEqual(before);
            expect((await chat("after the limit was restored")).code).toBe(200);
        }, 4 * MINUTE);

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
            await waitFor("the new gateway", async () => health(LITELLM) === "healthy" || undefined, 3 * MINUTE, 2000);
            const r = await chat("after the switch");
            expect(JSON.parse(r.body).choices[0].message.content).toBe("stand-in reply from qwen3-14b: after the switch");
        });

        test("vLLM down: the agent gets a clear error from the gateway and keeps running", async () => {
            await waitFor("the gateway", async () => health(LITELLM) === "healthy" || undefined, 3 * MINUTE, 2000);
            await sh("docker", ["exec", STANDINS.gpuHost.name, "docker", "rm", "-f", VLLM_ON_GPU_HOST]);
            const r = await chat("is anyone there?");
            expect(r.code).toBeGreaterThanOrEqual(500);
            expect(r.body).toMatch(/error/i);
            tally.notes.push(`with vLLM down the gateway answered ${r.code}: ${r.body.slice(0, 200)}`);
            expect(docker("inspect", "-f", "{{.State.Running}}", AGENT)).toBe("true");
        });

        test("nothing the gateway answered names the upstream: no GPU host address, vLLM port, x-litellm header or LiteLLM version", async () => {
            const version = (await sh("docker", ["exec", LITELLM, "python3", "-c", "import importlib.metadata as m; print(m.version('litellm'))"])).stdout.trim();
            expect(version).toMatch(/^\d+\.\d+\.\d+/);
            const needles = [GPU_HOST_IP, ":8000", "x-litellm", version];
            const found = revealing(gatewayAnswers, needles);
            tally.record(`upstream details in ${gatewayAnswers.length} gateway answers (${needles.join(", ")})`, found.length === 0, found.slice(0, 5));
            tally.notes.push(`searched ${gatewayAnswers.length} gateway answers (headers and body) for ${needles.join(", ")}: ${found.length} contained one`);
            expect(gatewayAnswers.length).toBeGreaterThanOrEqual(REFUSED_ROUTES.length + 20);
            // The answers include successes, refusals, 429s and the vLLM-down error: the ways an upstream detail could slip out.
            expect(new Set(gatewayAnswers.map((a) => a.code))).toEqual(new Set([200, 400, 401, 404, 405, 429, 502]));
            expect(found).toEqual([]);
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
