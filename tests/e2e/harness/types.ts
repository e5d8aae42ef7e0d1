import { StoredResource } from "./state";

export type Action = "create" | "update" | "replace" | "same";

/** What the harness knows when it realizes one resource. */
export interface ProviderContext {
    /** Logical name of the resource. */
    name: string;
    /** Working directory of the "Pulumi program" (the repo root): local commands run here. */
    cwd: string;
    /** customTimeouts from the resource options, in milliseconds. */
    timeouts: { create?: number; update?: number; delete?: number };
    /** Name to use when the program gives none (Pulumi autonaming: `<logical>-<7 hex>`). */
    autoName: string;
    /** Appends a note to the run's report (e.g. an input change the provider ignores). */
    note(message: string): void;
    /** `pulumi up --refresh`: re-read what the provider would otherwise trust from its state (images are rebuilt). */
    refresh: boolean;
}

export interface Realized {
    id: string;
    outputs: Record<string, any>;
}

export interface Plan {
    kind: "same" | "update" | "replace";
    /** Top-level inputs that changed. */
    changed: string[];
    /** For each changed input, the value in the state and the program's, as the provider compared them. */
    values?: Record<string, { stored: unknown; declared: unknown }>;
    /** The state the plan diffed against (a container's, read back again under refresh). */
    stored?: Record<string, any>;
    /** A result computed while planning (an image build), reused by update(). */
    precomputed?: Realized;
}

/**
 * How one resource type is realized. Mirrors the provider's CRUD: check
 * (refuse what the harness can't do), plan (the provider's diff), create,
 * update (in place), delete, exists.
 */
export interface ResourceProvider {
    /** Throws, naming the input, when an input is set that the harness does not implement. */
    check(name: string, inputs: Record<string, any>): void;
    /** The provider's diff against the stored record. */
    plan(ctx: ProviderContext, old: StoredResource, inputs: Record<string, any>): Promise<Plan>;
    create(ctx: ProviderContext, inputs: Record<string, any>): Promise<Realized>;
    update(ctx: ProviderContext, old: StoredResource, inputs: Record<string, any>, plan: Plan): Promise<Realized>;
    delete(ctx: ProviderContext, record: StoredResource): Promise<void>;
    /** Whether the physical object still exists (false => drift). */
    exists(record: StoredResource): Promise<boolean>;
    /** The provider replaces delete-first whatever the resource option says (docker_container). */
    forceDeleteBeforeReplace?: boolean;
    /** Inputs that are autonamed when absent (`name`). */
    autoNamed?: boolean;
}

/** An error thrown after the physical object was created: the record is kept (tainted) so it can be cleaned up. */
export class PartialCreateError extends Error {
    constructor(readonly partial: Realized, cause: Error) {
        super(cause.message);
        this.name = "PartialCreateError";
    }
}
