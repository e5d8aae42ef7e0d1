import { ROLES } from "../contract/contract";
import { resourcesLabeled } from "../policies";
import { T } from "../policies/util";
import { compliantStack, mutated } from "./fixtures";
import { violationsOf } from "./harness";

describe("resources-labeled", () => {
    test("every compliant network, container and volume passes", async () => {
        for (const r of compliantStack()) expect(await violationsOf(resourcesLabeled, r)).toEqual([]);
    });

    test.each<[string, string, (i: Record<string, any>) => void, string]>([
        ["a container without labels", "agent", (i) => delete i.labels, `docker container has no "secureclaw.role" label: add labels: [{ label: "secureclaw.role", value: "agent" }] with one of ${JSON.stringify(ROLES.container)}, so the guardrails can tell what it is (an unlabeled container escapes every role check)`],
        ["a container with only the stack label", "vllm", (i) => (i.labels = i.labels.filter((l: any) => l.label !== "secureclaw.role")), 'docker container has no "secureclaw.role" label'],
        ["a container with a made-up role", "agent", (i) => (i.labels[0].value = "helper"), `docker container has an unknown "secureclaw.role" "helper": set it to one of ${JSON.stringify(ROLES.container)}`],
        ["a network without a role", "egress", (i) => (i.labels = []), `docker network has no "secureclaw.role" label: add labels: [{ label: "secureclaw.role", value: "enclave" }] with one of ${JSON.stringify(ROLES.network)}`],
        ["a network with a container role", "enclave", (i) => (i.labels[0].value = "agent"), `docker network has an unknown "secureclaw.role" "agent": set it to one of ${JSON.stringify(ROLES.network)}`],
        ["a volume without a role", "workspace", (i) => delete i.labels, 'docker volume has no "secureclaw.role" label'],
    ])("%s is refused", async (_l, name, mutate, expected) => {
        expect(await violationsOf(resourcesLabeled, mutated(name, mutate))).toEqual([expect.stringContaining(expected)]);
    });

    test("images and commands need no role", async () => {
        for (const r of compliantStack().filter((x) => x.type !== T.container && x.type !== T.network && x.type !== T.volume)) {
            expect(await violationsOf(resourcesLabeled, { ...r, inputs: { ...r.inputs, labels: [] } })).toEqual([]);
        }
    });
});
