/**
 * Pulumi mocks for a test that declares one component by itself (program.ts
 * runs the whole index.ts): what the component declares, inputs with secrets
 * unwrapped, and which inputs hold a secret anywhere inside.
 */
import * as pulumi from "@pulumi/pulumi";
import { isSecretValue, unwrapSecrets } from "./program";

export interface Declared {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Top-level inputs that are, or hold, a secret. */
    secretInputs: string[];
}

const holdsSecret = (value: unknown): boolean =>
    isSecretValue(value) || (typeof value === "object" && value !== null && Object.values(value).some(holdsSecret));

/** Installs the mocks (before the component is constructed); the returned list fills as it declares. Built images get `repoDigest`. */
export function recordDeclarations(repoDigest: string): Declared[] {
    const declared: Declared[] = [];
    pulumi.runtime.setMocks({
        newResource: (args) => {
            const secretInputs = Object.entries(args.inputs).filter(([, v]) => holdsSecret(v)).map(([k]) => k);
            const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
            declared.push({ type: args.type, name: args.name, inputs, secretInputs });
            return { id: `${args.name}-id`, state: { ...inputs, ...(args.type === "docker:index/image:Image" ? { repoDigest } : {}) } };
        },
        call: (args) => args.inputs,
    }, "secureclaw", "test", false);
    return declared;
}

/** An output's value and whether it is secret, once it settles. */
export function settled(output: pulumi.Output<string>): Promise<{ value: string; secret: boolean }> {
    return new Promise((resolve) => pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => resolve({ value, secret })));
}
