/**
 * TelegramRelay under Pulumi mocks: what it declares for the Docker engine,
 * and where the bot token goes (one 0400 file of the relay's uid, nowhere else).
 */
import * as pulumi from "@pulumi/pulumi";
import { relayCredential } from "../../components/relay/credentials";
import { TelegramRelay } from "../../components/relay/telegramRelay";
import { RELAY, ROLE_LABEL } from "../../policy/contract/contract";

const TOKEN = "777:TEST-bot-token-for-the-relay-only";
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const declared: Array<{ type: string; name: string; inputs: Record<string, any>; secretInputs: string[] }> = [];

function unwrap(value: any): any {
    if (Array.isArray(value)) return value.map(unwrap);
    if (value && typeof value === "object") {
        if (value[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270") return unwrap(value.value);
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrap(v)]));
    }
    return value;
}

/** True when `value` holds a secret-wrapped value anywhere inside. */
function holdsSecret(value: any): boolean {
    if (Array.isArray(value)) return value.some(holdsSecret);
    if (value && typeof value === "object") return value[SECRET_SIG] !== undefined || Object.values(value).some(holdsSecret);
    return false;
}

pulumi.runtime.setMocks({
    newResource: (args) => {
        const secretInputs = Object.entries(args.inputs).filter(([, v]) => holdsSecret(v)).map(([k]) => k);
        const inputs = unwrap(args.inputs);
        declared.push({ type: args.type, name: args.name, inputs, secretInputs });
        return { id: `${args.name}-id`, state: { ...inputs, ...(args.type === "docker:index/image:Image" ? { repoDigest: "sha256:relay-image" } : {}) } };
    },
    call: (args) => args.inputs,
}, "secureclaw", "test", false);

const relay = new TelegramRelay("relay", {
    namePrefix: "secureclaw-test",
    repoRoot: "/repo",
    agents: [{ name: "main", allowFrom: ["42"], sendsPerMinute: 60 }],
    botToken: pulumi.secret(TOKEN),
    upstream: "https://api.telegram.org",
    maxFileBytes: 1024,
    enclaveNetwork: "secureclaw-test-enclave",
    relayNetwork: "secureclaw-test-relay",
    dnsSink: "10.89.0.200",
});

function settled(output: pulumi.Output<string>): Promise<{ value: string; secret: boolean }> {
    return new Promise((resolve) => pulumi.all([output, pulumi.isSecret(output)]).apply(([value, secret]) => resolve({ value, secret })));
}

describe("TelegramRelay", () => {
    const byName = (name: string) => declared.find((r) => r.type === "docker:index/container:Container" && r.name === name)!;
    beforeAll(async () => {
        await settled(relay.container.id);
        await settled(relay.started.id);
    });

    test("the token is one upload: a 0400 file owned by the relay's uid, in its secret volume, as a secret input", () => {
        const writer = byName("relay-secret-writer");
        expect(writer.inputs.uploads).toEqual([{ file: `${RELAY.secretDir}/${RELAY.tokenFile}`, content: `${TOKEN}\n`, permissions: "0400", owner: "1001", group: "1001" }]);
        expect(writer.secretInputs).toContain("uploads");
        expect(writer.inputs.networkMode).toBe("none");
        expect([writer.inputs.start, writer.inputs.mustRun]).toEqual([false, false]);
        const holders = declared.filter((r) => JSON.stringify(r.inputs).includes(TOKEN.split(":")[1])).map((r) => r.name);
        expect(holders).toEqual(["relay-secret-writer"]);
    });

    test("the relay runs as its own uid, hardened, with no environment, on the enclave (as telegram-relay) and the relay network only", () => {
        const c = byName("relay");
        expect(c.inputs.user).toBe("1001:1001");
        expect(c.inputs.envs).toBeUndefined();
        expect(c.inputs.capabilities).toEqual({ drops: ["ALL"] });
        expect(c.inputs.readOnly).toBe(true);
        expect(c.inputs.networksAdvanced).toEqual([{ name: "secureclaw-test-enclave", aliases: ["telegram-relay"] }, { name: "secureclaw-test-relay" }]);
        expect(c.inputs.dns).toEqual(["10.89.0.200"]);
        expect(c.inputs.command).toEqual(expect.arrayContaining(["--token-file", "/run/secureclaw-relay-secret/bot-token", "--proxy", "relay-egress-proxy:3128"]));
        expect(c.inputs.volumes).toEqual(expect.arrayContaining([{ volumeName: "secureclaw-test-relay-secret", containerPath: RELAY.secretDir, readOnly: true }]));
    });

    test("its audit volume carries the relay-audit role, so the audit command finds it", () => {
        const audit = declared.find((r) => r.type === "docker:index/volume:Volume" && r.name === "relay-audit")!;
        expect(audit.inputs.labels).toContainEqual({ label: ROLE_LABEL, value: "relay-audit" });
    });

    test("an agent's credential is the relay's derivation, secret, and only for agents the relay serves", async () => {
        expect(await settled(relay.credentialFor("main"))).toEqual({ value: relayCredential(TOKEN, "main"), secret: true });
        expect(() => relay.credentialFor("other")).toThrow(/no agent named other/);
    });
});
