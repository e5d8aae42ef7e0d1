import { agentLeastPrivilege, agentNetworkConfined, agentNoHostMounts, agentResourceLimits } from "../policies";
import { ResourceGuardrail } from "../policies/define";
import { compliantStack, mutated, NAMES, pick, withProviderDefaults } from "./fixtures";
import { violationsOf } from "./harness";

type Row = [string, (i: Record<string, any>) => void, string];

async function expectRefused(g: ResourceGuardrail, mutate: (i: Record<string, any>) => void, expected: string) {
    const violations = await violationsOf(g, mutated("agent", mutate));
    expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
}

describe.each<[ResourceGuardrail]>([[agentLeastPrivilege], [agentNetworkConfined], [agentNoHostMounts], [agentResourceLimits]])("%#: compliant agent", (g) => {
    test(`${g.policy.name} passes the compliant agent, with and without provider defaults`, async () => {
        const agent = pick(compliantStack(), "agent");
        expect(await violationsOf(g, agent)).toEqual([]);
        expect(await violationsOf(g, withProviderDefaults(agent))).toEqual([]);
    });

    test(`${g.policy.name} leaves other roles alone`, async () => {
        for (const name of ["egress-proxy", "model-gateway", "vllm", "egress-config-writer"]) {
            expect(await violationsOf(g, pick(compliantStack(), name))).toEqual([]);
        }
    });
});

describe("agent-least-privilege", () => {
    test.each<Row>([
        ["a capability added", (i) => (i.capabilities.adds = ["NET_ADMIN"]), 'agent container must drop ALL capabilities: set capabilities.drops to ["ALL"] and remove capabilities.adds (found drops: ["ALL"], adds: ["NET_ADMIN"])'],
        ["ALL not dropped", (i) => (i.capabilities.drops = ["NET_RAW"]), 'agent container must drop ALL capabilities: set capabilities.drops to ["ALL"] and remove capabilities.adds (found drops: ["NET_RAW"], adds: [])'],
        ["no capabilities input", (i) => delete i.capabilities, 'set capabilities.drops to ["ALL"]'],
        ["privileged", (i) => (i.privileged = true), "agent container must not be privileged: remove privileged or set privileged: false (found privileged: true)"],
        ["no-new-privileges missing", (i) => (i.securityOpts = []), 'agent container must not gain privileges through setuid binaries: add "no-new-privileges:true" to securityOpts (found securityOpts: [])'],
        ["no-new-privileges false", (i) => (i.securityOpts = ["no-new-privileges:false"]), 'add "no-new-privileges:true" to securityOpts (found securityOpts: ["no-new-privileges:false"])'],
        ["seccomp unconfined", (i) => i.securityOpts.push("seccomp=unconfined"), 'agent container must keep Docker\'s default seccomp, AppArmor and SELinux confinement: remove ["seccomp=unconfined"] from securityOpts'],
        ["apparmor unconfined", (i) => i.securityOpts.push("apparmor:unconfined"), 'remove ["apparmor:unconfined"] from securityOpts'],
        ["SELinux labels off", (i) => i.securityOpts.push("label=disable"), 'remove ["label=disable"] from securityOpts'],
        ["no user", (i) => delete i.user, 'agent container must run as a non-root user: set user to "1000:1000" (found no user, so it runs as the image\'s default user, usually root)'],
        ["user root", (i) => (i.user = "root"), 'agent container must run as a non-root user: set user to "1000:1000" (found user: "root")'],
        ["uid 0", (i) => (i.user = "0:0"), 'set user to "1000:1000" (found user: "0:0")'],
        ["gid 0", (i) => (i.user = "1000:0"), 'agent container\'s primary group must not be root: set user to "1000:1000" (found user: "1000:0")'],
        ["docker group", (i) => (i.groupAdds = ["docker"]), 'agent container must not join privileged groups: remove ["docker"] from groupAdds'],
        ["writable root", (i) => (i.readOnly = false), "agent container must have a read-only root filesystem: set readOnly: true (found readOnly: false)"],
        ["readOnly absent", (i) => delete i.readOnly, "set readOnly: true (found readOnly: null)"],
        ["host PID namespace", (i) => (i.pidMode = "host"), 'agent container must not share the host\'s process namespace: remove pidMode (found pidMode: "host")'],
        ["host IPC namespace", (i) => (i.ipcMode = "host"), 'agent container must not share the host\'s IPC namespace: remove ipcMode (found ipcMode: "host")'],
        ["host user namespace", (i) => (i.usernsMode = "host"), 'agent container must not share the host\'s user namespace: remove usernsMode (found usernsMode: "host")'],
        ["host cgroup namespace", (i) => (i.cgroupnsMode = "host"), "remove cgroupnsMode"],
        ["another container's PID namespace", (i) => (i.pidMode = "container:secureclaw-test-egress-proxy"), "agent container must not share another container's process namespace: remove pidMode"],
        ["GPUs", (i) => (i.gpus = "all"), 'agent container must not get GPUs: remove gpus (found gpus: "all"); only the vLLM server uses the GPU'],
        ["device request", (i) => (i.deviceRequests = [{ driver: "nvidia", count: -1, capabilities: ["gpu"] }]), "agent container must not request devices: remove deviceRequests (found 1)"],
        ["host device", (i) => (i.devices = [{ hostPath: "/dev/fuse" }]), 'agent container must not get host devices: remove devices (found ["/dev/fuse"])'],
        ["device cgroup rule", (i) => (i.deviceCgroupRules = ["c 10:229 rwm"]), "agent container must not be allowed device access: remove deviceCgroupRules"],
        ["NVIDIA runtime", (i) => (i.runtime = "nvidia"), 'agent container must not use the NVIDIA runtime: remove runtime (found runtime: "nvidia")'],
        ["a runtime the config does not offer", (i) => (i.runtime = "kata-runtime"), 'agent container must run under runc or runsc: set runtime to one of them (found runtime: "kata-runtime")'],
    ])("%s is refused", (_l, mutate, expected) => expectRefused(agentLeastPrivilege, mutate, expected));

    test("no-new-privileges is accepted in its short and = forms", async () => {
        for (const opt of ["no-new-privileges", "no-new-privileges=true", "no-new-privileges:true"]) {
            expect(await violationsOf(agentLeastPrivilege, mutated("agent", (i) => (i.securityOpts = [opt])))).toEqual([]);
        }
    });

    test("runc, runsc (gVisor) and an unset runtime pass", async () => {
        for (const runtime of ["runc", "runsc", undefined]) {
            expect(await violationsOf(agentLeastPrivilege, mutated("agent", (i) => (i.runtime = runtime)))).toEqual([]);
        }
    });

    test("a named non-root user passes", async () => {
        expect(await violationsOf(agentLeastPrivilege, mutated("agent", (i) => (i.user = "node")))).toEqual([]);
    });
});

describe("agent-network-confined", () => {
    test.each<Row>([
        ["no network (default bridge)", (i) => delete i.networksAdvanced, "agent container must be attached to the enclave network: set networksAdvanced to [{ name: <enclave network name> }] (found no networksAdvanced, so Docker puts it on the default bridge, which routes to the internet)"],
        ["a second network", (i) => i.networksAdvanced.push({ name: NAMES.egress }), `agent container must be attached to the enclave network only: keep a single networksAdvanced entry for the enclave network (found 2: ["${NAMES.enclave}","${NAMES.egress}"])`],
        ["host network mode", (i) => (i.networkMode = "host"), 'agent container must not share another network stack: remove networkMode (found networkMode: "host") and attach it with networksAdvanced to the enclave network only'],
        ["another container's network", (i) => (i.networkMode = "container:secureclaw-test-egress-proxy"), 'remove networkMode (found networkMode: "container:secureclaw-test-egress-proxy")'],
        ["networkMode naming another network", (i) => (i.networkMode = NAMES.egress), `agent container's networkMode names a second network: remove networkMode or set it to the enclave network "${NAMES.enclave}" (found networkMode: "${NAMES.egress}")`],
    ])("%s is refused", (_l, mutate, expected) => expectRefused(agentNetworkConfined, mutate, expected));

    test("networkMode naming the enclave itself, or the provider's bridge default, passes", async () => {
        for (const mode of [NAMES.enclave, "bridge"]) {
            expect(await violationsOf(agentNetworkConfined, mutated("agent", (i) => (i.networkMode = mode)))).toEqual([]);
        }
    });
});

describe("agent-no-host-mounts", () => {
    test.each<Row>([
        ["a host path", (i) => i.volumes.push({ hostPath: "/home/me/src", containerPath: "/src" }), 'agent container must not mount host paths: replace volumes[3] (hostPath "/home/me/src") with a named volume (volumeName)'],
        ["the Docker socket", (i) => i.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }), 'agent container must not mount host paths: replace volumes[3] (hostPath "/var/run/docker.sock" (that exposes the Docker socket: root on the host)) with a named volume (volumeName)'],
        ["a socket-shaped container path", (i) => i.volumes.push({ volumeName: NAMES.workspace, containerPath: "/run/docker.sock" }), 'agent container must never see a Docker socket: remove volumes[3] (containerPath "/run/docker.sock")'],
        ["volumes of another container", (i) => i.volumes.push({ fromContainer: "secureclaw-test-egress-proxy" }), 'agent container must not borrow another container\'s volumes: remove volumes[3] (fromContainer "secureclaw-test-egress-proxy") and mount the named volume it needs'],
        ["an anonymous volume", (i) => i.volumes.push({ containerPath: "/cache" }), 'agent container must mount named volumes only: give volumes[3] (containerPath "/cache") a volumeName'],
        ["a bind mount", (i) => (i.mounts = [{ type: "bind", source: "/etc", target: "/host-etc", readOnly: true }]), 'agent container must not bind-mount host paths: replace mounts[0] (type "bind", source "/etc") with { type: "volume", source: <named volume> }'],
        ["a bind mount of the socket", (i) => (i.mounts = [{ type: "bind", source: "/var/run/docker.sock", target: "/var/run/docker.sock" }]), 'agent container must not bind-mount host paths: replace mounts[0] (type "bind", source "/var/run/docker.sock")'],
        ["an anonymous volume mount", (i) => (i.mounts = [{ type: "volume", target: "/cache" }]), 'agent container must mount named volumes only: give mounts[0] (target "/cache") a source volume name'],
    ])("%s is refused", (_l, mutate, expected) => expectRefused(agentNoHostMounts, mutate, expected));

    test("tmpfs mounts and named volume mounts pass", async () => {
        const r = mutated("agent", (i) => (i.mounts = [{ type: "tmpfs", target: "/run/openclaw" }, { type: "volume", source: NAMES.workspace, target: "/w" }]));
        expect(await violationsOf(agentNoHostMounts, r)).toEqual([]);
    });
});

describe("agent-resource-limits", () => {
    test.each<Row>([
        ["no memory limit", (i) => delete i.memory, "agent container must have a memory limit: set memory (in MB, e.g. 4096) (found memory: null)"],
        ["zero memory", (i) => (i.memory = 0), "set memory (in MB, e.g. 4096) (found memory: 0)"],
        ["unlimited swap", (i) => (i.memorySwap = -1), "agent container must not have unlimited swap: set memorySwap equal to memory, or remove it (found memorySwap: -1)"],
        ["an unlimited nproc", (i) => i.ulimits.push({ name: "nproc", soft: -1, hard: -1 }), "agent container's nproc ulimit must be a positive limit: set soft and hard to a number such as 512 (found soft -1, hard -1)"],
    ])("%s is refused", (_l, mutate, expected) => expectRefused(agentResourceLimits, mutate, expected));
});
