/**
 * The model link on the live enclave: what LiteLLM can reach (only its
 * links), what the LAN side can reach (not vLLM), what the link key may do
 * on the GPU host (one forward), and several GPU hosts behind LiteLLM.
 */
import { linkAlias } from "../../components/modellink/linkPlan";
import { LINK } from "../../policy/contract/contract";
import { PREFIX, STANDINS } from "./setup";
import { docker, sh } from "./support";

export const LINK_CONTAINER = (i: number) => `${PREFIX}-model-link-${i}`;

/** The link's address on a network of the stack ("model" or "egress"). */
export function addressOn(container: string, network: string): string {
    return docker("inspect", "-f", `{{(index .NetworkSettings.Networks "${PREFIX}-${network}").IPAddress}}`, container);
}

/** The lines of the GPU host stand-in's authorized_keys. */
export async function authorizedKeys(standin: string): Promise<string[]> {
    const r = await sh("docker", ["exec", standin, "cat", "/home/gpu/.ssh/authorized_keys"]);
    return r.stdout.split("\n").filter(Boolean);
}

/** The client addresses vLLM (the stand-in on the GPU host) logged requests from. */
export async function vllmClients(standin: string): Promise<string[]> {
    const r = await sh("docker", ["exec", standin, "docker", "logs", "--tail", "200", `${PREFIX}-vllm`]);
    return [...new Set([...r.stdout.matchAll(/INFO: (\S+) - "(?:GET|POST) \/v1\//g)].map((m) => m[1]))];
}

export interface LinkKeyAttempts {
    /** ssh exit code and whether the command's output came back. */
    shell: { code: number; ran: boolean };
    /** An interactive session with a pty: exit code and whether a prompt answered. */
    pty: { code: number; ran: boolean };
    /** A remote (-R) forward: ssh's exit code (124 would mean it stayed up). */
    remoteForward: number;
    /** What came back through local forwards to SSH servers (which talk first: a working forward shows their banner), and to vLLM's port (the control). */
    sshPort: string;
    otherHost: string;
    vllm: string;
}

/**
 * From a scratch container on the LAN side (the egress network), with the
 * link's own key, tries what an attacker holding that key would: a shell, a
 * pty, a remote forward, local forwards to the host's SSH port and to another
 * host's (SSH servers speak first, so a working forward would show a banner),
 * and (the control) the forward the key is for.
 */
export async function tryLinkKey(gpuHostIp: string, otherIp: string, linkKey: string, vllmPort: number): Promise<LinkKeyAttempts> {
    const script = `
umask 077; cat > /tmp/k
O="-F /dev/null -i /tmp/k -o IdentitiesOnly=yes -o BatchMode=yes -o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o ConnectTimeout=5 -o LogLevel=ERROR -l gpu"
out=$(timeout 15 ssh $O ${gpuHostIp} 'echo SHELL-RAN' 2>&1); shell=$?
case $out in *SHELL-RAN*) shell_ran=true ;; *) shell_ran=false ;; esac
out=$(echo 'echo PTY-RAN; exit' | timeout 15 ssh -tt $O ${gpuHostIp} 2>&1); pty=$?
case $out in *PTY-RAN*) pty_ran=true ;; *) pty_ran=false ;; esac
timeout 10 ssh $O -N -o ExitOnForwardFailure=yes -R 127.0.0.1:9100:127.0.0.1:22 ${gpuHostIp} >/dev/null 2>&1; remote=$?
ssh $O -N -L 127.0.0.1:9001:127.0.0.1:22 -L 127.0.0.1:9002:${otherIp}:22 -L 127.0.0.1:9003:${LINK.vllmHost}:${vllmPort} ${gpuHostIp} 2>/dev/null & pid=$!
for i in 1 2 3 4 5 6 7 8 9 10; do python3 -c 'import socket; socket.create_connection(("127.0.0.1", 9003), 1).close()' 2>/dev/null && break; sleep 0.5; done
python3 - "$shell" "$shell_ran" "$pty" "$pty_ran" "$remote" <<'PY'
import json, socket, sys
def through(port, send=b""):
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=4)
        if send:
            s.sendall(send)
        data = s.recv(200)
        s.close()
        return data.decode(errors="replace")
    except Exception as e:
        return "error: %s" % e
a = sys.argv[1:]
print(json.dumps({"shell": {"code": int(a[0]), "ran": a[1] == "true"}, "pty": {"code": int(a[2]), "ran": a[3] == "true"},
    "remoteForward": int(a[4]), "sshPort": through(9001), "otherHost": through(9002),
    "vllm": through(9003, b"GET /health HTTP/1.0\\r\\n\\r\\n")}))
PY
kill $pid 2>/dev/null
`;
    const name = `scratch-link-key-${Date.now().toString(36)}`;
    const r = await sh("docker", ["run", "--rm", "-i", "--name", name, "--network", `${PREFIX}-egress`, "--entrypoint", "sh", STANDINS.gpuHost.image, "-c", script], linkKey, 120_000);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`link-key attempts printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
}

/**
 * `n` sequential streamed chat completions (33 small SSE chunks each, written
 * one by one, as a model streams) over one kept-alive connection from inside
 * `container` to vLLM at host:port, on /invocations (no key needed, as in
 * vLLM). Returns p50/p95 of the whole stream (ms) and the streams that took
 * 30 ms or more: a Nagle/delayed-ACK stall costs ~40 ms.
 */
export async function streamStalls(container: string, host: string, port: number, n: number): Promise<{ p50: number; p95: number; stalls: number }> {
    const script = `
import http.client, json, sys, time
body = json.dumps({"stream": True, "messages": [{"role": "user", "content": "secureclaw-nodelay " + " ".join("w%d" % i for i in range(30))}]})
c = http.client.HTTPConnection(sys.argv[1], int(sys.argv[2]), timeout=10)
xs = []
for _ in range(${n}):
    t = time.perf_counter()
    c.request("POST", "/invocations", body, {"Content-Type": "application/json"})
    r = c.getresponse()
    assert r.status == 200, r.status
    while r.read1(65536):
        pass
    xs.append((time.perf_counter() - t) * 1000)
xs.sort()
print(json.dumps({"p50": round(xs[len(xs) // 2], 2), "p95": round(xs[int(len(xs) * 0.95)], 2), "stalls": sum(x >= 30 for x in xs)}))
`;
    const r = await sh("docker", ["exec", container, "python3", "-c", script, host, String(port)], undefined, 120_000);
    if (r.code !== 0) throw new Error(`stream timing from ${container} failed (exit ${r.code}): ${r.stderr}`);
    return JSON.parse(r.stdout.trim());
}

export { linkAlias };
