jest.setTimeout(60_000);

import * as fs from "fs";
import * as path from "path";
import { GUARDRAILS, POLICIES } from "../policies";
import * as all from "../policies";
import { UNKNOWN, UNKNOWN_SENTINELS } from "../policies/util";
import { compliantStack, withProviderDefaults } from "./fixtures";
import { runGuardrail, TestResource } from "./harness";

describe("the guardrail set", () => {
    test("names are unique, valid and not the reserved 'all'", () => {
        const names = POLICIES.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of names) {
            expect(n).toMatch(/^[a-z0-9][a-z0-9-]*$/);
            expect(n).not.toBe("all");
        }
    });

    test("every exported guardrail is served, each with a description and a level", () => {
        const exported = Object.values(all).filter((v): v is (typeof GUARDRAILS)[number] => !!v && typeof v === "object" && "kind" in v && "policy" in v);
        expect(new Set(GUARDRAILS)).toEqual(new Set(exported));
        for (const p of POLICIES) {
            expect(p.description.length).toBeGreaterThan(20);
            expect(["mandatory", "advisory"]).toContain(p.enforcementLevel);
        }
    });

    test("only the digest advice is advisory", () => {
        expect(POLICIES.filter((p) => p.enforcementLevel === "advisory").map((p) => p.name)).toEqual(["images-digest-advised"]);
    });

    test("policy/index.ts builds the pack from POLICIES and nothing else", () => {
        const src = fs.readFileSync(path.join(__dirname, "..", "index.ts"), "utf8");
        expect(src).toMatch(/new PolicyPack\("secureclaw-guardrails"/);
        expect(src).toMatch(/policies: POLICIES/);
    });

    test("PulumiPolicy.yaml and package.json are what the CLI needs", () => {
        const yaml = fs.readFileSync(path.join(__dirname, "..", "PulumiPolicy.yaml"), "utf8");
        expect(yaml).toMatch(/^runtime: nodejs$/m);
        const pkg = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package.json"), "utf8"));
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies["@pulumi/policy"]).toBe("1.21.0");
        expect(pkg.dependencies["@pulumi/pulumi"]).toBe("3.276.0");
        const lock = JSON.parse(fs.readFileSync(path.join(__dirname, "..", "package-lock.json"), "utf8"));
        expect(lock.packages["node_modules/@pulumi/policy"].version).toBe("1.21.0");
        expect(lock.packages["node_modules/@pulumi/pulumi"].version).toBe("3.276.0");
    });

    test("the unknown-value sentinels match the SDK's", () => {
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const proxy = require("@pulumi/policy/proxy");
        const sdk = Object.entries(proxy)
            .filter(([k, v]) => /^unknown\w+Value$/.test(k) && typeof v === "string")
            .map(([, v]) => v as string);
        expect(new Set(sdk)).toEqual(new Set(UNKNOWN_SENTINELS));
    });
});

describe("the compliant fixture stack", () => {
    test.each(GUARDRAILS.map((g) => [g.policy.name, g] as const))("%s: no mandatory violation (also with provider defaults)", async (_n, g) => {
        for (const resources of [compliantStack(), compliantStack().map(withProviderDefaults)]) {
            const { messages, previewErrors } = await runGuardrail(g, resources);
            expect(previewErrors).toEqual([]);
            if (g.policy.enforcementLevel === "mandatory") expect(messages).toEqual([]);
        }
    });
});

/** Every way of making one input, or one field of one list element, unknown. */
function previews(resources: TestResource[]): Array<{ label: string; resources: TestResource[] }> {
    const out: Array<{ label: string; resources: TestResource[] }> = [];
    resources.forEach((r, ri) => {
        for (const [key, value] of Object.entries(r.inputs)) {
            const variant = (set: (inputs: Record<string, any>) => void, label: string) => {
                const copy: TestResource[] = JSON.parse(JSON.stringify(resources));
                set(copy[ri].inputs);
                out.push({ label: `${r.name}.${label}`, resources: copy });
            };
            variant((i) => (i[key] = UNKNOWN), key);
            if (Array.isArray(value)) {
                value.forEach((el, ei) => {
                    variant((i) => (i[key][ei] = UNKNOWN), `${key}[${ei}]`);
                    if (el && typeof el === "object") {
                        for (const f of Object.keys(el)) variant((i) => (i[key][ei][f] = UNKNOWN), `${key}[${ei}].${f}`);
                    }
                });
            } else if (value && typeof value === "object") {
                for (const f of Object.keys(value)) variant((i) => (i[key][f] = UNKNOWN), `${key}.${f}`);
            }
        }
    });
    return out;
}

describe("preview: any input not known yet", () => {
    const cases = previews(compliantStack());

    test("there are many cases", () => {
        expect(cases.length).toBeGreaterThan(150);
    });

    test.each(GUARDRAILS.map((g) => [g.policy.name, g] as const))("%s never fails on an unknown value and never invents a violation from one", async (_n, g) => {
        for (const c of cases) {
            const { messages, previewErrors } = await runGuardrail(g, c.resources);
            expect({ case: c.label, previewErrors }).toEqual({ case: c.label, previewErrors: [] });
            if (g.policy.enforcementLevel === "mandatory") expect({ case: c.label, messages }).toEqual({ case: c.label, messages: [] });
        }
    });
});
