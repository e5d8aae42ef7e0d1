/**
 * Every kind of bad config, run through the whole program (index.ts) under
 * Pulumi mocks: each must stop with a ConfigError naming the key before a
 * single resource is declared. A value that slipped past the validator would
 * instead reach a component, which declares networks and containers and only
 * then throws from a renderer, half-way through an update.
 */
import { RunError } from "@pulumi/pulumi";
import { fakeOpenSshKey, readmeSetup, runFailingProgram, stackFileConfig, TEST_SECRETS, withPaths } from "../support/program";

/** Config paths to change on top of the dev stack file and the README's setup steps. */
type Changes = Record<string, unknown>;

interface Case {
    /** The changed config, as `pulumi config set --path` would leave it. */
    config?: Changes;
    /** Secrets to drop from the README's setup, or to add. */
    withoutSecrets?: string[];
    withSecrets?: Record<string, string>;
    /** Secrets stored without --secret. */
    plaintextSecrets?: string[];
    /** The stack name, when not `dev`. */
    stack?: string;
    /** The key the ConfigError must name, and what it must say there. */
    key: string;
    problem: RegExp;
}

const REMOTE_GPU = { "gpu.placement": "remote", "gpu.host": "192.168.1.50", "gpu.sshUser": "ubuntu", "gpu.count": 2 };
const WITH_SSH_KEY = { sshPrivateKey: TEST_SECRETS.sshPrivateKey };

const CASES: Record<string, Case> = {
    // model
    "an unknown model size": { config: { "model.size": "huge" }, key: "model.size", problem: /unknown model size/ },
    "a Hugging Face id without an owner": { config: { "model.huggingFaceId": "Qwen3-4B" }, key: "model.huggingFaceId", problem: /owner\/name/ },
    "a served name vLLM and OpenClaw can't carry": { config: { "model.servedName": "Qwen ${HOME}" }, key: "model.servedName", problem: /lower-case letters/ },
    "a tool-call parser with a space": { config: { "model.toolCallParser": "her mes" }, key: "model.toolCallParser", problem: /tool-call parser/ },
    "a context below the floor": { config: { "model.maxModelLen": 512 }, key: "model.maxModelLen", problem: /from 1024/ },
    "a completion cap above the context (renderOpenClawConfig and the Aider skill throw on it)": { config: { "model.maxModelLen": 4096, "model.maxOutputTokens": 8192 }, key: "model.maxOutputTokens", problem: /can't be longer than the whole context/ },
    "tensor parallel not a power of two": { config: { "model.tensorParallelSize": 3, "gpu.count": 4 }, key: "model.tensorParallelSize", problem: /power of two/ },
    "tensor parallel above the GPU count": { config: { "model.size": "qwen3-30b-a3b-bf16" }, key: "model.tensorParallelSize", problem: /gpu.count is 1/ },
    "a GPU memory share above 0.98": { config: { "model.gpuMemoryUtilization": 1.5 }, key: "model.gpuMemoryUtilization", problem: /from 0.1 to 0.98/ },
    // gpu
    "an unknown GPU placement": { config: { "gpu.placement": "cloud" }, key: "gpu.placement", problem: /"local".*"remote"/ },
    "no GPU": { config: { "gpu.count": 0 }, key: "gpu.count", problem: /from 1 to 16/ },
    "a remote GPU without a host": { config: { ...REMOTE_GPU, "gpu.host": undefined }, withSecrets: WITH_SSH_KEY, key: "gpu.host", problem: /is required/ },
    "a remote GPU without an SSH user": { config: { ...REMOTE_GPU, "gpu.sshUser": undefined }, withSecrets: WITH_SSH_KEY, key: "gpu.sshUser", problem: /is required/ },
    "a remote GPU without the model link's key": { config: REMOTE_GPU, withSecrets: WITH_SSH_KEY, key: "sshLinkKey", problem: /is required when gpu.placement is remote: a key of its own for the model link/ },
    "a model link key that is not an OpenSSH private key": { config: REMOTE_GPU, withSecrets: { ...WITH_SSH_KEY, sshLinkKey: "ssh-ed25519 AAAA me@laptop" }, key: "sshLinkKey", problem: /must be an OpenSSH private key/ },
    "a model link key with a passphrase": { config: REMOTE_GPU, withSecrets: { ...WITH_SSH_KEY, sshLinkKey: fakeOpenSshKey(7, "aes256-ctr") }, key: "sshLinkKey", problem: /has a passphrase/ },
    "a second GPU host without a pinned key": { config: { ...REMOTE_GPU, "gpu.host": undefined, "gpu.hosts": [{ host: "10.0.0.5", sshHostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx6vB2J0l2Qm1Jm9dfDgc7d0yZ0rZ5hJm3b7bq9Qw1e" }, { host: "10.0.0.6" }] }, withSecrets: WITH_SSH_KEY, key: "gpu.hosts[1].sshHostKey", problem: /is required when gpu.placement is remote/ },
    "a malformed SSH host key": { config: { ...REMOTE_GPU, "gpu.sshHostKey": "not a key" }, withSecrets: WITH_SSH_KEY, key: "gpu.sshHostKey", problem: /SSH public host key/ },
    "an SSH port out of range": { config: { ...REMOTE_GPU, "gpu.sshPort": 70000 }, withSecrets: WITH_SSH_KEY, key: "gpu.sshPort", problem: /from 1 to 65535/ },
    "vLLM on a privileged port": { config: { ...REMOTE_GPU, "gpu.port": 80 }, withSecrets: WITH_SSH_KEY, key: "gpu.port", problem: /from 1024/ },
    "a start-up timeout too short for any model": { config: { ...REMOTE_GPU, "gpu.startupTimeoutSeconds": 5 }, withSecrets: WITH_SSH_KEY, key: "gpu.startupTimeoutSeconds", problem: /from 60/ },
    "a section set to plain text": { config: { gpu: "remote" }, key: "gpu", problem: /must be an object, got "remote"/ },
    // egress
    "a bare * in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", "*"] }, key: "egress.allowlist[1]", problem: /allows every host/ },
    "a wildcard in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", "*.github.com"] }, key: "egress.allowlist[1]", problem: /wildcard/ },
    "a URL in the allowlist": { config: { "egress.allowlist": ["https://api.telegram.org/bot"] }, key: "egress.allowlist[0]", problem: /scheme/ },
    "an IP literal in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", "149.154.167.220"] }, key: "egress.allowlist[1]", problem: /IP literal/ },
    "a port in the allowlist": { config: { "egress.allowlist": ["api.telegram.org:8443"] }, key: "egress.allowlist[0]", problem: /port/ },
    "a top-level domain in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", ".com"] }, key: "egress.allowlist[1]", problem: /top-level/ },
    "a country's public suffix in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", ".co.uk"] }, key: "egress.allowlist[1]", problem: /Public Suffix List/ },
    "an app platform's public suffix in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", ".herokuapp.com"] }, key: "egress.allowlist[1]", problem: /Public Suffix List/ },
    "a single-label name in the allowlist": { config: { "egress.allowlist": ["api.telegram.org", "localhost"] }, key: "egress.allowlist[1]", problem: /single-label/ },
    "an allowlist that is not a list": { config: { "egress.allowlist": "api.telegram.org" }, key: "egress.allowlist", problem: /must be a list/ },
    "a pinned host the allowlist does not allow": { config: { "egress.pinnedHosts": { "evil.example.com": "10.0.0.1" } }, key: 'egress.pinnedHosts["evil.example.com"]', problem: /never widens/ },
    "a pinned host mapped to a name": { config: { "egress.pinnedHosts": { "api.telegram.org": "relay.lan" } }, key: 'egress.pinnedHosts["api.telegram.org"]', problem: /IPv4 address/ },
    // telegram
    'a Telegram user ID with a leading zero, "0123" (renderOpenClawConfig throws on it)': { config: { "telegram.allowFrom": ["0123"] }, key: "telegram.allowFrom[0]", problem: /without a leading zero/ },
    "Telegram user ID 0": { config: { "telegram.allowFrom": ["123456789", "0"] }, key: "telegram.allowFrom[1]", problem: /numeric Telegram user ID/ },
    "a Telegram @username instead of an ID": { config: { "telegram.allowFrom": ["@alice"] }, key: "telegram.allowFrom[0]", problem: /numeric Telegram user ID/ },
    "Telegram on with nobody allowed": { config: { "telegram.allowFrom": [] }, key: "telegram.allowFrom", problem: /nobody could talk/ },
    "Telegram turned on with a word": { config: { "telegram.enabled": "yes" }, key: "telegram.enabled", problem: /true or false/ },
    "a Telegram API root over plain http": { config: { "telegram.apiRoot": "http://relay.example.com" }, key: "telegram.apiRoot", problem: /https URL/ },
    "a Telegram API root ending in /bot<TOKEN> (renderOpenClawConfig throws on it)": { config: { "telegram.apiRoot": "https://api.telegram.org/bot123:AA" }, key: "telegram.apiRoot", problem: /without \/bot<TOKEN>/ },
    "a Telegram API root with credentials (renderOpenClawConfig throws on it)": { config: { "telegram.apiRoot": "https://u:p@api.telegram.org" }, key: "telegram.apiRoot", problem: /without credentials/ },
    "a Telegram API root OpenClaw would substitute into (renderOpenClawConfig throws on it)": { config: { "telegram.apiRoot": "https://api.telegram.org/${HOME}" }, key: "telegram.apiRoot", problem: /\$\{/ },
    "api.telegram.org on the agent's allowlist (only the relay reaches it)": { config: { "egress.allowlist": ["pypi.org", "api.telegram.org"] }, key: "egress.allowlist[1]", problem: /only the Telegram relay may reach/ },
    "a send rate of zero for the relay (renderRelaySettings throws on it)": { config: { "telegram.sendsPerMinute": 0 }, key: "telegram.sendsPerMinute", problem: /from 1 to 1800/ },
    "a file cap of a byte for the relay": { config: { "telegram.maxFileBytes": 1 }, key: "telegram.maxFileBytes", problem: /from 1024/ },
    // agent, gateway, images, network
    "agent memory below the floor": { config: { "agent.memoryMb": 64 }, key: "agent.memoryMb", problem: /from 512/ },
    "no CPU for the agent": { config: { "agent.cpus": 0 }, key: "agent.cpus", problem: /from 0.5/ },
    "a CPU count Docker would round": { config: { "agent.cpus": 10.05 }, key: "agent.cpus", problem: /would store 10\.1/ },
    "gVisor with too little memory for its process ceiling": { config: { "agent.runtime": "runsc", "agent.memoryMb": 1024 }, key: "agent.memoryMb", problem: /runsc, which needs at least 1408/ },
    "a fractional process limit": { config: { "agent.pids": 100.5 }, key: "agent.pids", problem: /whole number/ },
    "a CA that is not PEM": { config: { "agent.extraCaCertificates": "hello" }, key: "agent.extraCaCertificates", problem: /PEM/ },
    "a gateway timeout below the floor": { config: { "gateway.requestTimeoutSeconds": 5 }, key: "gateway.requestTimeoutSeconds", problem: /from 10/ },
    "no parallel model calls": { config: { "gateway.maxParallelRequests": 0 }, key: "gateway.maxParallelRequests", problem: /from 1/ },
    "a vLLM image without a tag": { config: { "images.vllm": "vllm/vllm-openai" }, key: "images.vllm", problem: /no tag or digest/ },
    "a LiteLLM image on latest": { config: { "images.litellm": "ghcr.io/berriai/litellm:latest" }, key: "images.litellm", problem: /latest/ },
    "a public subnet": { config: { "network.enclaveSubnet": "8.8.8.0/24" }, key: "network.enclaveSubnet", problem: /private IPv4 subnet/ },
    "a subnet with host bits set": { config: { "network.egressSubnet": "10.89.1.1/24" }, key: "network.egressSubnet", problem: /host bits zero/ },
    "overlapping subnets": { config: { "network.enclaveSubnet": "10.89.0.0/16" }, key: "network.egressSubnet", problem: /overlaps network.enclaveSubnet/ },
    // typos
    "a misspelt field": { config: { "agent.memoryMB": 1024 }, key: "agent.memoryMB", problem: /not a known setting/ },
    "a misspelt section": { config: { modle: { size: "small" } }, key: "modle", problem: /not a known setting/ },
    // secrets and the stack
    "no gateway key": { withoutSecrets: ["gatewayMasterKey"], key: "gatewayMasterKey", problem: /is required/ },
    "no vLLM key": { withoutSecrets: ["vllmApiKey"], key: "vllmApiKey", problem: /is required/ },
    "no bot token with Telegram on (AgentBox throws on it)": { withoutSecrets: ["telegramBotToken"], key: "telegramBotToken", problem: /required when telegram.enabled/ },
    "no SSH key with a remote GPU": { config: REMOTE_GPU, key: "sshPrivateKey", problem: /required when gpu.placement is remote/ },
    "a secret stored in plain text": { plaintextSecrets: ["vllmApiKey"], key: "vllmApiKey", problem: /plain text/ },
    "a stack name Docker can't use": { stack: "Dev_Stack", key: "(stack name)", problem: /can't name Docker objects/ },
};

// Each run loads a fresh Pulumi SDK (a separate `pulumi up`), and each SDK adds a process "exit" listener.
process.setMaxListeners(Object.keys(CASES).length + 20);

describe("a bad config stops the whole program with a ConfigError, before any resource is declared", () => {
    test.each(Object.entries(CASES))("%s", async (_title, c) => {
        const setup = readmeSetup("dev");
        const secrets = { ...setup.secrets, ...c.withSecrets };
        for (const key of c.withoutSecrets ?? []) delete secrets[key];
        const config = withPaths(withPaths(stackFileConfig("dev"), setup.config), c.config ?? {});

        const { error, resources } = await runFailingProgram(c.stack ?? "dev", { config, secrets, plaintextSecrets: c.plaintextSecrets });

        expect(error).toMatchObject({ name: "ConfigError" });
        const problem = (error as { problems: Array<{ key: string; problem: string }> }).problems.find((p) => p.key === `secureclaw:${c.key}`);
        expect(problem?.problem).toMatch(c.problem);
        // Only the stack itself: not one component or resource was declared.
        expect(resources.map((r) => r.type)).toEqual(["pulumi:pulumi:Stack"]);
    });
});

describe("how a config error reaches the user", () => {
    test("it is a pulumi.RunError, which the CLI prints without a stack trace, and its message is exactly the list of problems", async () => {
        const setup = readmeSetup("dev");
        const config = withPaths(withPaths(stackFileConfig("dev"), setup.config), { "telegram.allowFrom": ["0123"] });
        const { error } = await runFailingProgram("dev", { config, secrets: setup.secrets });
        expect(RunError.isInstance(error)).toBe(true);
        expect((error as Error).message).toBe(
            [
                "SecureClaw configuration has 1 problem; nothing was created or changed:",
                '  - secureclaw:telegram.allowFrom[0]: must be a numeric Telegram user ID (a positive whole number without a leading zero), got "0123"',
                "      example: pulumi config set --path 'secureclaw:telegram.allowFrom[0]' 123456789",
            ].join("\n"),
        );
    });
});
