import {
    EnforcementLevel,
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationPolicy,
    StackValidationPolicy,
} from "@pulumi/policy";
import { rawProps, roleOf } from "./util";

/** What a resource check sees besides the inputs. */
export interface CheckContext<C> {
    type: string;
    name: string;
    /** The `secureclaw.role` label; undefined when the resource has none, null when preview can't tell yet. */
    role: string | undefined | null;
    config: C;
}

/** A pure resource check: the inputs in, one message per violation out. */
export type ResourceCheck<C = Record<string, never>> = (props: Record<string, any>, ctx: CheckContext<C>) => string[];

export interface ResourcePolicySpec<C> {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    /** Pulumi type tokens the check applies to. */
    types: readonly string[];
    /** When given, only resources whose `secureclaw.role` is one of these are checked. */
    roles?: readonly string[];
    configSchema?: PolicyConfigSchema;
    remediationSteps?: string;
    check: ResourceCheck<C>;
}

/**
 * A guardrail: the policy the pack serves, plus its pure check and scope so
 * tests can call the check directly. The policy object itself stays a plain
 * ResourceValidationPolicy (the SDK copies a policy's fields into its
 * diagnostics, so nothing else rides on it).
 */
export interface ResourceGuardrail<C = any> {
    kind: "resource";
    policy: ResourceValidationPolicy;
    check: ResourceCheck<C>;
    types: readonly string[];
    roles?: readonly string[];
}

/**
 * Wraps a pure check as a policy. Resources of other types or roles are
 * skipped; a role that preview can't know yet skips the resource too (the
 * policy runs again at `pulumi up` with every value known).
 */
export function resourcePolicy<C extends object = Record<string, never>>(spec: ResourcePolicySpec<C>): ResourceGuardrail<C> {
    const policy: ResourceValidationPolicy = {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        ...(spec.configSchema ? { configSchema: spec.configSchema } : {}),
        ...(spec.remediationSteps ? { remediationSteps: spec.remediationSteps } : {}),
        validateResource: (args, reportViolation) => {
            if (!spec.types.includes(args.type)) return;
            const props = rawProps(args.props);
            const role = roleOf(props);
            // A role-scoped check waits for `pulumi up` when preview can't tell the role yet.
            if (spec.roles && (role === null || role === undefined || !spec.roles.includes(role))) return;
            const config = args.getConfig<C>();
            for (const message of spec.check(props, { type: args.type, name: args.name, role, config })) {
                reportViolation(message);
            }
        },
    };
    return { kind: "resource", policy, check: spec.check, types: spec.types, ...(spec.roles ? { roles: spec.roles } : {}) };
}

/** One resource as a stack check sees it. */
export interface StackResource {
    type: string;
    name: string;
    urn: string;
    props: Record<string, any>;
    /** URNs of the resources this one depends on (explicitly or through its inputs). */
    dependencies: string[];
}

export interface StackFinding {
    message: string;
    /** The resource the finding is about, when there is one. */
    urn?: string;
}

export type StackCheck<C = Record<string, never>> = (resources: StackResource[], config: C) => StackFinding[];

export interface StackGuardrail<C = any> {
    kind: "stack";
    policy: StackValidationPolicy;
    check: StackCheck<C>;
}

export type Guardrail = ResourceGuardrail | StackGuardrail;

export function stackPolicy<C extends object = Record<string, never>>(spec: {
    name: string;
    description: string;
    enforcementLevel: EnforcementLevel;
    configSchema?: PolicyConfigSchema;
    check: StackCheck<C>;
}): StackGuardrail<C> {
    const policy: StackValidationPolicy = {
        name: spec.name,
        description: spec.description,
        enforcementLevel: spec.enforcementLevel,
        ...(spec.configSchema ? { configSchema: spec.configSchema } : {}),
        validateStack: (args, reportViolation) => {
            const resources: StackResource[] = args.resources.map((r: PolicyResource) => ({
                type: r.type,
                name: r.name,
                urn: r.urn,
                props: rawProps(r.props),
                dependencies: [
                    ...(r.dependencies ?? []).map((d) => d.urn),
                    ...Object.values(r.propertyDependencies ?? {}).flatMap((ds) => ds.map((d) => d.urn)),
                ],
            }));
            for (const finding of spec.check(resources, args.getConfig<C>())) {
                reportViolation(finding.message, finding.urn);
            }
        },
    };
    return { kind: "stack", policy, check: spec.check };
}
