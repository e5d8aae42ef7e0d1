/**
 * The harness's two ways to the Docker engine:
 *
 *  - the Engine API over the local unix socket (dockerode), for containers,
 *    networks, volumes and image inspection. This is what the Docker provider itself
 *    does (it is a Go API client, not a CLI wrapper), and it is the only way
 *    to express some inputs exactly: `docker create --health-cmd` always
 *    produces a CMD-SHELL healthcheck, while the program's healthchecks are
 *    exec-form ["CMD", ...]; env values never appear on a command line;
 *  - the docker CLI, for BuildKit builds (`docker build` with `--secret`).
 */
import Docker from "dockerode";
import * as fs from "fs";
import { runProcess } from "./util";

/** Docker 20.10 speaks API 1.41; newer engines accept it too. */
const API_VERSION = "v1.41";

function socketPath(): string {
    const host = process.env.DOCKER_HOST;
    if (!host) return "/var/run/docker.sock";
    if (host.startsWith("unix://")) return host.slice("unix://".length);
    throw new Error(`e2e harness: DOCKER_HOST=${host} is not a unix socket; the harness only drives the local engine`);
}

let client: Docker | undefined;

/** The Engine API client (made on first use, so DOCKER_HOST is checked when the engine is needed). */
export function engine(): Docker {
    client ??= new Docker({ socketPath: socketPath(), version: API_VERSION, timeout: 120_000 });
    return client;
}

/** The engine's HTTP status of a failed dockerode call. */
export function engineStatus(err: unknown): unknown {
    return (err as { statusCode?: unknown } | undefined)?.statusCode;
}

export function isNotFound(err: unknown): boolean {
    return engineStatus(err) === 404;
}

/**
 * Start and stop answer 304 when the container already is in that state. The
 * provider's Go client counts that as success; dockerode rejects it.
 */
export async function unlessAlready(call: Promise<unknown>): Promise<void> {
    try {
        await call;
    } catch (err) {
        if (engineStatus(err) !== 304) throw err;
    }
}

let buildCli: Promise<string> | undefined;

/**
 * A docker CLI that can run a BuildKit build. Docker CLI 23+ needs the buildx
 * plugin for that; the 20.10 CLI has BuildKit built in. On this machine
 * /usr/local/bin/docker (28.x, first on PATH) has no buildx, while Debian's
 * /usr/bin/docker (20.10) builds with BuildKit. SECURECLAW_DOCKER_CLI
 * overrides the search.
 */
export function dockerBuildCli(): Promise<string> {
    if (!buildCli) buildCli = findBuildCli();
    return buildCli;
}

async function findBuildCli(): Promise<string> {
    const override = process.env.SECURECLAW_DOCKER_CLI;
    const candidates = override ? [override] : ["docker", "/usr/bin/docker", "/usr/local/bin/docker"];
    const tried: string[] = [];
    for (const cli of candidates) {
        if (cli.startsWith("/") && !fs.existsSync(cli)) continue;
        try {
            const buildx = await runProcess(cli, ["buildx", "version"]);
            if (buildx.code === 0) return cli;
            const version = await runProcess(cli, ["version", "--format", "{{.Client.Version}}"]);
            const major = parseInt(version.stdout.trim().split(".")[0], 10);
            if (version.code === 0 && major > 0 && major < 23) return cli;
            tried.push(`${cli} (client ${version.stdout.trim() || "?"}, no buildx)`);
        } catch (err) {
            tried.push(`${cli} (${(err as Error).message})`);
        }
    }
    throw new Error(
        `e2e harness: no docker CLI here can run a BuildKit build (tried ${tried.join(", ")}). ` +
            "Install the buildx plugin, or point SECURECLAW_DOCKER_CLI at a 20.10 CLI.",
    );
}
