/**
 * Bring the end-to-end enclave up on this machine, leave it running, and
 * tear it down again, without the Pulumi CLI:
 *
 *   npx ts-node tests/e2e/harness/cli.ts up   <stack> [--setup <module>] [--refresh] [--expect-no-changes] [--program <path>]
 *   npx ts-node tests/e2e/harness/cli.ts down <stack> [--setup <module>] [--keep-retained]
 *   npx ts-node tests/e2e/harness/cli.ts status <stack>
 *   npx ts-node tests/e2e/harness/cli.ts leftovers <prefix>      (e.g. secureclaw-e2e)
 *
 * (`npx ts-node --transpile-only ...` starts faster.)
 *
 * Config, secrets and hooks come from a setup module: --setup <path>, or
 * tests/e2e/setup.ts when it exists. It exports
 *
 *   prepareE2E(stack): Promise<{ config, secrets, hooks?, program? }>
 *       starts the test stand-ins (fake GPU host, Telegram stand-in, ...) and
 *       returns the stack config (keys without the `secureclaw:` namespace),
 *       the secret config values, and realize() hooks (see realize.ts);
 *   destroyHooks?(stack): { beforeDelete }
 *       hooks for `down` (e.g. detach stand-ins before their network goes);
 *   teardownE2E?(stack): Promise<void>
 *       removes the stand-ins; `down` calls it after destroying the stack.
 *
 * Without a setup module, a stack with a Pulumi.<stack>.yaml runs with that
 * file's config and the unit tests' fake secrets (README setup).
 *
 * State lives in .e2e-state/<stack>.json. `down` also removes resources marked
 * retainOnDelete (workspace volume, model cache) unless --keep-retained.
 */
import * as fs from "fs";
import * as path from "path";
import { readmeSetup, REPO_ROOT, stackFileConfig, withPaths } from "../../support/program";
import { destroy, leftovers, readState, realize, RealizeError, RealizeHooks } from "./realize";

export interface E2ESetup {
    config: Record<string, unknown>;
    secrets: Record<string, string>;
    hooks?: RealizeHooks;
    /** Program entry module (default: the repo's index.ts). */
    program?: string;
}

export interface E2ESetupModule {
    prepareE2E(stack: string): Promise<E2ESetup> | E2ESetup;
    teardownE2E?(stack: string): Promise<void> | void;
    destroyHooks?(stack: string): Promise<Pick<RealizeHooks, "beforeDelete">> | Pick<RealizeHooks, "beforeDelete">;
}

const DEFAULT_SETUP = path.join(REPO_ROOT, "tests", "e2e", "setup.ts");

function usage(message?: string): never {
    if (message) console.error(`cli: ${message}`);
    console.error("usage: cli.ts up <stack> [--setup <module>] [--refresh] [--expect-no-changes] [--program <path>]\n" +
        "       cli.ts down <stack> [--setup <module>] [--keep-retained]\n" +
        "       cli.ts status <stack>\n" +
        "       cli.ts leftovers <prefix>");
    process.exit(2);
}

function parseArgs(argv: string[]): { command: string; target: string; flags: Map<string, string | true> } {
    const [command, target, ...rest] = argv;
    if (!command || !target) usage();
    const flags = new Map<string, string | true>();
    for (let i = 0; i < rest.length; i++) {
        const arg = rest[i];
        if (!arg.startsWith("--")) usage(`unexpected argument ${arg}`);
        const name = arg.slice(2);
        if (["setup", "program"].includes(name)) {
            const value = rest[++i];
            if (!value) usage(`--${name} needs a value`);
            flags.set(name, value);
        } else if (["refresh", "expect-no-changes", "keep-retained"].includes(name)) {
            flags.set(name, true);
        } else {
            usage(`unknown flag ${arg}`);
        }
    }
    return { command, target, flags };
}

function loadSetupModule(flag: string | true | undefined): E2ESetupModule | undefined {
    const file = typeof flag === "string" ? path.resolve(flag) : DEFAULT_SETUP;
    if (!fs.existsSync(file)) {
        if (typeof flag === "string") throw new Error(`setup module ${file} does not exist`);
        return undefined;
    }
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require(file) as Partial<E2ESetupModule>;
    if (typeof mod.prepareE2E !== "function") throw new Error(`${file} does not export prepareE2E(stack)`);
    return mod as E2ESetupModule;
}

async function setupFor(stack: string, mod: E2ESetupModule | undefined): Promise<E2ESetup> {
    if (mod) return mod.prepareE2E(stack);
    if (!fs.existsSync(path.join(REPO_ROOT, `Pulumi.${stack}.yaml`))) {
        throw new Error(`no setup module (tests/e2e/setup.ts or --setup) and no Pulumi.${stack}.yaml to take config from`);
    }
    const readme = readmeSetup(stack);
    return { config: withPaths(stackFileConfig(stack), readme.config), secrets: readme.secrets };
}

function short(id: string): string {
    if (/^[0-9a-f]{64}$/.test(id)) return id.slice(0, 12);
    return id.startsWith("sha256:") ? `${id.slice(7, 19)} ${id.slice(71)}`.trim() : id;
}

async function main(): Promise<void> {
    const { command, target, flags } = parseArgs(process.argv.slice(2));
    switch (command) {
        case "up": {
            const setup = await setupFor(target, loadSetupModule(flags.get("setup")));
            const program = (flags.get("program") as string | undefined) ?? setup.program;
            const started = Date.now();
            const result = await realize(target, setup.config, setup.secrets, setup.hooks ?? {}, {
                ...(program ? { program: path.resolve(program) } : {}),
                refresh: flags.has("refresh"),
                expectNoChanges: flags.has("expect-no-changes"),
            });
            for (const r of result.resources) {
                console.log(`${r.action.padEnd(8)} ${r.type.padEnd(38)} ${r.name.padEnd(44)} ${short(r.id)}${r.changed.length && r.action !== "create" ? `  (${r.changed.join(", ")})` : ""}`);
            }
            for (const d of result.deleted) console.log(`${(d.retained ? "retained" : "deleted").padEnd(8)} ${d.type.padEnd(38)} ${d.name.padEnd(44)} ${short(d.id)}`);
            for (const note of result.notes) console.log(`note: ${note}`);
            console.log(`outputs: ${JSON.stringify(result.outputs, null, 2)}`);
            console.log(`up ${target}: ${result.resources.length} resources in ${((Date.now() - started) / 1000).toFixed(1)}s; state in .e2e-state/${target}.json`);
            break;
        }
        case "down": {
            const mod = loadSetupModule(flags.get("setup"));
            // Stand-ins stay up while the program's resources are deleted (a
            // remote delete still needs its host); the setup's destroy hooks
            // detach them before their network goes, teardown removes the rest.
            const hooks = await mod?.destroyHooks?.(target);
            const result = await destroy(target, { purgeRetained: !flags.has("keep-retained"), ...(hooks ? { hooks } : {}) });
            await mod?.teardownE2E?.(target);
            for (const d of result.deleted) console.log(`${(d.retained ? "retained" : "deleted").padEnd(8)} ${d.type.padEnd(38)} ${d.name.padEnd(44)} ${short(d.id)}`);
            console.log(`down ${target}: ${result.deleted.length} resources`);
            break;
        }
        case "status": {
            const state = readState(target);
            for (const r of [...state.resources].sort((a, b) => a.seq - b.seq)) {
                console.log(`${String(r.seq).padStart(4)} ${r.type.padEnd(38)} ${r.name.padEnd(44)} ${short(r.id)}${r.tainted ? "  TAINTED" : ""}${r.pendingDelete ? "  PENDING-DELETE" : ""}`);
            }
            break;
        }
        case "leftovers": {
            console.log(JSON.stringify(await leftovers(target), null, 2));
            break;
        }
        default:
            usage(`unknown command ${command}`);
    }
}

main().then(
    () => process.exit(0),
    (err) => {
        console.error(err instanceof RealizeError || err instanceof Error ? err.message : String(err));
        process.exit(1);
    },
);
