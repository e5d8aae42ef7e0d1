/**
 * The suite's probe.py attacks as one list that runs against any agent box
 * and returns a row per attack. The runc box meets them test by test in
 * enclave.test.ts (with more context: DNS through a loopback resolver, the
 * gateway routes); this list runs them again, at once, against the same box
 * under another runtime (gVisor), and later against each agent of a stack.
 *
 * Each attack is paired with controls that must succeed from the same box,
 * so a box whose network simply doesn't work can't pass as "all blocked".
 */
import { execFileSync } from "child_process";
import { readFileSync } from "fs";
import { askGateway, chatBody } from "./gateway";
import { GPU_HOST_IP, PREFIX, TELEGRAM_IP } from "./setup";
import * as fs from "fs";
import * as path from "path";
import { docker, listenOnHost, probe, sh } from "./support";

const PROBE_SOURCE = fs.readFileSync(path.join(__dirname, "probes", "probe.py"), "utf8");

export interface AttackRow {
    attack: string;
    blocked: boolean;
    detail: unknown;
}

/** CONNECTs the proxy must refuse (attack 5 of the suite). */
const PROXY_DENIALS: Array<[string, string, string]> = [
    ["a name not on the allowlist", "not-allowed.e2e.test", "443"],
    ["the allowed server's own IP", TELEGRAM_IP, "443"],
    ["an IP literal (cloud metadata)", "169.254.169.254", "80"],
    ["an IPv6 literal", "[::1]", "443"],
    ["an allowlisted name on another port", "api.telegram.org", "8443"],
    ["the proxy itself (loopback)", "127.0.0.1", "3128"],
];

/** IPv4 addresses the Docker host holds on its bridges, and the enclave's and egress network's gateways. */
function hostBridgeAddresses(): string[] {
    const own = execFileSync("ip", ["-4", "-o", "addr", "show"], { encoding: "utf8" }).split("\n")
        .map((l) => /^\d+:\s+(\S+)\s+inet\s+([\d.]+)\//.exec(l))
        .filter((x): x is RegExpExecArray => x !== null && (x[1] === "docker0" || x[1].startsWith("br-")))
        .map((x) => x[2]);
    const gateways = ["enclave", "egress"].map((n) => docker("network", "inspect", "-f", "{{range .IPAM.Config}}{{.Gateway}}{{end}}", `${PREFIX}-${n}`));
    return [...new Set([...own, ...gateways.filter(Boolean)])];
}

/** What must work from the box, or the attacks below prove nothing; `allowedName` is on the box's allowlist. */
export async function controls(box: string, allowedName = "relay.e2e.test"): Promise<Record<string, unknown>> {
    const allowed = await probe(box, "connect", [allowedName, "443"]);
    const door = await probe(box, "resolve", ["model-gateway"]);
    const chat = await askGateway(box, { method: "POST", target: "/v1/chat/completions", body: chatBody("control from the attack set") });
    return { allowedConnect: allowed.code, doorResolves: door.resolved, chat: chat.code };
}

/** Every probe.py attack of the suite against `box` but the fork bomb (forkBomb, below). */
export async function probeAttacks(box: string): Promise<AttackRow[]> {
    const rows: AttackRow[] = [];
    const row = (attack: string, blocked: boolean, detail: unknown) => rows.push({ attack, blocked, detail });

    for (const [host, port] of [[TELEGRAM_IP, "443"], [GPU_HOST_IP, "22"], [GPU_HOST_IP, "8000"]]) {
        const r = await probe(box, "tcp", [host, port]);
        row(`direct TCP to ${host}:${port} (egress network, vLLM)`, !r.connected, r);
    }
    const listener = await listenOnHost("host service\n");
    try {
        for (const address of hostBridgeAddresses()) {
            const r = await probe(box, "tcp", [address, String(listener.port), "2"]);
            row(`host service via ${address}`, !r.connected, r);
        }
    } finally {
        await listener.close();
    }
    const outside = await probe(box, "resolve", [`attack-set-${Date.now()}.leak-probe.example`]);
    row("DNS lookup of an outside name", !outside.resolved, outside);
    const v6 = await probe(box, "tcp6", ["::1", "18789"]);
    row("IPv6 connect", !v6.connected, v6);
    for (const [title, target, port] of PROXY_DENIALS) {
        const r = await probe(box, "connect", [target, port]);
        row(`proxy CONNECT to ${title} (${target}:${port})`, r.code === 403, r);
    }
    const plain = await probe(box, "http-via-proxy", ["http://api.telegram.org/bot123:x/getMe"]);
    row("plain HTTP through the proxy", plain.code === 403, plain);
    const unset = ["-u", "HTTP_PROXY", "-u", "HTTPS_PROXY", "-u", "http_proxy", "-u", "https_proxy"];
    const lookup = await probe(box, "resolve", ["api.telegram.org"], unset);
    const direct = await probe(box, "tcp", [TELEGRAM_IP, "443"], unset);
    row("allowlisted name without the proxy", !lookup.resolved && !direct.connected, { lookup, direct });
    const metadata = await probe(box, "tcp", ["169.254.169.254", "80", "2"]);
    row("metadata address direct", !metadata.connected, metadata);
    const litellm = await probe(box, "resolve", ["litellm"]);
    row("resolve litellm", !litellm.resolved, litellm);
    // Every address LiteLLM has, on whichever networks it joins.
    const networks: Record<string, { IPAddress: string }> = JSON.parse(docker("inspect", "-f", "{{json .NetworkSettings.Networks}}", `${PREFIX}-model-gateway`));
    for (const [network, { IPAddress: address }] of Object.entries(networks)) {
        const r = await probe(box, "tcp", [address, "4000", "2"]);
        row(`LiteLLM directly on ${network} (${address}:4000)`, !r.connected, r);
    }
    const self = await probe(box, "selfcheck");
    const escalation = {
        uid: self.uid, cap_eff: self.cap_eff, cap_prm: self.cap_prm, cap_bnd: self.cap_bnd, no_new_privs: self.no_new_privs_prctl,
        docker_sock: self.docker_sock, setuid_files: self.setuid_files, gpu_devices: self.gpu_devices,
        writable_root: self.writable["/"] || self.writable["/usr"] || self.writable["/etc"] || self.writable["/etc/openclaw"],
    };
    const zero = "0000000000000000";
    row("escalate: capabilities / setuid / write root or config", self.uid === 1000 && [self.cap_eff, self.cap_prm, self.cap_bnd].every((c) => c === zero)
        && self.no_new_privs_prctl === 1 && !self.docker_sock && self.setuid_files.length === 0 && self.gpu_devices.length === 0 && !escalation.writable_root, escalation);
    return rows;
}

/**
 * A fork bomb in `box`, whose ceiling is `pids`: blocked when the kernel
 * refused a fork below the ceiling and the box is still running.
 */
export async function forkBomb(box: string, pids: number): Promise<AttackRow> {
    const r = await sh("docker", ["exec", "-i", box, "python3", "-", "forkbomb", "5000"], PROBE_SOURCE);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    const bomb = line.startsWith("{") ? JSON.parse(line) : { forked: undefined, stopped_by: undefined, output: (r.stdout + r.stderr).slice(0, 300) };
    const running = docker("inspect", "-f", "{{.State.Running}}", box) === "true";
    const blocked = typeof bomb.forked === "number" && bomb.forked < pids && /Resource temporarily unavailable/.test(bomb.stopped_by ?? "") && running;
    return { attack: `fork bomb (ceiling ${pids})`, blocked, detail: { ...bomb, running } };
}

/**
 * The most memory `box` has used since it started, in MiB, from its memory
 * cgroup (v1, as on the engines here): under gVisor the OOM killer kills the
 * whole box at its limit, so a refused fork bomb must also stay under it.
 */
export function memoryPeakMb(box: string): number {
    const id = docker("inspect", "-f", "{{.Id}}", box);
    return Math.round(Number(readFileSync(`/sys/fs/cgroup/memory/docker/${id}/memory.max_usage_in_bytes`, "utf8")) / 1024 / 1024);
}
