/**
 * Runs policies the way the Pulumi engine's analyzer does, without the
 * engine: builds the ResourceValidationArgs / StackValidationArgs that
 * @pulumi/policy 1.21.0 passes (props wrapped in the SDK's own
 * unknown-checking proxy, config merged with the schema's defaults) and
 * collects what the policy reports.
 */
import * as sdk from "@pulumi/policy";
import {
    PolicyConfigSchema,
    PolicyResource,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";
import { Guardrail, ResourceGuardrail, StackGuardrail } from "../policies/define";

/** A resource as the program declares it (what tests/support/collect.ts returns). */
export interface TestResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Names of resources this one depends on (stack policies see them as dependencies). */
    dependsOn?: string[];
}

export interface RunResult {
    violations: string[];
    /** Set when the policy called notApplicable(). */
    notApplicable?: string;
    /** Set when the policy read a value preview doesn't know (the engine turns this into a warning and skips the policy). */
    previewError?: string;
}

export interface StackRunResult {
    findings: Array<{ message: string; urn?: string }>;
    notApplicable?: string;
    previewError?: string;
}

class NotApplicable extends Error {
    constructor(readonly reason: string) {
        super(reason);
    }
}

// The SDK exports these at run time; its type declarations hide them.
const unknownCheckingProxy: (props: Record<string, any>) => Record<string, any> = (sdk as any).unknownCheckingProxy;
const UnknownValueError: new (...args: any[]) => Error = (sdk as any).UnknownValueError;

export function urnOf(r: { type: string; name: string }, stack = "test"): string {
    return `urn:pulumi:${stack}::secureclaw::${r.type}::${r.name}`;
}

function defaults(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema?.properties ?? {})) {
        if (typeof v === "object" && v.default !== undefined) out[k] = v.default;
    }
    return out;
}

const OPTS = { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] };

function isTypeOf(type: string, cls: any): boolean {
    return cls?.__pulumiType === type;
}

function clone<T>(v: T): T {
    return JSON.parse(JSON.stringify(v));
}

/** Runs one resource policy on one resource. */
export async function runResourcePolicy(
    policy: ResourceValidationPolicy,
    resource: TestResource,
    config: Record<string, unknown> = {},
): Promise<RunResult> {
    const violations: string[] = [];
    const result: RunResult = { violations };
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    for (const validate of validations) {
        const props = unknownCheckingProxy(clone(resource.inputs));
        const args: ResourceValidationArgs = {
            type: resource.type,
            props,
            urn: urnOf(resource),
            name: resource.name,
            opts: OPTS,
            stackTags: new Map(),
            isType: (cls) => isTypeOf(resource.type, cls),
            asType: ((cls: any) => (isTypeOf(resource.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
            getConfig: <T extends object>() => ({ ...defaults(policy.configSchema), ...config }) as T,
            notApplicable: (reason?: string): never => {
                throw new NotApplicable(reason ?? "");
            },
        };
        await settle(result, () => validate(args, (message: string) => violations.push(message)));
    }
    return result;
}

/** Runs a policy, recording "not applicable" and preview (unknown value) outcomes instead of throwing. */
async function settle(result: { notApplicable?: string; previewError?: string }, run: () => unknown): Promise<void> {
    try {
        await run();
    } catch (e) {
        if (e instanceof NotApplicable) result.notApplicable = e.reason;
        else if (e instanceof UnknownValueError) result.previewError = (e as Error).message;
        else throw e;
    }
}

/** Runs one stack policy on a set of resources (their inputs stand in for outputs). */
export async function runStackPolicy(
    policy: StackValidationPolicy,
    resources: TestResource[],
    config: Record<string, unknown> = {},
): Promise<StackRunResult> {
    const findings: Array<{ message: string; urn?: string }> = [];
    const result: StackRunResult = { findings };
    const policyResources: PolicyResource[] = resources.map((r) => {
        const props = unknownCheckingProxy(clone(r.inputs));
        return {
            type: r.type,
            props,
            urn: urnOf(r),
            name: r.name,
            opts: OPTS,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: any) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
    });
    resources.forEach((r, i) => {
        policyResources[i].dependencies = (r.dependsOn ?? []).map((name) => {
            const dep = policyResources.find((p) => p.name === name);
            if (!dep) throw new Error(`${r.name} depends on unknown resource ${name}`);
            return dep;
        });
    });
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags: new Map(),
        getConfig: <T extends object>() => ({ ...defaults(policy.configSchema), ...config }) as T,
        notApplicable: (reason?: string): never => {
            throw new NotApplicable(reason ?? "");
        },
    };
    await settle(result, () => policy.validateStack(args, (message: string, urn?: string) => findings.push({ message, ...(urn ? { urn } : {}) })));
    return result;
}

/** Runs a guardrail over a whole set of resources; returns every message with the resource it is about. */
export async function runGuardrail(
    g: Guardrail,
    resources: TestResource[],
    config: Record<string, unknown> = {},
): Promise<{ messages: Array<{ resource: string; message: string }>; previewErrors: string[] }> {
    const messages: Array<{ resource: string; message: string }> = [];
    const previewErrors: string[] = [];
    if (g.kind === "resource") {
        for (const r of resources) {
            const res = await runResourcePolicy((g as ResourceGuardrail).policy, r, config);
            res.violations.forEach((message) => messages.push({ resource: `${r.type}::${r.name}`, message }));
            if (res.previewError) previewErrors.push(`${r.name}: ${res.previewError}`);
        }
    } else {
        const res = await runStackPolicy((g as StackGuardrail).policy, resources, config);
        res.findings.forEach((f) => messages.push({ resource: f.urn ?? "(stack)", message: f.message }));
        if (res.previewError) previewErrors.push(res.previewError);
    }
    return { messages, previewErrors };
}

/** Violations of one resource guardrail on one resource. */
export async function violationsOf(g: ResourceGuardrail, r: TestResource, config: Record<string, unknown> = {}): Promise<string[]> {
    const res = await runResourcePolicy(g.policy, r, config);
    if (res.previewError) throw new Error(`policy ${g.policy.name} read an unknown value: ${res.previewError}`);
    return res.violations;
}

/** Messages of one stack guardrail on a resource set. */
export async function findingsOf(g: StackGuardrail, resources: TestResource[], config: Record<string, unknown> = {}): Promise<Array<{ message: string; urn?: string }>> {
    const res = await runStackPolicy(g.policy, resources, config);
    if (res.previewError) throw new Error(`policy ${g.policy.name} read an unknown value: ${res.previewError}`);
    return res.findings;
}
