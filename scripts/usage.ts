/**
 * What each agent of a stack used through the model door: requests, prompt
 * and completion tokens, and what the door refused.
 *
 *   npx ts-node --transpile-only scripts/usage.ts <stack> [--since 1h|30m|2d|<ISO time>]
 *
 * Reads the door's usage log (usage.jsonl) from the running door container;
 * when the door is down, from its volume through a throwaway container that
 * has no network and mounts the volume read-only. Needs the docker CLI on
 * the machine that runs the stack.
 */
import { execFileSync } from "child_process";
import { DOOR } from "../policy/contract/contract";
import { formatUsageTable, summariseUsage } from "../components/door/usageSummary";

const UNITS_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 };

/** `1h`, `30m`, `2d` (before `now`) or an ISO time; throws on anything else. */
export function parseSince(text: string, now: Date = new Date()): Date {
    const relative = /^(\d+)([mhd])$/.exec(text);
    if (relative) return new Date(now.getTime() - Number(relative[1]) * UNITS_MS[relative[2]]);
    // Only a full date (with an optional time) counts as ISO: Date.parse alone accepts "1" and "May 5".
    if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(text) && !Number.isNaN(Date.parse(text))) return new Date(text);
    throw new Error(`--since: expected a duration like 30m, 1h or 2d, or an ISO time like 2026-12-03T09:00:00Z; got ${JSON.stringify(text)}`);
}

export interface UsageSource {
    /** Where the log was read from, for the heading. */
    from: string;
    jsonl: string;
}

function docker(args: string[]): string {
    return execFileSync("docker", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"], maxBuffer: 512 * 1024 * 1024 });
}

function succeeds(args: string[]): boolean {
    try {
        docker(args);
        return true;
    } catch {
        return false;
    }
}

/** The stack's usage log: from the running door, else from its volume; throws naming the stack when neither exists. */
export function readUsageLog(stack: string): UsageSource {
    const prefix = `secureclaw-${stack}`;
    const container = `${prefix}-model-door`;
    const volume = `${prefix}-door-usage`;
    const file = `${DOOR.usageDir}/${DOOR.usageFile}`;
    if (docker(["ps", "-q", "--filter", `name=^/${container}$`, "--filter", "status=running"]).trim() !== "") {
        // A door that has served nothing yet has no file: that is no usage, not an error.
        return { from: `container ${container}`, jsonl: docker(["exec", container, "sh", "-c", `cat ${file} 2>/dev/null || true`]) };
    }
    if (!succeeds(["volume", "inspect", volume])) {
        throw new Error(`no usage found for stack "${stack}": the door container ${container} is not running and the volume ${volume} does not exist (is "${stack}" the right stack, deployed on this Docker host?)`);
    }
    // The door's own image is on every host that ran the stack; the reader gets no network and a read-only mount.
    const image = `secureclaw/door:${prefix}`;
    if (!succeeds(["image", "inspect", image])) {
        throw new Error(`stack "${stack}": the door is down and its image ${image} is gone, so nothing can read the volume ${volume}`);
    }
    const jsonl = docker(["run", "--rm", "--network", "none", "--entrypoint", "sh", "-v", `${volume}:/usage:ro`, image, "-c", `cat /usage/${DOOR.usageFile} 2>/dev/null || true`]);
    return { from: `volume ${volume} (the door is not running)`, jsonl };
}

function main(argv: string[]): void {
    const usage = "usage: npx ts-node --transpile-only scripts/usage.ts <stack> [--since 1h|30m|2d|ISO time]";
    const stack = argv[0];
    if (!stack || stack.startsWith("-")) throw new Error(usage);
    let since: Date | undefined;
    for (let i = 1; i < argv.length; i += 2) {
        if (argv[i] !== "--since" || argv[i + 1] === undefined) throw new Error(usage);
        since = parseSince(argv[i + 1]);
    }
    const source = readUsageLog(stack);
    const summary = summariseUsage(source.jsonl, { since });
    console.log(`SecureClaw model usage, stack ${stack}${since ? ` since ${since.toISOString()}` : ""} (from ${source.from})`);
    if (summary.agents.length === 0) {
        console.log("no requests recorded");
        return;
    }
    process.stdout.write(formatUsageTable(summary));
}

if (require.main === module) {
    try {
        main(process.argv.slice(2));
    } catch (err) {
        console.error(`scripts/usage.ts: ${(err as Error).message}`);
        process.exit(1);
    }
}
