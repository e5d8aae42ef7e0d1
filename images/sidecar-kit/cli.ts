/**
 * A sidecar's process plumbing: its `--flag value` arguments, one JSON line
 * per event on stdout, and exit status 78 (EX_CONFIG, like the other
 * SecureClaw images) on a missing or invalid setting.
 */

export const EXIT_CONFIG = 78;
/** How often a sidecar re-reads its settings file to apply a change in place. */
export const SETTINGS_POLL_MS = 2000;

export function log(event: string, fields: Record<string, unknown> = {}): void {
    console.log(JSON.stringify({ event, ...fields }));
}

export function fail(message: string): never {
    console.error(JSON.stringify({ event: "fatal", message }));
    process.exit(EXIT_CONFIG);
}

export function hostPort(flag: string, value: string | undefined): { host: string; port: number } {
    const match = /^(.+):(\d{1,5})$/.exec(value ?? "");
    if (!match || Number(match[2]) > 65535) fail(`${flag} must be HOST:PORT, got ${JSON.stringify(value)}`);
    return { host: match[1], port: Number(match[2]) };
}

/** `--name value` pairs by name (without the dashes); anything else is fatal. */
export function flags(argv: string[]): Record<string, string> {
    const out: Record<string, string> = {};
    for (let i = 0; i < argv.length; i += 2) {
        if (!argv[i].startsWith("--") || argv[i + 1] === undefined) fail(`unexpected argument ${JSON.stringify(argv[i])}`);
        out[argv[i].slice(2)] = argv[i + 1];
    }
    return out;
}
