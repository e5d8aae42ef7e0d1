import { DEFAULT_DOOR_LIMITS } from "../../components/door/doorSettings";
import { RunError } from "@pulumi/pulumi";
import * as fs from "fs";
import * as path from "path";
import { ConfigError, validateConfig } from "../../config/validate";
import { checkAllowlistEntry } from "../../policy/contract/allowlist";
import { RawConfig, RemoteGpu, SecretKey } from "../../config/schema";
import { ignoredBindAddressWarning } from "../../components/vllm/placeVllm";

const ALL_SECRETS: SecretKey[] = ["telegramBotToken", "gatewayMasterKey", "vllmApiKey", "sshPrivateKey", "sshLinkKey", "hfToken"];

function presence(keys: SecretKey[] = ALL_SECRETS, plaintext: SecretKey[] = []) {
    return { present: new Set(keys), plaintext: new Set(plaintext) };
}

const HOST_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBx6vB2J0l2Qm1Jm9dfDgc7d0yZ0rZ5hJm3b7bq9Qw1e";
const REMOTE = { placement: "remote", host: "192.168.1.50", sshUser: "ubuntu", count: 8, sshHostKey: HOST_KEY };
const TELEGRAM = { enabled: true, allowFrom: ["123456789"] };

function validate(raw: RawConfig, secrets = presence(), stack = "dev") {
    return validateConfig(stack, raw, secrets);
}

/** The problems a config produces, as "key: problem" lines. */
function problemsOf(raw: RawConfig, secrets = presence(), stack = "dev"): ConfigError["problems"] {
    try {
        validate(raw, secrets, stack);
    } catch (err) {
        if (err instanceof ConfigError) return err.problems;
        throw err;
    }
    return [];
}

describe("validateConfig accepts and normalises", () => {
    test("an empty config gets every default: small model, local GPU, no egress, no Telegram", () => {
        const config = validate({});
        expect(config.model.size).toBe("small");
        expect(config.model.huggingFaceId).toBe("Qwen/Qwen3-4B-Instruct-2507");
        expect(config.gpu).toEqual({ placement: "local", count: 1 });
        expect(config.egress.allowlist).toEqual([]);
        expect(config.telegram).toEqual({ enabled: false });
        expect(config.agent).toEqual({ memoryMb: 4096, cpus: 2, pids: 512, runtime: "runc", ...DEFAULT_DOOR_LIMITS });
        expect(config.namePrefix).toBe("secureclaw-dev");
    });

    test("allowlist entries are lower-cased, trimmed, de-duplicated, sorted, and names under a suffix dropped", () => {
        const config = validate({ egress: { allowlist: ["PyPI.org", " pypi.org ", ".GitHub.com", "api.github.com", "github.com", "files.pythonhosted.org"] } });
        expect(config.egress.allowlist).toEqual([".github.com", "files.pythonhosted.org", "pypi.org"]);
    });

    test("a preset field can be overridden", () => {
        const config = validate({ model: { size: "qwen3-30b-a3b-bf16", maxModelLen: 32768 }, gpu: { placement: "local", count: 2 } });
        expect(config.model.huggingFaceId).toBe("Qwen/Qwen3-30B-A3B-Instruct-2507");
        expect(config.model.tensorParallelSize).toBe(2);
        expect(config.model.maxModelLen).toBe(32768);
    });

    test("the host-key check can be turned off only by name, and says so", () => {
        const config = validate({ gpu: { ...REMOTE, sshHostKey: undefined, insecureAnyHostKey: "true" } });
        expect(config.gpu).toMatchObject({ placement: "remote", insecureAnyHostKey: true });
        expect((config.gpu as RemoteGpu).hosts[0].sshHostKey).toBeUndefined();
    });

    test("one remote GPU host (gpu.host) is a list of one, with the section's SSH and vLLM settings", () => {
        const config = validate({ gpu: REMOTE, model: { size: "qwen3-30b-a3b-fp8" } });
        expect(config.gpu).toEqual({ placement: "remote", count: 8, insecureAnyHostKey: false, startupTimeoutSeconds: 1800, hosts: [{ host: "192.168.1.50", sshUser: "ubuntu", sshPort: 22, sshHostKey: HOST_KEY, port: 8000 }] });
    });

    test("a GPU host named by a DNS name is fine: nothing is published on its LAN address any more", () => {
        expect((validate({ gpu: { ...REMOTE, host: "dgx.lan" } }).gpu as RemoteGpu).hosts[0].host).toBe("dgx.lan");
    });

    test("a stack that still sets gpu.bindAddress validates (so it keeps working) and carries the value for the warning", () => {
        const gpu = validate({ gpu: { ...REMOTE, bindAddress: "192.168.1.50" } }).gpu as RemoteGpu;
        expect(gpu.ignoredBindAddress).toBe("192.168.1.50");
        expect(ignoredBindAddressWarning(gpu)).toMatch(/gpu\.bindAddress \("192\.168\.1\.50"\) is no longer used: vLLM is published on the GPU host's loopback only.*pulumi config rm --path 'secureclaw:gpu\.bindAddress'/);
        expect(ignoredBindAddressWarning(validate({ gpu: REMOTE }).gpu as RemoteGpu)).toBeUndefined();
    });

    test("several GPU hosts: each host's unset fields take the section's, its own win", () => {
        const gpu = validate({ gpu: { placement: "remote", sshUser: "ubuntu", port: 8001, hosts: [{ host: "10.0.0.5", sshHostKey: HOST_KEY }, { host: "10.0.0.6", sshUser: "gpu", sshPort: "2222", port: 9000, sshHostKey: `${HOST_KEY} root@b` }] } }).gpu as RemoteGpu;
        expect(gpu.hosts).toEqual([
            { host: "10.0.0.5", sshUser: "ubuntu", sshPort: 22, sshHostKey: HOST_KEY, port: 8001 },
            { host: "10.0.0.6", sshUser: "gpu", sshPort: 2222, sshHostKey: HOST_KEY, port: 9000 },
        ]);
    });

    test("numbers given as strings (pulumi config set without --path types) are read", () => {
        expect(validate({ agent: { memoryMb: "2048", cpus: "1.5", pids: "256" } }).agent).toMatchObject({ memoryMb: 2048, cpus: 1.5, pids: 256 });
    });

    test("Telegram on with numeric users gets the relay's defaults, and needs nothing on the allowlist", () => {
        const config = validate({ telegram: { enabled: true, allowFrom: [123456789, "987654321"] } });
        expect(config.telegram).toEqual({ enabled: true, allowFrom: ["123456789", "987654321"], sendsPerMinute: 60, maxFileBytes: 20 * 1024 * 1024 });
        expect(config.egress.allowlist).toEqual([]);
    });

    test("a full host name under a public suffix, or one tenant's domain there, is allowed", () => {
        const config = validate({ egress: { allowlist: ["myapp.herokuapp.com", "www.example.co.uk", ".myapp.herokuapp.com"] } });
        expect(config.egress.allowlist).toEqual([".myapp.herokuapp.com", "www.example.co.uk"]);
    });

    test("booleans given as text are read, and a field set to null or blank text takes its default", () => {
        expect(validate({ telegram: { enabled: "false" } }).telegram).toEqual({ enabled: false });
        expect(validate({ telegram: { enabled: "true", allowFrom: ["1"] } }).telegram.enabled).toBe(true);
        expect(validate({ agent: { memoryMb: null, cpus: " ", pids: 256 } }).agent).toMatchObject({ memoryMb: 4096, cpus: 2, pids: 256 });
    });

    test("Telegram user IDs are de-duplicated, the relay's API root loses its trailing slash, and its limits are read", () => {
        const config = validate({ telegram: { enabled: true, allowFrom: ["42", 42, " 7 "], apiRoot: "https://tg.example.com/tg/", sendsPerMinute: "30", maxFileBytes: 1048576 } });
        expect(config.telegram).toEqual({ enabled: true, allowFrom: ["42", "7"], apiRoot: "https://tg.example.com/tg", sendsPerMinute: 30, maxFileBytes: 1048576 });
    });

    test("an SSH host key line keeps its type and key, not its comment; a CA bundle ends in a newline", () => {
        const key = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
        expect((validate({ gpu: { ...REMOTE, sshHostKey: `${key} root@dgx` } }).gpu as RemoteGpu).hosts[0]).toMatchObject({ sshHostKey: key });
        const pem = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----";
        expect(validate({ agent: { extraCaCertificates: pem } }).agent.extraCaCertificates).toBe(`${pem}\n`);
    });

    test("pinned hosts must be allowlisted names, or the relay's destination, and map to IPv4", () => {
        const config = validate({ egress: { allowlist: ["pypi.org"], pinnedHosts: { "PyPI.org": "10.89.1.51", "API.telegram.org": "10.89.1.50" } } });
        expect(config.egress.pinnedHosts).toEqual({ "pypi.org": "10.89.1.51", "api.telegram.org": "10.89.1.50" });
    });
});

/** The ConfigError `run` throws. */
function errorOf(run: () => unknown): ConfigError {
    try {
        run();
    } catch (err) {
        if (err instanceof ConfigError) return err;
        throw err;
    }
    throw new Error("expected a ConfigError");
}

type Case = [title: string, raw: RawConfig, key: string, problem: RegExp, example: RegExp];

const REJECTIONS: Case[] = [
    ["bare * in the allowlist", { egress: { allowlist: ["*"] } }, "secureclaw:egress.allowlist[0]", /allows every host/, / api\.telegram\.org$/],
    ["*.domain in the allowlist suggests .domain", { egress: { allowlist: ["api.telegram.org", "*.github.com"] } }, "secureclaw:egress.allowlist[1]", /wildcard/, /'secureclaw:egress.allowlist\[1\]' \.github\.com/],
    ["a scheme", { egress: { allowlist: ["https://api.telegram.org/bot"] } }, "secureclaw:egress.allowlist[0]", /scheme/, / api\.telegram\.org$/],
    ["a path", { egress: { allowlist: ["api.telegram.org/bot"] } }, "secureclaw:egress.allowlist[0]", /path/, / api\.telegram\.org$/],
    ["an IPv4 literal", { egress: { allowlist: ["149.154.167.220"] } }, "secureclaw:egress.allowlist[0]", /IP literal/, /api\.telegram\.org/],
    ["an IPv6 literal", { egress: { allowlist: ["2001:db8::1"] } }, "secureclaw:egress.allowlist[0]", /IP literal/, /api\.telegram\.org/],
    ["a bracketed IPv6 literal", { egress: { allowlist: ["[::1]"] } }, "secureclaw:egress.allowlist[0]", /IP literal/, /api\.telegram\.org/],
    ["a port", { egress: { allowlist: ["api.telegram.org:8443"] } }, "secureclaw:egress.allowlist[0]", /port/, / api\.telegram\.org$/],
    ["empty labels", { egress: { allowlist: ["api..telegram.org"] } }, "secureclaw:egress.allowlist[0]", /empty label/, /api\.telegram\.org/],
    ["a lone dot", { egress: { allowlist: ["."] } }, "secureclaw:egress.allowlist[0]", /allows every host/, /api\.telegram\.org/],
    ["two names in one entry", { egress: { allowlist: ["api.telegram.org pypi.org"] } }, "secureclaw:egress.allowlist[0]", /more than one name/, / api\.telegram\.org$/],
    ["a second-level public suffix (ICANN section of the PSL)", { egress: { allowlist: [".co.uk"] } }, "secureclaw:egress.allowlist[0]", /Public Suffix List says anyone can register names under co\.uk/, / myapp\.co\.uk$/],
    ["an app platform's public suffix (private section of the PSL)", { egress: { allowlist: [".herokuapp.com"] } }, "secureclaw:egress.allowlist[0]", /Public Suffix List says anyone can register names under herokuapp\.com/, / myapp\.herokuapp\.com$/],
    ["an empty entry", { egress: { allowlist: [""] } }, "secureclaw:egress.allowlist[0]", /is empty/, /api\.telegram\.org/],
    ["a TLD suffix", { egress: { allowlist: [".com"] } }, "secureclaw:egress.allowlist[0]", /top-level/, /\.example\.com/],
    ["a single-label name", { egress: { allowlist: ["localhost"] } }, "secureclaw:egress.allowlist[0]", /single-label/, /localhost\.example\.com/],
    ["an invalid label", { egress: { allowlist: ["bad_name.example.com"] } }, "secureclaw:egress.allowlist[0]", /not a valid DNS label/, /api\.telegram\.org/],
    ["an allowlist that is not a list", { egress: { allowlist: "api.telegram.org" } }, "secureclaw:egress.allowlist", /must be a list/, /^pulumi config rm --path 'secureclaw:egress\.allowlist' && .*allowlist\[0\]/],
    ["a section that is not an object", { gpu: "remote" }, "secureclaw:gpu", /must be an object, got "remote"/, /^pulumi config rm --path 'secureclaw:gpu' && pulumi config set --path 'secureclaw:gpu\.placement' local$/],
    ["an unknown model size", { model: { size: "huge" } }, "secureclaw:model.size", /unknown model size "huge" \(known: small, medium, qwen3-30b-a3b-fp8, qwen3-30b-a3b-bf16\)/, /model\.size' small/],
    ["tensor parallel not a power of two", { model: { tensorParallelSize: 3 }, gpu: { placement: "local", count: 4 } }, "secureclaw:model.tensorParallelSize", /power of two/, /tensorParallelSize' 2/],
    ["a completion cap above the context (OpenClaw and Aider refuse it)", { model: { maxModelLen: 4096 } }, "secureclaw:model.maxOutputTokens", /is 8192 but model\.maxModelLen is 4096/, /maxOutputTokens' 1024$/],
    ["tensor parallel above the GPU count", { model: { size: "qwen3-30b-a3b-bf16" }, gpu: { placement: "local", count: 1 } }, "secureclaw:model.tensorParallelSize", /is 2 but gpu.count is 1/, /gpu\.count' 2/],
    ["remote GPU without a host", { gpu: { placement: "remote", sshUser: "ubuntu" } }, "secureclaw:gpu.host", /required when gpu.placement is remote/, /gpu\.host' 192\.168\.1\.50/],
    ["remote GPU without an SSH user", { gpu: { placement: "remote", host: "10.0.0.5" } }, "secureclaw:gpu.sshUser", /required/, /gpu\.sshUser' ubuntu/],
    ["both gpu.host and gpu.hosts", { gpu: { ...REMOTE, hosts: [{ host: "10.0.0.6" }] } }, "secureclaw:gpu.hosts", /together with gpu\.host/, /gpu\.hosts\[0\]\.host' 192\.168\.1\.50/],
    ["a second GPU host without a pinned key", { gpu: { placement: "remote", sshUser: "ubuntu", hosts: [{ host: "10.0.0.5", sshHostKey: HOST_KEY }, { host: "10.0.0.6" }] } }, "secureclaw:gpu.hosts[1].sshHostKey", /is required when gpu\.placement is remote/, /'secureclaw:gpu\.hosts\[1\]\.sshHostKey' "\$\(ssh-keyscan -t ed25519 10\.0\.0\.6/],
    ["a GPU host with a malformed key", { gpu: { placement: "remote", sshUser: "ubuntu", hosts: [{ host: "10.0.0.5", sshHostKey: "nope" }] } }, "secureclaw:gpu.hosts[0].sshHostKey", /SSH public host key/, /hosts\[0\]\.sshHostKey/],
    ["a GPU host without a user, and none for the section", { gpu: { placement: "remote", hosts: [{ host: "10.0.0.5", sshHostKey: HOST_KEY }] } }, "secureclaw:gpu.hosts[0].sshUser", /is required \(or set gpu\.sshUser/, /hosts\[0\]\.sshUser' ubuntu/],
    ["a GPU host listed twice", { gpu: { placement: "remote", sshUser: "u", hosts: [{ host: "10.0.0.5", sshHostKey: HOST_KEY }, { host: "10.0.0.5", sshHostKey: HOST_KEY }] } }, "secureclaw:gpu.hosts[1].host", /listed twice/, /hosts\[1\]\.host' 192\.168/],
    ["a GPU host with an unknown field", { gpu: { placement: "remote", sshUser: "u", hosts: [{ host: "10.0.0.5", sshHostKey: HOST_KEY, bindAddress: "10.0.0.5" }] } }, "secureclaw:gpu.hosts[0].bindAddress", /not a known setting/, /config rm --path 'secureclaw:gpu\.hosts\[0\]\.bindAddress'/],
    ["too many GPU hosts", { gpu: { placement: "remote", sshUser: "u", insecureAnyHostKey: true, hosts: [1, 2, 3, 4, 5, 6, 7].map((i) => ({ host: `10.0.0.${i}` })) } }, "secureclaw:gpu.hosts", /lists 7 GPU hosts; list 1 to 6/, /hosts\[0\]\.host/],
    ["an unknown GPU placement", { gpu: { placement: "cloud" } }, "secureclaw:gpu.placement", /"local".*"remote"/, /placement' remote/],
    ["a malformed SSH host key", { gpu: { ...REMOTE, sshHostKey: "not a key" } }, "secureclaw:gpu.sshHostKey", /SSH public host key/, /ssh-keyscan/],
    ["a remote GPU host without a pinned host key", { gpu: { ...REMOTE, sshHostKey: undefined } }, "secureclaw:gpu.sshHostKey", /is required when gpu\.placement is remote[\s\S]*insecure, set gpu\.insecureAnyHostKey true/, /ssh-keyscan -t ed25519 192\.168\.1\.50/],
    ["Telegram without allowed users", { telegram: { enabled: true } }, "secureclaw:telegram.allowFrom", /nobody could talk/, /allowFrom\[0\]' 123456789/],
    ["Telegram with a @username", { telegram: { enabled: true, allowFrom: ["@alice"] } }, "secureclaw:telegram.allowFrom[0]", /numeric Telegram user ID/, /123456789/],
    ["Telegram with a user ID that has a leading zero (OpenClaw refuses it)", { telegram: { enabled: true, allowFrom: ["0123"] } }, "secureclaw:telegram.allowFrom[0]", /positive whole number without a leading zero\), got "0123"/, /allowFrom\[0\]' 123456789$/],
    ["Telegram with user ID 0", { telegram: { enabled: true, allowFrom: ["123456789", 0] } }, "secureclaw:telegram.allowFrom[1]", /numeric Telegram user ID/, /allowFrom\[1\]' 123456789$/],
    ["Telegram with a fractional user ID", { telegram: { enabled: true, allowFrom: [1.5] } }, "secureclaw:telegram.allowFrom[0]", /numeric Telegram user ID/, /123456789/],
    ["Telegram turned on with a word", { telegram: { enabled: "yes" } }, "secureclaw:telegram.enabled", /must be true or false, got "yes"/, /enabled' true$/],
    ["api.telegram.org on the agent's allowlist (only the relay reaches it)", { egress: { allowlist: ["pypi.org", "api.telegram.org"] } }, "secureclaw:egress.allowlist[1]", /only the Telegram relay may reach[\s\S]*drop box/, /'secureclaw:telegram\.enabled' true$/],
    ["a suffix that opens api.telegram.org", { telegram: TELEGRAM, egress: { allowlist: [".telegram.org"] } }, "secureclaw:egress.allowlist[0]", /opens api\.telegram\.org, which only the Telegram relay may reach/, /telegram\.enabled' true$/],
    ["the relay's own API host on the allowlist", { telegram: { ...TELEGRAM, apiRoot: "https://tg.example.com" }, egress: { allowlist: ["tg.example.com"] } }, "secureclaw:egress.allowlist", /opens tg\.example\.com, which only the Telegram relay may reach/, /telegram\.enabled' true$/],
    ["a send rate of zero", { telegram: { ...TELEGRAM, sendsPerMinute: 0 } }, "secureclaw:telegram.sendsPerMinute", /from 1 to 1800/, /sendsPerMinute' 60$/],
    ["a file cap above Telegram's", { telegram: { ...TELEGRAM, maxFileBytes: 1e9 } }, "secureclaw:telegram.maxFileBytes", /from 1024 to 52428800/, /maxFileBytes' 20971520$/],
    ["Telegram API root over plain http", { telegram: { ...TELEGRAM, apiRoot: "http://relay.example.com" } }, "secureclaw:telegram.apiRoot", /https URL/, /https:\/\/api\.telegram\.org/],
    ["Telegram API root with the bot token path", { telegram: { ...TELEGRAM, apiRoot: "https://relay.example.com/bot123:AA/" }, egress: { allowlist: ["relay.example.com"] } }, "secureclaw:telegram.apiRoot", /without \/bot<TOKEN>/, /https:\/\/api\.telegram\.org/],
    ["Telegram API root with credentials", { telegram: { ...TELEGRAM, apiRoot: "https://user:pass@relay.example.com" }, egress: { allowlist: ["relay.example.com"] } }, "secureclaw:telegram.apiRoot", /without credentials/, /apiRoot' https:/],
    ["Telegram API root with a fragment", { telegram: { ...TELEGRAM, apiRoot: "https://relay.example.com/#x" }, egress: { allowlist: ["relay.example.com"] } }, "secureclaw:telegram.apiRoot", /a fragment/, /apiRoot' https:/],
    ["Telegram API root with an environment reference", { telegram: { ...TELEGRAM, apiRoot: "https://relay.example.com/${HOME}" }, egress: { allowlist: ["relay.example.com"] } }, "secureclaw:telegram.apiRoot", /must not contain "\$\{"/, /apiRoot' https:/],
    ["Telegram API root on an IP address", { telegram: { ...TELEGRAM, apiRoot: "https://149.154.167.220" } }, "secureclaw:telegram.apiRoot", /names only/, /apiRoot' https:/],
    ["memory below the floor", { agent: { memoryMb: 64 } }, "secureclaw:agent.memoryMb", /from 512 to 262144, got 64/, /memoryMb' 4096/],
    ["CPUs of zero", { agent: { cpus: 0 } }, "secureclaw:agent.cpus", /from 0.5 to 128/, /cpus' 2/],
    ["CPUs Docker can't keep exactly (a second up would replace the agent)", { agent: { cpus: 10.05 } }, "secureclaw:agent.cpus", /it would store 10\.1/, /cpus' 2/],
    ["fractional process limit", { agent: { pids: 100.5 } }, "secureclaw:agent.pids", /whole number/, /pids' 512/],
    ["process limit too high", { agent: { pids: 10_000_000 } }, "secureclaw:agent.pids", /from 64 to 65536/, /pids' 512/],
    ["a non-PEM CA", { agent: { extraCaCertificates: "hello" } }, "secureclaw:agent.extraCaCertificates", /PEM/, /relay-ca\.pem/],
    ["an image without a tag", { images: { vllm: "vllm/vllm-openai" } }, "secureclaw:images.vllm", /no tag or digest/, /vllm\/vllm-openai:v/],
    ["an image on latest", { images: { litellm: "ghcr.io/berriai/litellm:latest" } }, "secureclaw:images.litellm", /latest/, /litellm:v1\.83/],
    ["an image on a moving tag the policy pack refuses too", { images: { litellm: "ghcr.io/berriai/litellm:main-latest" } }, "secureclaw:images.litellm", /pinned to `main-latest`, which moves/, /litellm:v1\.83/],
    ["an image on nightly", { images: { vllm: "vllm/vllm-openai:nightly" } }, "secureclaw:images.vllm", /pinned to `nightly`, which moves/, /vllm-openai:v/],
    ["an image with a registry port but no tag", { images: { vllm: "registry.lan:5000/vllm" } }, "secureclaw:images.vllm", /no tag or digest/, /vllm-openai/],
    ["a public subnet", { network: { enclaveSubnet: "8.8.8.0/24" } }, "secureclaw:network.enclaveSubnet", /private IPv4 subnet/, /10\.89\.0\.0\/24/],
    ["a subnet with host bits", { network: { enclaveSubnet: "10.89.0.1/24" } }, "secureclaw:network.enclaveSubnet", /host bits zero/, /10\.89\.0\.0\/24/],
    ["overlapping subnets, suggesting a free one", { network: { enclaveSubnet: "10.89.0.0/16" } }, "secureclaw:network.egressSubnet", /overlaps network.enclaveSubnet \(10\.89\.0\.0\/16\)/, /egressSubnet' 10\.90\.0\.0\/24$/],
    ["a token budget below one answer (every request would be refused)", { agent: { tokensPerMinute: 4000 } }, "secureclaw:agent.tokensPerMinute", /one answer may take model\.maxOutputTokens \(8192\)/, /tokensPerMinute' 81920$/],
    ["a second overlap gets a suggestion that does not collide with the first", { network: { enclaveSubnet: "10.89.0.0/16" } }, "secureclaw:network.modelSubnet", /overlaps network.enclaveSubnet/, /modelSubnet' 10\.90\.1\.0\/24$/],
    ["an unknown section field (typo)", { agent: { memoryMB: 1024 } }, "secureclaw:agent.memoryMB", /not a known setting/, /config rm/],
    ["an unknown section", { egres: {} } as RawConfig, "secureclaw:egres", /not a known setting/, /config rm/],
    ["a pinned host that is not allowlisted", { egress: { allowlist: ["pypi.org"], pinnedHosts: { "evil.example.com": "10.0.0.1" } } }, 'secureclaw:egress.pinnedHosts["evil.example.com"]', /never widens/, /'secureclaw:egress\.allowlist\[1\]' evil\.example\.com$/],
    ["a pinned host mapped to a name", { egress: { pinnedHosts: { "api.telegram.org": "relay.lan" } } }, 'secureclaw:egress.pinnedHosts["api.telegram.org"]', /IPv4 address/, /'secureclaw:egress\.pinnedHosts\["api\.telegram\.org"\]' 10\.89\.1\.50$/],
    ["a pinned suffix", { egress: { allowlist: [".example.com"], pinnedHosts: { ".example.com": "10.0.0.1" } } }, 'secureclaw:egress.pinnedHosts[".example.com"]', /full host name/, /10\.89\.1\.50/],
];

describe("validateConfig rejects, naming the key, the problem and a right value", () => {
    test.each(REJECTIONS)("%s", (_title, raw, key, problem, example) => {
        const problems = problemsOf(raw);
        const match = problems.find((p) => p.key === key);
        expect(match).toBeDefined();
        expect(match!.problem).toMatch(problem);
        expect(match!.example).toMatch(example);
    });
});

describe("the allowlist grammar is the policy pack's (policy/contract/allowlist.ts)", () => {
    test.each([".co.uk", ".herokuapp.com", ".github.io", "*.github.com", "10.0.0.1"])("%j: the validator's problem is the grammar's", (entry) => {
        const check = checkAllowlistEntry(entry);
        expect(check.ok).toBe(false);
        expect(problemsOf({ egress: { allowlist: [entry] } })).toEqual([
            { key: "secureclaw:egress.allowlist[0]", problem: `${JSON.stringify(entry)} ${check.ok ? "" : check.problem}`, example: `pulumi config set --path 'secureclaw:egress.allowlist[0]' ${check.ok ? "" : check.example}` },
        ]);
    });
});

describe("validateConfig checks secrets without reading them", () => {
    test.each<[string, RawConfig, SecretKey[], string]>([
        ["the gateway key is always required", {}, ["vllmApiKey"], "secureclaw:gatewayMasterKey"],
        ["the vLLM key is always required", {}, ["gatewayMasterKey"], "secureclaw:vllmApiKey"],
        ["the bot token when Telegram is on", { telegram: TELEGRAM }, ["gatewayMasterKey", "vllmApiKey"], "secureclaw:telegramBotToken"],
        ["the SSH key when the GPU host is remote", { gpu: REMOTE }, ["gatewayMasterKey", "vllmApiKey"], "secureclaw:sshPrivateKey"],
    ])("%s", (_title, raw, present, key) => {
        const problem = problemsOf(raw, presence(present)).find((p) => p.key === key);
        expect(problem?.problem).toMatch(/required/);
        expect(problem?.example).toMatch(/pulumi config set --secret/);
    });

    test("a secret stored in plain text is refused", () => {
        const problem = problemsOf({}, presence(ALL_SECRETS, ["gatewayMasterKey"])).find((p) => p.key === "secureclaw:gatewayMasterKey");
        expect(problem?.problem).toMatch(/plain text/);
        expect(problem?.example).toBe("pulumi config set --secret secureclaw:gatewayMasterKey <value>");
    });

    test("Telegram off and a local GPU need neither the bot token nor the SSH key", () => {
        expect(() => validate({}, presence(["gatewayMasterKey", "vllmApiKey"]))).not.toThrow();
    });
});

describe("ConfigError", () => {
    test("is a pulumi.RunError (the CLI prints its message without a stack trace) whose message is exactly the list", () => {
        const error = errorOf(() => validate({ telegram: { enabled: true, allowFrom: ["0123"] } }));
        expect(RunError.isInstance(error)).toBe(true);
        expect(error.name).toBe("ConfigError");
        expect(error.message).toBe(
            [
                "SecureClaw configuration has 1 problem; nothing was created or changed:",
                "  - secureclaw:telegram.allowFrom[0]: must be a numeric Telegram user ID (a positive whole number without a leading zero), got \"0123\"",
                "      example: pulumi config set --path 'secureclaw:telegram.allowFrom[0]' 123456789",
            ].join("\n"),
        );
    });

    test("the README's example is what the validator prints for that config", () => {
        const readme = fs.readFileSync(path.join(__dirname, "..", "..", "README.md"), "utf8");
        const example = /```\n(SecureClaw configuration has[\s\S]*?)\n```/.exec(readme)?.[1];
        const error = errorOf(() => validate({ gpu: REMOTE, egress: { allowlist: ["api.telegram.org", "*.github.com"] } }, presence(["gatewayMasterKey", "vllmApiKey"])));
        expect(error.message).toBe(example);
    });

    test("problems in one section don't hide the checks across sections", () => {
        const keys = problemsOf({ agent: { pids: 1 }, telegram: { ...TELEGRAM, apiRoot: "https://tg.example.com" }, egress: { allowlist: ["tg.example.com"] }, model: { size: "qwen3-30b-a3b-bf16" } }).map((p) => p.key);
        expect(keys).toEqual(["secureclaw:agent.pids", "secureclaw:model.tensorParallelSize", "secureclaw:egress.allowlist"]);
    });

    test("an unknown top-level key names every known one, secrets included", () => {
        const problem = problemsOf({ modle: { size: "small" } } as RawConfig)[0];
        expect(problem).toEqual({
            key: "secureclaw:modle",
            problem: "is not a known setting (known: model, gpu, egress, telegram, agent, gateway, images, network, agents, telegramBotToken, gatewayMasterKey, vllmApiKey, sshPrivateKey, sshLinkKey, hfToken)",
            example: "pulumi config rm --path 'secureclaw:modle'",
        });
    });

    test("lists every problem at once and says nothing was touched", () => {
        const error = errorOf(() => validate({ model: { size: "huge" }, agent: { pids: 1 }, egress: { allowlist: ["*"] } }));
        expect(error.problems).toHaveLength(3);
        expect(error.message).toMatch(/^SecureClaw configuration has 3 problems; nothing was created or changed:/);
        expect(error.message).toContain("secureclaw:model.size");
        expect(error.message).toContain("secureclaw:agent.pids");
        expect(error.message).toContain("secureclaw:egress.allowlist[0]");
    });

    test("an invalid stack name is refused (it names Docker objects)", () => {
        expect(problemsOf({}, presence(), "Dev_Stack")[0].key).toBe("secureclaw:(stack name)");
    });
});
