/**
 * Test-only surroundings of the end-to-end enclave: the key material, the
 * stand-ins for the GPU host and for api.telegram.org, and the stack config
 * that points the program at them. Used by the suite and by
 * `npx ts-node tests/e2e/harness/cli.ts up|down e2e`.
 */
import { execFileSync } from "child_process";
import * as fs from "fs";
import * as net from "net";
import * as path from "path";
import { parse } from "yaml";
import { REPO_ROOT } from "../support/program";
import { destroy, purgeLabelled, realize, type RealizeHooks, type RealizeOptions, type RealizeResult } from "./harness";

export const STACK = "e2e";
export const PREFIX = `secureclaw-${STACK}`;
const STACK_FILE = path.join(__dirname, "Pulumi.e2e.yaml");
const MATERIALS = path.join(REPO_ROOT, ".e2e-state", "materials");

/** Containers the suite adds around the enclave. Never part of the program. */
export const STANDINS = {
    gpuHost: { name: `${PREFIX}-standin-gpu-host`, image: "secureclaw-e2e/gpu-host:test", context: "gpu-host" },
    /** A second GPU host for the several-hosts test; idle until the stack lists it. */
    gpuHost2: { name: `${PREFIX}-standin-gpu-host-2`, image: "secureclaw-e2e/gpu-host:test", context: "gpu-host" },
    telegram: { name: `${PREFIX}-standin-telegram`, image: "secureclaw-e2e/telegram-standin:test", context: "telegram-standin" },
} as const;

export interface Materials {
    dir: string;
    caPem: string;
    sshPrivateKey: string;
    sshPublicKey: string;
    hostKeyPublic: string;
    /** The model link's own key (secureclaw:sshLinkKey) and its public half. */
    linkPrivateKey: string;
    linkPublicKey: string;
    /** The second stand-in's host key. */
    hostKey2Public: string;
}

/** The e2e stack file's config, keyed without the namespace. */
export function stackFile(): Record<string, any> {
    const doc = parse(fs.readFileSync(STACK_FILE, "utf8")) as { config: Record<string, unknown> };
    return Object.fromEntries(Object.entries(doc.config).map(([k, v]) => [k.replace(/^secureclaw:/, ""), v]));
}

export const GPU_HOST_IP: string = stackFile().gpu.host;
export const TELEGRAM_IP: string = stackFile().egress.pinnedHosts["api.telegram.org"];
/** The second GPU-host stand-in: the next free address on the e2e egress network (.250 GPU host, .251 Telegram). */
export const GPU_HOST_2_IP = "10.201.1.252";

function run(cmd: string, args: string[], opts: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv } = {}): string {
    return execFileSync(cmd, args, { encoding: "utf8", stdio: ["pipe", "pipe", "pipe"], ...opts });
}

/** A test CA, a server certificate for the Telegram stand-in, an SSH client key and a pinned host key. Made once, kept in .e2e-state. */
export function materials(): Materials {
    const dir = MATERIALS;
    const file = (name: string) => path.join(dir, name);
    // Names the stand-in's certificate covers; materials made for another list are made again.
    const san = "subjectAltName=DNS:api.telegram.org,DNS:relay.e2e.test,DNS:tls-standin.e2e.test\n";
    if (!fs.existsSync(file("done")) || fs.readFileSync(file("san.cnf"), "utf8") !== san) {
        fs.rmSync(dir, { recursive: true, force: true });
        fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
        run("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "30", "-subj", "/CN=SecureClaw e2e test CA", "-keyout", file("ca.key"), "-out", file("ca.crt")]);
        fs.writeFileSync(file("san.cnf"), san);
        run("openssl", ["req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=api.telegram.org", "-keyout", file("server.key"), "-out", file("server.csr")]);
        run("openssl", ["x509", "-req", "-in", file("server.csr"), "-CA", file("ca.crt"), "-CAkey", file("ca.key"), "-CAcreateserial", "-days", "30", "-extfile", file("san.cnf"), "-out", file("server.crt")]);
        // What the stand-in (an unprivileged user) reads: a throwaway test key.
        fs.mkdirSync(file("tls"), { mode: 0o755 });
        for (const name of ["ca.crt", "server.crt", "server.key"]) fs.copyFileSync(file(name), file(`tls/${name}`));
        fs.chmodSync(file("tls/server.key"), 0o644);
        fs.chmodSync(dir, 0o711);
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "secureclaw-e2e", "-f", file("id_ed25519")]);
        fs.mkdirSync(file("hostkey"));
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "gpu-host", "-f", file("hostkey/ssh_host_ed25519_key")]);
        fs.writeFileSync(file("done"), "");
    }
    // Added after the first materials existed: made on their own when missing.
    if (!fs.existsSync(file("id_link"))) run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "secureclaw-e2e-link", "-f", file("id_link")]);
    if (!fs.existsSync(file("hostkey2/ssh_host_ed25519_key"))) {
        fs.mkdirSync(file("hostkey2"), { recursive: true });
        run("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "gpu-host-2", "-f", file("hostkey2/ssh_host_ed25519_key")]);
    }
    const read = (name: string) => fs.readFileSync(file(name), "utf8");
    return {
        dir,
        caPem: read("ca.crt").trim(),
        sshPrivateKey: read("id_ed25519"),
        sshPublicKey: read("id_ed25519.pub").trim(),
        hostKeyPublic: read("hostkey/ssh_host_ed25519_key.pub").trim().split(" ").slice(0, 2).join(" "),
        linkPrivateKey: read("id_link"),
        linkPublicKey: read("id_link.pub").trim().split(" ").slice(0, 2).join(" "),
        hostKey2Public: read("hostkey2/ssh_host_ed25519_key.pub").trim().split(" ").slice(0, 2).join(" "),
    };
}

/** Fixed fake secrets for the e2e stack (they guard only this machine's test containers). */
export const E2E_SECRETS = {
    gatewayMasterKey: "sk-e2e-gateway-0f3b9c1e5d7a4b2c8e6f",
    vllmApiKey: "e2e-vllm-key-7c2d9e4f1a3b5c6d",
    telegramBotToken: "123456:E2E-agent-bot-token-abcdefghij",
};

/** Each further agent's own bot token (agents.<name>.telegram.botToken), test-only. */
export const E2E_AGENT_BOT_TOKENS: Record<string, string> = {
    bob: "234567:E2E-bob-bot-token-klmnopqrst",
    carol: "345678:E2E-carol-bot-token-uvwxyzabcd",
};

/**
 * The config and secrets one run realizes: the agents map holds bot tokens,
 * so, as `pulumi config set --secret --path` makes it, the whole `agents`
 * key travels as a secret.
 */
export function withAgentTokens(config: Record<string, unknown>, secrets: Record<string, string>): { config: Record<string, unknown>; secrets: Record<string, string> } {
    const agents = config.agents as Record<string, any> | undefined;
    if (agents === undefined) return { config, secrets };
    const withTokens = Object.fromEntries(Object.entries(agents).map(([name, entry]) => {
        const token = E2E_AGENT_BOT_TOKENS[name];
        if (token === undefined || entry?.telegram?.enabled === false) return [name, entry];
        return [name, { ...entry, telegram: { ...(entry?.telegram ?? {}), botToken: token } }];
    }));
    const { agents: _moved, ...rest } = config;
    return { config: rest, secrets: { ...secrets, agents: JSON.stringify(withTokens) } };
}

export function buildStandinImages(): void {
    for (const s of [STANDINS.gpuHost, STANDINS.telegram]) {
        // The classic builder: these need no build secrets, and it works with
        // any docker CLI (a newer CLI without buildx can't use BuildKit).
        run("docker", ["build", "-q", "-t", s.image, path.join(__dirname, "images", s.context)], { env: { ...process.env, DOCKER_BUILDKIT: "0" } });
    }
}

function removeContainer(name: string): void {
    try {
        run("docker", ["rm", "-f", name]);
    } catch {
        // already gone
    }
}

async function waitForPort(host: string, port: number, timeoutMs: number): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
        const ok = await new Promise<boolean>((resolve) => {
            const socket = net.connect({ host, port, timeout: 1000 });
            socket.once("connect", () => (socket.destroy(), resolve(true)));
            // on, not once: a socket with no 'error' listener left throws an uncaught exception.
            socket.on("error", () => resolve(false));
            socket.once("timeout", () => (socket.destroy(), resolve(false)));
        });
        if (ok) return;
        if (Date.now() > deadline) throw new Error(`e2e setup: ${host}:${port} did not open within ${timeoutMs} ms`);
        await new Promise((r) => setTimeout(r, 250));
    }
}

/** Starts both stand-ins on the program's egress network, at the addresses the stack file names. */
export async function startStandins(egressNetwork: string, m: Materials): Promise<void> {
    for (const s of Object.values(STANDINS)) removeContainer(s.name);
    const logDir = path.join(m.dir, "telegram-log");
    fs.mkdirSync(logDir, { recursive: true });
    fs.chmodSync(logDir, 0o777);
    for (const f of fs.readdirSync(logDir)) fs.rmSync(path.join(logDir, f));
    for (const [standin, ip, hostKeyDir] of [[STANDINS.gpuHost, GPU_HOST_IP, "hostkey"], [STANDINS.gpuHost2, GPU_HOST_2_IP, "hostkey2"]] as const) {
        run("docker", [
            "create", "--name", standin.name, "--network", egressNetwork, "--ip", ip,
            "--label", "secureclaw.e2e=standin", "-e", `AUTHORIZED_KEY=${m.sshPublicKey}`, standin.image,
        ]);
        // The host key is fixed so the stack can pin it (gpu.sshHostKey); the
        // stand-in's entrypoint keeps a key it finds in /run/gpu-host.
        run("docker", ["cp", `${path.join(m.dir, hostKeyDir)}/.`, `${standin.name}:/run/gpu-host`]);
        run("docker", ["start", standin.name]);
    }
    run("docker", [
        "run", "-d", "--name", STANDINS.telegram.name, "--network", egressNetwork, "--ip", TELEGRAM_IP,
        "--label", "secureclaw.e2e=standin", "--read-only", "--cap-drop", "ALL",
        "-v", `${path.join(m.dir, "tls")}:/certs:ro`, "-v", `${logDir}:/log`, STANDINS.telegram.image,
    ]);
    await Promise.all([waitForPort(GPU_HOST_IP, 22, 30_000), waitForPort(GPU_HOST_2_IP, 22, 30_000), waitForPort(TELEGRAM_IP, 443, 30_000)]);
}

export function telegramRequests(): Array<Record<string, any>> {
    const file = path.join(MATERIALS, "telegram-log", "requests.jsonl");
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, "utf8").trim().split("\n").filter(Boolean).map((l) => JSON.parse(l));
}

/** The e2e stack config with run-time material filled in, plus `paths` overrides (`a.b` keys). */
export function e2eConfig(m: Materials, paths: Record<string, unknown> = {}): Record<string, unknown> {
    const config = stackFile();
    config.gpu = { ...config.gpu, sshHostKey: m.hostKeyPublic };
    config.agent = { ...config.agent, extraCaCertificates: m.caPem };
    for (const [dotted, value] of Object.entries(paths)) {
        const keys = dotted.split(".");
        let node = config;
        for (const key of keys.slice(0, -1)) node = node[key] = { ...(node[key] ?? {}) };
        node[keys[keys.length - 1]] = value;
    }
    return config;
}

/** Removes the stand-ins right before the program's egress network is deleted (they are attached to it). */
export function destroyHooks(): Pick<RealizeHooks, "beforeDelete"> {
    return {
        beforeDelete: async (type, _name, record) => {
            if (type === "docker:index/network:Network" && record.outputs?.name === `${PREFIX}-egress`) await teardownE2E();
        },
    };
}

/** Hooks that start the stand-ins as soon as the program has created its egress network. */
export function standinHooks(m: Materials): RealizeHooks {
    return {
        ...destroyHooks(),
        // The launch does not depend on the egress network in the program (a
        // real GPU host is just there); here its stand-in is started with it.
        beforeApply: async (type, _name, _action, _inputs, ctx) => {
            if (type === "command:remote:Command") await ctx.realized("secureclaw-networks-egress");
        },
        afterCreate: async (type, _name, state) => {
            if (type === "docker:index/network:Network" && state.outputs.name === `${PREFIX}-egress`) {
                await startStandins(state.outputs.name, m);
            }
        },
    };
}

/** Every secret the e2e stack's config needs: the fixed fake ones and this machine's SSH keys (the GPU host's login and the model link's). */
export function stackSecrets(m: Materials): Record<string, string> {
    return { ...E2E_SECRETS, sshPrivateKey: m.sshPrivateKey, sshLinkKey: m.linkPrivateKey };
}

/** For harness/cli.ts: `up e2e` / `down e2e`. */
export async function prepareE2E(stack: string) {
    if (stack !== STACK) throw new Error(`tests/e2e/setup.ts prepares the "${STACK}" stack, not "${stack}"`);
    buildStandinImages();
    const m = materials();
    return { ...withAgentTokens(e2eConfig(m), stackSecrets(m)), hooks: standinHooks(m) };
}

/** Realizes the e2e stack with `paths` over its config (agents' tokens as secrets, stand-ins started with the egress network). */
export function realizeE2E(m: Materials, secrets: Record<string, string>, paths: Record<string, unknown> = {}, options: RealizeOptions = {}): Promise<RealizeResult> {
    const run = withAgentTokens(e2eConfig(m, paths), secrets);
    return realize(STACK, run.config, run.secrets, standinHooks(m), options);
}

export async function teardownE2E(): Promise<void> {
    for (const s of Object.values(STANDINS)) removeContainer(s.name);
}

/** The stack listing both GPU-host stand-ins under gpu.hosts (the several-hosts test). */
export function twoGpuHosts(m: Materials): Record<string, unknown> {
    return {
        "gpu.host": null,
        "gpu.sshHostKey": null,
        "gpu.hosts": [{ host: GPU_HOST_IP, sshHostKey: m.hostKeyPublic }, { host: GPU_HOST_2_IP, sshHostKey: m.hostKey2Public }],
    };
}

/**
 * Destroys what an earlier run left, even when its stand-ins are gone (then
 * the vLLM launch's remote delete can't run): falls back to removing by label.
 */
export async function cleanE2E(): Promise<void> {
    try {
        await destroy(STACK, { purgeRetained: true, hooks: destroyHooks() });
    } catch (err) {
        console.log(`e2e: destroy of a previous run failed (${String(err).split("\n")[0]}); removing by label`);
        await purgeLabelled(PREFIX);
        fs.rmSync(path.join(REPO_ROOT, ".e2e-state", `${STACK}.json`), { force: true });
    }
    await teardownE2E();
}
