/**
 * The relay's entry point:
 *
 *   node main.ts --settings FILE --token-file FILE --audit FILE --listen HOST:PORT
 *                --proxy HOST:PORT [--extra-ca FILE]
 *
 * The bot token is read from --token-file (a secret volume, mode 0400, this
 * uid's), never from the environment or the command line. Prints one JSON
 * line {"event":"listening","port":N} once it accepts connections. Exits 78
 * on a missing or invalid setting. The settings file is re-read every 2 s and
 * applied in place (an invalid change is logged and ignored).
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { AuditLog } from "./audit.ts";
import { botIdOf } from "./identity.ts";
import { Relay } from "./relay.ts";
import { parseSettings } from "./settings.ts";
import { TunnelAgent } from "./upstream.ts";

const EXIT_CONFIG = 78;
const SETTINGS_POLL_MS = 2000;

function log(event: string, fields: Record<string, unknown> = {}): void {
    console.log(JSON.stringify({ event, ...fields }));
}

function fail(message: string): never {
    console.error(JSON.stringify({ event: "fatal", message }));
    process.exit(EXIT_CONFIG);
}

function hostPort(flag: string, value: string | undefined): { host: string; port: number } {
    const match = /^(.+):(\d{1,5})$/.exec(value ?? "");
    if (!match || Number(match[2]) > 65535) fail(`${flag} must be HOST:PORT, got ${JSON.stringify(value)}`);
    return { host: match[1], port: Number(match[2]) };
}

function flags(argv: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || argv[i + 1] === undefined) fail(`unexpected argument ${JSON.stringify(argv[i])}`);
        out[argv[i].slice(2)] = argv[i + 1];
    }
    return out;
}

function readOrFail(path: string, what: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch (e) {
        fail(`${what} ${path}: ${(e as Error).message}`);
    }
}

function main(): void {
    const args = flags(process.argv.slice(2));
    for (const flag of ["settings", "token-file", "audit"]) if (!args[flag]) fail(`--${flag} is required`);
    const listen = hostPort("--listen", args.listen);
    const proxy = hostPort("--proxy", args.proxy);
    const botToken = readOrFail(args["token-file"], "the bot token file").trim();
    try {
        botIdOf(botToken);
    } catch (e) {
        fail(`${args["token-file"]}: ${(e as Error).message}`);
    }
    const extraCa = args["extra-ca"] ? readOrFail(args["extra-ca"], "the extra CA file") : undefined;
    let settingsText = readOrFail(args.settings, "the settings file");
    let settings;
    try {
        settings = parseSettings(settingsText);
    } catch (e) {
        fail(`${args.settings}: ${(e as Error).message}`);
    }
    let audit: AuditLog;
    try {
        audit = new AuditLog(args.audit);
    } catch (e) {
        fail(`${args.audit}: ${(e as Error).message}`);
    }
    const relay = new Relay({ settings, botToken, agent: new TunnelAgent(proxy, extraCa), audit });

    const server = relay.createServer();
    server.listen(listen.port, listen.host, () => {
        const address = server.address();
        log("listening", { port: typeof address === "object" && address ? address.port : listen.port, agents: settings.agents.map((a) => a.name), upstream: settings.upstream.host });
    });

    const poll = setInterval(async () => {
        try {
            const text = await readFile(args.settings, "utf8");
            if (text === settingsText) return;
            settingsText = text;
            const next = parseSettings(text);
            relay.apply(next);
            log("settings-applied", { agents: next.agents.map((a) => a.name) });
        } catch (e) {
            console.error(JSON.stringify({ event: "settings-ignored", message: (e as Error).message }));
        }
    }, SETTINGS_POLL_MS);
    poll.unref();

    const stop = () => {
        clearInterval(poll);
        server.close(() => {
            audit.close();
            process.exit(0);
        });
        // Long polls in flight get a moment, then the process goes (docker stop waits 10 s).
        setTimeout(() => process.exit(0), 5000).unref();
        server.closeIdleConnections();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
}

main();
