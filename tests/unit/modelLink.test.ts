/**
 * The model link (an SSH tunnel from the model network to vLLM on a GPU
 * host's loopback) and several GPU hosts, under Pulumi mocks through index.ts;
 * its pure parts table-style.
 */
import * as fs from "fs";
import * as path from "path";
import { knownHostsLine, linkAddress, linkAlias, linkBaseUrl, linkEnvironment } from "../../components/modellink/linkPlan";
import { openSshPublicKey } from "../../components/modellink/openssh";
import { secretForms } from "../../config/load";
import { fakeOpenSshKey, ProgramRun, readmeSetup, runProgram, stackFileConfig, TEST_GPU_HOST_KEY, TEST_SECRETS, withPaths } from "../support/program";

const CONTAINER = "docker:index/container:Container";
const NETWORK = "docker:index/network:Network";
const REMOTE_COMMAND = "command:remote:Command";
const SECOND_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIDsecondhostkeysecondhostkeysecondhostkey00";

const runs: Record<string, ProgramRun> = {};
beforeAll(async () => {
    runs.dgx = await runProgram("dgx");
    const config = withPaths(stackFileConfig("dgx"), {
        ...readmeSetup("dgx").config,
        "gpu.host": undefined,
        "gpu.sshHostKey": undefined,
        "gpu.hosts": [{ host: "192.168.1.50", sshHostKey: TEST_GPU_HOST_KEY }, { host: "192.168.1.51", sshHostKey: SECOND_HOST_KEY, sshPort: 2222, port: 8001 }],
    });
    runs.two = await runProgram("dgx", { config, secrets: readmeSetup("dgx").secrets });
});

const roleOf = (r: { inputs: Record<string, any> }) => (r.inputs.labels as { label: string; value: string }[] | undefined)?.find((l) => l.label === "secureclaw.role")?.value;
const link = (run: ProgramRun, i = 0) => run.resources.find((r) => r.type === CONTAINER && r.inputs.name === `secureclaw-dgx-model-link-${i}`)!;
const envOf = (c: { inputs: Record<string, any> }) => Object.fromEntries((c.inputs.envs as string[]).map((e) => [e.slice(0, e.indexOf("=")), e.slice(e.indexOf("=") + 1)]));

describe("pure parts", () => {
    test.each<[string, number, string]>([
        ["10.89.2.0/24", 0, "10.89.2.128"],
        ["10.89.2.0/24", 5, "10.89.2.133"],
        ["10.201.2.0/28", 6, "10.201.2.14"],
    ])("link address in %s for link %i is %s (upper half, which Docker never hands out)", (subnet, i, address) => {
        expect(linkAddress(subnet, i)).toBe(address);
    });

    test("a subnet without room refuses rather than collide with the broadcast address", () => {
        expect(() => linkAddress("10.201.2.0/28", 7)).toThrow(/no room/);
    });

    test.each<[number, string, string]>([
        [0, "model-link-0", "http://model-link-0:8000/v1"],
        [2, "model-link-2", "http://model-link-2:8000/v1"],
    ])("link %i: alias %s, base URL %s", (i, alias, url) => {
        expect([linkAlias(i), linkBaseUrl(i)]).toEqual([alias, url]);
    });

    test.each<[string, object, string]>([
        ["port 22", { host: "10.0.0.5", sshPort: 22, sshHostKey: "ssh-ed25519 AAAA" }, "10.0.0.5 ssh-ed25519 AAAA\n"],
        ["another port", { host: "dgx.lan", sshPort: 2222, sshHostKey: "ssh-ed25519 AAAA" }, "[dgx.lan]:2222 ssh-ed25519 AAAA\n"],
        ["no pinned key", { host: "dgx.lan", sshPort: 22 }, ""],
    ])("known_hosts for %s", (_t, host, line) => {
        expect(knownHostsLine({ sshUser: "u", port: 8000, ...host } as any)).toBe(line);
    });

    test("the link's environment says where to go and what to forward, and holds no key", () => {
        expect(linkEnvironment({ host: "10.0.0.5", sshUser: "gpu", sshPort: 22, sshHostKey: "ssh-ed25519 AAAA", port: 8001 }, "10.89.2.128")).toEqual([
            "LINK_HOST=10.0.0.5", "LINK_SSH_PORT=22", "LINK_SSH_USER=gpu", "LINK_LISTEN=10.89.2.128:8000", "LINK_FORWARD_TO=127.0.0.1:8001", "LINK_HOST_KEY=ssh-ed25519", "HOME=/tmp",
        ]);
    });

    test.each<[string, string, RegExp | string]>([
        ["an unencrypted ed25519 key", fakeOpenSshKey(0x5a), `ssh-ed25519 ${Buffer.concat([Buffer.from([0, 0, 0, 11]), Buffer.from("ssh-ed25519"), Buffer.from([0, 0, 0, 32]), Buffer.alloc(32, 0x5a)]).toString("base64")}`],
        ["a key with a passphrase", fakeOpenSshKey(0x5a, "aes256-ctr"), /has a passphrase/],
        ["a PEM RSA key", "-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----\n", /must be an OpenSSH private key/],
        ["a public key", "ssh-ed25519 AAAA me@host", /must be an OpenSSH private key/],
        ["garbage between the markers", "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----", /must be an OpenSSH private key/],
    ])("openSshPublicKey: %s", (_t, key, expected) => {
        const result = openSshPublicKey(key);
        if (typeof expected === "string") expect(result).toEqual({ ok: true, publicKey: expected });
        else expect(result.ok ? "" : result.problem).toMatch(expected);
    });

    test("the link key is refused when it is the login key (the host would match the login key's unrestricted line)", () => {
        const same = secretForms((k) => (k === "sshLinkKey" || k === "sshPrivateKey" ? fakeOpenSshKey(1) : undefined));
        expect(same.get("sshLinkKey")).toMatch(/same key as secureclaw:sshPrivateKey/);
        expect(secretForms((k) => (k === "sshLinkKey" ? fakeOpenSshKey(1) : k === "sshPrivateKey" ? fakeOpenSshKey(2) : undefined)).size).toBe(0);
        expect(secretForms((k) => (k === "sshLinkKey" ? "not a key" : undefined)).get("sshLinkKey")).toMatch(/OpenSSH private key/);
    });
});

describe("dgx: the model link", () => {
    test("is hardened like every sidecar: no capabilities, read-only root, uid 1000, no new privileges, capped, health-checked", () => {
        const c = link(runs.dgx);
        expect(c.inputs).toMatchObject({
            capabilities: { drops: ["ALL"] }, securityOpts: ["no-new-privileges:true"], readOnly: true, privileged: false,
            user: "1000:1000", memory: 64, memorySwap: 64, cpus: "0.5", start: false, mustRun: false,
        });
        expect(c.inputs.healthcheck.tests).toEqual(["CMD", "/usr/local/bin/link-health"]);
        expect(c.inputs.ports ?? []).toEqual([]);
    });

    test("listens on a fixed model-network address only, and reaches the GPU host through the egress network", () => {
        const model = runs.dgx.one(NETWORK, "model");
        expect(model.inputs).toMatchObject({ internal: true, ipamConfigs: [{ subnet: "10.89.2.0/24", ipRange: "10.89.2.0/25" }] });
        expect(link(runs.dgx).inputs.networksAdvanced).toEqual([
            { name: "secureclaw-dgx-model", aliases: ["model-link-0"], ipv4Address: "10.89.2.128" },
            { name: "secureclaw-dgx-egress" },
        ]);
        expect(envOf(link(runs.dgx))).toMatchObject({ LINK_LISTEN: "10.89.2.128:8000", LINK_FORWARD_TO: "127.0.0.1:8000", LINK_HOST: "192.168.1.50", LINK_SSH_USER: "ubuntu" });
        // The model network's members: LiteLLM and the link, nothing else.
        const members = runs.dgx.resources.filter((r) => r.type === CONTAINER && (r.inputs.networksAdvanced ?? []).some((n: any) => n.name === model.inputs.name));
        expect(members.map((c) => c.inputs.name).sort()).toEqual(["secureclaw-dgx-model-gateway", "secureclaw-dgx-model-link-0"]);
    });

    test("gets its key as a file only its user can read (0400, owner 1000), a secret in state, never in its environment or command", () => {
        const writers = runs.dgx.resources.filter((r) => r.type === CONTAINER && /link-key-0-writer/.test(r.inputs.name));
        const key = writers.find((w) => w.inputs.uploads[0].file === "/etc/model-link/id_link")!;
        expect(key.inputs.uploads[0]).toMatchObject({ content: TEST_SECRETS.sshLinkKey, permissions: "0400", owner: "1000", group: "1000" });
        expect(key.isSecretInput("uploads")).toBe(true);
        expect(key.inputs).toMatchObject({ start: false, networkMode: "none" });
        const hosts = writers.find((w) => w.inputs.uploads[0].file === "/etc/model-link/known_hosts")!;
        expect(hosts.inputs.uploads[0].content).toBe(`192.168.1.50 ${TEST_GPU_HOST_KEY}\n`);
        const c = link(runs.dgx);
        expect(c.inputs.volumes).toEqual([{ volumeName: "secureclaw-dgx-link-key-0", containerPath: "/etc/model-link", readOnly: true }]);
        expect(JSON.stringify([c.inputs.envs, c.inputs.command ?? null])).not.toContain("PRIVATE KEY");
    });

    test("LiteLLM's one deployment goes through the link", () => {
        const writer = runs.dgx.resources.find((r) => r.type === CONTAINER && (r.inputs.uploads ?? []).some((u: any) => u.file.endsWith("/config.yaml")))!;
        const yaml = writer.inputs.uploads[0].content as string;
        expect(yaml).toContain("api_base: http://model-link-0:8000/v1");
        expect(yaml).not.toContain("192.168.1.50");
    });

    test("the GPU host authorizes the link key for the one forward to vLLM's loopback port, and removes that line on delete", () => {
        const auth = runs.dgx.resources.find((r) => r.type === REMOTE_COMMAND && r.name === "secureclaw-vllm-link-key")!;
        const publicKey = (openSshPublicKey(TEST_SECRETS.sshLinkKey) as { publicKey: string }).publicKey;
        expect(auth.inputs.create).toContain(`'restrict,port-forwarding,permitopen="127.0.0.1:8000",command="/bin/false" ${publicKey} secureclaw-link:secureclaw-dgx'`);
        expect(auth.inputs.delete).toContain("grep -v -e ' secureclaw-link:secureclaw-dgx$'");
        expect(auth.inputs.connection).toMatchObject({ host: "192.168.1.50", hostKey: TEST_GPU_HOST_KEY });
        expect(auth.opts.deleteBeforeReplace).toBe(true);
        const linkOpts = link(runs.dgx).opts.dependsOn;
        expect(linkOpts).toEqual(expect.arrayContaining(["secureclaw-vllm", "secureclaw-vllm-link-key"]));
    });
});

describe("several GPU hosts", () => {
    test("each host gets its own launch, authorization and link; LiteLLM has one deployment per link under the one alias", () => {
        const launches = runs.two.resources.filter((r) => r.type === REMOTE_COMMAND).map((r) => [r.name, r.inputs.connection.host, r.inputs.connection.port]);
        expect(launches.sort()).toEqual([
            ["secureclaw-vllm", "192.168.1.50", 22], ["secureclaw-vllm-1", "192.168.1.51", 2222],
            ["secureclaw-vllm-1-link-key", "192.168.1.51", 2222], ["secureclaw-vllm-link-key", "192.168.1.50", 22],
        ].sort());
        expect(envOf(link(runs.two, 1))).toMatchObject({ LINK_HOST: "192.168.1.51", LINK_SSH_PORT: "2222", LINK_FORWARD_TO: "127.0.0.1:8001", LINK_LISTEN: "10.89.2.129:8000" });
        const second = runs.two.resources.find((r) => r.name === "secureclaw-vllm-1" && r.type === REMOTE_COMMAND)!;
        expect(second.inputs.create).toContain("-p 127.0.0.1:8001:8000");
        const writer = runs.two.resources.find((r) => r.type === CONTAINER && (r.inputs.uploads ?? []).some((u: any) => u.file.endsWith("/config.yaml")))!;
        const yaml = writer.inputs.uploads[0].content as string;
        expect(yaml.match(/api_base: http:\/\/model-link-\d:8000\/v1/g)).toEqual(["api_base: http://model-link-0:8000/v1", "api_base: http://model-link-1:8000/v1"]);
        expect(yaml).toContain("routing_strategy: simple-shuffle");
        expect(runs.two.resources.filter((r) => r.type === CONTAINER && roleOf(r) === "model-link")).toHaveLength(2);
    });

    test("a single-host stack keeps every resource URN it had before the model link (nothing is replaced by a move), and listing the same host under gpu.hosts keeps them too", () => {
        const before: string[] = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "dgx-urns-before-links.json"), "utf8"));
        for (const run of [runs.dgx, runs.two]) {
            const now = new Set(run.resources.map((r) => r.urn));
            expect(before.filter((urn) => !now.has(urn))).toEqual([]);
        }
    });
});
