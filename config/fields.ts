/**
 * Building blocks for the config schema, each with the message a person sees
 * when a value is wrong. Values come from YAML someone wrote and from
 * `pulumi config set`, so the blocks are lenient where the CLI is (numbers and
 * booleans may arrive as text) and strict everywhere else.
 */
import { z } from "zod";

/** How a value the user wrote is quoted in a message. */
export function shown(value: unknown): string {
    return JSON.stringify(value) ?? String(value);
}

/** What a custom issue may carry to steer its example command. */
export interface ExampleHint {
    /** The value the example sets (else the table in examples.ts decides). */
    example?: string;
    /** The key the example sets, when the fix is somewhere else than the key at fault (e.g. `egress.allowlist[3]`). */
    exampleKey?: string;
}

/** Adds a problem at `path` (relative to the value being refined), with an optional example hint. */
export function addProblem(ctx: z.RefinementCtx, path: PropertyKey[], message: string, hint: ExampleHint = {}): void {
    ctx.addIssue({ code: "custom", path, message, params: { ...hint } });
}

/**
 * Options for a rule that reads `fields` of a section (all of them when none
 * are named): run it only once those fields are valid. zod runs refinements
 * after a non-fatal problem by default, and the rule would read a wrong value;
 * a problem elsewhere in the section (an unknown key, another field) does not
 * hold it back, so every problem is still reported at once.
 */
export function onceValid(...fields: string[]) {
    return {
        when: (payload: { issues: readonly z.core.$ZodRawIssue[] }) =>
            payload.issues.every((issue) => {
                if (issue.code === "unrecognized_keys") return true;
                const field = issue.path?.[0];
                return field !== undefined && fields.length > 0 && !fields.includes(String(field));
            }),
    };
}

/** A check for `text`: undefined when the value is right, else what is wrong with it. */
export type TextCheck = (value: string) => string | undefined;

/** A TextCheck from a pattern and a description of what it wants. */
export function matches(pattern: RegExp, what: string): TextCheck {
    return (value) => (pattern.test(value) ? undefined : `${what}, got ${shown(value)}`);
}

/**
 * A trimmed string that passes `check`. Missing, it is refused with
 * `whenMissing`; add `.optional()` or `.default()` for settings that may be unset.
 */
export function text(check?: TextCheck, whenMissing = "is required") {
    return z
        .string({ error: (issue) => (issue.input === undefined ? whenMissing : `must be a string, got ${shown(issue.input)}`) })
        .trim()
        .superRefine((value, ctx) => {
            const problem = check?.(value);
            if (problem !== undefined) addProblem(ctx, [], problem);
        });
}

/** `pulumi config set` without --path stores every value as text: "4096" is read as the number it spells. */
function numberFromText(value: unknown): unknown {
    if (typeof value !== "string" || value.trim() === "") return value;
    const n = Number(value);
    return Number.isFinite(n) ? n : value;
}

/** A number from `min` to `max` (a whole number when `integer`). */
export function numberIn(min: number, max: number, { integer = false } = {}) {
    const what = `must be ${integer ? "a whole number" : "a number"} from ${min} to ${max}`;
    const error = (issue: { input?: unknown }) => `${what}, got ${shown(issue.input)}`;
    let n = z.number({ error });
    if (integer) n = n.int({ error });
    return z.preprocess(numberFromText, n.min(min, { error }).max(max, { error }));
}

/** true or false, also as the text "true" / "false". */
export function flag() {
    return z.preprocess(
        (value) => (value === "true" ? true : value === "false" ? false : value),
        z.boolean({ error: (issue) => `must be true or false, got ${shown(issue.input)}` }),
    );
}

/** A list of `element`. */
export function list<T extends z.ZodType>(element: T) {
    return z.array(element, { error: (issue) => `must be a list, got ${shown(issue.input)}` });
}

/** The fields of one section; any other field is refused, so a typo is not silently ignored. */
export function fields<T extends z.core.$ZodLooseShape>(shape: T) {
    const known = Object.keys(shape).join(", ");
    return z.strictObject(shape, {
        error: (issue) => (issue.code === "unrecognized_keys" ? `is not a known setting (known: ${known})` : `must be an object, got ${shown(issue.input)}`),
    });
}

/**
 * A section under `secureclaw:`. A missing section is an empty one, and a
 * field set to null or blank text is unset (so it takes its default), as if
 * the line were not in the stack file. `defaults` fill fields the schema
 * needs before it can parse the rest (the GPU placement picks the fields).
 */
export function section<T extends z.ZodType>(schema: T, defaults: Record<string, unknown> = {}) {
    return z.preprocess((value) => {
        if (value === undefined || value === null) return { ...defaults };
        if (typeof value !== "object" || Array.isArray(value)) return value;
        const set = Object.entries(value).filter(([, v]) => v !== null && !(typeof v === "string" && v.trim() === ""));
        return { ...defaults, ...Object.fromEntries(set) };
    }, schema);
}
