/**
 * The policy pack as the Pulumi engine runs it: started by the SDK's own
 * policy-pack launcher (@pulumi/pulumi/cmd/run-policy-pack, which the CLI's
 * analyzer plugin runs: TypeScript through ts-node, cwd policy/, reading
 * policy/package.json and policy/tsconfig.json), then driven over its gRPC
 * analyzer interface on 127.0.0.1 with the engine's own protobuf messages.
 * This covers what the direct tests can't: the PolicyPack wiring, the SDK's
 * deserialisation and unknown-value proxy, and policy config from the engine.
 */
jest.setTimeout(60_000);

import { ChildProcess, spawn } from "child_process";
import * as path from "path";
import { GUARDRAILS } from "../policies";
import { T, UNKNOWN } from "../policies/util";
import { compliantStack, NAMES, pick, stackWith } from "./fixtures";
import { TestResource, urnOf } from "./harness";

const POLICY_DIR = path.resolve(__dirname, "..");
const pulumiDir = path.dirname(require.resolve("@pulumi/pulumi/package.json"));
/* eslint-disable @typescript-eslint/no-require-imports */
const grpc = require(require.resolve("@grpc/grpc-js", { paths: [pulumiDir] }));
const analyzerPb = require("@pulumi/pulumi/proto/analyzer_pb");
const analyzerRpc = require("@pulumi/pulumi/proto/analyzer_grpc_pb");
const structPb = require(require.resolve("google-protobuf/google/protobuf/struct_pb", { paths: [pulumiDir] }));
const emptyPb = require(require.resolve("google-protobuf/google/protobuf/empty_pb", { paths: [pulumiDir] }));
/* eslint-enable @typescript-eslint/no-require-imports */

const MANDATORY = 1;
const ADVISORY = 0;

let child: ChildProcess;
let client: any;
let stderr = "";

function call<T>(method: string, request: unknown): Promise<T> {
    return new Promise((resolve, reject) => client[method](request, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));
}

function options(): any {
    const o = new analyzerPb.AnalyzerResourceOptions();
    o.setCustomtimeouts(new analyzerPb.AnalyzerResourceOptions.CustomTimeouts());
    return o;
}

async function analyze(r: TestResource): Promise<Array<{ policy: string; level: number; message: string }>> {
    const req = new analyzerPb.AnalyzeRequest();
    req.setType(r.type);
    req.setName(r.name);
    req.setUrn(urnOf(r));
    req.setProperties(structPb.Struct.fromJavaScript(r.inputs));
    req.setOptions(options());
    const res: any = await call("analyze", req);
    return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage() }));
}

async function analyzeStack(resources: TestResource[]): Promise<Array<{ policy: string; level: number; message: string; urn: string }>> {
    const req = new analyzerPb.AnalyzeStackRequest();
    for (const r of resources) {
        const ar = new analyzerPb.AnalyzerResource();
        ar.setType(r.type);
        ar.setName(r.name);
        ar.setUrn(urnOf(r));
        ar.setProperties(structPb.Struct.fromJavaScript(r.inputs));
        ar.setOptions(options());
        ar.setDependenciesList((r.dependsOn ?? []).map((name) => urnOf(resources.find((x) => x.name === name)!)));
        req.addResources(ar);
    }
    const res: any = await call("analyzeStack", req);
    return res.getDiagnosticsList().map((d: any) => ({ policy: d.getPolicyname(), level: d.getEnforcementlevel(), message: d.getMessage(), urn: d.getUrn() }));
}

beforeAll(async () => {
    // The engine address argument is unused by a policy pack; the pack prints the port it serves on.
    const launcher = path.join(pulumiDir, "cmd", "run-policy-pack");
    child = spawn(process.execPath, [launcher, "127.0.0.1:1", "."], {
        cwd: POLICY_DIR,
        env: { ...process.env },
        stdio: ["ignore", "pipe", "pipe"],
    });
    child.stderr!.on("data", (b: Buffer) => (stderr += b.toString()));
    const port = await new Promise<number>((resolve, reject) => {
        let out = "";
        child.stdout!.on("data", (b: Buffer) => {
            out += b.toString();
            const m = out.match(/^(\d+)\s/);
            if (m) resolve(Number(m[1]));
        });
        child.on("exit", (code) => reject(new Error(`policy pack exited with ${code}: ${stderr}`)));
    });
    client = new analyzerRpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
    client?.close();
    child?.kill();
});

describe("the policy pack over the analyzer protocol", () => {
    test("announces every guardrail with its enforcement level", async () => {
        const info: any = await call("getAnalyzerInfo", new emptyPb.Empty());
        expect(info.getName()).toBe("secureclaw-guardrails");
        expect(info.getVersion()).toBe("0.1.0");
        const policies = info.getPoliciesList().map((p: any) => [p.getName(), p.getEnforcementlevel()]);
        expect(policies).toEqual(GUARDRAILS.map((g) => [g.policy.name, g.policy.enforcementLevel === "advisory" ? ADVISORY : MANDATORY]));
        const images = info.getPoliciesList().find((p: any) => p.getName() === "images-pinned");
        expect(images.getConfigschema().getProperties().toJavaScript()).toEqual({
            requireDigests: expect.objectContaining({ type: "boolean", default: false }),
        });
    });

    test("passes every compliant resource (only the tag-pinning advice remains)", async () => {
        for (const r of compliantStack()) {
            const diags = await analyze(r);
            const mandatory = diags.filter((d) => d.level === MANDATORY);
            expect({ resource: r.name, mandatory }).toEqual({ resource: r.name, mandatory: [] });
            for (const d of diags) expect(d.policy).toBe("images-digest-advised");
        }
    });

    test("refuses a weakened agent with a mandatory violation", async () => {
        const agent = pick(compliantStack(), "agent");
        agent.inputs.capabilities.adds = ["NET_ADMIN"];
        agent.inputs.networksAdvanced.push({ name: NAMES.egress });
        const diags = await analyze(agent);
        expect(diags).toEqual(
            expect.arrayContaining([
                { policy: "agent-least-privilege", level: MANDATORY, message: expect.stringContaining('set capabilities.drops to ["ALL"] and remove capabilities.adds (found drops: ["ALL"], adds: ["NET_ADMIN"])') },
                { policy: "agent-network-confined", level: MANDATORY, message: expect.stringContaining("agent container must be attached to the enclave network only") },
            ]),
        );
    });

    test("in preview, values not known yet are skipped rather than failing the policy", async () => {
        const agent = pick(compliantStack(), "agent");
        agent.inputs.image = UNKNOWN;
        agent.inputs.networksAdvanced[0].name = UNKNOWN;
        agent.inputs.volumes[0].volumeName = UNKNOWN;
        agent.inputs.user = UNKNOWN;
        expect(await analyze(agent)).toEqual([]);
        const writer = pick(compliantStack(), "egress-config-writer");
        writer.inputs.uploads[0].content = UNKNOWN;
        expect(await analyze(writer)).toEqual([]);
        const launch = pick(compliantStack(), "vllm-launch");
        launch.inputs.create = UNKNOWN;
        expect(await analyze(launch)).toEqual([]);
        const unknownLabels = pick(compliantStack(), "agent");
        unknownLabels.inputs.labels = UNKNOWN;
        unknownLabels.inputs.privileged = true;
        // the role is unknown, so role checks wait for `pulumi up`; the all-container checks still run
        expect((await analyze(unknownLabels)).map((d) => d.policy)).toEqual(["no-host-exposure"]);
    });

    test("stack policies see the whole stack", async () => {
        expect((await analyzeStack(compliantStack())).filter((d) => d.level === MANDATORY)).toEqual([]);
        const diags = await analyzeStack(stackWith("vllm", (i) => i.networksAdvanced.push({ name: NAMES.enclave })));
        expect(diags).toEqual([
            { policy: "enclave-membership", level: MANDATORY, urn: urnOf({ type: T.container, name: "vllm" }), message: expect.stringContaining('vllm container "vllm" must not join the enclave network') },
        ]);
    });

    test("stack policies see dependencies the engine reports", async () => {
        const resources = compliantStack();
        const command = resources.find((r) => r.name === "pids-limit")!;
        command.inputs.create = 'docker update --pids-limit 512 "$AGENT_ID"';
        const findings = async () => (await analyzeStack(resources)).filter((d) => d.policy === "agent-pids-limited");
        expect(await findings()).toEqual([
            { policy: "agent-pids-limited", level: MANDATORY, urn: urnOf({ type: T.container, name: "agent" }), message: expect.stringContaining("has no process limit") },
        ]);
        command.dependsOn = ["agent"];
        expect(await findings()).toEqual([]);
    });

    // Last: configuration stays in force for the rest of the server's life.
    test("requireDigests from the engine's policy config makes tag-only images mandatory violations", async () => {
        const req = new analyzerPb.ConfigureAnalyzerRequest();
        const cfg = new analyzerPb.PolicyConfig();
        cfg.setEnforcementlevel(MANDATORY);
        cfg.setProperties(structPb.Struct.fromJavaScript({ requireDigests: true }));
        req.getPolicyconfigMap().set("images-pinned", cfg);
        await call("configure", req);
        const diags = await analyze(pick(compliantStack(), "vllm-image"));
        expect(diags).toEqual(
            expect.arrayContaining([
                { policy: "images-pinned", level: MANDATORY, message: expect.stringContaining("requires digests (requireDigests: true)") },
            ]),
        );
    });
});
