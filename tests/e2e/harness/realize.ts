/**
 * realize(): `pulumi up` for the end-to-end suite, without the Pulumi CLI.
 *
 * The program (index.ts by default) runs under pulumi.runtime.Mocks; each
 * resource the program registers is realized for real on the local Docker
 * engine (or over SSH) by the provider emulations in providers/, and recorded
 * in a per-stack state file. A second call with other config diffs against
 * that state like the engine would: same inputs => nothing; otherwise the
 * provider's diff decides between an in-place update and a replacement
 * (delete-first when deleteBeforeReplace or the provider demands it,
 * otherwise create-first with the old one deleted at the end). Resources no
 * longer declared are deleted at the end, newest first.
 *
 * destroy() deletes everything the state holds, newest first; leftovers()
 * lists Docker objects still labelled with a stack prefix.
 */
import * as fs from "fs";
import * as path from "path";
import type { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";
import { REPO_ROOT } from "../../support/program";
import { engine } from "./docker";
import { containerProvider } from "./providers/container";
import { localCommandProvider, remoteCommandProvider } from "./providers/command";
import { imageProvider, remoteImageProvider } from "./providers/images";
import { networkProvider, volumeProvider } from "./providers/objects";
import { changedInputs, PlannedChange, UnexpectedChangesError } from "./changes";
import { CapturedOptions, runUnderMocks } from "./runner";
import { dropRecord, liveRecord, loadState, putRecord, removeState, saveState, StateFile, stateFilePath, StoredResource } from "./state";
import { Action, PartialCreateError, Plan, ProviderContext, Realized, ResourceProvider } from "./types";
import { hashOf, parseGoDuration, randomHex, rewrapSecrets, unwrapSecrets } from "./util";

export type { Action } from "./types";

export const PROVIDERS: Record<string, ResourceProvider> = {
    "docker:index/network:Network": networkProvider,
    "docker:index/volume:Volume": volumeProvider,
    "docker:index/image:Image": imageProvider,
    "docker:index/remoteImage:RemoteImage": remoteImageProvider,
    "docker:index/container:Container": containerProvider,
    "command:local:Command": localCommandProvider,
    "command:remote:Command": remoteCommandProvider,
};

export const DEFAULT_STATE_DIR = path.join(REPO_ROOT, ".e2e-state");
export const DEFAULT_PROGRAM = path.join(REPO_ROOT, "index.ts");

export interface RealizeContext {
    stack: string;
    /**
     * Resolves with a resource's record once it has been realized in this run
     * (after its afterCreate hook). Accepts the logical name or `type::name`.
     * Rejects after `timeoutMs` (default 120 s) so a wrong name can't hang.
     */
    realized(name: string, timeoutMs?: number): Promise<ResourceReport>;
}

export interface RealizeHooks {
    /** Before a resource is created, updated or replaced (not when it is unchanged). Dependents wait for it. */
    beforeApply?(type: string, name: string, action: Exclude<Action, "same">, inputs: Record<string, any>, ctx: RealizeContext): Promise<void>;
    /**
     * Right after a resource was created (also the new half of a replacement),
     * before any resource that depends on it is realized. E.g. connect test
     * stand-ins to a network the program just created.
     */
    afterCreate?(type: string, name: string, state: { id: string; outputs: Record<string, any> }, ctx: RealizeContext): Promise<void>;
    /** Before the harness deletes a resource (replacement, removal from the program, destroy). */
    beforeDelete?(type: string, name: string, record: StoredResource): Promise<void>;
}

export interface RealizeOptions {
    /** The program's entry module (default: the repo's index.ts). */
    program?: string;
    /** Pulumi project name, the config namespace (default "secureclaw"). */
    project?: string;
    /** Where state files live (default <repo>/.e2e-state). */
    stateDir?: string;
    /** Working directory of the program: local commands and build contexts resolve here (default: the repo root). */
    cwd?: string;
    /**
     * `pulumi up --refresh`: a resource whose Docker object vanished is
     * created again instead of failing the run, containers are read back from
     * the engine before the diff, and images are rebuilt even when their
     * build context did not change.
     */
    refresh?: boolean;
    /**
     * `pulumi up --expect-no-changes`: plan every resource, change nothing,
     * and fail with an UnexpectedChangesError listing each resource and input
     * that would be created, updated, replaced or deleted (stored value next
     * to the program's).
     */
    expectNoChanges?: boolean;
}

export interface ResourceReport {
    type: string;
    name: string;
    id: string;
    /** Inputs as declared (secrets unwrapped: never print env values). */
    inputs: Record<string, any>;
    outputs: Record<string, any>;
    action: Action;
    /** Top-level inputs that changed (update/replace). */
    changed: string[];
    /** Milliseconds since the run started: when the harness got the resource, and when it was done. */
    startedAt: number;
    finishedAt: number;
}

export interface RealizeResult {
    /** The program's exports (stack outputs). */
    outputs: Record<string, unknown>;
    /** Every custom resource the program declared, in the order they finished. */
    resources: ResourceReport[];
    /** Resources deleted at the end of the run (removed from the program, or the old half of a replacement). */
    deleted: Array<{ type: string; name: string; id: string; retained: boolean }>;
    /** Things worth knowing (e.g. input changes the provider ignores). */
    notes: string[];
}

export class RealizeError extends Error {
    constructor(message: string, readonly errors: unknown[], readonly partial: ResourceReport[]) {
        super(message);
        this.name = "RealizeError";
    }
}

/** Runs are serialized: the Pulumi runtime is one global per process. */
let queue: Promise<unknown> = Promise.resolve();
function serialized<T>(fn: () => Promise<T>): Promise<T> {
    const next = queue.then(fn, fn);
    queue = next.catch(() => undefined);
    return next;
}

export function realize(
    stack: string,
    config: Record<string, unknown>,
    secrets: Record<string, string>,
    hooks: RealizeHooks = {},
    options: RealizeOptions = {},
): Promise<RealizeResult> {
    return serialized(() => doRealize(stack, config, secrets, hooks, options));
}

function timeoutsOf(opts: CapturedOptions | undefined): ProviderContext["timeouts"] {
    const t = opts?.customTimeouts ?? {};
    const ms = (v: string | undefined, what: string) => (v ? parseGoDuration(v, what) / 1e6 : undefined);
    return { create: ms(t.create, "customTimeouts.create"), update: ms(t.update, "customTimeouts.update"), delete: ms(t.delete, "customTimeouts.delete") };
}

function checkOptions(type: string, name: string, opts: CapturedOptions | undefined): void {
    if (!opts) return;
    const where = `${type} ${name}`;
    if (opts.protect) throw new Error(`e2e harness: ${where}: the protect option is not implemented`);
    if (opts.ignoreChanges?.length) throw new Error(`e2e harness: ${where}: the ignoreChanges option is not implemented`);
    if (opts.hasProvider) throw new Error(`e2e harness: ${where}: explicit providers are not implemented (the harness is the provider)`);
    if (opts.importId) throw new Error(`e2e harness: ${where}: import is not implemented`);
    const sdkDefault = type.startsWith("command:") ? ["triggers[*]"] : [];
    const extra = (opts.replaceOnChanges ?? []).filter((p) => !sdkDefault.includes(p));
    if (extra.length) throw new Error(`e2e harness: ${where}: replaceOnChanges ${JSON.stringify(extra)} is not implemented`);
}

class Deferred<T> {
    readonly promise: Promise<T>;
    resolve!: (v: T) => void;
    reject!: (e: unknown) => void;
    constructor() {
        this.promise = new Promise<T>((res, rej) => {
            this.resolve = res;
            this.reject = rej;
        });
        this.promise.catch(() => undefined);
    }
}

async function doRealize(stack: string, config: Record<string, unknown>, secrets: Record<string, string>, hooks: RealizeHooks, options: RealizeOptions): Promise<RealizeResult> {
    const stateDir = options.stateDir ?? DEFAULT_STATE_DIR;
    const file = stateFilePath(stateDir, stack);
    const state = loadState(file, stack);
    const save = () => saveState(file, state);
    const cwd = options.cwd ?? REPO_ROOT;
    const t0 = Date.now();
    const reports: ResourceReport[] = [];
    const notes: string[] = [];
    const declared = new Set<string>();
    const unexpected: PlannedChange[] = [];
    const waiting = new Map<string, Deferred<ResourceReport>>();
    const deferredFor = (nameOrKey: string) => {
        let d = waiting.get(nameOrKey);
        if (!d) {
            d = new Deferred<ResourceReport>();
            waiting.set(nameOrKey, d);
        }
        return d;
    };
    const ctxApi: RealizeContext = {
        stack,
        realized(nameOrKey, timeoutMs = 120_000) {
            const d = deferredFor(nameOrKey);
            return new Promise<ResourceReport>((resolve, reject) => {
                const timer = setTimeout(() => reject(new Error(`e2e harness: ${nameOrKey} was not realized within ${timeoutMs / 1000}s (wrong name, or it depends on the waiter?)`)), timeoutMs);
                d.promise.then(
                    (r) => {
                        clearTimeout(timer);
                        resolve(r);
                    },
                    (e) => {
                        clearTimeout(timer);
                        reject(e);
                    },
                );
            });
        },
    };

    const deleteRecord = async (record: StoredResource, purgeRetained: boolean): Promise<boolean> => {
        const provider = PROVIDERS[record.type];
        if (record.options.retainOnDelete && !purgeRetained) {
            dropRecord(state, record);
            save();
            return true;
        }
        await hooks.beforeDelete?.(record.type, record.name, record);
        await provider.delete(providerContext(record.name, record.options.timeouts, record.autoName ?? record.name, cwd, notes, false), record);
        dropRecord(state, record);
        save();
        return false;
    };

    const apply = async (args: MockResourceArgs, opts: CapturedOptions | undefined): Promise<MockResourceResult> => {
        const { type, name } = args;
        const key = `${type}::${name}`;
        const startedAt = Date.now() - t0;
        if (declared.has(key)) throw new Error(`e2e harness: ${key} is declared twice`);
        declared.add(key);
        try {
            const provider = PROVIDERS[type];
            if (!provider) {
                throw new Error(`e2e harness: resource type ${type} (${name}) is not implemented; the harness realizes only ${Object.keys(PROVIDERS).join(", ")}`);
            }
            const { plain: inputs, secretKeys } = unwrapSecrets(args.inputs ?? {});
            checkOptions(type, name, opts);
            provider.check(name, inputs);
            const recordOptions = { deleteBeforeReplace: opts?.deleteBeforeReplace, retainOnDelete: opts?.retainOnDelete, timeouts: timeoutsOf(opts) };
            const old = liveRecord(state, key);
            const newAutoName = `${name}-${randomHex(7)}`;
            const ctx = (autoName: string) => providerContext(name, recordOptions.timeouts, autoName, cwd, notes, Boolean(options.refresh));

            let action: Action;
            let plan: Plan = { kind: "replace", changed: [] };
            if (!old) {
                action = "create";
            } else if (old.tainted) {
                action = "replace";
                plan = { kind: "replace", changed: ["(tainted by a failed create)"] };
            } else {
                plan = await provider.plan(ctx(old.autoName ?? newAutoName), old, inputs);
                action = plan.kind;
            }

            let record: StoredResource;
            const persist = (realized: Realized, autoName: string | undefined, extra: Partial<StoredResource> = {}): StoredResource => {
                const r: StoredResource = {
                    key, type, name,
                    id: realized.id,
                    inputs,
                    secretKeys,
                    outputs: realized.outputs,
                    inputsHash: hashOf(inputs),
                    seq: extra.seq ?? ++state.seq,
                    options: recordOptions,
                    ...(autoName && provider.autoNamed && inputs.name === undefined ? { autoName } : {}),
                    ...extra,
                };
                putRecord(state, r);
                save();
                return r;
            };
            const create = async (): Promise<StoredResource> => {
                try {
                    const realized = await provider.create(ctx(newAutoName), inputs);
                    return persist(realized, newAutoName);
                } catch (err) {
                    if (err instanceof PartialCreateError) {
                        persist(err.partial, newAutoName, { tainted: true });
                    }
                    throw err;
                }
            };

            if (action === "same" && old && !(await provider.exists(old))) {
                if (!options.refresh) {
                    throw new Error(
                        `e2e harness: ${key} (${old.id}) is in the state of stack ${stack} but its Docker object is gone. ` +
                            "Run with refresh (cli: up --refresh) to recreate it, or destroy the stack.",
                    );
                }
                if (!options.expectNoChanges) dropRecord(state, old);
                action = "create";
            }
            if (options.expectNoChanges && action !== "same") {
                // Record the change and carry on with the stored state (a create with its inputs), so every resource gets planned.
                const values = plan.values ?? Object.fromEntries(plan.changed.map((k) => [k, { stored: old?.inputs[k], declared: inputs[k] }]));
                unexpected.push({
                    type, name, id: old?.id ?? "", action,
                    inputs: changedInputs(action === "create" ? [] : plan.changed, values, [...secretKeys, ...(old?.secretKeys ?? [])]),
                });
                // A would-be create gets a stand-in ID: an empty one would make its dependents' inputs unknown.
                const report: ResourceReport = {
                    type, name, id: old?.id ?? `(${name} not created)`, inputs, outputs: old?.outputs ?? inputs, action, changed: plan.changed, startedAt, finishedAt: Date.now() - t0,
                };
                reports.push(report);
                deferredFor(key).resolve(report);
                deferredFor(name).resolve(report);
                return { id: report.id, state: rewrapSecrets(report.outputs, old?.secretKeys ?? secretKeys) };
            }
            if (action !== "same") await hooks.beforeApply?.(type, name, action, inputs, ctxApi);

            switch (action) {
                case "same":
                    record = old!;
                    break;
                case "create":
                    record = await create();
                    break;
                case "update": {
                    const realized = await provider.update(ctx(old!.autoName ?? newAutoName), old!, inputs, plan);
                    record = persist(realized, old!.autoName, { seq: old!.seq });
                    break;
                }
                case "replace": {
                    const deleteFirst = Boolean(recordOptions.deleteBeforeReplace || old!.options.deleteBeforeReplace || provider.forceDeleteBeforeReplace);
                    if (deleteFirst) {
                        await deleteRecord(old!, false);
                        record = await create();
                    } else {
                        old!.pendingDelete = true;
                        save();
                        record = await create();
                    }
                    break;
                }
            }
            if (action === "create" || action === "replace") {
                await hooks.afterCreate?.(type, name, { id: record.id, outputs: record.outputs }, ctxApi);
            }
            const report: ResourceReport = {
                type, name, id: record.id, inputs, outputs: record.outputs, action, changed: plan.changed, startedAt, finishedAt: Date.now() - t0,
            };
            reports.push(report);
            deferredFor(key).resolve(report);
            deferredFor(name).resolve(report);
            return { id: record.id, state: rewrapSecrets(record.outputs, secretKeys) };
        } catch (err) {
            const wrapped = err instanceof Error && !err.message.includes(name) ? new Error(`${type} ${name}: ${err.message}`) : err;
            deferredFor(key).reject(wrapped);
            deferredFor(name).reject(wrapped);
            throw wrapped;
        }
    };

    const { outputs, errors } = await runUnderMocks({
        program: options.program ?? DEFAULT_PROGRAM,
        project: options.project ?? "secureclaw",
        stack,
        config,
        secrets,
        newResource: async (args, opts) => {
            // Components, the stack and provider references are not realized.
            if (!args.custom || args.type.startsWith("pulumi:")) return { id: undefined, state: args.inputs ?? {} };
            return apply(args, opts);
        },
    });

    if (errors.length > 0) {
        if (state.resources.length > 0 || fs.existsSync(file)) save();
        // The same failure often arrives several times (the stack, its outputs, the registration).
        const seen = new Set<string>();
        errors.splice(0, errors.length, ...errors.filter((e) => {
            const m = e instanceof Error ? e.message : String(e);
            if (seen.has(m)) return false;
            seen.add(m);
            return true;
        }));
        const first = errors.find((e) => e instanceof Error) ?? errors[0];
        const others = errors.length > 1 ? ` (and ${errors.length - 1} more error(s), see .errors)` : "";
        const message = first instanceof Error ? first.message : String(first);
        throw new RealizeError(`realize ${stack} failed: ${message}${others}`, errors, reports);
    }

    // Deletes, newest first: old halves of create-first replacements and resources no longer declared.
    const deleted: RealizeResult["deleted"] = [];
    const doomed = state.resources
        .filter((r) => r.pendingDelete || !declared.has(r.key))
        .sort((a, b) => b.seq - a.seq);
    if (options.expectNoChanges) {
        for (const record of doomed) unexpected.push({ type: record.type, name: record.name, id: record.id, action: "delete", inputs: [] });
        if (unexpected.length > 0) throw new UnexpectedChangesError(stack, unexpected);
    }
    for (const record of doomed) {
        const retained = await deleteRecord(record, false);
        deleted.push({ type: record.type, name: record.name, id: record.id, retained });
    }
    save();
    return { outputs, resources: reports, deleted, notes };
}

function providerContext(name: string, timeouts: ProviderContext["timeouts"] | undefined, autoName: string, cwd: string, notes: string[], refresh: boolean): ProviderContext {
    return { name, cwd, timeouts: timeouts ?? {}, autoName, note: (m) => notes.push(m), refresh };
}

export interface DestroyOptions {
    stateDir?: string;
    cwd?: string;
    /** Also delete resources marked retainOnDelete (the workspace volume, the model cache). `pulumi destroy` keeps them. */
    purgeRetained?: boolean;
    hooks?: Pick<RealizeHooks, "beforeDelete">;
}

export interface DestroyResult {
    deleted: Array<{ type: string; name: string; id: string; retained: boolean }>;
}

/** `pulumi destroy`: deletes everything in the stack's state, newest first, then the state file. */
export function destroy(stack: string, options: DestroyOptions = {}): Promise<DestroyResult> {
    return serialized(async () => {
        const file = stateFilePath(options.stateDir ?? DEFAULT_STATE_DIR, stack);
        const state: StateFile = loadState(file, stack);
        const cwd = options.cwd ?? REPO_ROOT;
        const deleted: DestroyResult["deleted"] = [];
        const ordered = [...state.resources].sort((a, b) => b.seq - a.seq);
        for (const record of ordered) {
            const retained = Boolean(record.options.retainOnDelete && !options.purgeRetained);
            if (!retained) {
                await options.hooks?.beforeDelete?.(record.type, record.name, record);
                const ctx = providerContext(record.name, record.options.timeouts, record.autoName ?? record.name, cwd, [], false);
                await PROVIDERS[record.type].delete(ctx, record);
            }
            dropRecord(state, record);
            saveState(file, state);
            deleted.push({ type: record.type, name: record.name, id: record.id, retained });
        }
        removeState(file);
        return { deleted };
    });
}

export interface Leftovers {
    containers: string[];
    networks: string[];
    volumes: string[];
}

/** Docker objects labelled `secureclaw.stack=<prefix>` (components label everything they create). */
export async function leftovers(prefix: string): Promise<Leftovers> {
    const filters = { label: [`secureclaw.stack=${prefix}`] };
    const [containers, networks, volumes] = await Promise.all([
        engine().listContainers({ all: true, filters }),
        engine().listNetworks({ filters }),
        engine().listVolumes({ filters }),
    ]);
    return {
        containers: (containers ?? []).map((c) => String(c.Names?.[0] ?? c.Id).replace(/^\//, "")).sort(),
        networks: (networks ?? []).map((n) => String(n.Name)).sort(),
        volumes: (volumes?.Volumes ?? []).map((v) => String(v.Name)).sort(),
    };
}

/** The stack's state as stored (for tests and the CLI's status). */
export function readState(stack: string, stateDir = DEFAULT_STATE_DIR): StateFile {
    return loadState(stateFilePath(stateDir, stack), stack);
}

/**
 * Last-resort cleanup: force-removes every container, network and volume
 * labelled `secureclaw.stack=<prefix>`, whatever any state file says. For
 * test setup/teardown after a crashed run; `destroy` is the normal way.
 */
export async function purgeLabelled(prefix: string): Promise<Leftovers> {
    const found = await leftovers(prefix);
    for (const name of found.containers) {
        await engine().getContainer(name).remove({ force: true, v: true }).catch(() => undefined);
    }
    for (const name of found.networks) {
        await engine().getNetwork(name).remove().catch(() => undefined);
    }
    for (const name of found.volumes) {
        await engine().getVolume(name).remove({ force: true }).catch(() => undefined);
    }
    return found;
}
