import { agentPidsLimited } from "../policies";
import { T, UNKNOWN } from "../policies/util";
import { compliantStack, PREFIX, stackWith } from "./fixtures";
import { findingsOf, TestResource, urnOf } from "./harness";

const agentUrn = urnOf({ type: T.container, name: "agent" });
const NONE = `agent container "agent" has no process limit: add a command.local.Command that runs "docker update --pids-limit 512 <agent container id>" (triggered by the container's id, so it runs again when the container is replaced), or set cgroupParent to a cgroup whose pids.max is set (found no such command, no cgroupParent and no positive nproc ulimit); a fork bomb would otherwise starve the host`;

function withCommand(create: unknown, extra: Partial<TestResource> = {}): TestResource[] {
    const all = compliantStack();
    all.find((r) => r.name === "pids-limit")!.inputs.create = create;
    Object.assign(all.find((r) => r.name === "pids-limit")!, extra);
    return all;
}

describe("agent-pids-limited", () => {
    test("docker update --pids-limit on the agent (by name) passes", async () => {
        expect(await findingsOf(agentPidsLimited, compliantStack())).toEqual([]);
    });

    test("docker update on the agent's ID passes", async () => {
        const all = withCommand(`docker update --pids-limit=1024 ${PREFIX}-agent-id`);
        all.find((r) => r.name === "agent")!.inputs.id = `${PREFIX}-agent-id`;
        expect(await findingsOf(agentPidsLimited, all)).toEqual([]);
    });

    test("a command that depends on the agent counts even when the text doesn't name it", async () => {
        expect(await findingsOf(agentPidsLimited, withCommand("docker container update --pids-limit 256 \"$AGENT\"", { dependsOn: ["agent"] }))).toEqual([]);
    });

    test("a positive nproc ulimit or a cgroupParent stands in for the command", async () => {
        const noCommand = (mutate: (i: Record<string, any>) => void) => stackWith("agent", mutate).filter((r) => r.name !== "pids-limit");
        expect(await findingsOf(agentPidsLimited, noCommand((i) => i.ulimits.push({ name: "nproc", soft: 512, hard: 512 })))).toEqual([]);
        expect(await findingsOf(agentPidsLimited, noCommand((i) => (i.cgroupParent = "secureclaw.slice")))).toEqual([]);
    });

    test("in preview the command's text is not known yet: no finding", async () => {
        expect(await findingsOf(agentPidsLimited, withCommand(UNKNOWN))).toEqual([]);
    });

    test.each<[string, () => TestResource[]]>([
        ["no command at all", () => compliantStack().filter((r) => r.name !== "pids-limit")],
        ["the command updates another container", () => withCommand(`docker update --pids-limit 512 ${PREFIX}-egress-proxy`)],
        ["the command lifts the limit", () => withCommand(`docker update --pids-limit -1 ${PREFIX}-agent`)],
        ["the command sets something else", () => withCommand(`docker update --memory 4g ${PREFIX}-agent`)],
        ["an unlimited nproc and no command", () => stackWith("agent", (i) => i.ulimits.push({ name: "nproc", soft: -1, hard: -1 })).filter((r) => r.name !== "pids-limit")],
    ])("%s is refused", async (_l, build) => {
        expect(await findingsOf(agentPidsLimited, build())).toEqual([{ urn: agentUrn, message: NONE }]);
    });
});
