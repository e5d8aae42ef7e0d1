/**
 * The audit trail of a stack: every egress decision (the proxy's allow, deny
 * and SNI cuts; the Telegram relay's forwards and drops), one JSON line each,
 * oldest first.
 *
 *   npx ts-node --transpile-only scripts/audit.ts <stack> [--denied] [--since 1h|30m|2d|<ISO time>] [--agent <name>]
 *
 * Reads every volume of the stack that carries the audit label (AUDIT in
 * policy/contract), live file and rotations, through a throwaway container
 * with no network and the volume mounted read-only; it works whether the
 * components are running or not. Needs the docker CLI on the machine that
 * runs the stack.
 *
 * Every printed line has an `agent` field after `source`: the agent whose
 * cell (network) the proxy saw the request come from, the agent the relay
 * served, or "-" (no agent: the relay's own tunnels, a refused unknown
 * source). --agent <name> keeps that agent's lines only.
 */
import { execFileSync } from "child_process";
import { filterAuditTrail, formatAuditLines, readAuditTrail, type AuditFilter } from "../components/audit/auditTrail";
import { AGENT_NAME } from "../policy/contract/contract";
import { AUDIT, DOOR, ROLE_LABEL, STACK_LABEL } from "../policy/contract/contract";
import { parseSince } from "./usage";

function docker(args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 1024 * 1024 * 1024 });
}

function lines(text: string): string[] {
    return text.split("\n").map((l) => l.trim()).filter(Boolean);
}

/** The stack's audit volumes (name and which component writes it). */
export function auditVolumes(prefix: string): Array<{ volume: string; component: string }> {
    return lines(docker(["volume", "ls", "--filter", `label=${STACK_LABEL}=${prefix}`, "--filter", `label=${AUDIT.label}`, "--format", `{{.Name}}\t{{.Label "${AUDIT.label}"}}`]))
        .map((l) => l.split("\t"))
        .map(([volume, component]) => ({ volume, component }))
        .sort((a, b) => a.volume.localeCompare(b.volume));
}

/** One of the stack's own images to run the reader from (they are on every host that ran the stack). */
function readerImage(prefix: string): string {
    const images = lines(docker(["image", "ls", "--format", "{{.Repository}}:{{.Tag}}", "--filter", `reference=secureclaw/*:${prefix}`]));
    const image = images.find((i) => i.startsWith("secureclaw/squid:")) ?? images[0];
    if (!image) throw new Error(`stack "${prefix.replace(/^secureclaw-/, "")}": none of its images (secureclaw/*:${prefix}) is on this host to read the audit volumes with`);
    return image;
}

/** Every audit file in a volume (rotations first, the live file last), read as root with no capability but reading. */
function readVolume(image: string, volume: string): string[] {
    const script = `for f in $(ls -1r /audit/${AUDIT.file}.* 2>/dev/null) /audit/${AUDIT.file}; do [ -f "$f" ] && cat "$f"; printf '\\n\\036\\n'; done; true`;
    const out = docker(["run", "--rm", "--network", "none", "--read-only", "--user", "0:0", "--cap-drop", "ALL", "--cap-add", "DAC_READ_SEARCH",
        "--security-opt", "no-new-privileges:true", "--entrypoint", "sh", "-v", `${volume}:/audit:ro`, image, "-c", script]);
    return out.split("\n\x1e\n");
}

/** The enclave addresses of the stack's agent containers (the proxy logs the agent by its address). */
function agentAddresses(prefix: string): string[] {
    const ids = lines(docker(["ps", "-a", "-q", "--filter", `label=${STACK_LABEL}=${prefix}`, "--filter", `label=${ROLE_LABEL}=agent`]));
    return ids.flatMap((id) => lines(docker(["inspect", "-f", "{{range .NetworkSettings.Networks}}{{.IPAddress}}\n{{end}}", id])));
}

export interface AuditArgs {
    stack: string;
    filter: AuditFilter;
    agentName?: string;
}

const USAGE = "usage: npx ts-node --transpile-only scripts/audit.ts <stack> [--denied] [--since 1h|30m|2d|ISO time] [--agent <name>]";

export function parseAuditArgs(argv: string[]): AuditArgs {
    const stack = argv[0];
    if (!stack || stack.startsWith("-")) throw new Error(USAGE);
    const args: AuditArgs = { stack, filter: {} };
    for (let i = 1; i < argv.length; i++) {
        const value = argv[i + 1];
        if (argv[i] === "--denied") args.filter.denied = true;
        else if (argv[i] === "--since" && value !== undefined) (args.filter.since = parseSince(value)), i++;
        else if (argv[i] === "--agent" && value !== undefined && !value.startsWith("-")) (args.agentName = value), i++;
        else throw new Error(`${USAGE}\nunexpected argument ${JSON.stringify(argv[i])}`);
    }
    if (args.agentName !== undefined && !AGENT_NAME.test(args.agentName)) {
        throw new Error(`--agent ${JSON.stringify(args.agentName)}: an agent name is lowercase letters, digits and dashes, starting with a letter, e.g. --agent alice`);
    }
    return args;
}

function main(argv: string[]): void {
    const args = parseAuditArgs(argv);
    const prefix = `secureclaw-${args.stack}`;
    const volumes = auditVolumes(prefix);
    if (volumes.length === 0) {
        throw new Error(`no audit trail found for stack "${args.stack}": no volume labelled ${AUDIT.label} and ${STACK_LABEL}=${prefix} (is "${args.stack}" the right stack, deployed on this Docker host?)`);
    }
    const image = readerImage(prefix);
    const texts = volumes.flatMap((v) => readVolume(image, v.volume));
    const { entries, unreadableLines } = readAuditTrail(texts);
    // Proxy lines from before cells name no agent; they were the default agent's, known by its address.
    if (args.agentName !== undefined) args.filter.agent = { name: args.agentName, addresses: args.agentName === DOOR.defaultAgent ? agentAddresses(prefix) : [] };
    process.stdout.write(formatAuditLines(filterAuditTrail(entries, args.filter)));
    console.error(`scripts/audit.ts: ${entries.length} decisions read from ${volumes.map((v) => `${v.volume} (${v.component})`).join(", ")}${unreadableLines > 0 ? `; ${unreadableLines} unreadable lines skipped` : ""}`);
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (err) {
        console.error(`scripts/audit.ts: ${(err as Error).message}`);
        process.exit(1);
    }
}
