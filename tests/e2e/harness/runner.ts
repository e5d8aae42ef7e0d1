/**
 * Runs a Pulumi program (the repo's index.ts, or a test program) under
 * `pulumi.runtime.Mocks`, the way tests/support/program.ts does, but as a
 * real deployment would:
 *
 *  - inside `runInPulumiStack`, so the root stack resource exists (parents,
 *    stack transformations) and the program's exports become stack outputs;
 *  - with a stack transformation that records each resource's options
 *    (deleteBeforeReplace, retainOnDelete, customTimeouts, ...), which
 *    `MockResourceArgs` does not carry;
 *  - with a fresh module registry per run (jest.resetModules under jest,
 *    a cleared require cache otherwise), so the program runs again on every
 *    call. jest.isolateModules is not enough here: the program is required
 *    from the stack's asynchronous init, after isolateModules has returned.
 *
 * Ordering: with mocks, @pulumi/pulumi still awaits every explicit dependsOn
 * (and the children of a component in dependsOn) and every input's resource
 * before it calls newResource, because it waits for those resources' URNs,
 * which the mock monitor resolves only once newResource has returned. So an
 * async newResource that realizes for real is ordered like the engine.
 */
import * as path from "path";
import type { MockResourceArgs, MockResourceResult } from "@pulumi/pulumi/runtime/mocks";

export interface CapturedOptions {
    deleteBeforeReplace?: boolean;
    retainOnDelete?: boolean;
    protect?: boolean;
    ignoreChanges?: string[];
    replaceOnChanges?: string[];
    customTimeouts?: { create?: string; update?: string; delete?: string };
    hasProvider?: boolean;
    importId?: string;
    /** Logical names of explicit dependencies (for reports). */
    dependsOn: string[];
}

export interface MockRun {
    /** Path of the program's entry module. */
    program: string;
    project: string;
    stack: string;
    /** Config of the project's namespace, keys without the namespace. Non-strings are JSON-encoded. */
    config: Record<string, unknown>;
    /** Secret config values (same namespace). */
    secrets: Record<string, string>;
    newResource(args: MockResourceArgs, options: CapturedOptions | undefined): Promise<MockResourceResult>;
}

export interface MockRunResult {
    outputs: Record<string, unknown>;
    /** Errors raised while running: the program's own, failed registrations, unhandled rejections. */
    errors: unknown[];
}

declare const jest: { resetModules(): void } | undefined;

export async function runUnderMocks(run: MockRun): Promise<MockRunResult> {
    const errors: unknown[] = [];
    const captured = new Map<string, CapturedOptions>();
    const inFlight = new Set<Promise<unknown>>();
    // After the first failed resource, like the engine, start nothing new and
    // let what is running finish. A failed registration never settles (see
    // below), so everything waiting on it waits forever and is abandoned.
    let aborted = false;
    const never = () => new Promise<never>(() => undefined);

    // Failures that still escape as rejections (the program's own errors in
    // an apply, say) fail the run instead of the process.
    const onRejection = (reason: unknown) => {
        errors.push(reason);
        aborted = true;
    };
    process.on("unhandledRejection", onRejection);
    // Each fresh copy of the SDK adds a process "exit" listener (its promise
    // leak detector); a finished run's copy is dropped below, or a suite of
    // many runs trips Node's MaxListeners warning.
    const exitListenersBefore = new Set(process.listeners("exit"));
    try {
        freshModules(run.program);
        // A fresh runtime store: an abandoned registration of an earlier run
        // must not keep this run's waitForRPCs waiting.
        (globalThis as Record<string, unknown>).globalStore = undefined;
        (globalThis as Record<string, unknown>).stackResource = undefined;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const allConfig: Record<string, string> = {};
        for (const [key, value] of Object.entries(run.config)) {
            allConfig[`${run.project}:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
        }
        for (const [key, value] of Object.entries(run.secrets)) allConfig[`${run.project}:${key}`] = value;
        pulumi.runtime.setAllConfig(allConfig, Object.keys(run.secrets).map((k) => `${run.project}:${k}`));
        await pulumi.runtime.setMocks(
            {
                // A newResource that rejects makes @pulumi/pulumi raise a deliberate
                // unhandled rejection (runAsyncResourceOp), which jest reports as a
                // failure of whatever test is running and which kills a plain node
                // process. So a failure is recorded here and the registration is
                // left pending instead; realize() then reports the recorded error.
                newResource: (args) => {
                    if (aborted) return never();
                    const p = run.newResource(args, captured.get(`${args.type}::${args.name}`));
                    inFlight.add(p);
                    return p.then(
                        (result) => {
                            inFlight.delete(p);
                            return result;
                        },
                        (err) => {
                            inFlight.delete(p);
                            errors.push(err);
                            aborted = true;
                            return never();
                        },
                    );
                },
                call: (args) => {
                    throw new Error(`e2e harness: provider function ${args.token} is not implemented`);
                },
            },
            run.project,
            run.stack,
            false,
        );

        // Resolves when `p` settles, or when the run has failed and nothing is in flight any more.
        const settledOrAbandoned = async <T>(p: Promise<T>): Promise<{ done: true; value: T } | { done: false }> => {
            let stop = false;
            const idle = (async () => {
                while (!stop && !(aborted && inFlight.size === 0)) await new Promise((resolve) => setTimeout(resolve, 20));
                return { done: false as const };
            })();
            try {
                return await Promise.race([p.then((value) => ({ done: true as const, value })), idle]);
            } finally {
                stop = true;
            }
        };

        let outputs: Record<string, unknown> = {};
        const stack = pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                const o = args.opts as Record<string, any>;
                const deps = ([] as unknown[]).concat(o.dependsOn ?? []);
                captured.set(`${args.type}::${args.name}`, {
                    deleteBeforeReplace: o.deleteBeforeReplace,
                    retainOnDelete: o.retainOnDelete,
                    protect: o.protect,
                    ignoreChanges: o.ignoreChanges,
                    replaceOnChanges: o.replaceOnChanges,
                    customTimeouts: o.customTimeouts,
                    hasProvider: o.provider !== undefined || (o.providers !== undefined && Object.keys(o.providers).length > 0),
                    importId: o.import,
                    dependsOn: deps.map((d) => String((d as any)?.__name ?? "?")),
                });
                return undefined;
            });
            // eslint-disable-next-line @typescript-eslint/no-require-imports
            const exported = require(run.program) as Record<string, unknown>;
            return { ...exported };
        }).then(
            (o) => o,
            (err) => {
                // The program itself failed (e.g. config validation): start nothing more.
                errors.unshift(err);
                aborted = true;
                return undefined;
            },
        );
        const stackResult = await settledOrAbandoned(stack);
        if (stackResult.done) outputs = (stackResult.value ?? {}) as Record<string, unknown>;

        // Everything registered must have finished, exported or not.
        const waitForRPCs = (pulumi.runtime as unknown as { waitForRPCs?: () => Promise<void> }).waitForRPCs;
        if (waitForRPCs) await settledOrAbandoned(waitForRPCs());
        while (inFlight.size > 0) await Promise.allSettled([...inFlight]);
        // Let late rejections surface while the listener is still there.
        await new Promise((resolve) => setTimeout(resolve, 20));
        return { outputs, errors };
    } finally {
        process.off("unhandledRejection", onRejection);
        for (const listener of process.listeners("exit")) if (!exitListenersBefore.has(listener)) process.off("exit", listener);
    }
}

/** A fresh copy of the program and of @pulumi/* for this run. */
function freshModules(program: string): void {
    if (typeof jest !== "undefined") {
        jest.resetModules();
        return;
    }
    const programDir = path.dirname(path.resolve(program));
    for (const key of Object.keys(require.cache)) {
        const inProgram = key.startsWith(programDir) && !key.includes(`${path.sep}node_modules${path.sep}`);
        if (inProgram || key.includes(`${path.sep}node_modules${path.sep}@pulumi${path.sep}`)) delete require.cache[key];
    }
}
