/**
 * (a) for every policy: the resources the program itself declares, for each
 * stack file, pass. Runs index.ts under Pulumi mocks through the program's
 * test harness (tests/support/program.ts).
 *
 * A failure here is a finding about the program (or a policy), not something
 * to silence: the message names the resource and the input.
 */
jest.setTimeout(60_000);

import { collectResources } from "../../tests/support/program";
import { GUARDRAILS } from "../policies";
import { T } from "../policies/util";
import { withProviderDefaults } from "./fixtures";
import { runGuardrail, TestResource } from "./harness";

const STACKS = ["dev", "dgx"] as const;

/**
 * Inputs stand in for what the engine shows a policy. Stack policies see
 * outputs, which carry each resource's ID; the mocks give every resource the
 * ID `<name>-id`, so containers get that too (the agent's pids-limit command
 * names the container by ID).
 */
function asEngineSees(resources: Array<{ type: string; name: string; inputs: Record<string, any> }>): TestResource[] {
    return resources.map((r) => (r.type === T.container ? { ...r, inputs: { ...r.inputs, id: `${r.name}-id` } } : { ...r }));
}

const declared: Record<string, TestResource[]> = {};

beforeAll(async () => {
    for (const stack of STACKS) declared[stack] = asEngineSees(await collectResources(stack));
}, 120_000);

describe.each(STACKS)("the program's %s stack", (stack) => {
    test("declares what the policies look for", () => {
        const resources = declared[stack];
        const roles = (type: string) =>
            resources
                .filter((r) => r.type === type)
                .map((r) => (r.inputs.labels as Array<{ label: string; value: string }> | undefined)?.find((l) => l.label === "secureclaw.role")?.value);
        expect(roles(T.network)).toEqual(expect.arrayContaining(["enclave", "egress"]));
        expect(roles(T.container)).toEqual(expect.arrayContaining(["agent", "egress-proxy", "model-gateway", "config-writer"]));
        expect(roles(T.volume)).toEqual(expect.arrayContaining(["workspace", "agent-state", "agent-config", "egress-config", "egress-log", "gateway-config"]));
        const allowlists = resources.filter((r) => r.type === T.container && (r.inputs.uploads ?? []).some((u: any) => String(u.file).endsWith("/allowlist.txt")));
        expect(allowlists).toHaveLength(1);
        // The vLLM launch and the model link's authorization on the GPU host.
        if (stack === "dgx") expect(resources.filter((r) => r.type === T.remoteCommand)).toHaveLength(2);
        else expect(roles(T.container)).toContain("vllm");
    });

    test.each(GUARDRAILS.map((g) => [g.policy.name, g] as const))("%s: no mandatory violation", async (_name, g) => {
        for (const resources of [declared[stack], declared[stack].map(withProviderDefaults)]) {
            const { messages, previewErrors } = await runGuardrail(g, resources);
            expect(previewErrors).toEqual([]);
            if (g.policy.enforcementLevel === "mandatory") expect(messages).toEqual([]);
        }
    });
});
