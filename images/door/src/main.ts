/**
 * The door's entry point:
 *
 *   node main.ts --settings FILE --usage FILE --listen HOST:PORT --upstream HOST:PORT
 *
 * with LiteLLM's master key in DOOR_UPSTREAM_KEY. Prints one JSON line
 * {"event":"listening","port":N} once it accepts connections (port 0 picks
 * one, for tests). Exits 78 on a missing or invalid setting, like the other
 * SecureClaw images. The settings file is re-read every 2 s and applied in
 * place when it changes (an invalid change is logged and ignored), so adding
 * an agent restarts nothing.
 */
import { readFile } from "node:fs/promises";
import { fail, flags, hostPort, log, SETTINGS_POLL_MS } from "../../sidecar-kit/cli.ts";
import { Door } from "./door.ts";
import { parseSettings } from "./settings.ts";
import { readUsageSince, UsageLog } from "./usageLog.ts";

const DAY_MS = 86_400_000;

async function main(): Promise<void> {
    const args = flags(process.argv.slice(2));
    const masterKey = process.env.DOOR_UPSTREAM_KEY ?? "";
    if (masterKey === "") fail("DOOR_UPSTREAM_KEY (LiteLLM's master key) is not set");
    // Nothing this process starts needs the key in its environment.
    delete process.env.DOOR_UPSTREAM_KEY;
    if (!args.settings || !args.usage) fail("--settings and --usage are required");
    const listen = hostPort("--listen", args.listen);
    const upstream = hostPort("--upstream", args.upstream);

    let settingsText: string;
    let settings;
    try {
        settingsText = await readFile(args.settings, "utf8");
        settings = parseSettings(settingsText);
    } catch (e) {
        fail(`${args.settings}: ${(e as Error).message}`);
    }
    const usage = await UsageLog.open(args.usage).catch((e: Error) => fail(`${args.usage}: ${e.message}`));
    const door = new Door({ settings, masterKey, upstream, usage });
    door.replay(await readUsageSince(args.usage, Date.now() - DAY_MS));

    const server = door.createServer();
    server.listen(listen.port, listen.host, () => {
        const address = server.address();
        log("listening", { port: typeof address === "object" && address ? address.port : listen.port, agents: settings.agents.map((a) => a.name) });
    });

    const poll = setInterval(async () => {
        try {
            const text = await readFile(args.settings, "utf8");
            if (text === settingsText) return;
            settingsText = text;
            const next = parseSettings(text);
            door.apply(next);
            log("settings-applied", { agents: next.agents.map((a) => a.name) });
        } catch (e) {
            console.error(JSON.stringify({ event: "settings-ignored", message: (e as Error).message }));
        }
    }, SETTINGS_POLL_MS);
    poll.unref();

    const stop = () => {
        clearInterval(poll);
        server.close(() => void usage.close().then(() => process.exit(0)));
        // Streams in flight get a moment, then the process goes (docker stop waits 10 s).
        setTimeout(() => process.exit(0), 8000).unref();
        server.closeIdleConnections();
    };
    process.once("SIGTERM", stop);
    process.once("SIGINT", stop);
}

void main();
