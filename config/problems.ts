import { RunError } from "@pulumi/pulumi";
import type { z } from "zod";
import { exampleFor, NAMESPACE, removeCommand } from "./examples";
import { ExampleHint } from "./fields";

/** One thing wrong with the stack configuration, said so a person can fix it. */
export interface ConfigProblem {
    /** Full config key, e.g. `secureclaw:egress.allowlist[2]`. */
    key: string;
    /** What is wrong with the value there. */
    problem: string;
    /** The command that sets a right value (or removes a key that has no place). */
    example: string;
}

/** The message of a ConfigError: a count, then each problem with its example. */
export function describeProblems(problems: readonly ConfigProblem[]): string {
    return (
        `SecureClaw configuration has ${problems.length} problem${problems.length === 1 ? "" : "s"}; nothing was created or changed:\n` +
        problems.map((p) => `  - ${p.key}: ${p.problem}\n      example: ${p.example}`).join("\n")
    );
}

/**
 * Thrown before any resource is declared; lists every problem at once. A
 * RunError, so the Pulumi CLI prints the message alone, without a Node stack
 * trace (which would bury the list and point at our code, not the user's config).
 */
export class ConfigError extends RunError {
    constructor(readonly problems: ConfigProblem[]) {
        super(describeProblems(problems));
        this.name = "ConfigError";
    }
}

/** A key under the namespace: `secureclaw:<key>`. */
export function fullKey(key: string): string {
    return `${NAMESPACE}:${key}`;
}

/**
 * A config path the way `pulumi config set --path` reads it:
 * `egress.allowlist[2]`, and map keys holding dots in brackets,
 * `egress.pinnedHosts["api.telegram.org"]`.
 */
export function keyPath(path: readonly PropertyKey[]): string {
    return path
        .map((part, i) => {
            if (typeof part === "number") return `[${part}]`;
            const name = String(part);
            return /^[A-Za-z_][A-Za-z0-9_]*$/.test(name) ? `${i === 0 ? "" : "."}${name}` : `[${JSON.stringify(name)}]`;
        })
        .join("");
}

/** Shapes a value of the wrong kind can't be set into with `--path` until it is removed. */
const CONTAINERS = new Set(["object", "array", "record"]);

/** The problems zod found in one section, or under a path (with neither: at the top level), one per unknown key. */
export function problemsFromIssues(section: string | readonly PropertyKey[] | undefined, issues: readonly z.core.$ZodIssue[]): ConfigProblem[] {
    const prefix = section === undefined ? [] : typeof section === "string" ? [section] : section;
    return issues.flatMap((issue) => {
        const path = [...prefix, ...issue.path];
        if (issue.code === "unrecognized_keys") {
            return issue.keys.map((name) => {
                const key = keyPath([...path, name]);
                return { key: fullKey(key), problem: issue.message, example: removeCommand(key) };
            });
        }
        const key = keyPath(path);
        const hint: ExampleHint = issue.code === "custom" ? (issue.params ?? {}) : {};
        const replace = issue.code === "invalid_type" && CONTAINERS.has(issue.expected);
        return [{ key: fullKey(key), problem: issue.message, example: exampleFor(hint.exampleKey ?? key, { value: hint.example, replace }) }];
    });
}
