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
import { AGENT as AGENT_CONTRACT, DOOR as DOOR_CONTRACT, LINK } from "../../policy/contract/contract";
import { REPO_ROOT } from "../support/program";
import { controls, forkBomb, memoryPeakMb, probeAttacks } from "./attackSet";
import { AGENT_KEY, Answer, askGateway, askGatewayMany, burst, chatBody, gatewayAnswers, header, liteLLMRequests, REFUSED_ROUTES, revealing, sseData, standinRequests, tag } from "./gateway";
import { AUDIT_VOLUME_BOUND_BYTES, auditLinesFor, OTHER_CERT_NAME, proxyAudit, refusalsToFind, TLS_STANDIN } from "./egressAudit";
import { destroy, leftovers, RealizeResult } from "./harness";
import { E2E_AGENT_BOT_TOKENS, E2E_SECRETS, GPU_HOST_2_IP, GPU_HOST_IP, Materials, PREFIX, STACK, STANDINS, TELEGRAM_IP, buildStandinImages, cleanE2E, destroyHooks, materials, realizeE2E, stackFile, stackSecrets, teardownE2E, telegramRequests, twoGpuHosts } from "./setup";
import { httpFromNamespaceOf, refusalShape } from "./cellBinding";
import { addressOn, authorizedKeys, LINK_CONTAINER, streamStalls, tryLinkKey, vllmClients } from "./modelLink";
import { AGENT_RELAY_TOKEN, botCall, callFrom, OWNER, RELAY_CONTAINER, RELAY_ROOT, relayAudit, scanAgentForSecrets, STRANGER } from "./relay";
import { botRequestsTo, callGreet, DONE_TEXT, GREET_REQUEST, modelRecords, plainText, readHello, SEED_HELLO, seedHello, storyDiagnostics, STORY_STEPS } from "./story";
import { agentContainer, cellOf, credentialsOf, holdTunnel, stackContainers } from "./cells";
import { containerEvents, containerId, docker, engineAvailable, health, listenOnHost, probe, probeFrom, sh, Tally, waitFor } from "./support";
import { queueMessage, registerFile, standinBotRequests } from "./telegramStandin";

const missingEngine = engineAvailable();
if (missingEngine && process.env.SECURECLAW_E2E_REQUIRED === "1") {
    throw new Error(`end-to-end suite required (SECURECLAW_E2E_REQUIRED=1) but ${missingEngine}`);
}
const suite = missingEngine ? describe.skip : describe;
if (missingEngine) console.log(`SecureClaw e2e skipped: ${missingEngine}`);

const AGENT = `${PREFIX}-agent`;
/** The e2e stack's second agent, in its own cell, under gVisor. */
const BOB = `${PREFIX}-agent-bob`;
/** The one name on bob's allowlist. */
const BOB_ALLOWED = "tls-standin.e2e.test";
const PROXY = `${PREFIX}-egress-proxy`;
/** The door: answers as model-gateway on the enclave network. */
const DOOR = `${PREFIX}-model-door`;
/** LiteLLM, on the gateway network behind the door. */
const LITELLM = `${PREFIX}-model-gateway`;
const VLLM_ON_GPU_HOST = `${PREFIX}-vllm`;
const CA = "/etc/openclaw/ca/extra.pem";
/** The one agent of the e2e stack, as the relay's audit names it. */
const DOOR_AGENT = "main";
/** telegram.maxFileBytes of the e2e stack (tests/e2e/Pulumi.e2e.yaml). */
const MAX_FILE_BYTES = 1048576;
const tally = new Tally();
const MINUTE = 60_000;
const AGENT_PATHS = AGENT_CONTRACT.paths;

let m: Materials;
let secrets: Record<string, string>;
let first: RealizeResult;
/** When the first realize started and ended (ms since the epoch): the window of the containers' first events. */
let firstRun: { since: number; until: number };

async function up(paths: Record<string, unknown> = {}): Promise<RealizeResult> {
    return realizeE2E(m, secrets, paths);
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
        secrets = stackSecrets(m);
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

        test("the door joins the enclave (as model-gateway) and the gateway network; LiteLLM the gateway and model networks, never the enclave", () => {
            const networks = (name: string) => JSON.parse(docker("inspect", name))[0].NetworkSettings.Networks as Record<string, { Aliases: string[] | null }>;
            const door = networks(DOOR);
            expect(Object.keys(door).sort()).toEqual([`${PREFIX}-cell-bob`, `${PREFIX}-enclave`, `${PREFIX}-gateway`]);
            expect(door[`${PREFIX}-enclave`].Aliases).toContain("model-gateway");
            const litellm = networks(LITELLM);
            expect(Object.keys(litellm).sort()).toEqual([`${PREFIX}-gateway`, `${PREFIX}-model`]);
            expect(litellm[`${PREFIX}-gateway`].Aliases).toContain("litellm");
            const gatewayNet = JSON.parse(docker("network", "inspect", `${PREFIX}-gateway`))[0];
            expect(gatewayNet.Internal).toBe(true);
            expect(gatewayNet.IPAM.Config[0].Subnet).toBe(stackFile().network.gatewaySubnet);
        });

        test.each([AGENT, PROXY, DOOR, LITELLM, LINK_CONTAINER(0)])("the pids limit holds from the first second: %s was updated before it was started", (name) => {
            const id = containerId(name);
            // The program's own start command for this container: triggers [container ID, pids limit].
            const start = first.resources.find((r) => r.type === "command:local:Command" && r.inputs.triggers?.[0] === id && /--pids-limit/.test(r.inputs.create));
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

        test("vLLM was launched over SSH with its key from the environment, published on the GPU host's loopback only", async () => {
            const [launch] = await gpuHostLaunches();
            expect(launch).toMatchObject({
                name: VLLM_ON_GPU_HOST,
                vllm_api_key_from_env: true,
                api_key_in_vllm_args: false,
                secret_env_given_literally: [],
                binds_all_interfaces: false,
                publish: { addr: "127.0.0.1", host_port: 8000, container_port: 8000 },
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

        test.each<[string, string, string, string]>([
            ["a name not on the allowlist", "not-allowed.e2e.test", "443", "not-allowlisted"],
            ["the allowed server's own IP", TELEGRAM_IP, "443", "ip-literal"],
            ["an IP literal (cloud metadata)", "169.254.169.254", "80", "ip-literal"],
            ["an IPv6 literal", "[::1]", "443", "ip-literal"],
            ["an allowlisted name on another port", "relay.e2e.test", "8443", "not-port-443"],
            ["the proxy itself (loopback)", "127.0.0.1", "3128", "ip-literal"],
        ])("5. CONNECT through the proxy to %s is denied", async (title, target, port, reason) => {
            const r = await probe(AGENT, "connect", [target, port]);
            tally.record(`proxy CONNECT to ${title} (${target}:${port})`, r.code === 403, r);
            expect(r.code).toBe(403);
            refusalsToFind.push({ attack: `CONNECT to ${title}`, destination: `${target}:${port}`, reason });
        });

        test("5. plain HTTP to an allowlisted name through the proxy is denied", async () => {
            const r = await probe(AGENT, "http-via-proxy", ["http://relay.e2e.test/bot123:x/getMe"]);
            tally.record("plain HTTP through the proxy", r.code === 403, r);
            expect(r.code).toBe(403);
            refusalsToFind.push({ attack: "plain HTTP through the proxy", destination: "relay.e2e.test:80", reason: "not-connect", method: "GET" });
        });

        test("6. CONNECT to an allowlisted name on 443 works end to end (TLS to the Telegram stand-in, test CA)", async () => {
            const r = await probe(AGENT, "tls-via-proxy", ["relay.e2e.test", "/bot123:probe/getMe", CA]);
            expect(r.ok).toBe(true);
            expect(r.status).toBe("HTTP/1.1 200 OK");
            expect(JSON.parse(r.body).result.is_bot).toBe(true);
        });

        test("6. OpenClaw's Telegram channel reached the stand-in through the relay and the proxy (the relay adds the bot token)", async () => {
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
            for (const network of ["gateway", "model"]) {
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

    // ---- sni and audit ----
    describe("the proxy checks SNI and keeps an audit trail", () => {
        const agentAddress = () => docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-enclave").IPAddress}}`, AGENT);
        /** Waits for the proxy's line about `destination` with `reason` written since `sinceMs`. */
        const auditLine = (destination: string, reason: string, sinceMs: number) => waitFor(`an audit line ${reason} for ${destination}`, async () =>
            auditLinesFor(PROXY, destination, sinceMs).find((l) => l.reason === reason), 15_000, 250);

        test("a tunnel whose SNI is its CONNECT name works end to end: handshake, and a request the stand-in answers", async () => {
            const since = Date.now();
            const r = await probe(AGENT, "sni-tunnel", [TLS_STANDIN, TLS_STANDIN, CA, "/bot1:sni-match/getMe"]);
            expect(r).toMatchObject({ proxy_status: "HTTP/1.1 200 Connection established", handshake: true, status: "HTTP/1.1 200 OK" });
            expect(JSON.parse(r.body).result.is_bot).toBe(true);
            const line = await auditLine(`${TLS_STANDIN}:443`, "pinned", since);
            expect(line).toMatchObject({ component: "proxy", decision: "allow", source: agentAddress(), agent: DOOR_CONTRACT.defaultAgent, method: "CONNECT" });
            expect(line.bytes).toBeGreaterThan(1000);
        });

        test.each<[string, string[], string, string]>([
            ["an SNI that differs from the CONNECT name (one the stand-in's certificate covers)", ["sni-tunnel", TLS_STANDIN, OTHER_CERT_NAME, CA, "/bot1:sni-fronted/getMe"], "sni-mismatch", "handshake"],
            ["a ClientHello with no SNI", ["sni-tunnel", TLS_STANDIN, "-", CA, "/bot1:sni-none/getMe"], "sni-missing", "handshake"],
            ["bytes that are not TLS", ["raw-tunnel", TLS_STANDIN, `GET /bot1:not-tls/getMe HTTP/1.1\r\nHost: ${TLS_STANDIN}\r\n\r\n`], "not-tls", "answer"],
        ])("a tunnel carrying %s is cut, and the cut is logged", async (title, [command, ...args], reason, what) => {
            const since = Date.now();
            const r = await probe(AGENT, command, args);
            // The CONNECT itself is allowed (the name is); what follows it is cut.
            expect(r.proxy_status).toBe("HTTP/1.1 200 Connection established");
            const cut = what === "handshake" ? r.handshake === false : r.received_bytes === 0;
            tally.record(`tunnel with ${title}`, cut, r);
            expect(cut).toBe(true);
            const line = await auditLine(`${TLS_STANDIN}:443`, reason, since);
            // The SNI port's cut names the agent too (its cell rides in the agent port's header).
            expect(line).toMatchObject({ component: "proxy", decision: "deny", source: agentAddress(), agent: DOOR_CONTRACT.defaultAgent });
            refusalsToFind.push({ attack: `a tunnel with ${title}`, destination: `${TLS_STANDIN}:443`, reason });
        });

        test("every attack of the suite is in the audit trail as a refusal from the agent, with its reason", () => {
            expect(refusalsToFind.length).toBeGreaterThanOrEqual(10);
            const lines = proxyAudit(PROXY);
            const source = agentAddress();
            const missing = refusalsToFind.filter((e) => !lines.some((l) =>
                l.decision === "deny" && l.reason === e.reason && l.destination === e.destination && l.source === source && l.agent === DOOR_CONTRACT.defaultAgent && l.method === (e.method ?? "CONNECT")));
            for (const e of refusalsToFind) tally.record(`audit line for ${e.attack}: deny ${e.reason}`, !missing.includes(e), e.destination);
            expect(missing).toEqual([]);
            // Every line is a whole JSON record with the fields the relay writes too.
            expect(lines.every((l) => typeof l.time === "string" && typeof l.bytes === "number" && ["allow", "deny"].includes(l.decision))).toBe(true);
        });

        test("the audit command prints the refusals, merged from the labelled volumes, with --denied and --since", async () => {
            const r = await sh("npx", ["ts-node", "--transpile-only", path.join(REPO_ROOT, "scripts", "audit.ts"), STACK, "--denied", "--since", "1h", "--agent", "main"], undefined, 2 * MINUTE);
            expect(r.code).toBe(0);
            const printed = r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
            expect(printed.length).toBeGreaterThan(0);
            expect(printed.every((l) => l.decision === "deny" && l.source === agentAddress() && l.agent === DOOR_CONTRACT.defaultAgent)).toBe(true);
            expect(printed.map((l) => l.reason)).toEqual(expect.arrayContaining(["not-allowlisted", "ip-literal", "sni-mismatch", "sni-missing", "not-tls"]));
            const times = printed.map((l) => Date.parse(l.time));
            expect(times).toEqual([...times].sort((a, b) => a - b));
            expect(r.stderr).toContain(`${PREFIX}-egress-log (proxy)`);
        }, 3 * MINUTE);

        test("a flood of refused CONNECTs rotates the log: rotated files exist and the volume stays under its bound", async () => {
            const flood = await probe(AGENT, "flood", ["100000", "flood.not-allowed.e2e.test:443", "4"]);
            expect(flood.refused).toBe(flood.sent);
            // The entrypoint checks the size every 2 s.
            await new Promise((r) => setTimeout(r, 5000));
            const sizes = docker("exec", PROXY, "sh", "-c", "stat -c '%n %s' /var/log/squid/*").split("\n").map((l) => l.split(" "));
            const total = sizes.reduce((sum, [, size]) => sum + Number(size), 0);
            tally.notes.push(`flood of ${flood.sent} refused CONNECTs at ${flood.per_second}/s: log volume ${total} bytes (bound ${AUDIT_VOLUME_BOUND_BYTES}): ${sizes.map(([n, s]) => `${path.basename(n)} ${s}`).join(", ")}`);
            // How many rotations a flood makes depends on its rate against the 2 s size check: at least one, never a fourth file.
            expect(sizes.map(([n]) => path.basename(n))).toEqual(expect.arrayContaining(["audit.jsonl", "audit.jsonl.0"]));
            expect(sizes.map(([n]) => path.basename(n))).not.toContain("audit.jsonl.3");
            expect(total).toBeLessThan(AUDIT_VOLUME_BOUND_BYTES);
            expect(health(PROXY)).toBe("healthy");
        }, 3 * MINUTE);
    });
    // ---- model link ----
    describe("the model link: LiteLLM's only way to vLLM, vLLM off the LAN", () => {
        test("the link is hardened, listens on its model-network address only, and is healthy through the tunnel", () => {
            const info = JSON.parse(docker("inspect", LINK_CONTAINER(0)))[0];
            expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
            expect(info.HostConfig.ReadonlyRootfs).toBe(true);
            expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
            expect(info.Config.User).toBe("1000:1000");
            expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual([`${PREFIX}-egress`, `${PREFIX}-model`]);
            expect(info.Config.Env.filter((e: string) => /PRIVATE KEY/.test(e))).toEqual([]);
            expect(health(LINK_CONTAINER(0))).toBe("healthy");
            // The key file: owned by the link user, readable by it alone.
            expect(docker("exec", LINK_CONTAINER(0), "stat", "-c", "%u %a", "/etc/model-link/id_link")).toBe("1000 400");
            const commandLines = docker("exec", LINK_CONTAINER(0), "sh", "-c", "cat /proc/[0-9]*/cmdline 2>/dev/null | tr '\\0' ' '; true");
            expect(commandLines).toContain("ssh -N");
            expect(commandLines).not.toMatch(/BEGIN OPENSSH|PRIVATE KEY/);
        });

        test("no Nagle stall on the link: streams through it stall no more often than direct (without the nodelay shim: ~5-10% take 40 ms more)", async () => {
            const forwardTo = (JSON.parse(docker("inspect", LINK_CONTAINER(0)))[0].Config.Env as string[])
                .find((e) => e.startsWith("LINK_FORWARD_TO="))!.split("=")[1];
            const [vllmHost, vllmPort] = forwardTo.split(":");
            const direct = await streamStalls(STANDINS.gpuHost.name, vllmHost, Number(vllmPort), 200);
            const link = await streamStalls(LITELLM, "model-link-0", LINK.port, 200);
            tally.notes.push(`200 streams of 33 chunks, kept alive: direct on the GPU host p50 ${direct.p50} p95 ${direct.p95} ms, ${direct.stalls} >= 30 ms; ` +
                `from LiteLLM through the link p50 ${link.p50} p95 ${link.p95} ms, ${link.stalls} >= 30 ms`);
            expect(link.stalls).toBeLessThanOrEqual(direct.stalls + 2);
        }, 4 * MINUTE);

        test("(a) from inside LiteLLM: the egress stand-ins, the Docker host and the GPU host's SSH and vLLM ports do not answer; only the link does", async () => {
            const listener = await listenOnHost("host service\n");
            try {
                const bridges = execFileSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).split("\n")
                    .map((l) => /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(l))
                    .filter((x): x is RegExpExecArray => x !== null && (x[1] === "docker0" || x[1].startsWith("br-")))
                    .map((x) => x[2]);
                const targets: Array<[string, string]> = [
                    [TELEGRAM_IP, "443"], [GPU_HOST_IP, "22"], [GPU_HOST_IP, "8000"], [GPU_HOST_2_IP, "22"],
                    [addressOn(LINK_CONTAINER(0), "egress"), "8000"],
                    ...bridges.map((a): [string, string] => [a, String(listener.port)]),
                ];
                expect(targets.map((t) => t[0])).toContain("172.17.0.1");
                for (const [host, port] of targets) {
                    const r = await probe(LITELLM, "tcp", [host, port, "2"]);
                    tally.record(`from LiteLLM to ${host}:${port}`, !r.connected, r);
                    expect([host, port, r.connected]).toEqual([host, port, false]);
                }
                // The control: the link answers, and vLLM's /health comes back through it.
                const linkHealth = await probe(LITELLM, "http", ["GET", "http://model-link-0:8000/health"]);
                expect(linkHealth.code).toBe(200);
                expect(listener.accepted).toBe(0);
            } finally {
                await listener.close();
            }
        });

        test("(b) from the LAN side (a scratch container on the egress network) vLLM's port on the GPU host is closed, and the link's egress address forwards nothing", async () => {
            const image = STANDINS.gpuHost.image;
            const network = `${PREFIX}-egress`;
            const vllm = await probeFrom(image, network, "tcp", [GPU_HOST_IP, "8000", "2"]);
            const viaLink = await probeFrom(image, network, "tcp", [addressOn(LINK_CONTAINER(0), "egress"), "8000", "2"]);
            const ssh = await probeFrom(image, network, "tcp", [GPU_HOST_IP, "22", "2"]);
            tally.record(`vLLM from the LAN (${GPU_HOST_IP}:8000)`, !vllm.connected, vllm);
            tally.record("the link's egress-side address from the LAN", !viaLink.connected, viaLink);
            expect(ssh.connected).toBe(true); // the control: the LAN does reach the host
            expect(vllm.connected).toBe(false);
            expect(viaLink.connected).toBe(false);
        });

        test("(c) the GPU host holds exactly one restricted line for the link key; with it, no shell, no pty, no other forward", async () => {
            const lines = await authorizedKeys(STANDINS.gpuHost.name);
            const forLink = lines.filter((l) => l.includes(m.linkPublicKey));
            expect(forLink).toEqual([`restrict,port-forwarding,permitopen="127.0.0.1:8000",command="/bin/false" ${m.linkPublicKey} secureclaw-link:${PREFIX}`]);
            expect(lines.filter((l) => l.includes(m.sshPublicKey.split(" ")[1]))).toHaveLength(1);
            const tried = await tryLinkKey(GPU_HOST_IP, GPU_HOST_2_IP, m.linkPrivateKey, 8000);
            // Refused: the forward closes (or resets) without a byte; a working one would show the SSH banner.
            const refused = (answer: string) => answer === "" || /^error: .*(reset|closed|timed out)/i.test(answer);
            tally.record("link key: run a command", !tried.shell.ran, tried.shell);
            tally.record("link key: interactive session with a pty", !tried.pty.ran, tried.pty);
            tally.record("link key: remote forward (-R)", ![0, 124].includes(tried.remoteForward), tried.remoteForward);
            tally.record("link key: forward to the GPU host's SSH port", refused(tried.sshPort), tried.sshPort);
            tally.record("link key: forward to another host's SSH port", refused(tried.otherHost), tried.otherHost);
            expect(tried.shell.ran).toBe(false);
            expect(tried.pty.ran).toBe(false);
            expect([0, 124]).not.toContain(tried.remoteForward);
            expect([tried.sshPort, refused(tried.sshPort)]).toEqual([tried.sshPort, true]);
            expect([tried.otherHost, refused(tried.otherHost)]).toEqual([tried.otherHost, true]);
            // The control: the one forward the key is for.
            expect(tried.vllm).toMatch(/^HTTP\/1\.[01] 200/);
        });

        test("(d) a chat completion through the door reaches vLLM through the tunnel (vLLM sees only its loopback)", async () => {
            const r = await chat("through the model link");
            expect(r.code).toBe(200);
            expect(JSON.parse(r.body).choices[0].message.content).toBe("stand-in reply from qwen3-4b: through the model link");
            expect(await vllmClients(STANDINS.gpuHost.name)).toEqual(["127.0.0.1"]);
        });

        test("several GPU hosts: both serve, one stopped is skipped, back again it serves; then the single host again", async () => {
            const served = async (standin: string, marker: string) => (await standinRequests(standin)).filter((q) => q.tag.startsWith(marker)).length;
            const ask = async (marker: string, n: number) => {
                const codes: number[] = [];
                for (let i = 0; i < n; i++) codes.push((await chat(`${marker}-${i}`)).code);
                return codes;
            };
            await up(twoGpuHosts(m));
            await waitFor("LiteLLM and both links", async () => [LITELLM, LINK_CONTAINER(0), LINK_CONTAINER(1)].every((c) => health(c) === "healthy") || undefined, 3 * MINUTE, 1000);
            expect((await authorizedKeys(STANDINS.gpuHost2.name)).filter((l) => l.includes(m.linkPublicKey))).toHaveLength(1);

            const both = tag("two-hosts");
            expect(await ask(both, 12)).toEqual(Array(12).fill(200));
            const split = [await served(STANDINS.gpuHost.name, both), await served(STANDINS.gpuHost2.name, both)];
            tally.notes.push(`two GPU hosts: 12 requests served ${split[0]} / ${split[1]}`);
            expect(split[0]).toBeGreaterThan(0);
            expect(split[1]).toBeGreaterThan(0);

            // The second host drops off the network (frozen: no answer, no reset), as a host that lost power.
            docker("pause", STANDINS.gpuHost2.name);
            let paused = true;
            try {
                const down = tag("one-down");
                const started = Date.now();
                const codes = await ask(down, 6);
                const tookMs = Date.now() - started;
                tally.notes.push(`second GPU host paused: 6 requests answered ${JSON.stringify(codes)} in ${tookMs} ms`);
                expect(codes).toEqual(Array(6).fill(200));
                expect(await served(STANDINS.gpuHost.name, down)).toBe(6);
                expect(tookMs).toBeLessThan(60_000);

                docker("unpause", STANDINS.gpuHost2.name);
                paused = false;
                const back = tag("back");
                const resumed = Date.now();
                await waitFor("the second host to serve again", async () => {
                    expect((await chat(`${back}-${Date.now()}`)).code).toBe(200);
                    return (await served(STANDINS.gpuHost2.name, back)) > 0 || undefined;
                }, 90_000, 1000);
                tally.notes.push(`second GPU host back: served again ${Date.now() - resumed} ms after it was unpaused`);
            } finally {
                if (paused) docker("unpause", STANDINS.gpuHost2.name);
            }

            // Back to one host: the second host's launch, link line and link are removed.
            const single = await up();
            expect(single.resources.map((r) => r.name).filter((n) => n.startsWith("secureclaw-vllm-1") || n.includes("link-1"))).toEqual([]);
            expect((await authorizedKeys(STANDINS.gpuHost2.name)).filter((l) => l.includes(m.linkPublicKey))).toEqual([]);
            expect(docker("ps", "-a", "--filter", `name=${LINK_CONTAINER(1)}`, "--format", "{{.Names}}")).toBe("");
            await waitFor("LiteLLM after going back to one host", async () => health(LITELLM) === "healthy" || undefined, 3 * MINUTE, 1000);
            expect((await chat("one host again")).code).toBe(200);
        }, 12 * MINUTE);
    });
    // ---- end model link ----
    // ---- telegram relay ----
    describe("the Telegram relay holds the bot token; the agent holds a credential worth nothing elsewhere", () => {
        const relayAuditSince = async (since: string) => (await relayAudit()).filter((l) => l.time >= since);

        test("the agent's environment and config hold no bot token: its channel's token is its relay credential, its API root the relay", async () => {
            const env = (await sh("docker", ["exec", AGENT, "env"])).stdout;
            const config = docker("exec", AGENT, "cat", "/etc/openclaw/openclaw.json");
            expect(env).not.toContain(E2E_SECRETS.telegramBotToken);
            expect(config).not.toContain(E2E_SECRETS.telegramBotToken);
            expect(env).toContain(`TELEGRAM_BOT_TOKEN=${AGENT_RELAY_TOKEN}`);
            expect(JSON.parse(config).channels.telegram).toMatchObject({ apiRoot: RELAY_ROOT, botToken: "\${TELEGRAM_BOT_TOKEN}" });
            expect(JSON.parse(config).channels.telegram.proxy).toBeUndefined();
        });

        test("the token is a 0400 file of the relay's uid, on neither its command line nor its environment; the relay joins the enclave and relay networks only", () => {
            const info = JSON.parse(docker("inspect", RELAY_CONTAINER))[0];
            expect(JSON.stringify([info.Config.Env, info.Config.Cmd, info.Args])).not.toContain(E2E_SECRETS.telegramBotToken);
            expect(info.Config.User).toBe("1001:1001");
            // The enclave and relay networks, and bob's cell (bob is on Telegram too).
            expect(Object.keys(info.NetworkSettings.Networks).sort()).toEqual([`${PREFIX}-cell-bob`, `${PREFIX}-enclave`, `${PREFIX}-relay`]);
            expect(docker("exec", RELAY_CONTAINER, "stat", "-c", "%a %u %g", "/run/secureclaw-relay-secret/main.bot-token")).toBe("400 1001 1001");
            expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
            expect(info.HostConfig.ReadonlyRootfs).toBe(true);
        });

        test("OpenClaw's getMe and getUpdates go through the relay, which forwards them with the real token", async () => {
            const seen = await waitFor("OpenClaw's getMe and getUpdates in the relay's audit", async () => {
                const lines = (await relayAudit()).filter((l) => l.source === DOOR_AGENT && l.decision === "allow");
                const methods = new Set(lines.map((l) => l.method));
                return methods.has("getMe") && methods.has("getUpdates") ? methods : undefined;
            }, 2 * MINUTE, 2000);
            // Each agent's OpenClaw polls with its own bot's token: main's and bob's, and no other.
            const both = [E2E_SECRETS.telegramBotToken, E2E_AGENT_BOT_TOKENS.bob].sort();
            const tokens = await waitFor("both agents' getUpdates at the stand-in", async () => {
                const polled = [...new Set((await standinBotRequests()).filter((r) => r.method === "getUpdates").map((r) => r.token))].sort();
                return polled.length >= both.length ? polled : undefined;
            }, 2 * MINUTE, 2000);
            expect(tokens).toEqual(both);
            tally.notes.push(`OpenClaw's calls through the relay: ${[...seen].sort().join(", ")}`);
        });

        test("the agent's own CONNECT to api.telegram.org is denied by the proxy: only the relay's network may reach it", async () => {
            const since = Date.now();
            const r = await probe(AGENT, "connect", ["api.telegram.org", "443"]);
            tally.record("agent CONNECT api.telegram.org:443 (only the relay may)", r.code === 403, r);
            expect(r.code).toBe(403);
            const line = await waitFor("the proxy's audit line for the agent's CONNECT to api.telegram.org", async () =>
                auditLinesFor(PROXY, "api.telegram.org:443", since).find((l) => l.decision === "deny"), 15_000, 250);
            expect(line).toMatchObject({ component: "proxy", reason: "telegram-only-through-relay" });
        });

        test.each<[string, string, unknown, string | undefined, number, string]>([
            ["a wrong placeholder token", "getMe", {}, "123456:relay-0000", 401, "bad-credential"],
            // getMe, not getUpdates: main's OpenClaw long-polls getUpdates through the relay with the real token
            // meanwhile, and a forwarded guess would reach Telegram under that same token, so only a method
            // nobody calls in the background tells the two apart.
            ["the real token's shape with a guess", "getMe", {}, "123456:ATTACKER", 401, "bad-credential"],
            ["setWebhook (would take the bot's updates away)", "setWebhook", { url: "https://evil.example/hook" }, undefined, 403, "method-not-allowed"],
            ["logOut", "logOut", {}, undefined, 403, "method-not-allowed"],
            ["getChat of a stranger", "getChat", { chat_id: STRANGER }, undefined, 403, "chat-not-allowed"],
            ["sendMessage to a stranger's chat", "sendMessage", { chat_id: STRANGER, text: "exfil" }, undefined, 403, "chat-not-allowed"],
            ["forwardMessage (not a method OpenClaw needs)", "forwardMessage", { chat_id: OWNER, from_chat_id: OWNER, message_id: 1 }, undefined, 403, "method-not-allowed"],
        ])("the relay refuses %s, and it never reaches Telegram", async (title, method, body, token, status, reason) => {
            const since = new Date().toISOString();
            const r = await botCall(AGENT, method, body, token);
            tally.record(`relay: ${title}`, r.status === status && r.body.ok === false, r);
            expect(r.status).toBe(status);
            expect(r.body).toMatchObject({ ok: false, error_code: status });
            expect(r.body.description).toContain(reason);
            const audited = await relayAuditSince(since);
            expect(audited).toEqual(expect.arrayContaining([expect.objectContaining({ component: "relay", decision: "deny", reason, method, destination: "api.telegram.org" })]));
            // bob's own polling goes on meanwhile, with bob's token.
            const atTelegram = (await standinBotRequests()).filter((q) => q.time * 1000 >= Date.parse(since) && q.method === method && q.token !== E2E_AGENT_BOT_TOKENS.bob);
            expect(atTelegram).toEqual([]);
        });

        test("a stranger's update never reaches the agent: the relay drops it and logs it; the owner's message goes through", async () => {
            const since = new Date().toISOString();
            const secretText = `stranger-${Date.now()}`;
            await queueMessage(STRANGER, secretText);
            const dropped = await waitFor("the relay to drop the stranger's update", async () =>
                (await relayAuditSince(since)).find((l) => l.reason === "update-from-stranger" && l.chat === STRANGER), MINUTE, 500);
            expect(dropped).toMatchObject({ decision: "deny", method: "getUpdates", source: DOOR_AGENT });
            // Whoever polls through the relay (OpenClaw, or this test) never gets it.
            const polled = await botCall(AGENT, "getUpdates", { timeout: 0 });
            expect(JSON.stringify(polled.body)).not.toContain(secretText);
            const agentLogs = await sh("docker", ["logs", AGENT]);
            expect(agentLogs.stdout + agentLogs.stderr).not.toContain(secretText);
            tally.record("stranger's Telegram update reaching the agent", true, dropped);
        });

        test("files: getFile and a download over the cap are refused, under it they pass; an upload over the cap is refused", async () => {
            await registerFile("big", 2 * MAX_FILE_BYTES);
            await registerFile("small", 1000);
            const big = await botCall(AGENT, "getFile", { file_id: "big" });
            expect([big.status, big.body.description]).toEqual([413, expect.stringContaining("file-too-large")]);
            const bigDownload = await callFrom(AGENT, `${RELAY_ROOT}/file/bot${AGENT_RELAY_TOKEN}/documents/big.bin`);
            expect(bigDownload.status).toBe(413);
            const small = await callFrom(AGENT, `${RELAY_ROOT}/file/bot${AGENT_RELAY_TOKEN}/documents/small.bin`);
            expect(small).toEqual({ status: 200, body: { bytes: 1000 } });
            const upload = await callFrom(AGENT, `${RELAY_ROOT}/bot${AGENT_RELAY_TOKEN}/sendDocument`, { upload: { chatId: OWNER, bytes: MAX_FILE_BYTES + 1 } });
            expect(upload.status).toBe(413);
            const fits = await callFrom(AGENT, `${RELAY_ROOT}/bot${AGENT_RELAY_TOKEN}/sendDocument`, { upload: { chatId: OWNER, bytes: 1000 } });
            expect(fits.status).toBe(200);
            tally.record("oversize Telegram file through the relay", big.status === 413 && bigDownload.status === 413 && upload.status === 413, { big: big.status, download: bigDownload.status, upload: upload.status });
        });

        test("the relay has no route but the proxy: the Telegram stand-in's address is unreachable from inside it, and it resolves no outside name", async () => {
            const script = `const net = require("net"); const dns = require("dns");
const tcp = new Promise((r) => { const s = net.connect({ host: "${TELEGRAM_IP}", port: 443, timeout: 3000 }); s.on("connect", () => { s.destroy(); r("connected"); }); s.on("error", (e) => r(e.code)); s.on("timeout", () => { s.destroy(); r("timeout"); }); });
const name = new Promise((r) => dns.lookup("api.telegram.org", (e, a) => r(e ? e.code : a)));
Promise.all([tcp, name]).then(([t, n]) => console.log(JSON.stringify({ tcp: t, lookup: n })));`;
            const r = JSON.parse((await sh("docker", ["exec", RELAY_CONTAINER, "node", "-e", script])).stdout.trim());
            tally.record("relay straight to the Telegram address (no proxy)", r.tcp !== "connected", r);
            expect(r.tcp).not.toBe("connected");
            expect(r.lookup).not.toMatch(/^\d/);
        });

        test("no secret of the stack, and no other agent's credential, is anywhere an agent user can read: env, every /proc/*/environ, every readable file (item 5)", async () => {
            const sshKeyLines = m.sshPrivateKey.split("\n").filter((l) => l.length >= 40 && !l.startsWith("-----"));
            const stackSecrets: Record<string, string> = {
                ...E2E_SECRETS,
                bobBotToken: E2E_AGENT_BOT_TOKENS.bob,
                // The longest line of the SSH private key's body: unique to that key.
                sshPrivateKey: sshKeyLines.sort((a, b) => b.length - a.length)[0],
            };
            // bob runs main's image: its image files were read in main's pass (and reading them again under
            // gVisor takes minutes); what is bob's own is its environment, its volumes and its tmpfs mounts.
            const bobsOwn = [AGENT_PATHS.config, AGENT_PATHS.state, AGENT_PATHS.workspace, AGENT_PATHS.home, "/tmp"];
            for (const [box, name, other, roots] of [[AGENT, "main", "bob", ["/"]], [BOB, "bob", "main", bobsOwn]] as const) {
                // The agent's own credentials are allowed, and must be found: proof that the scan sees its environment.
                const own = { doorCredential: credentialsOf(name).door, relayCredential: credentialsOf(name).relay };
                const others = { otherDoorCredential: credentialsOf(other).door, otherRelayCredential: credentialsOf(other).relay };
                const scan = await scanAgentForSecrets(box, { ...stackSecrets, ...others, ...own }, [...roots]);
                const secretFindings = scan.findings.filter((f) => !(f.secret in own));
                tally.notes.push(`secret scan of ${name}: ${Object.keys(stackSecrets).length} secrets and ${other}'s credentials, ${scan.files} files (${Math.round(scan.bytes / 1048576)} MiB) readable by the agent user, ${secretFindings.length} finding(s)`);
                expect(scan.files).toBeGreaterThan(name === "main" ? 1000 : 5);
                expect(secretFindings).toEqual([]);
                for (const key of Object.keys(own)) {
                    const where = scan.findings.filter((f) => f.secret === key && f.form === "plain").map((f) => f.where);
                    expect(where).toContain("env");
                    expect(where.some((w) => /^\/proc\/\d+\/environ$/.test(w))).toBe(true);
                }
            }
        }, 10 * MINUTE);
    });
    // ---- cell binding ----
    describe("credentials are bound to the agent's cell", () => {
        const image = () => docker("inspect", "-f", "{{.Config.Image}}", AGENT);

        test("the door: the agent's credential from the gateway network (LiteLLM's namespace) gets the bad-credential 401, recorded as wrong-cell", async () => {
            const url = `http://${addressOn(DOOR, "gateway")}:4000/v1/models`;
            const control = await probe(AGENT, "http", ["GET", "http://model-gateway:4000/v1/models", AGENT_KEY]);
            expect(control.code).toBe(200);
            const wrongCell = await httpFromNamespaceOf(image(), LITELLM, "GET", url, doorCredential(E2E_SECRETS.gatewayMasterKey, DOOR_AGENT));
            const bad = await httpFromNamespaceOf(image(), LITELLM, "GET", url, `sk-door-${"0".repeat(64)}`);
            expect(wrongCell.code).toBe(401);
            expect(refusalShape(wrongCell)).toEqual(refusalShape(bad));
            const usage = await waitFor("the door's wrong-cell usage line", async () => {
                const lines = docker("exec", DOOR, "cat", "/var/lib/secureclaw-door/usage.jsonl").split("\n").filter(Boolean).map((l) => JSON.parse(l));
                return lines.find((l) => l.refused === "wrong-cell");
            }, 15_000);
            expect(usage).toMatchObject({ agent: DOOR_AGENT, status: 401, route: "/v1/models" });
        }, 2 * MINUTE);

        test("the relay: the agent's credential from the relay network (the proxy's namespace) gets the bad-credential 401, audited as wrong-cell", async () => {
            const root = `http://${addressOn(RELAY_CONTAINER, "relay")}:8081`;
            expect((await botCall(AGENT, "getMe")).status).toBe(200);
            const since = new Date().toISOString();
            const wrongCell = await httpFromNamespaceOf(image(), PROXY, "POST", `${root}/bot${AGENT_RELAY_TOKEN}/getMe`, "");
            const bad = await httpFromNamespaceOf(image(), PROXY, "POST", `${root}/bot123456:relay-0000/getMe`, "");
            expect(wrongCell.code).toBe(401);
            expect(refusalShape(wrongCell)).toEqual(refusalShape(bad));
            // The refusals since: both agents' OpenClaws keep polling meanwhile, and those are allowed.
            const lines = (await relayAudit()).filter((l) => l.time >= since && l.decision === "deny") as unknown as Array<Record<string, unknown>>;
            expect(lines).toEqual([
                expect.objectContaining({ agent: DOOR_AGENT, decision: "deny", reason: "wrong-cell" }),
                expect.objectContaining({ agent: "-", decision: "deny", reason: "bad-credential" }),
            ]);
        }, 2 * MINUTE);
    });
    // ---- end cell binding ----
    // ---- user story ----
    describe("the user story: the owner asks over Telegram, Aider edits the file, the owner gets the reply", () => {
        const owner: string = stackFile().telegram.allowFrom[0];
        const stranger = "555000111";
        const strangerMarker = tag("stranger");
        let since = 0;

        test("the owner's request goes Telegram -> OpenClaw -> model -> Aider skill -> model -> hello.py, and the reply reaches the owner's chat", async () => {
            expect(stackFile().telegram.allowFrom).not.toContain(stranger);
            await seedHello(AGENT);
            since = Date.now();
            // The stranger first: once the owner's later update is answered, the stranger's was delivered before it.
            await queueMessage(stranger, `${strangerMarker} ${GREET_REQUEST}`);
            await queueMessage(owner, GREET_REQUEST);
            const explained = <T>(wait: Promise<T>) => wait.catch(async (err) => {
                throw new Error(`${String(err)}\n${await storyDiagnostics(AGENT, STANDINS.gpuHost.name, owner, since)}`);
            });
            const last = await explained(waitFor("the script's last step (OpenClaw's final model call)", async () =>
                (await modelRecords(STANDINS.gpuHost.name, since)).find((r) => r.script === "agent:done" || r.script === "agent:failed"), 4 * MINUTE, 1000));
            const reply = await explained(waitFor("OpenClaw's reply in the owner's chat", async () =>
                (await botRequestsTo(owner, last.time * 1000)).find((r) => r.method === "sendMessage"), MINUTE, 500));
            const took = Date.now() - since;
            expect(plainText(reply.text)).toBe(DONE_TEXT);

            const records = await modelRecords(STANDINS.gpuHost.name, since);
            const scripted = records.filter((r) => r.script !== null);
            expect(scripted.map((r) => r.script)).toEqual(STORY_STEPS);
            // Every call came through the gateway (LiteLLM holds the vLLM key); OpenClaw's first carried the owner's words.
            expect(scripted.every((r) => r.authorized && r.model === "qwen3-4b")).toBe(true);
            expect(scripted[0].user_texts.some((t) => t.includes(GREET_REQUEST) && t.includes(owner))).toBe(true);
            expect(records.filter((r) => r.script === null && r.user_texts.some((t) => t.includes(GREET_REQUEST)))).toEqual([]);

            const hello = await readHello(AGENT);
            expect(hello.startsWith(SEED_HELLO)).toBe(true);
            expect(hello).toMatch(/^def greet\(/m);
            expect(await callGreet(AGENT)).toBe("Hello, world!");
            tally.notes.push(`user story: owner's message to OpenClaw's reply in ${took} ms; model calls ${scripted.map((r) => r.script).join(" -> ")}`);
        }, 6 * MINUTE);

        test("a stranger's message (a user not in allowFrom) never reached the model, and nothing was sent to the stranger's chat", async () => {
            expect(since).toBeGreaterThan(0);
            const records = await modelRecords(STANDINS.gpuHost.name, since);
            const leaked = records.filter((r) => r.user_texts.some((t) => t.includes(strangerMarker)));
            const sent = await botRequestsTo(stranger, since);
            tally.record("a stranger's Telegram message reaching the model or getting an answer", leaked.length === 0 && sent.length === 0, { leaked: leaked.length, sent: sent.map((r) => r.method) });
            expect(records.length).toBeGreaterThan(0);
            expect(leaked).toEqual([]);
            expect(sent).toEqual([]);
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

    // ---- cells (several agents) ----
    describe("each agent in its own cell: agents can't reach each other or use each other's credentials", () => {
        const CELL_BOB = `${PREFIX}-cell-bob`;
        const members = (network: string) => Object.values(JSON.parse(docker("network", "inspect", network))[0].Containers as Record<string, { Name: string }>).map((c) => c.Name).sort();

        test("each agent joins its own network only; the proxy, the door and the relay join every cell, LiteLLM none", () => {
            expect(Object.keys(JSON.parse(docker("inspect", AGENT))[0].NetworkSettings.Networks)).toEqual([`${PREFIX}-enclave`]);
            expect(Object.keys(JSON.parse(docker("inspect", BOB))[0].NetworkSettings.Networks)).toEqual([CELL_BOB]);
            expect(members(CELL_BOB)).toEqual([BOB, DOOR, PROXY, RELAY_CONTAINER].sort());
            expect(members(`${PREFIX}-enclave`)).toEqual([AGENT, DOOR, PROXY, RELAY_CONTAINER].sort());
            const cell = JSON.parse(docker("network", "inspect", CELL_BOB))[0];
            expect(cell.Internal).toBe(true);
            expect(cell.IPAM.Config[0].Subnet).toBe(stackFile().agents.bob.subnet);
            expect(cell.Options["com.docker.network.bridge.inhibit_ipv4"]).toBe("true");
            // The sidecars answer to the same names in every cell.
            const aliases = (container: string) => JSON.parse(docker("inspect", container))[0].NetworkSettings.Networks[CELL_BOB].Aliases as string[];
            expect(aliases(PROXY)).toContain("egress-proxy");
            expect(aliases(DOOR)).toContain("model-gateway");
            expect(aliases(RELAY_CONTAINER)).toContain("telegram-relay");
        });

        test("the other agent's addresses are unreachable, both ways, and so are the sidecars' addresses in the other cell", async () => {
            const targets: Array<[string, string, string]> = [
                [BOB, addressOn(AGENT, "enclave"), "18789"],
                [BOB, addressOn(PROXY, "enclave"), "3128"],
                [BOB, addressOn(DOOR, "enclave"), "4000"],
                [AGENT, addressOn(BOB, "cell-bob"), "18789"],
                [AGENT, addressOn(PROXY, "cell-bob"), "3128"],
                [AGENT, addressOn(DOOR, "cell-bob"), "4000"],
            ];
            for (const [from, address, port] of targets) {
                expect(address).toMatch(/^10\.201\./);
                const r = await probe(from, "tcp", [address, port, "2"]);
                tally.record(`[cells] ${from === BOB ? "bob" : "main"} to ${address}:${port}`, !r.connected, r);
                expect(r.connected).toBe(false);
            }
            // Control: each reaches its own cell's proxy.
            expect((await probe(BOB, "tcp", [addressOn(PROXY, "cell-bob"), "3128", "2"])).connected).toBe(true);
        });

        test("the other agent's names don't resolve", async () => {
            for (const [from, name] of [[BOB, AGENT], [AGENT, BOB], [BOB, `${PREFIX}-enclave`], [AGENT, "bob"]]) {
                // One try of one second: a name Docker's resolver doesn't know goes to the cell's DNS sink, where nothing answers.
                const r = await probe(from, "resolve", [name], ["RES_OPTIONS=timeout:1 attempts:1"]);
                tally.record(`[cells] resolve ${name} from ${from}`, !r.resolved, r);
                expect(r.resolved).toBe(false);
            }
            expect((await probe(BOB, "resolve", ["model-gateway"])).resolved).toBe(true);
        });

        test("another agent's door credential is refused, like a wrong one; each agent's own works, and usage is kept per agent", async () => {
            const main = credentialsOf("main").door;
            const bob = credentialsOf("bob").door;
            const ask = (box: string, key: string, text: string) => askGateway(box, { method: "POST", target: "/v1/chat/completions", key, body: chatBody(text) });
            const marker = tag("cross-door");
            const stolen = [await ask(BOB, main, marker), await ask(AGENT, bob, marker)];
            const wrong = await ask(BOB, `sk-door-${"0".repeat(64)}`, marker);
            tally.record("[cells] another agent's door credential", stolen.every((a) => a.code === 401), stolen.map((a) => a.code));
            for (const a of stolen) {
                expect(a.code).toBe(401);
                expect(a.body).toBe(wrong.body);
            }
            expect((await standinRequests(STANDINS.gpuHost.name)).filter((r) => r.tag === marker)).toEqual([]);
            const own = await ask(BOB, bob, "bob's own");
            expect(own.code).toBe(200);
            modelCallsAnswered++;
            const usage = (await sh("docker", ["exec", DOOR, "cat", "/var/lib/secureclaw-door/usage.jsonl"])).stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
            expect(usage.some((u) => u.agent === "bob" && u.refused === undefined)).toBe(true);
            expect(usage.some((u) => u.agent === "main" && u.refused === undefined)).toBe(true);
        });

        test("the proxy applies each agent's allowlist by its cell: main's name is denied to bob, bob's own allowed, and the audit names the agent", async () => {
            const since = Date.now();
            const denied = await probe(BOB, "connect", ["relay.e2e.test", "443"]);
            const allowed = await probe(BOB, "connect", [BOB_ALLOWED, "443"]);
            const mains = await probe(AGENT, "connect", ["relay.e2e.test", "443"]);
            tally.record("[cells] main's allowlisted name from bob", denied.code === 403, denied);
            expect([denied.code, allowed.code, mains.code]).toEqual([403, 200, 200]);
            const lines = await waitFor("the proxy's audit lines", async () => {
                const found = auditLinesFor(PROXY, "relay.e2e.test:443", since);
                return found.length >= 2 ? found : undefined;
            }, 30_000, 1000);
            expect(lines.find((l) => l.decision === "deny")).toMatchObject({ agent: "bob", source: expect.stringMatching(/^10\.201\.8\./) });
            expect(lines.find((l) => l.decision === "allow")).toMatchObject({ agent: "main" });
        });

        test("the relay answers bob with bob's own bot, refuses main's credential from bob's cell, and won't deliver to main's chats", async () => {
            const bob = credentialsOf("bob").relay;
            const main = credentialsOf("main").relay;
            const before = (await standinBotRequests()).length;
            const me = await botCall(BOB, "getMe", {}, bob);
            expect(me.status).toBe(200);
            expect(me.body.result.id).toBe(234567);
            const stolen = await botCall(BOB, "getMe", {}, main);
            const toMainsOwner = await botCall(BOB, "sendMessage", { chat_id: OWNER, text: tag("cross-chat") }, bob);
            tally.record("[cells] main's relay credential from bob", stolen.status === 401, stolen);
            tally.record("[cells] bob writing to main's owner", toMainsOwner.status === 403, toMainsOwner);
            expect(stolen.status).toBe(401);
            expect(toMainsOwner.status).toBe(403);
            // What reached Telegram meanwhile, but bob's OpenClaw's own polling.
            const reached = (await standinBotRequests()).slice(before).filter((r) => r.method !== "getUpdates");
            expect(reached.map((r) => [r.method, r.token])).toEqual([["getMe", E2E_AGENT_BOT_TOKENS.bob]]);
            const audit = await relayAudit();
            expect(audit.filter((l) => l.agent === "bob" && l.decision === "deny").length).toBeGreaterThanOrEqual(1);
        });
    });
    // ---- end cells ----

    // ---- gVisor (agent.runtime: runsc) ----
    // bob runs under runsc from the start (agents.bob.agent.runtime), main under runc.
    describe("an agent box under gVisor (agents.bob.agent.runtime: runsc)", () => {
        test("the box runs under runsc with the same hardening, its process ceiling in gVisor's kernel; OpenClaw is healthy", () => {
            const info = JSON.parse(docker("inspect", BOB))[0];
            expect(info.HostConfig.Runtime).toBe("runsc");
            expect(JSON.parse(docker("inspect", AGENT))[0].HostConfig.Runtime).toBe("runc");
            expect(info.HostConfig.CapDrop).toEqual(["ALL"]);
            expect(info.HostConfig.ReadonlyRootfs).toBe(true);
            expect(info.HostConfig.SecurityOpt).toEqual(["no-new-privileges:true"]);
            expect(Object.keys(info.NetworkSettings.Networks)).toEqual([`${PREFIX}-cell-bob`]);
            const { pids, memoryMb } = stackFile().agent;
            const limits = agentProcessLimits("runsc", pids, memoryMb);
            expect(info.HostConfig.Ulimits).toContainEqual({ Name: "nproc", Soft: limits.nproc, Hard: limits.nproc });
            expect(info.HostConfig.PidsLimit).toBe(limits.hostPidsLimit);
            expect(info.Mounts.find((mt: { Destination: string }) => mt.Destination === "/var/lib/openclaw").Name).toBe(`${PREFIX}-agent-bob-state-gvisor`);
            expect(health(BOB)).toBe("healthy");
        });

        test("the box reports gVisor's kernel, not the host's", async () => {
            const k = await probe(BOB, "kernel");
            tally.notes.push(`under runsc the box sees: ${k.proc_version}; host: ${os.release()}`);
            expect(k.proc_version).toMatch(/^Linux version 4\.4\.0 /);
            expect(k.release).not.toBe(os.release());
            expect(k.dmesg).toMatch(/Starting gVisor/);
            const runc = await probe(AGENT, "kernel");
            expect(runc.release).toBe(os.release());
        });

        test("its network namespace has no IPv6, seen from the host (gVisor has no /proc/sys/net inside)", () => {
            const pid = docker("inspect", "-f", "{{.State.Pid}}", BOB);
            const ns = (...cmd: string[]) => execFileSync("nsenter", ["-t", pid, "-n", ...cmd], { encoding: "utf8" }).trim();
            expect(ns("cat", "/proc/sys/net/ipv6/conf/all/disable_ipv6")).toBe("1");
            expect(ns("ip", "-6", "-o", "addr")).toBe("");
            expect(ns("ip", "-4", "-o", "addr", "show", "eth0")).toMatch(new RegExp(`inet ${stackFile().agents.bob.subnet.split(".").slice(0, 3).join("\\.")}\\.`));
        });

        test("every probe attack of the suite is blocked under gVisor too, and the controls pass", async () => {
            const control = await controls(BOB, BOB_ALLOWED);
            expect(control).toEqual({ allowedConnect: 200, doorResolves: true, chat: 200 });
            modelCallsAnswered++;
            const rows = await probeAttacks(BOB);
            for (const r of rows) tally.record(`[runsc] ${r.attack}`, r.blocked, r.detail);
            expect(rows.length).toBeGreaterThanOrEqual(20);
            expect(rows.filter((r) => !r.blocked)).toEqual([]);
            expect(health(BOB)).toBe("healthy");
        }, 4 * MINUTE);

        // nproc under runsc is what the memory holds (agentProcessLimits): a box
        // out of memory is killed whole by the cgroup OOM killer.
        test("a fork bomb stops at the nproc ceiling inside gVisor, within the memory limit, and OpenClaw stays healthy", async () => {
            const { pids, memoryMb } = stackFile().agent;
            const nproc = agentProcessLimits("runsc", pids, memoryMb).nproc!;
            const peakBefore = memoryPeakMb(BOB);
            const r = await forkBomb(BOB, nproc);
            tally.record(`[runsc] ${r.attack}`, r.blocked, r.detail);
            expect(r).toMatchObject({ blocked: true });
            const peak = memoryPeakMb(BOB);
            tally.notes.push(`under runsc the fork bomb stopped at ${(r.detail as { forked?: number }).forked} forks (nproc ${nproc}); the box's memory peaked at ${peak} MiB of ${memoryMb} (before: ${peakBefore})`);
            expect(peak).toBeLessThan(memoryMb);
            expect(docker("inspect", "-f", "{{.State.Running}} {{.RestartCount}}", BOB)).toBe("true 0");
            expect(health(BOB)).toBe("healthy");
        }, 2 * MINUTE);
    });
    // ---- end gVisor ----

    describe("lifecycle", () => {
        test("a second up with the same config changes nothing (expect-no-changes): every resource the same, no container replaced", async () => {
            const containers = () => docker("ps", "-a", "--no-trunc", "--filter", `label=secureclaw.stack=${PREFIX}`, "--format", "{{.Names}} {{.ID}}").split("\n").sort();
            const before = containers();
            // Throws an UnexpectedChangesError naming every input the provider would store in another form.
            const again = await realizeE2E(m, secrets, {}, { expectNoChanges: true });
            expect(again.resources.filter((r) => r.action !== "same").map((r) => `${r.action} ${r.name}`)).toEqual([]);
            expect(again.resources.length).toBe(first.resources.length);
            expect(containers()).toEqual(before);
        });

        // ---- cells: adding and removing an agent ----
        const CAROL = agentContainer("carol");
        /** The shared sidecars' config writers: replaced when an agent comes or goes, since their files name every agent. */
        const SIDECAR_WRITER = new RegExp(`^${PREFIX}-(egress-config|door-config|relay-config|relay-secret)-`);
        const CAROL_OWNER = "444000444";
        // A small send rate, so the suite can go over it cheaply on the live relay.
        const CAROL_ENTRY = { subnet: "10.201.9.0/24", egress: { allowlist: ["relay.e2e.test"] }, telegram: { allowFrom: [CAROL_OWNER], sendsPerMinute: 3 } };

        /** Runs `change` while main and bob each hold a tunnel open through the proxy; returns the tunnels and how long `change` took. */
        async function withTunnelsHeld<T>(change: () => Promise<T>): Promise<{ result: T; ms: number; tunnels: Array<{ box: string; held: Awaited<ReturnType<typeof holdTunnel>["done"]> }> }> {
            const held = [AGENT, BOB].map((box) => ({ box, tunnel: holdTunnel(box, BOB_ALLOWED, CA) }));
            // The tunnels are open (and have answered) before the change starts.
            await new Promise((r) => setTimeout(r, 3000));
            const started = Date.now();
            const result = await change();
            const ms = Date.now() - started;
            // Past the proxy's reload, which follows the new config within a couple of seconds.
            await new Promise((r) => setTimeout(r, 5000));
            for (const h of held) await h.tunnel.stop();
            const tunnels = await Promise.all(held.map(async (h) => ({ box: h.box, held: await h.tunnel.done })));
            return { result, ms, tunnels };
        }

        test("adding an agent creates its cell and box and replaces no other container; the others' open tunnels survive", async () => {
            const before = stackContainers();
            const { result, ms, tunnels } = await withTunnelsHeld(() => up({ "agents.carol": CAROL_ENTRY }));
            for (const t of tunnels) {
                tally.notes.push(`${t.box}'s tunnel while carol was added: ${JSON.stringify(t.held)}`);
                expect(t.held).toMatchObject({ connect: 200 });
                expect(t.held.error).toBeUndefined();
                expect(t.held.answered).toBeGreaterThanOrEqual(Math.floor(ms / 1000));
            }
            // Every container but the shared sidecars' config writers (never started; their files gain carol) keeps its ID.
            const after = stackContainers();
            expect(after.filter((c) => !SIDECAR_WRITER.test(c) && !c.startsWith(CAROL))).toEqual(before.filter((c) => !SIDECAR_WRITER.test(c)));
            expect(after.filter((c) => c.startsWith(`${CAROL} `))).toHaveLength(1);
            const changed = result.resources.filter((r) => r.action !== "same");
            const replaced = changed.filter((r) => r.action === "replace").map((r) => r.name);
            // Only the shared sidecars' config writers are replaced (their files gain carol); nothing that runs.
            expect(replaced.filter((n) => !/-writer-/.test(n))).toEqual([]);
            expect(changed.filter((r) => r.action === "create").every((r) => /carol/.test(r.name) || /-writer-/.test(r.name))).toBe(true);
            tally.notes.push(`up adding agent carol: ${Math.round(ms / 100) / 10} s; ${changed.filter((r) => r.action === "create").length} created, ${replaced.length} replaced (${replaced.join(", ")}); main's and bob's tunnels answered ${tunnels.map((t) => t.held.answered).join(" and ")} requests across it`);

            await waitFor("carol's door credential to work", async () => (await askGateway(CAROL, { method: "POST", target: "/v1/chat/completions", key: credentialsOf("carol").door, body: chatBody("carol") })).code === 200 || undefined, MINUTE, 1000);
            modelCallsAnswered++;
            await waitFor("carol's allowlist to apply", async () => (await probe(CAROL, "connect", ["relay.e2e.test", "443"])).code === 200 || undefined, MINUTE, 1000);
            expect((await probe(CAROL, "connect", [BOB_ALLOWED, "443"])).code).toBe(403);
            expect((await askGateway(CAROL, { method: "POST", target: "/v1/chat/completions", key: credentialsOf("bob").door, body: chatBody("carol as bob") })).code).toBe(401);
            expect((await probe(CAROL, "tcp", [addressOn(BOB, cellOf("bob")), "18789", "2"])).connected).toBe(false);
            expect((await botCall(CAROL, "getMe", {}, credentialsOf("carol").relay)).body.result?.id).toBe(345678);

            // The relay's send rate, per agent (telegram.sendsPerMinute 3 for carol): the 4th send in a minute is refused and never sent.
            const marker = tag("carol-rate");
            const sends = [];
            for (let i = 0; i < 4; i++) sends.push(await botCall(CAROL, "sendMessage", { chat_id: CAROL_OWNER, text: `${marker} ${i}` }, credentialsOf("carol").relay));
            const sent = (await standinBotRequests()).filter((r) => r.method === "sendMessage" && r.text?.startsWith(marker));
            tally.record("[relay] a 4th send in a minute past sendsPerMinute 3", sends[3].status === 429 && sent.length === 3, { statuses: sends.map((r) => r.status), atTelegram: sent.length });
            expect(sends.map((r) => r.status)).toEqual([200, 200, 200, 429]);
            expect(sent.map((r) => r.token)).toEqual([E2E_AGENT_BOT_TOKENS.carol, E2E_AGENT_BOT_TOKENS.carol, E2E_AGENT_BOT_TOKENS.carol]);
            expect((await relayAudit()).some((l) => l.agent === "carol" && l.reason === "send-rate-limit")).toBe(true);
        }, 6 * MINUTE);

        test("removing the agent deletes its cell and box and nothing else; the others' open tunnels survive", async () => {
            const before = stackContainers();
            const { result, ms, tunnels } = await withTunnelsHeld(() => up());
            for (const t of tunnels) {
                tally.notes.push(`${t.box}'s tunnel while carol was removed: ${JSON.stringify(t.held)}`);
                expect(t.held.error).toBeUndefined();
            }
            const replacedNames = new Set(result.resources.filter((r) => r.action === "replace").map((r) => r.name));
            const deleted = result.deleted.filter((d) => !replacedNames.has(d.name)).map((d) => d.name);
            expect(deleted).toEqual(expect.arrayContaining(["secureclaw-agent-carol", "secureclaw-cell-carol-network"]));
            expect(deleted.every((n) => /carol/.test(n) || /-writer-/.test(n))).toBe(true);
            expect(result.resources.filter((r) => r.action === "replace" && !/-writer-/.test(r.name))).toEqual([]);
            expect(stackContainers().filter((c) => !SIDECAR_WRITER.test(c))).toEqual(before.filter((c) => !c.startsWith(CAROL) && !SIDECAR_WRITER.test(c)));
            expect(docker("network", "ls", "-q", "--filter", `name=^${PREFIX}-cell-carol$`)).toBe("");
            // Its workspace outlives it, like any agent's (retainOnDelete).
            expect(docker("volume", "ls", "-q", "--filter", `name=^${PREFIX}-workspace-carol$`)).toBe(`${PREFIX}-workspace-carol`);
            // No longer in the stack, so the teardown can't see it: removed by hand, as its owner would.
            docker("volume", "rm", `${PREFIX}-workspace-carol`);
            tally.notes.push(`up removing agent carol: ${Math.round(ms / 100) / 10} s; ${deleted.length} deleted; tunnels answered ${tunnels.map((t) => t.held.answered).join(" and ")} requests across it`);
        }, 6 * MINUTE);
        // ---- end cells: adding and removing an agent ----

        test("an allowlist change reaches the running proxy: no container is replaced, a new name is allowed, a removed one denied", async () => {
            const ids = runningContainers();
            const pins = { "api.telegram.org": TELEGRAM_IP, "relay.e2e.test": TELEGRAM_IP, "other.e2e.test": TELEGRAM_IP };
            const changedAt = Date.now();
            await up({ "egress.allowlist": ["relay.e2e.test", "other.e2e.test"], "egress.pinnedHosts": pins });
            await waitFor("other.e2e.test to be allowed", async () => (await probe(AGENT, "connect", ["other.e2e.test", "443"])).code === 200 || undefined, MINUTE, 500);
            tally.notes.push(`allowlist change took effect ${Date.now() - changedAt} ms after the re-run started`);
            expect(runningContainers()).toEqual(ids);

            await up();
            await waitFor("other.e2e.test to be denied again", async () => (await probe(AGENT, "connect", ["other.e2e.test", "443"])).code === 403 || undefined, MINUTE, 500);
            expect(runningContainers()).toEqual(ids);
            // For about half a second after a reload the proxy refuses new tunnels (it re-probes its SNI port; see run-squid.sh).
            await waitFor("relay.e2e.test to be allowed after the reload", async () => (await probe(AGENT, "connect", ["relay.e2e.test", "443"])).code === 200 || undefined, 10_000, 250);
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

        // ---- door limits: concurrency, the cap over all agents, tokens ----
        test("the other limits reach the running door in place too: one call at a time per agent, two in all, a token budget; past each the agent gets 429 naming it, and vLLM never sees those", async () => {
            const before = runningContainers();
            const changedAt = Date.now();
            await up({ "agent.concurrentRequests": 1, "gateway.maxParallelRequests": 2, "agent.tokensPerMinute": 20000 });
            await doorAppliedSettings(changedAt);
            expect(runningContainers()).toEqual(before);
            const refusedWith = (a: { code: number; body: string }) => (a.code === 429 ? JSON.parse(a.body).error.code : `${a.code}`);
            const askFrom = (box: string, text: string, extra: Record<string, unknown> = {}) => askGateway(box, { method: "POST", target: "/v1/chat/completions", body: chatBody(text, extra) });
            // A bodiless POST: 429 if a limit stands in the way, else 415 at once (it never holds a slot or reaches LiteLLM).
            const bodiless = async (box: string) => refusedWith(await probe(box, "http", ["POST", "http://model-gateway:4000/v1/chat/completions", AGENT_KEY]));
            const marks = { held: tag("held"), second: tag("second"), bobHeld: tag("bob-held"), busy: tag("busy") };

            // Calls held in flight: the GPU host frozen, as a model busy with long answers.
            docker("pause", STANDINS.gpuHost.name);
            let paused = true;
            try {
                const early: Answer[] = [];
                const inFlight = (box: string, expected: string) => async () => {
                    if (early.length > 0) throw new Error(`a held call was answered while the GPU host was frozen: ${early[0].code} ${early[0].body.slice(0, 300)}`);
                    const seen = await bodiless(box);
                    if (seen !== expected) throw new Error(`a bodiless POST from ${box} got ${seen}`);
                    return true;
                };
                const held = chat(marks.held).then((a) => (early.push(a), a));
                await waitFor("main's call to be in flight", inFlight(AGENT, "concurrent_requests"), 20_000, 250);
                const second = await askFrom(AGENT, marks.second);
                const bobHeld = askFrom(BOB, marks.bobHeld).then((a) => (early.push(a), a));
                await waitFor("bob's call to be in flight too", inFlight(BOB, "gateway_busy"), 20_000, 250);
                const busy = await askFrom(BOB, marks.busy);
                docker("unpause", STANDINS.gpuHost.name);
                paused = false;
                const answered = [await held, await bobHeld];

                tally.record("a 2nd call of main's while one is in flight (concurrentRequests 1)", refusedWith(second) === "concurrent_requests", refusedWith(second));
                tally.record("bob's call while two are in flight (gateway.maxParallelRequests 2)", refusedWith(busy) === "gateway_busy", refusedWith(busy));
                expect(refusedWith(second)).toBe("concurrent_requests");
                expect(JSON.parse(second.body).error.message).toMatch(/1 concurrent requests already in flight/);
                expect(refusedWith(busy)).toBe("gateway_busy");
                expect(JSON.parse(busy.body).error.message).toMatch(/the model gateway has 2 calls in flight/);
                expect(answered.map((a) => a.code)).toEqual([200, 200]);
            } finally {
                if (paused) docker("unpause", STANDINS.gpuHost.name);
            }

            // Tokens: a call reserves its prompt and max_tokens, then is charged what it used (the stand-in's 8000 words).
            // Two fit in 20000 a minute; the third's reservation does not.
            const big = "secureclaw-bench: emit 8000 chunks";
            const bigBefore = (await standinRequests(STANDINS.gpuHost.name)).filter((r) => r.tag === big).length;
            const spent = [];
            for (let i = 0; i < 3; i++) spent.push(await chat(big, { max_tokens: 8000 }));
            const atVllm = (await standinRequests(STANDINS.gpuHost.name)).filter((r) => r.tag === big).length - bigBefore;
            tally.record("a 3rd call of 8000 tokens within a minute past tokensPerMinute 20000", refusedWith(spent[2]) === "tokens_per_minute" && atVllm === 2, { codes: spent.map(refusedWith), atVllm });
            expect(spent.map(refusedWith)).toEqual(["200", "200", "tokens_per_minute"]);
            // Charged what they used: the door's usage log has both at 8000 completion tokens.
            const usage = (await sh("docker", ["exec", DOOR, "cat", "/var/lib/secureclaw-door/usage.jsonl"])).stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
            expect(usage.filter((u) => u.agent === DOOR_AGENT && u.completion_tokens === 8000).length).toBeGreaterThanOrEqual(2);
            expect(JSON.parse(spent[2].body).error.message).toMatch(/tokens per minute \(20000\)/);
            expect(Number(header(spent[2], "retry-after"))).toBeGreaterThan(0);
            expect(atVllm).toBe(2);

            const reached = (await standinRequests(STANDINS.gpuHost.name)).map((r) => r.tag);
            expect(reached).toEqual(expect.arrayContaining([marks.held, marks.bobHeld]));
            expect(reached.filter((t) => t === marks.second || t === marks.busy)).toEqual([]);
            tally.notes.push(`door limits in place: main's 2nd call refused concurrent_requests, bob's refused gateway_busy while two were held; tokens: ${spent.map(refusedWith).join(", ")}`);

            const restoredAt = Date.now();
            await up();
            await doorAppliedSettings(restoredAt);
            expect(runningContainers()).toEqual(before);
        }, 4 * MINUTE);
        // ---- end door limits ----

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
            expect(result.resources.find((r) => r.type === "command:remote:Command" && r.name === "secureclaw-vllm")!.action).toBe("replace");
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
            const needles = [GPU_HOST_IP, ":8000", "x-litellm", version, "model-link", addressOn(LINK_CONTAINER(0), "model")];
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
