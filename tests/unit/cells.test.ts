import * as crypto from "crypto";
import * as fs from "fs";
import * as path from "path";
import { DeclaredResource, ProgramRun, readmeSetup, runProgram, stackFileConfig, TEST_SECRETS, withPaths } from "../support/program";

jest.setTimeout(120_000);

const CONTAINER = "docker:index/container:Container";
const VOLUME = "docker:index/volume:Volume";
const NETWORK = "docker:index/network:Network";
const LOCAL = "command:local:Command";
const ALICE_TOKEN = "222222:TEST-ALICE-TOKEN-ffffffffffffffffff";

/** The dev stack with an agents map; `agents` travels as a secret key, as `pulumi config set --secret --path` leaves it. */
function multiAgent(agents: Record<string, unknown>): { config: Record<string, unknown>; secrets: Record<string, string> } {
    const setup = readmeSetup("dev");
    return { config: withPaths(stackFileConfig("dev"), setup.config), secrets: { ...setup.secrets, agents: JSON.stringify(agents) } };
}

const ALICE = { egress: { allowlist: ["github.com"] }, telegram: { allowFrom: ["222"], botToken: ALICE_TOKEN } };
const BOB = { subnet: "10.90.200.0/24", agent: { runtime: "runc", requestsPerMinute: 7 }, telegram: { enabled: false } };

const isSidecarWriter = (r: DeclaredResource) => /^secureclaw-(egress-proxy-config|model-door-settings|telegram-relay-(settings|secret))-writer/.test(r.name);
/** Resources by URN, and by every URN an alias keeps for them. */
const byUrn = (run: ProgramRun) => new Map(run.resources.flatMap((r) => [r.urn!, ...r.aliasUrns].map((urn) => [urn, r] as const)));
const label = (r: DeclaredResource, name: string) => (r.inputs.labels as Array<{ label: string; value: string }>).find((l) => l.label === name)?.value;

describe("a single-agent stack upgrades without a replacement", () => {
    /** Containers, volumes and networks as the program before cells declared them (inputs with secrets redacted, upload contents hashed). */
    const before: Record<string, Record<string, any>> = JSON.parse(fs.readFileSync(path.join(__dirname, "fixtures", "single-agent-before-cells.json"), "utf8"));
    const hashed = (inputs: Record<string, any>): Record<string, any> => ({
        ...inputs,
        ...(inputs.uploads ? { uploads: inputs.uploads.map((u: any) => ({ ...u, content: `sha256:${crypto.createHash("sha256").update(u.content).digest("hex")}` })) } : {}),
    });

    test.each(["dev", "dgx"])("%s: every resource keeps its URN, and every container that runs, every volume and every network keeps its inputs", async (stack) => {
        const now = byUrn(await runProgram(stack));
        const mine = Object.entries(before).filter(([urn]) => urn.startsWith(`urn:pulumi:${stack}::`));
        expect(mine.length).toBeGreaterThan(30);
        for (const [urn, inputs] of mine) {
            const r = now.get(urn);
            expect(r).toBeDefined();
            // Config writers are never started; a writer whose file now names the agent's cell may change (the service reloads it).
            if (r!.type === CONTAINER && /-writer/.test(r!.name)) continue;
            const declared = hashed(r!.inputsWithoutSecrets);
            // The relay now reads one token per agent from its secret directory. Its image changed with
            // that code, so this release replaces it once whatever its command says (mocks don't build images).
            if (r!.name === "secureclaw-telegram-relay") {
                expect(declared.command.join(" ")).toContain("--token-dir /run/secureclaw-relay-secret");
                declared.command = inputs.command;
            }
            expect({ urn, inputs: declared }).toEqual({ urn, inputs });
        }
    });
});

describe("several agents, each in a cell", () => {
    let run: ProgramRun;
    beforeAll(async () => {
        run = await runProgram("dev", multiAgent({ alice: ALICE, bob: BOB }));
    });

    test("each agent gets an internal cell network on its subnet, cut off from the host, labelled with its name", () => {
        const cells = run.byRole(NETWORK, "cell");
        expect(cells.map((n) => [n.inputs.name, n.inputs.ipamConfigs[0].subnet, label(n, "secureclaw.agent")]).sort()).toEqual([
            ["secureclaw-dev-cell-alice", expect.stringMatching(/^10\.90\.\d+\.0\/24$/), "alice"],
            ["secureclaw-dev-cell-bob", "10.90.200.0/24", "bob"],
        ]);
        for (const n of cells) expect(n.inputs).toMatchObject({ internal: true, options: { "com.docker.network.bridge.inhibit_ipv4": "true" } });
    });

    test("each agent's box joins its own cell only, with its own name, volumes and limits", () => {
        const boxes = run.byRole(CONTAINER, "agent");
        expect(boxes.map((b) => [b.inputs.name, b.inputs.networksAdvanced.map((n: any) => n.name)]).sort()).toEqual([
            ["secureclaw-dev-agent-alice", ["secureclaw-dev-cell-alice"]],
            ["secureclaw-dev-agent-bob", ["secureclaw-dev-cell-bob"]],
        ]);
        const alice = boxes.find((b) => b.inputs.name === "secureclaw-dev-agent-alice")!;
        expect(alice.inputs.volumes.map((v: any) => v.volumeName).sort()).toEqual(["secureclaw-dev-agent-alice-config", "secureclaw-dev-agent-alice-state", "secureclaw-dev-workspace-alice"]);
        expect(run.byRole(VOLUME, "workspace").map((v) => v.inputs.name).sort()).toEqual(["secureclaw-dev-workspace-alice", "secureclaw-dev-workspace-bob"]);
        // The image is built once, by the enclave (no "main" agent here).
        expect(run.resources.filter((r) => r.type === "docker:index/image:Image" && /agent/.test(r.name)).map((r) => r.name)).toEqual(["secureclaw-agent-image"]);
    });

    test("the proxy and the door join every cell, the relay only the cells of agents on Telegram, each under the name the agent knows", () => {
        const attachments = run.resources.filter((r) => r.type === LOCAL && /docker network connect/.test(r.inputs.create));
        const joins = attachments.map((a) => / --alias (\S+) (\S+) /.exec(a.inputs.create)!.slice(1, 3).join(" ")).sort();
        expect(joins).toEqual([
            "egress-proxy secureclaw-cell-alice-network-id",
            "egress-proxy secureclaw-cell-bob-network-id",
            "model-gateway secureclaw-cell-alice-network-id",
            "model-gateway secureclaw-cell-bob-network-id",
            "telegram-relay secureclaw-cell-alice-network-id",
        ]);
        // The sidecars' own network lists don't name the cells: adding one must not replace them.
        for (const role of ["egress-proxy", "model-door", "telegram-relay"]) {
            expect(run.one(CONTAINER, role).inputs.networksAdvanced.map((n: any) => n.name)).not.toContainEqual(expect.stringMatching(/cell/));
        }
        // An agent starts once its cell's sidecars are attached.
        const alice = run.byRole(CONTAINER, "agent").find((b) => b.inputs.name === "secureclaw-dev-agent-alice")!;
        expect(alice.opts.dependsOn).toEqual(expect.arrayContaining(attachments.filter((a) => /cell-alice/.test(a.name)).map((a) => a.name)));
    });

    test("an agent's own bot token is a secret, and the agent's box gets only a relay credential", () => {
        const alice = run.byRole(CONTAINER, "agent").find((b) => b.inputs.name === "secureclaw-dev-agent-alice")!;
        expect(alice.isSecretInput("envs")).toBe(true);
        const env = (alice.inputs.envs as string[]).join("\n");
        expect(env).toMatch(/TELEGRAM_BOT_TOKEN=222222:relay-[0-9a-f]{64}/);
        expect(env).not.toContain(ALICE_TOKEN);
        const bob = run.byRole(CONTAINER, "agent").find((b) => b.inputs.name === "secureclaw-dev-agent-bob")!;
        expect((bob.inputs.envs as string[]).join("\n")).not.toMatch(/TELEGRAM_BOT_TOKEN/);
        const plainState = JSON.stringify(run.resources.map((r) => r.inputsWithoutSecrets));
        expect(plainState).not.toContain(ALICE_TOKEN);
        expect(plainState).not.toContain(TEST_SECRETS.telegramBotToken);
    });

    test("adding an agent changes no input of any other agent's resources or of any running sidecar; only the sidecars' config writers change", async () => {
        const more = byUrn(await runProgram("dev", multiAgent({ alice: ALICE, bob: BOB, carol: {} })));
        const changed = run.resources.filter((r) => JSON.stringify(more.get(r.urn!)?.inputsWithoutSecrets) !== JSON.stringify(r.inputsWithoutSecrets));
        expect(changed.filter((r) => !isSidecarWriter(r)).map((r) => r.name)).toEqual([]);
        const added = [...more.values()].filter((r) => !run.resources.some((o) => o.urn === r.urn)).map((r) => r.name);
        expect(added.every((n) => /carol/.test(n) || /-writer-/.test(n))).toBe(true);
        expect(added).toEqual(expect.arrayContaining(["secureclaw-agent-carol", "secureclaw-cell-carol-network"]));
    });
});
