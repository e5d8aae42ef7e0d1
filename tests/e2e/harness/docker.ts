/**
 * The harness's two ways to the Docker engine:
 *
 *  - the Engine API over the local unix socket, for containers, networks,
 *    volumes and image inspection. This is what the Docker provider itself
 *    does (it is a Go API client, not a CLI wrapper), and it is the only way
 *    to express some inputs exactly: `docker create --health-cmd` always
 *    produces a CMD-SHELL healthcheck, while the program's healthchecks are
 *    exec-form ["CMD", ...]; env values never appear on a command line;
 *  - the docker CLI, for BuildKit builds (`docker build` with `--secret`).
 */
import * as fs from "fs";
import * as http from "http";
import { runProcess } from "./util";

/** Docker 20.10 speaks API 1.41; newer engines accept it too. */
const API_VERSION = "v1.41";

function socketPath(): string {
    const host = process.env.DOCKER_HOST;
    if (!host) return "/var/run/docker.sock";
    if (host.startsWith("unix://")) return host.slice("unix://".length);
    throw new Error(`e2e harness: DOCKER_HOST=${host} is not a unix socket; the harness only drives the local engine`);
}

export class DockerApiError extends Error {
    constructor(readonly status: number, readonly path: string, message: string) {
        super(message);
        this.name = "DockerApiError";
    }
}

export function isNotFound(err: unknown): boolean {
    return err instanceof DockerApiError && err.status === 404;
}

export type Query = Record<string, string | number | boolean | undefined>;

/** One Engine API request. JSON bodies are sent as JSON, Buffers as-is (e.g. a tar for PUT archive). */
export function dockerApi<T = any>(method: string, path: string, options: { query?: Query; body?: unknown; contentType?: string; timeoutMs?: number } = {}): Promise<T> {
    const qs = Object.entries(options.query ?? {})
        .filter(([, v]) => v !== undefined)
        .map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`)
        .join("&");
    const fullPath = `/${API_VERSION}${path}${qs ? `?${qs}` : ""}`;
    let payload: Buffer | undefined;
    let contentType = options.contentType;
    if (Buffer.isBuffer(options.body)) {
        payload = options.body;
        contentType = contentType ?? "application/octet-stream";
    } else if (options.body !== undefined) {
        payload = Buffer.from(JSON.stringify(options.body));
        contentType = "application/json";
    }
    return new Promise<T>((resolve, reject) => {
        const req = http.request(
            {
                socketPath: socketPath(),
                method,
                path: fullPath,
                headers: {
                    ...(contentType ? { "Content-Type": contentType } : {}),
                    "Content-Length": payload ? payload.length : 0,
                },
                timeout: options.timeoutMs ?? 120_000,
            },
            (res) => {
                const chunks: Buffer[] = [];
                res.on("data", (c: Buffer) => chunks.push(c));
                res.on("end", () => {
                    const text = Buffer.concat(chunks).toString("utf8");
                    const status = res.statusCode ?? 0;
                    let parsed: any = text;
                    if ((res.headers["content-type"] ?? "").includes("json") && text.length > 0) {
                        try {
                            parsed = JSON.parse(text);
                        } catch {
                            parsed = text;
                        }
                    }
                    if (status >= 400) {
                        const message = typeof parsed === "object" && parsed && "message" in parsed ? String(parsed.message) : text.trim();
                        reject(new DockerApiError(status, path, `Docker API ${method} ${path}: ${status} ${message}`));
                        return;
                    }
                    resolve((text.length === 0 ? undefined : parsed) as T);
                });
            },
        );
        req.on("timeout", () => req.destroy(new Error(`Docker API ${method} ${path}: timed out`)));
        req.on("error", reject);
        if (payload) req.write(payload);
        req.end();
    });
}

/** Engine API filters parameter: {"label": ["a=b"]}. */
export function filters(f: Record<string, string[]>): string {
    return JSON.stringify(f);
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
