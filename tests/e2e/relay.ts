/**
 * The Telegram relay on the live enclave: Bot API calls from inside a
 * container (the agent box, or the relay itself), the relay's audit log, and
 * the secret scan of item 5 (every secret value of the stack, searched for in
 * everything the agent user can read).
 */
import { relayCredential } from "../../components/relay/credentials";
import { DOOR, RELAY } from "../../policy/contract/contract";
import { E2E_SECRETS, PREFIX } from "./setup";
import { sh } from "./support";

export const RELAY_CONTAINER = `${PREFIX}-telegram-relay`;
/** The Bot API root the agent's channel is given. */
export const RELAY_ROOT = `http://${RELAY.alias}:${RELAY.port}`;
/** The agent's relay credential: its channel's placeholder token. */
export const AGENT_RELAY_TOKEN = relayCredential(E2E_SECRETS.telegramBotToken, DOOR.defaultAgent);
/** Owner and stranger of the e2e stack (telegram.allowFrom holds the owner only). */
export const OWNER = "123456789";
export const STRANGER = "555000555";

export interface RelayAnswer {
    status: number;
    body: any;
}

/**
 * One HTTP request from inside `container` with Node's http client (no proxy:
 * the relay sits on the enclave network). `upload` sends a multipart body with
 * a file of that many bytes.
 */
export async function callFrom(container: string, url: string, request: { json?: unknown; upload?: { chatId: string; bytes: number }; method?: string } = {}): Promise<RelayAnswer> {
    const script = `
const http = require("http");
const spec = JSON.parse(require("fs").readFileSync(0, "utf8"));
let body, type;
if (spec.upload) {
  const b = "----secureclaw" + Date.now();
  body = Buffer.concat([Buffer.from("--" + b + "\\r\\nContent-Disposition: form-data; name=\\"chat_id\\"\\r\\n\\r\\n" + spec.upload.chatId + "\\r\\n--" + b + "\\r\\nContent-Disposition: form-data; name=\\"document\\"; filename=\\"a.bin\\"\\r\\n\\r\\n"), Buffer.alloc(spec.upload.bytes, 120), Buffer.from("\\r\\n--" + b + "--\\r\\n")]);
  type = "multipart/form-data; boundary=" + b;
} else if (spec.json !== undefined) { body = Buffer.from(JSON.stringify(spec.json)); type = "application/json"; }
const req = http.request(spec.url, { method: spec.method || (body ? "POST" : "GET"), headers: body ? { "content-type": type, "content-length": body.length } : {}, timeout: 30000 }, (res) => {
  const chunks = []; res.on("data", (c) => chunks.push(c));
  res.on("end", () => { const t = Buffer.concat(chunks).toString(); let b; try { b = JSON.parse(t); } catch { b = { bytes: t.length }; } console.log(JSON.stringify({ status: res.statusCode, body: b })); });
});
req.on("error", (e) => console.log(JSON.stringify({ status: 0, body: { error: e.code || e.message } })));
req.end(body);`;
    const r = await sh("docker", ["exec", "-i", container, "node", "-e", script], JSON.stringify({ url, ...request }));
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`call from ${container} to ${url} printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
}

/** A Bot API method at the relay, from the agent box, with `token` (the agent's own by default). */
export function botCall(agent: string, method: string, json: unknown = {}, token = AGENT_RELAY_TOKEN): Promise<RelayAnswer> {
    return callFrom(agent, `${RELAY_ROOT}/bot${token}/${method}`, { json });
}

export interface AuditEntry {
    time: string;
    component: string;
    source: string;
    destination: string;
    decision: "allow" | "deny";
    reason: string;
    bytes: number;
    method: string;
    chat: string | null;
    /** The agent the credential named ("-" when none). */
    agent: string;
}

export async function relayAudit(): Promise<AuditEntry[]> {
    const r = await sh("docker", ["exec", RELAY_CONTAINER, "cat", `${RELAY.auditDir}/${RELAY.auditFile}`]);
    return r.stdout.split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** Where a secret value (or its base64 form) was found in what the agent user can read. */
export interface SecretFinding {
    secret: string;
    where: string;
    form: string;
}

/**
 * Scans, as the agent user inside the agent box: its environment, every
 * /proc/<pid>/environ it can read, and every regular file it can read
 * (everything but /proc, /sys and /dev; volumes and tmpfs included; files
 * over 64 MiB skipped), for each secret value and its base64 forms (three
 * alignments, so a value inside a longer base64 blob is found too).
 */
export async function scanAgentForSecrets(agent: string, secrets: Record<string, string>, roots: string[] = ["/"]): Promise<{ findings: SecretFinding[]; files: number; bytes: number }> {
    const script = `
import base64, json, os, sys
secrets = json.load(sys.stdin)
roots = sys.argv[1:]
def forms(value):
    raw = value.encode()
    out = {"plain": raw}
    for k, start in ((0, 0), (1, 2), (2, 3)):
        enc = base64.b64encode(b"\\0" * k + raw).rstrip(b"=")[start:]
        out["base64+%d" % k] = enc[:-2]
    return out
needles = [(name, form, needle) for name, value in secrets.items() for form, needle in forms(value).items()]
findings, files, total = [], 0, 0
def check(where, data):
    for name, form, needle in needles:
        if needle in data:
            findings.append({"secret": name, "where": where, "form": form})
check("env", "\\n".join("%s=%s" % kv for kv in os.environ.items()).encode())
for pid in os.listdir("/proc"):
    if pid.isdigit():
        try:
            with open("/proc/%s/environ" % pid, "rb") as f:
                check("/proc/%s/environ" % pid, f.read())
        except OSError:
            pass
for root, dirs, names in (entry for top in roots for entry in os.walk(top)):
    if root == "/":
        dirs[:] = [d for d in dirs if d not in ("proc", "sys", "dev")]
    for name in names:
        path = os.path.join(root, name)
        try:
            if os.path.islink(path) or not os.path.isfile(path) or os.path.getsize(path) > 64 << 20:
                continue
            with open(path, "rb") as f:
                data = f.read()
        except OSError:
            continue
        files += 1
        total += len(data)
        check(path, data)
print(json.dumps({"findings": findings, "files": files, "bytes": total}))
`;
    const r = await sh("docker", ["exec", "-i", agent, "python3", "-c", script, ...roots], JSON.stringify(secrets), 10 * 60_000);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`secret scan printed no JSON (exit ${r.code}): ${r.stdout.slice(-500)}${r.stderr.slice(-2000)}`);
    }
}
