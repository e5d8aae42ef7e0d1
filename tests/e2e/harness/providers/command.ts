/**
 * command:local:Command and command:remote:Command as @pulumi/command 1.2.1
 * runs them:
 *
 *  - create runs `create`; a change in `triggers` replaces (old `delete`
 *    with the OLD stored inputs and connection, then `create`, in the order
 *    deleteBeforeReplace says); any other change is an update that runs
 *    `update`, or `create` again when there is no `update`;
 *  - local: `/bin/sh -c <command>` (or `interpreter`), in the program's
 *    directory (or `dir`), environment = this process's plus `environment`;
 *  - remote: one SSH session whose command string the server runs through
 *    the user's login shell (session.Run), standard input piped; any host key
 *    is accepted unless `hostKey` pins one;
 *  - when addPreviousOutputInEnv is not false, update and delete see the
 *    previous stdout/stderr as PULUMI_COMMAND_STDOUT / PULUMI_COMMAND_STDERR;
 *  - stdout and stderr lose one trailing newline; a non-zero exit fails the
 *    step with the combined output.
 */
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { StoredResource } from "../state";
import { Plan, ProviderContext, Realized, ResourceProvider } from "../types";
import { changedKeys, isSet, randomHex, runProcess } from "../util";
import { refuseUnknown, refuseUnknownFields } from "./objects";

const LOCAL = "command:local:Command";
const REMOTE = "command:remote:Command";

interface Outputs {
    stdout: string;
    stderr: string;
}

function trimNewline(s: string): string {
    return s.endsWith("\n") ? s.slice(0, -1) : s;
}

function previousEnv(inputs: Record<string, any>, previous?: Outputs): Record<string, string> {
    if (inputs.addPreviousOutputInEnv === false || !previous) return {};
    return {
        ...(previous.stdout ? { PULUMI_COMMAND_STDOUT: previous.stdout } : {}),
        ...(previous.stderr ? { PULUMI_COMMAND_STDERR: previous.stderr } : {}),
    };
}

async function runLocal(ctx: ProviderContext, command: string, inputs: Record<string, any>, timeoutMs: number | undefined, previous?: Outputs): Promise<Outputs> {
    const interpreter: string[] = isSet(inputs.interpreter) ? inputs.interpreter : ["/bin/sh", "-c"];
    const result = await runProcess(interpreter[0], [...interpreter.slice(1), command], {
        cwd: inputs.dir ?? ctx.cwd,
        env: { ...process.env, ...(inputs.environment ?? {}), ...previousEnv(inputs, previous) },
        input: inputs.stdin ?? undefined,
        timeoutMs,
    });
    if (result.code !== 0) {
        const why = result.timedOut ? `timed out after ${(timeoutMs ?? 0) / 1000}s` : result.signal ? `signal: ${result.signal}` : `exit status ${result.code}`;
        throw new Error(`${why}: running ${JSON.stringify(command)}:\n${result.combined}`);
    }
    return { stdout: trimNewline(result.stdout), stderr: trimNewline(result.stderr) };
}

function hostKeyAlgorithms(hostKey: string): string {
    const type = hostKey.trim().split(/\s+/)[0];
    return type === "ssh-rsa" ? "rsa-sha2-512,rsa-sha2-256,ssh-rsa" : type;
}

async function runRemote(_ctx: ProviderContext, command: string, inputs: Record<string, any>, timeoutMs: number | undefined, previous?: Outputs): Promise<Outputs> {
    const c = inputs.connection ?? {};
    const port = Number(c.port ?? 22);
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "secureclaw-ssh-"));
    try {
        const keyFile = path.join(dir, "key");
        const key = String(c.privateKey);
        fs.writeFileSync(keyFile, key.endsWith("\n") ? key : `${key}\n`, { mode: 0o600 });
        const args = [
            "-F", "/dev/null",
            "-i", keyFile,
            "-o", "IdentitiesOnly=yes",
            "-o", "IdentityAgent=none",
            "-o", "BatchMode=yes",
            "-o", "LogLevel=ERROR",
            "-o", `ConnectTimeout=${Number(c.perDialTimeout ?? 15)}`,
            "-o", `ConnectionAttempts=${Number(c.dialErrorLimit ?? 10) > 0 ? Number(c.dialErrorLimit ?? 10) : 1000}`,
            "-o", "GlobalKnownHostsFile=/dev/null",
            "-p", String(port),
            "-l", String(c.user ?? "root"),
        ];
        if (c.hostKey) {
            const knownHosts = path.join(dir, "known_hosts");
            const pattern = port === 22 ? c.host : `[${c.host}]:${port}`;
            fs.writeFileSync(knownHosts, `${pattern} ${String(c.hostKey).trim()}\n`, { mode: 0o600 });
            args.push("-o", "StrictHostKeyChecking=yes", "-o", `UserKnownHostsFile=${knownHosts}`, "-o", `HostKeyAlgorithms=${hostKeyAlgorithms(c.hostKey)}`);
        } else {
            // The provider uses ssh.InsecureIgnoreHostKey() when no host key is pinned.
            args.push("-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null");
        }
        const extraEnv = previousEnv(inputs, previous);
        for (const name of Object.keys(extraEnv)) args.push("-o", `SendEnv=${name}`);
        args.push("--", String(c.host), command);
        const result = await runProcess("ssh", args, { env: { ...process.env, ...extraEnv }, input: inputs.stdin ?? undefined, timeoutMs });
        if (result.code === 255) {
            throw new Error(`ssh to ${c.user ?? "root"}@${c.host}:${port} failed (or the command exited 255): ${result.stderr.trim()}\nrunning ${JSON.stringify(command)}:\n${result.combined}`);
        }
        if (result.code !== 0) {
            const why = result.timedOut ? `timed out after ${(timeoutMs ?? 0) / 1000}s` : `Process exited with status ${result.code}`;
            throw new Error(`${why}: running ${JSON.stringify(command)}:\n${result.combined}`);
        }
        return { stdout: trimNewline(result.stdout), stderr: trimNewline(result.stderr) };
    } finally {
        fs.rmSync(dir, { recursive: true, force: true });
    }
}

function commandProvider(type: typeof LOCAL | typeof REMOTE): ResourceProvider {
    const run = type === LOCAL ? runLocal : runRemote;
    return {
        check(name, inputs) {
            if (type === LOCAL) {
                refuseUnknown(type, name, inputs, ["create", "update", "delete", "environment", "stdin", "triggers", "dir", "interpreter", "addPreviousOutputInEnv", "logging"], ["assetPaths", "archivePaths"]);
            } else {
                // The provider sets remote variables with session.Setenv, which the server
                // silently refuses unless it AcceptEnv's them; not mirrored here.
                refuseUnknown(type, name, inputs, ["connection", "create", "update", "delete", "stdin", "triggers", "addPreviousOutputInEnv", "logging"], ["environment"]);
                const c = inputs.connection;
                if (!c?.host) throw new Error(`e2e harness: ${type} ${name}: connection.host is required`);
                refuseUnknownFields(`${type} ${name}: connection`, c, ["host", "port", "user", "privateKey", "hostKey", "dialErrorLimit", "perDialTimeout"]);
                if (!c.privateKey) throw new Error(`e2e harness: ${type} ${name}: only privateKey authentication is implemented (no password, agent or proxy)`);
            }
        },
        async plan(_ctx, old, inputs): Promise<Plan> {
            const changed = changedKeys(old.inputs, inputs);
            if (changed.length === 0) return { kind: "same", changed };
            // replaceOnChanges: ["triggers[*]"], set by the SDK's constructor.
            return { kind: changed.includes("triggers") ? "replace" : "update", changed };
        },
        async create(ctx, inputs): Promise<Realized> {
            const id = `${ctx.name}${randomHex(8)}`;
            const out = inputs.create ? await run(ctx, inputs.create, inputs, ctx.timeouts.create) : { stdout: "", stderr: "" };
            return { id, outputs: { ...inputs, ...out } };
        },
        async update(ctx, old, inputs): Promise<Realized> {
            const previous = { stdout: old.outputs.stdout ?? "", stderr: old.outputs.stderr ?? "" };
            const command = inputs.update ?? inputs.create;
            const out = command ? await run(ctx, command, inputs, ctx.timeouts.update, previous) : previous;
            return { id: old.id, outputs: { ...inputs, ...out } };
        },
        async delete(ctx, record: StoredResource) {
            if (!record.inputs.delete) return;
            const previous = { stdout: record.outputs.stdout ?? "", stderr: record.outputs.stderr ?? "" };
            await run(ctx, record.inputs.delete, record.inputs, ctx.timeouts.delete, previous);
        },
        async exists() {
            return true;
        },
    };
}

export const localCommandProvider = commandProvider(LOCAL);
export const remoteCommandProvider = commandProvider(REMOTE);
