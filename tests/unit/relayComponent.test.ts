/**
 * TelegramRelay under Pulumi mocks: what it declares for the Docker engine,
 * and where each agent's bot token goes (one 0400 file of the relay's uid per
 * agent, written by that agent's own writer, nowhere else).
 */
import * as pulumi from "@pulumi/pulumi";
import { relayCredential } from "../../components/relay/credentials";
import { TelegramRelay } from "../../components/relay/telegramRelay";
import { RELAY, ROLE_LABEL } from "../../policy/contract/contract";
import { recordDeclarations, settled } from "../support/componentMocks";

const TOKEN = "777:TEST-bot-token-for-the-relay-only";
const HELPER_TOKEN = "888:TEST-helper-bot-token-relay-only";
const declared = recordDeclarations("sha256:relay-image");

const relay = new TelegramRelay("relay", {
    namePrefix: "secureclaw-test",
    repoRoot: "/repo",
    agents: [
        { name: "main", allowFrom: ["42"], sendsPerMinute: 60, sources: ["10.89.0.0/24"], botToken: pulumi.secret(TOKEN) },
        { name: "helper", allowFrom: ["43"], sendsPerMinute: 6, sources: ["10.89.1.0/24"], botToken: pulumi.secret(HELPER_TOKEN) },
    ],
    upstream: "https://api.telegram.org",
    maxFileBytes: 1024,
    enclaveNetwork: "secureclaw-test-enclave",
    relayNetwork: "secureclaw-test-relay",
    dnsSink: "10.89.0.200",
});

// The same relay with a third agent: what an `up` adding one would declare.
const grown = new TelegramRelay("grown", {
    namePrefix: "secureclaw-test",
    repoRoot: "/repo",
    agents: [
        { name: "main", allowFrom: ["42"], sendsPerMinute: 60, sources: ["10.89.0.0/24"], botToken: pulumi.secret(TOKEN) },
        { name: "helper", allowFrom: ["43"], sendsPerMinute: 6, sources: ["10.89.1.0/24"], botToken: pulumi.secret(HELPER_TOKEN) },
        { name: "carol", allowFrom: ["44"], sendsPerMinute: 6, sources: ["10.89.2.0/24"], botToken: pulumi.secret("999:TEST-carol-bot-token-relay-only") },
    ],
    upstream: "https://api.telegram.org",
    maxFileBytes: 1024,
    enclaveNetwork: "secureclaw-test-enclave",
    relayNetwork: "secureclaw-test-relay",
    dnsSink: "10.89.0.200",
});

describe("TelegramRelay", () => {
    const byName = (name: string) => declared.find((r) => r.type === "docker:index/container:Container" && r.name === name)!;
    beforeAll(async () => {
        await settled(relay.container.id);
        await settled(relay.started.id);
    });

    test.each<[string, string]>([["main", TOKEN], ["helper", HELPER_TOKEN]])("%s's token is one upload by its own writer: a 0400 file owned by the relay's uid, in the secret volume, as a secret input", (agent, token) => {
        const writer = byName(`relay-secret-writer-${agent}`);
        expect(writer.inputs.name).toBe(`secureclaw-test-relay-secret-writer-${agent}`);
        expect(writer.inputs.uploads).toEqual([{ file: `${RELAY.secretDir}/${agent}.bot-token`, content: `${token}\n`, permissions: "0400", owner: "1001", group: "1001" }]);
        expect(writer.inputs.volumes).toEqual([{ volumeName: "secureclaw-test-relay-secret", containerPath: RELAY.secretDir }]);
        expect(writer.secretInputs).toContain("uploads");
        expect(writer.inputs.networkMode).toBe("none");
        expect(writer.inputs.command).toBeUndefined();
        expect([writer.inputs.start, writer.inputs.mustRun]).toEqual([false, false]);
        const holders = declared.filter((r) => !r.name.startsWith("grown") && JSON.stringify(r.inputs).includes(token.split(":")[1])).map((r) => r.name);
        expect(holders).toEqual([`relay-secret-writer-${agent}`]);
    });

    test("the settings name each agent's cell and no token", () => {
        const writer = declared.find((r) => r.name.startsWith("relay-settings") && r.inputs.uploads)!;
        const settings = JSON.parse(writer.inputs.uploads.find((u: any) => u.file.endsWith("relay.json")).content);
        expect(Object.fromEntries(Object.entries(settings.agents).map(([k, v]: [string, any]) => [k, v.sources]))).toEqual({ helper: ["10.89.1.0/24"], main: ["10.89.0.0/24"] });
        expect(JSON.stringify(settings)).not.toMatch(/TEST-|botToken/);
    });

    test("the relay runs as its own uid, hardened, with no environment, on the enclave (as telegram-relay) and the relay network only", () => {
        const c = byName("relay");
        expect(c.inputs.user).toBe("1001:1001");
        expect(c.inputs.envs).toBeUndefined();
        expect(c.inputs.capabilities).toEqual({ drops: ["ALL"] });
        expect(c.inputs.readOnly).toBe(true);
        expect(c.inputs.networksAdvanced).toEqual([{ name: "secureclaw-test-enclave", aliases: ["telegram-relay"] }, { name: "secureclaw-test-relay" }]);
        expect(c.inputs.dns).toEqual(["10.89.0.200"]);
        expect(c.inputs.command).toEqual(expect.arrayContaining(["--token-dir", "/run/secureclaw-relay-secret", "--proxy", "relay-egress-proxy:3128"]));
        expect(c.inputs.volumes).toEqual(expect.arrayContaining([{ volumeName: "secureclaw-test-relay-secret", containerPath: RELAY.secretDir, readOnly: true }]));
    });

    test("adding an agent adds its writer and changes neither the relay container nor the other agents' writers", async () => {
        await settled(grown.container.id);
        const { name: _a, ...relayInputs } = byName("relay").inputs;
        const { name: _b, ...grownInputs } = byName("grown").inputs;
        expect(grownInputs).toEqual(relayInputs);
        for (const agent of ["main", "helper"]) expect(byName(`grown-secret-writer-${agent}`).inputs).toEqual(byName(`relay-secret-writer-${agent}`).inputs);
        expect(byName("grown-secret-writer-carol").inputs.uploads[0].file).toBe(`${RELAY.secretDir}/carol.bot-token`);
    });

    test("its audit volume carries the relay-audit role, so the audit command finds it", () => {
        const audit = declared.find((r) => r.type === "docker:index/volume:Volume" && r.name === "relay-audit")!;
        expect(audit.inputs.labels).toContainEqual({ label: ROLE_LABEL, value: "relay-audit" });
    });

    test("an agent's credential is the relay's derivation, secret, and only for agents the relay serves", async () => {
        expect(await settled(relay.credentialFor("main"))).toEqual({ value: relayCredential(TOKEN, "main"), secret: true });
        expect(await settled(relay.credentialFor("helper"))).toEqual({ value: relayCredential(HELPER_TOKEN, "helper"), secret: true });
        expect(() => relay.credentialFor("other")).toThrow(/no agent named other/);
    });
});
