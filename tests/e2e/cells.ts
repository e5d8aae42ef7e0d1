/**
 * The agents' cells on the live enclave: each agent's container and network,
 * what one agent's box can do to another's, and a tunnel held open through
 * the proxy while the stack adds or removes an agent.
 */
import { doorCredential } from "../../components/door/credentials";
import { relayCredential } from "../../components/relay/credentials";
import { PROXY } from "../../policy/contract/contract";
import { E2E_AGENT_BOT_TOKENS, E2E_SECRETS, PREFIX } from "./setup";
import { docker, sh } from "./support";

/** The container of agent `name` ("main" keeps the single-agent name). */
export function agentContainer(name: string): string {
    return name === "main" ? `${PREFIX}-agent` : `${PREFIX}-agent-${name}`;
}

/** The network agent `name` lives on, without the stack's prefix (as modelLink.ts addressOn takes it). */
export function cellOf(name: string): string {
    return name === "main" ? "enclave" : `cell-${name}`;
}

/** Agent `name`'s door credential and relay credential, as the program derives them. */
export function credentialsOf(name: string): { door: string; relay: string } {
    const botToken = name === "main" ? E2E_SECRETS.telegramBotToken : E2E_AGENT_BOT_TOKENS[name];
    return { door: doorCredential(E2E_SECRETS.gatewayMasterKey, name), relay: relayCredential(botToken, name) };
}

/** Containers of the stack with their IDs, running or not, sorted: what adding or removing an agent must leave alone. */
export function stackContainers(): string[] {
    return docker("ps", "-a", "--no-trunc", "--filter", `label=secureclaw.stack=${PREFIX}`, "--format", "{{.Names}} {{.ID}}").split("\n").filter(Boolean).sort();
}

/** What happened to a tunnel held open through the proxy. */
export interface HeldTunnel {
    /** The proxy's answer to the CONNECT. */
    connect: number;
    /** Requests answered over the one TLS connection. */
    answered: number;
    /** The first failure, if the tunnel broke. */
    error?: string;
    seconds: number;
}

/**
 * Opens one CONNECT tunnel from `box` through the proxy to `host`:443, does
 * TLS inside it (trusting the test CA), and sends a request over it every
 * half second until the file `stopFile` exists in the box (or 300 s pass).
 * Resolves when it stops; `stop` makes it stop.
 */
export function holdTunnel(box: string, host: string, ca: string): { done: Promise<HeldTunnel>; stop: () => Promise<void> } {
    const stopFile = `/tmp/stop-tunnel-${Date.now()}`;
    const script = `
import json, os, socket, ssl, sys, time
proxy, port, host, ca, stop = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]
start = time.time()
out = {"connect": 0, "answered": 0}
def read_until(sock, end):
    data = b""
    while end not in data:
        chunk = sock.recv(1)
        if not chunk: raise ConnectionError("closed after %d bytes" % len(data))
        data += chunk
    return data
try:
    raw = socket.create_connection((proxy, port), timeout=10)
    raw.sendall(("CONNECT %s:443 HTTP/1.1\\r\\nHost: %s:443\\r\\n\\r\\n" % (host, host)).encode())
    out["connect"] = int(read_until(raw, b"\\r\\n\\r\\n").split()[1])
    tls = ssl.create_default_context(cafile=ca).wrap_socket(raw, server_hostname=host)
    while not os.path.exists(stop) and time.time() - start < 300:
        tls.sendall(("GET /held-tunnel HTTP/1.1\\r\\nHost: %s\\r\\n\\r\\n" % host).encode())
        head = read_until(tls, b"\\r\\n\\r\\n").decode()
        length = int([l.split(":")[1] for l in head.split("\\r\\n") if l.lower().startswith("content-length:")][0])
        while length > 0:
            length -= len(tls.recv(length))
        out["answered"] += 1
        time.sleep(0.5)
except Exception as e:
    out["error"] = "%s: %s" % (type(e).__name__, e)
out["seconds"] = round(time.time() - start, 1)
print(json.dumps(out))
`;
    const done = sh("docker", ["exec", "-i", box, "python3", "-", PROXY.alias, String(PROXY.port), host, ca, stopFile], script, 330_000).then((r) => {
        const line = r.stdout.trim().split("\n").pop() ?? "";
        try {
            return JSON.parse(line) as HeldTunnel;
        } catch {
            return { connect: 0, answered: 0, error: `no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`.slice(0, 300), seconds: 0 };
        }
    });
    const stop = async () => {
        await sh("docker", ["exec", box, "touch", stopFile]);
    };
    return { done, stop };
}
