import { noHostExposure } from "../policies";
import { compliantStack, mutated, withProviderDefaults } from "./fixtures";
import { violationsOf } from "./harness";
import { T } from "../policies/util";

type Row = [string, string, (i: Record<string, any>) => void, string];

describe("no-host-exposure", () => {
    test("every compliant container passes, with and without provider defaults", async () => {
        for (const r of compliantStack().filter((x) => x.type === T.container)) {
            expect(await violationsOf(noHostExposure, r)).toEqual([]);
            expect(await violationsOf(noHostExposure, withProviderDefaults(r))).toEqual([]);
        }
    });

    test.each<Row>([
        ["agent publishes a port", "agent", (i) => (i.ports = [{ internal: 18789, external: 18789 }]), "agent container must not publish ports on the Docker host: remove ports (found 0.0.0.0:18789->18789/tcp); enclave services are reached over their internal networks only"],
        ["proxy publishes a port", "egress-proxy", (i) => (i.ports = [{ internal: 3128, external: 3128, ip: "127.0.0.1" }]), "egress-proxy container must not publish ports on the Docker host: remove ports (found 127.0.0.1:3128->3128/tcp)"],
        ["gateway publishes a port", "model-gateway", (i) => (i.ports = [{ internal: 4000 }]), "model-gateway container must not publish ports on the Docker host: remove ports (found 0.0.0.0:random->4000/tcp)"],
        ["vLLM publishes a port", "vllm", (i) => (i.ports = [{ internal: 8000, external: 8000 }]), "vllm container must not publish ports on the Docker host"],
        ["gateway publishes all ports", "model-gateway", (i) => (i.publishAllPorts = true), "model-gateway container must not publish ports on the Docker host: set publishAllPorts to false or remove it (found publishAllPorts: true)"],
        ["gateway gets host-gateway", "model-gateway", (i) => (i.hosts = [{ host: "host.docker.internal", ip: "host-gateway" }]), 'model-gateway container must not be given a route to the Docker host: remove the hosts entry {"host":"host.docker.internal","ip":"host-gateway"}; host-gateway reaches every service listening on the host'],
        ["proxy gets host-gateway", "egress-proxy", (i) => (i.hosts = [{ host: "dockerhost", ip: "HOST-GATEWAY" }]), "egress-proxy container must not be given a route to the Docker host"],
        ["vLLM on the host network", "vllm", (i) => (i.networkMode = "host"), 'vllm container must not use the host\'s network stack: remove networkMode "host" and attach it with networksAdvanced'],
        ["privileged vLLM", "vllm", (i) => (i.privileged = true), "vllm container must not be privileged: set privileged: false or remove it (found privileged: true)"],
        ["gateway gets the Docker socket", "model-gateway", (i) => i.volumes.push({ hostPath: "/var/run/docker.sock", containerPath: "/var/run/docker.sock" }), 'model-gateway container must not mount "/var/run/docker.sock" from the host: remove volumes[1]; it exposes the Docker socket, which is root on the host'],
        ["proxy mounts the host's /run", "egress-proxy", (i) => i.volumes.push({ hostPath: "/run", containerPath: "/host-run" }), 'egress-proxy container must not mount "/run" from the host: remove volumes[2]; it exposes the Docker socket'],
        ["vLLM mounts /proc", "vllm", (i) => i.volumes.push({ hostPath: "/proc/sys", containerPath: "/host-proc" }), "vllm container must not mount \"/proc/sys\" from the host: remove volumes[1]; it exposes the host's /proc"],
        ["bind mount of Docker's data root", "config-writer", (i) => (i.mounts = [{ type: "bind", source: "/var/lib/docker", target: "/d" }]), 'config-writer container must not mount "/var/lib/docker" from the host: remove mounts[0]; it exposes the host\'s /var/lib/docker'],
        ["socket at a container path", "model-gateway", (i) => (i.mounts = [{ type: "volume", source: "x", target: "/var/run/docker.sock" }]), 'model-gateway container must not get a Docker socket: remove mounts[0] (target "/var/run/docker.sock")'],
        ["unlabeled container publishes a port", "agent", (i) => {
            i.labels = [];
            i.ports = [{ internal: 1 }];
        }, "unlabeled container must not publish ports on the Docker host"],
    ])("%s is refused", async (_l, name, mutate, expected) => {
        const fixtureName = name === "config-writer" ? "egress-config-writer" : name;
        const violations = await violationsOf(noHostExposure, mutated(fixtureName, mutate));
        expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    });

    test("ordinary host paths for sidecars are not this policy's business", async () => {
        const r = mutated("vllm", (i) => i.volumes.push({ hostPath: "/srv/models", containerPath: "/models", readOnly: true }));
        expect(await violationsOf(noHostExposure, r)).toEqual([]);
    });
});
