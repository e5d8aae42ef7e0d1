/**
 * The relay's entry point:
 *
 *   node main.ts --settings FILE --token-dir DIR --audit FILE --listen HOST:PORT
 *                --proxy HOST:PORT [--extra-ca FILE]
 *
 * Each agent's bot token is read from DIR/<agent>.bot-token (a secret volume,
 * mode 0400, this uid's), never from the environment or the command line.
 * Prints one JSON line {"event":"listening","port":N} once it accepts
 * connections. Exits 78 on a missing or invalid setting or token, or two
 * agents on one bot. The settings file and the agents' token files are
 * re-read every 2 s and applied in place, so adding an agent restarts
 * nothing; an invalid change is logged and ignored (tried again when a file
 * changes: a new agent's settings may land before its token file).
 */
import { readFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { fail, flags, hostPort, log, SETTINGS_POLL_MS } from "../../sidecar-kit/cli.ts";
import { AuditLog } from "./audit.ts";
import { Relay } from "./relay.ts";
import { parseSettings, type RelaySettings } from "./settings.ts";
import { readTokens } from "./tokens.ts";
import { TunnelAgent } from "./upstream.ts";

function readOrFail(path: string, what: string): string {
    try {
        return readFileSync(path, "utf8");
    } catch (e) {
        fail(`${what} ${path}: ${(e as Error).message}`);
    }
}

/** Settings and the tokens of the agents they name, checked together; `key` tells one state from another. */
async function readState(settingsPath: string, tokenDir: string): Promise<{ settings: RelaySettings; tokens: Map<string, string>; key: string }> {
    const text = await readFile(settingsPath, "utf8");
    let settings: RelaySettings;
    try {
        settings = parseSettings(text);
    } catch (e) {
        throw new Error(`${settingsPath}: ${(e as Error).message}`);
    }
    const { tokens, fingerprint } = await readTokens(tokenDir, settings.agents.map((a) => a.name));
    return { settings, tokens, key: `${text}\n${fingerprint}` };
}

async function main(): Promise<void> {
    const args = flags(process.argv.slice(2));
    for (const flag of ["settings", "token-dir", "audit"]) if (!args[flag]) fail(`--${flag} is required`);
    const listen = hostPort("--listen", args.listen);
    const proxy = hostPort("--proxy", args.proxy);
    const extraCa = args["extra-ca"] ? readOrFail(args["extra-ca"], "the extra CA file") : undefined;
    const state = await readState(args.settings, args["token-dir"]).catch((e: Error) => fail(e.message));
    let audit: AuditLog;
    try {
        audit = new AuditLog(args.audit);
    } catch (e) {
        fail(`${args.audit}: ${(e as Error).message}`);
    }
    const relay = new Relay({ settings: state.settings, botTokens: state.tokens, agent: new TunnelAgent(proxy, extraCa), audit });

    const server = relay.createServer();
    server.listen(listen.port, listen.host, () => {
        const address = server.address();
        log("listening", { port: typeof address === "object" && address ? address.port : listen.port, agents: state.settings.agents.map((a) => a.name), upstream: state.settings.upstream.host });
    });

    let appliedKey = state.key;
    let ignoredMessage = "";
    const poll = setInterval(async () => {
        try {
            const next = await readState(args.settings, args["token-dir"]);
            if (next.key === appliedKey) return;
            relay.apply(next.settings, next.tokens);
            appliedKey = next.key;
            ignoredMessage = "";
            log("settings-applied", { agents: next.settings.agents.map((a) => a.name) });
        } catch (e) {
            // Said once per distinct problem, not every 2 s.
            const message = (e as Error).message;
            if (message !== ignoredMessage) console.error(JSON.stringify({ event: "settings-ignored", message }));
            ignoredMessage = message;
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

void main();
