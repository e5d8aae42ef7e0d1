/**
 * `pulumi up --expect-no-changes` for the harness: what a run would have
 * changed, and the error that lists it. A second `up` with the same program
 * and config must be a no-op; when it is not, the cause is nearly always an
 * input the provider stores in another form than the program writes, so the
 * error shows, for every input, the stored value next to the program's.
 */

export interface PlannedChange {
    type: string;
    name: string;
    /** Physical ID of the existing resource ("" for a create). */
    id: string;
    action: "create" | "update" | "replace" | "delete";
    inputs: Array<{ key: string; stored: unknown; declared: unknown }>;
}

const SHOWN_CHARS = 240;

function show(value: unknown): string {
    if (value === undefined) return "(unset)";
    const text = JSON.stringify(value);
    return text.length > SHOWN_CHARS ? `${text.slice(0, SHOWN_CHARS)}…` : text;
}

/**
 * The changed inputs of one resource, secrets masked (a secret input's
 * values are never printed, only that it changed).
 */
export function changedInputs(
    changed: string[],
    values: Record<string, { stored: unknown; declared: unknown }>,
    secretKeys: string[],
): PlannedChange["inputs"] {
    return changed.map((key) => {
        const { stored, declared } = values[key] ?? { stored: undefined, declared: undefined };
        return secretKeys.includes(key) ? { key, stored: "[secret]", declared: "[secret]" } : { key, stored, declared };
    });
}

export function describeChanges(stack: string, changes: PlannedChange[]): string {
    const lines = changes.map((c) => {
        const head = `  ${c.action} ${c.type} ${c.name}${c.id ? ` (${c.id.slice(0, 12)})` : ""}`;
        const inputs = c.inputs.map((i) => `      ${i.key}: stored ${show(i.stored)}, program ${show(i.declared)}`);
        return [head, ...inputs].join("\n");
    });
    return `realize ${stack}: no changes were expected, but ${changes.length} resource(s) would change (nothing was changed):\n${lines.join("\n")}`;
}

/** Thrown by realize() with expectNoChanges when the run would change anything. */
export class UnexpectedChangesError extends Error {
    constructor(stack: string, readonly changes: PlannedChange[]) {
        super(describeChanges(stack, changes));
        this.name = "UnexpectedChangesError";
    }
}
