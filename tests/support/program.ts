/**
 * Runs the real index.ts under Pulumi mocks and records what it declares.
 *
 * Each resource is recorded as the engine would receive it: `inputs` with
 * outputs resolved and secrets unwrapped ("what value?"), and
 * `inputsWithoutSecrets` with every secret part redacted ("what would state
 * show?"); resource options come from a stack transformation.
 */
import * as fs from "fs";
import * as path from "path";
import { parse } from "yaml";

export const REPO_ROOT = path.resolve(__dirname, "..", "..");

export interface DeclaredResource {
    type: string;
    name: string;
    inputs: Record<string, any>;
    /** Inputs with every secret part replaced by "[secret]": what would be readable in state. */
    inputsWithoutSecrets: Record<string, any>;
    /** Resource options that matter to the design: explicit dependencies (by name) and replacement order. */
    opts: { dependsOn: string[]; deleteBeforeReplace?: boolean };
    /** True when the program passed this whole input as a secret. */
    isSecretInput(key: string): boolean;
    /** The resource's URN as the engine would name it (type and name chain of its parents). */
    urn?: string;
    /** URNs it answers to besides (its `aliases` that rename it in place). */
    aliasUrns: string[];
}

export interface ProgramRun {
    resources: DeclaredResource[];
    outputs: Record<string, unknown>;
    /** Resources of one type carrying one `secureclaw.role` label (or any role when omitted). */
    byRole(type: string, role?: string): DeclaredResource[];
    /** The single resource with that type and role. */
    one(type: string, role: string): DeclaredResource;
}

/**
 * A well-formed, unencrypted openssh-key-v1 private key with a made-up
 * ed25519 public key (`fill` repeated) and no usable private part: enough
 * for the program to read its public half, useless to anyone (test-only).
 */
export function fakeOpenSshKey(fill: number, cipher = "none"): string {
    const str = (b: Buffer | string) => {
        const body = typeof b === "string" ? Buffer.from(b, "latin1") : b;
        const length = Buffer.alloc(4);
        length.writeUInt32BE(body.length);
        return Buffer.concat([length, body]);
    };
    const publicBlob = Buffer.concat([str("ssh-ed25519"), str(Buffer.alloc(32, fill))]);
    const count = Buffer.alloc(4);
    count.writeUInt32BE(1);
    const blob = Buffer.concat([Buffer.from("openssh-key-v1\0", "latin1"), str(cipher), str(cipher === "none" ? "none" : "bcrypt"), str(""), count, str(publicBlob), str(Buffer.alloc(16, 0xee))]);
    const body = blob.toString("base64").replace(/(.{70})/g, "$1\n");
    return `-----BEGIN OPENSSH PRIVATE KEY-----\n${body}\n-----END OPENSSH PRIVATE KEY-----\n`;
}

/** Distinctive fake secrets: tests assert they never appear where they must not. */
export const TEST_SECRETS = {
    telegramBotToken: "111111:TEST-TELEGRAM-TOKEN-aaaaaaaaaaaaaaaa",
    gatewayMasterKey: "sk-test-gateway-master-key-bbbbbbbbbbbb",
    vllmApiKey: "test-vllm-api-key-cccccccccccccccccc",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nTEST-SSH-KEY-dddddddddddd\n-----END OPENSSH PRIVATE KEY-----\n",
    hfToken: "hf_TESTTOKENeeeeeeeeeeeeeeeeeeeeeeee",
    sshLinkKey: fakeOpenSshKey(0x5a),
} as const;

/** The `pulumi config set` steps the README tells a user to run, as config values. */
/** A well-formed ed25519 host key line for the dgx stack's GPU host (test-only). */
export const TEST_GPU_HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx6vB2J0l2Qm1Jm9dfDgc7d0yZ0rZ5hJm3b7bq9Qw1e";

export function readmeSetup(stack: string): { config: Record<string, unknown>; secrets: Record<string, string> } {
    const secrets: Record<string, string> = {
        telegramBotToken: TEST_SECRETS.telegramBotToken,
        gatewayMasterKey: TEST_SECRETS.gatewayMasterKey,
        vllmApiKey: TEST_SECRETS.vllmApiKey,
        hfToken: TEST_SECRETS.hfToken,
        ...(stack === "dgx" ? { sshPrivateKey: TEST_SECRETS.sshPrivateKey, sshLinkKey: TEST_SECRETS.sshLinkKey } : {}),
    };
    // The README's dgx steps pin the GPU host's key (ssh-keyscan); a test key here.
    const hostKey = stack === "dgx" ? { "gpu.sshHostKey": TEST_GPU_HOST_KEY } : {};
    return { config: { "telegram.allowFrom": ["123456789"], ...hostKey }, secrets };
}

/** The `config:` map of Pulumi.<stack>.yaml, keyed without the namespace. */
export function stackFileConfig(stack: string): Record<string, unknown> {
    const file = path.join(REPO_ROOT, `Pulumi.${stack}.yaml`);
    const doc = parse(fs.readFileSync(file, "utf8")) as { config?: Record<string, unknown> };
    const out: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(doc.config ?? {})) {
        out[key.replace(/^secureclaw:/, "")] = value;
    }
    return out;
}

/** Applies `a.b.c` paths (like `pulumi config set --path`) onto a config map. */
export function withPaths(base: Record<string, unknown>, paths: Record<string, unknown>): Record<string, unknown> {
    const out = JSON.parse(JSON.stringify(base)) as Record<string, any>;
    for (const [dotted, value] of Object.entries(paths)) {
        const keys = dotted.split(".");
        let node = out;
        for (const key of keys.slice(0, -1)) {
            if (typeof node[key] !== "object" || node[key] === null) node[key] = {};
            node = node[key];
        }
        if (value === undefined) delete node[keys[keys.length - 1]];
        else node[keys[keys.length - 1]] = value;
    }
    return out;
}

/** How the SDK marks a secret value on the wire (and so in what mocks receive). */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_MARK = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG] === SECRET_MARK;
}

function mapSecrets(value: unknown, onSecret: (inner: unknown) => unknown): unknown {
    if (isSecretValue(value)) return onSecret((value as { value: unknown }).value);
    if (Array.isArray(value)) return value.map((v) => mapSecrets(v, onSecret));
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapSecrets(v, onSecret)]));
    }
    return value;
}

export const unwrapSecrets = (value: unknown): unknown => mapSecrets(value, (inner) => unwrapSecrets(inner));
const redactSecrets = (value: unknown): unknown => mapSecrets(value, () => "[secret]");

/** Fake provider outputs a real engine would fill in. */
function mockState(type: string, name: string, inputs: Record<string, any>): Record<string, any> {
    const fakeDigest = `sha256:${Buffer.from(name).toString("hex").padEnd(64, "0").slice(0, 64)}`;
    switch (type) {
        case "docker:index/image:Image":
            return { ...inputs, repoDigest: fakeDigest };
        case "docker:index/remoteImage:RemoteImage":
            return { ...inputs, imageId: fakeDigest, repoDigest: `${inputs.name}@${fakeDigest}` };
        case "docker:index/container:Container":
        case "docker:index/network:Network":
        case "docker:index/volume:Volume":
            return { ...inputs, name: inputs.name ?? `${name}-auto` };
        default:
            return inputs;
    }
}

export interface RunOptions {
    /** Full config (without namespace); defaults to the stack file plus the README setup. */
    config?: Record<string, unknown>;
    /** Secret config values; defaults to the README setup. */
    secrets?: Record<string, string>;
    /** Secrets to store as plain text (to test the plain-text check). */
    plaintextSecrets?: string[];
}

/** Runs index.ts for `stack` under mocks. Rejects with the program's error (e.g. a ConfigError). */
export async function runProgram(stack: string, options: RunOptions = {}): Promise<ProgramRun> {
    const { error, run } = await execute(stack, options);
    if (error) throw error;
    return run;
}

/** Runs a program expected to fail: its error, and every resource it declared anyway. */
export async function runFailingProgram(stack: string, options: RunOptions = {}): Promise<{ error: unknown; resources: DeclaredResource[] }> {
    const { error, run } = await execute(stack, options);
    return { error, resources: run.resources };
}

async function execute(stack: string, options: RunOptions): Promise<{ error: unknown; run: ProgramRun }> {
    const setup = readmeSetup(stack);
    const config = options.config ?? withPaths(stackFileConfig(stack), setup.config);
    const secrets = options.secrets ?? setup.secrets;

    const declared: DeclaredResource[] = [];
    const optsByName = new Map<string, DeclaredResource["opts"]>();
    const typeChains = new Map<unknown, string>();
    const urnByName = new Map<string, string>();
    const aliasesByName = new Map<string, string[]>();
    let exported: Record<string, unknown> = {};
    let failure: unknown;
    let running: Promise<unknown> = Promise.resolve();

    {
        // A fresh module registry and a fresh Pulumi runtime store (the SDK
        // keeps its state on globals), so each run is a separate `pulumi up`.
        jest.resetModules();
        (globalThis as Record<string, unknown>).globalStore = undefined;
        (globalThis as Record<string, unknown>).stackResource = undefined;
        // eslint-disable-next-line @typescript-eslint/no-require-imports
        const pulumi = require("@pulumi/pulumi") as typeof import("@pulumi/pulumi");
        const allConfig: Record<string, string> = {};
        for (const [key, value] of Object.entries(config)) {
            allConfig[`secureclaw:${key}`] = typeof value === "string" ? value : JSON.stringify(value);
        }
        for (const [key, value] of Object.entries(secrets)) allConfig[`secureclaw:${key}`] = value;
        const plaintext = new Set(options.plaintextSecrets ?? []);
        const secretKeys = Object.keys(secrets).filter((k) => !plaintext.has(k)).map((k) => `secureclaw:${k}`);
        pulumi.runtime.setAllConfig(allConfig, secretKeys);
        pulumi.runtime.setMocks({
            newResource: (args) => {
                const inputs = unwrapSecrets(args.inputs) as Record<string, any>;
                declared.push({
                    type: args.type,
                    name: args.name,
                    inputs,
                    inputsWithoutSecrets: redactSecrets(args.inputs) as Record<string, any>,
                    opts: { dependsOn: [] },
                    isSecretInput: (key) => isSecretValue(args.inputs[key]),
                    aliasUrns: [],
                });
                return { id: `${args.name}-id`, state: mockState(args.type, args.name, inputs) };
            },
            call: (args) => args.inputs,
        }, "secureclaw", stack, false);
        running = pulumi.runtime.runInPulumiStack(async () => {
            pulumi.runtime.registerStackTransformation((args) => {
                const dependsOn = ([] as unknown[]).concat((args.opts as any).dependsOn ?? []);
                optsByName.set(`${args.type}::${args.name}`, {
                    dependsOn: dependsOn.map((d) => (d as any).__name as string),
                    deleteBeforeReplace: (args.opts as any).deleteBeforeReplace,
                });
                // The engine's URN: the type chain of every parent (the stack's own type excluded), then the name.
                const parentChain = args.opts.parent ? typeChains.get(args.opts.parent) : undefined;
                const chain = parentChain ? `${parentChain}$${args.type}` : args.type;
                typeChains.set(args.resource, chain);
                urnByName.set(`${args.type}::${args.name}`, `urn:pulumi:${stack}::secureclaw::${chain}::${args.name}`);
                const renamed = ((args.opts as any).aliases ?? []).filter((a: any) => typeof a === "object" && typeof a.name === "string" && a.parent === undefined);
                aliasesByName.set(`${args.type}::${args.name}`, renamed.map((a: any) => `urn:pulumi:${stack}::secureclaw::${chain}::${a.name}`));
                return undefined;
            });
            // A program error (a ConfigError, say) is the run's result, not a
            // crash: the SDK would otherwise re-raise it as an unhandled rejection.
            try {
                exported = require(path.join(REPO_ROOT, "index.ts"));
            } catch (err) {
                failure = err;
            }
            return exported;
        });
    }
    try {
        await running;
    } catch (err) {
        failure = err;
    }
    // Let every output and registration settle.
    const values: Record<string, unknown> = {};
    for (const [key, value] of Object.entries(exported)) {
        values[key] = await settle(value);
    }
    let last = -1;
    for (let i = 0; i < 50 && declared.length !== last; i++) {
        last = declared.length;
        await new Promise((resolve) => setTimeout(resolve, 5));
    }

    for (const resource of declared) {
        resource.opts = optsByName.get(`${resource.type}::${resource.name}`) ?? { dependsOn: [] };
        resource.urn = urnByName.get(`${resource.type}::${resource.name}`);
        resource.aliasUrns = aliasesByName.get(`${resource.type}::${resource.name}`) ?? [];
    }
    const roleOf = (r: DeclaredResource) =>
        (r.inputs.labels as { label: string; value: string }[] | undefined)?.find((l) => l.label === "secureclaw.role")?.value;
    const byRole = (type: string, role?: string) => declared.filter((r) => r.type === type && (role === undefined || roleOf(r) === role));
    return { error: failure, run: {
        resources: declared,
        outputs: values,
        byRole,
        one: (type, role) => {
            const found = byRole(type, role);
            if (found.length !== 1) throw new Error(`expected one ${type} with role ${role}, found ${found.length}`);
            return found[0];
        },
    } };
}

function settle(value: unknown): Promise<unknown> {
    if (value && typeof value === "object" && "apply" in value) {
        return new Promise((resolve) => (value as any).apply((v: unknown) => resolve(v)));
    }
    return Promise.resolve(value);
}

/** What the policy pack's tests use: every resource the program declares for a stack. */
export async function collectResources(stack: string, extraConfig: Record<string, unknown> = {}) {
    const setup = readmeSetup(stack);
    const config = withPaths(withPaths(stackFileConfig(stack), setup.config), extraConfig);
    const run = await runProgram(stack, { config });
    return run.resources.map((r) => ({ type: r.type, name: r.name, inputs: r.inputs }));
}
