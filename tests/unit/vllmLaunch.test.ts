import { execFileSync } from "child_process";
import { linkAuthorizedKey, linkKeyMarker, renderAuthorizeLinkScript, renderLaunchScript, renderRevokeLinkScript, renderStopScript, vllmArgs } from "../../components/vllm/launch";
import { insecureHostKeyWarning } from "../../components/vllm/remoteVllm";
import { MODEL_PRESETS } from "../../config/presets";

const model = MODEL_PRESETS["qwen3-30b-a3b-fp8"];
const input = {
    containerName: "secureclaw-dgx-vllm",
    cacheVolume: "secureclaw-dgx-hf-cache",
    image: "vllm/vllm-openai:v0.11.0",
    port: 8000,
    gpuCount: 1,
    startupTimeoutSeconds: 1800,
    model,
};
const script = renderLaunchScript(input);

describe("vllmArgs", () => {
    test("carries every preset field as its vLLM flag", () => {
        const args = vllmArgs(model);
        const flag = (name: string) => args[args.indexOf(name) + 1];
        expect(flag("--model")).toBe("Qwen/Qwen3-30B-A3B-Instruct-2507-FP8");
        expect(flag("--served-model-name")).toBe("qwen3-30b-a3b");
        expect(flag("--max-model-len")).toBe("65536");
        expect(flag("--tensor-parallel-size")).toBe("1");
        expect(flag("--gpu-memory-utilization")).toBe("0.9");
        expect(flag("--tool-call-parser")).toBe("hermes");
        expect(args).toContain("--enable-auto-tool-choice");
    });

    test("never carries a key (the key comes from VLLM_API_KEY in the environment)", () => {
        expect(vllmArgs(model).join(" ")).not.toMatch(/--api-key|--hf-token|token/i);
    });
});

describe("renderLaunchScript", () => {
    test("is valid POSIX sh", () => {
        expect(() => execFileSync("sh", ["-n"], { input: script })).not.toThrow();
    });

    test.each<[string, RegExp]>([
        ["reads the vLLM key from standard input", /^IFS= read -r VLLM_API_KEY/m],
        ["reads the HF token from standard input", /^IFS= read -r HF_TOKEN/m],
        ["passes the key to docker by name only", / -e VLLM_API_KEY \\$/m],
        ["passes the HF token by name only", / -e HF_TOKEN \\$/m],
        ["publishes on the GPU host's loopback only", / -p 127\.0\.0\.1:8000:8000 \\$/m],
        ["removes a previous container first (idempotent relaunch)", /^docker rm -f secureclaw-dgx-vllm/m],
        ["hands the preset's GPU count to docker", / --gpus 1 \\$/m],
        ["caps vLLM's processes like every SecureClaw container", / --pids-limit 4096 \\$/m],
        ["keeps weights in a named cache volume", / -v secureclaw-dgx-hf-cache:\/root\/.cache\/huggingface \\$/m],
        ["turns off vLLM usage stats", / -e VLLM_NO_USAGE_STATS=1 \\$/m],
        ["waits on /health on the loopback", /curl -fsS -o \/dev\/null --max-time 5 http:\/\/127\.0\.0\.1:8000\/health/],
        ["bounds the wait by the configured timeout", /deadline=\$\(\( \$\(date \+%s\) \+ 1800 \)\)/],
        ["prints the last log lines when vLLM dies", /docker logs --tail 50 secureclaw-dgx-vllm/],
        ["says how to fix a timeout", /raise secureclaw:gpu\.startupTimeoutSeconds/],
        ["uses the pinned image", / vllm\/vllm-openai:v0\.11\.0 \\$/m],
    ])("%s", (_title, pattern) => {
        expect(script).toMatch(pattern);
    });

    test("publishes nothing on every interface or on a LAN address", () => {
        expect(script).not.toMatch(/-p 0\.0\.0\.0|-p \d+:\d+\b(?!:)/);
        expect(script).not.toContain("192.168.1.50");
    });

    test("runs against a fake docker: launch, health wait, failure with logs", () => {
        const fs = require("fs") as typeof import("fs");
        const os = require("os") as typeof import("os");
        const path = require("path") as typeof import("path");
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "launch-"));
        // A fake docker and curl that log their argv; curl fails until the 2nd try, or forever.
        fs.writeFileSync(path.join(dir, "docker"), `#!/bin/sh\necho "docker $*" >> "${dir}/calls"\nif [ "$1" = run ]; then echo "key=$VLLM_API_KEY" >> "${dir}/env"; fi\nif [ "$1" = inspect ]; then echo "$FAKE_RUNNING"; fi\nif [ "$1" = logs ]; then echo "fake vllm log line"; fi\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "curl"), `#!/bin/sh\nn=$(cat "${dir}/n" 2>/dev/null || echo 0); n=$((n+1)); echo $n > "${dir}/n"\n[ "$FAKE_HEALTHY_AFTER" -gt 0 ] && [ $n -ge "$FAKE_HEALTHY_AFTER" ]\n`, { mode: 0o755 });
        fs.writeFileSync(path.join(dir, "sleep"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
        const fast = script.replace(/^  sleep 5$/m, "  sleep 0");
        const run = (env: Record<string, string>) => {
            fs.rmSync(path.join(dir, "n"), { force: true });
            try {
                const out = execFileSync("sh", ["-c", fast], { input: "the-key\nhf-token\n", env: { ...process.env, PATH: `${dir}:${process.env.PATH}`, ...env }, stdio: ["pipe", "pipe", "pipe"] });
                return { code: 0, out: out.toString(), err: "" };
            } catch (err: any) {
                return { code: err.status as number, out: String(err.stdout), err: String(err.stderr) };
            }
        };
        const ok = run({ FAKE_HEALTHY_AFTER: "2", FAKE_RUNNING: "true" });
        expect(ok.code).toBe(0);
        expect(ok.out).toContain("vLLM is serving qwen3-30b-a3b");
        const calls = fs.readFileSync(path.join(dir, "calls"), "utf8");
        expect(calls).toMatch(/^docker rm -f secureclaw-dgx-vllm/m);
        expect(calls).toMatch(/^docker run -d --name secureclaw-dgx-vllm/m);
        expect(calls).not.toContain("the-key");
        expect(fs.readFileSync(path.join(dir, "env"), "utf8")).toContain("key=the-key");

        const died = run({ FAKE_HEALTHY_AFTER: "0", FAKE_RUNNING: "false" });
        expect(died.code).toBe(1);
        expect(died.err).toContain("vLLM exited during start-up");
        expect(died.err).toContain("fake vllm log line");
    });
});

describe("renderStopScript", () => {
    test("removes the container and never fails when it is already gone", () => {
        expect(renderStopScript("secureclaw-dgx-vllm")).toBe("docker rm -f secureclaw-dgx-vllm >/dev/null 2>&1 || true\n");
    });
});

describe("the host-key opt-out", () => {
    const host = { host: "192.168.1.50", sshUser: "ubuntu", sshPort: 22, port: 8000 };

    test("a host without a pinned key is told, in capitals, that it is insecure and how to pin", () => {
        expect(insecureHostKeyWarning(host)).toMatch(/^INSECURE: .*trust whatever host key 192\.168\.1\.50 shows.*ssh-keyscan -t ed25519 192\.168\.1\.50/);
    });

    test("a pinned key gets no warning", () => {
        expect(insecureHostKeyWarning({ ...host, sshHostKey: "ssh-ed25519 AAAA" })).toBeUndefined();
    });
});

describe("the model link's authorized_keys line", () => {
    const marker = linkKeyMarker("secureclaw-dgx");
    const line = linkAuthorizedKey("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlink", 8000, marker);

    test("allows the one forward to vLLM's loopback port, no pty, no shell, no other forward", () => {
        expect(line).toBe('restrict,port-forwarding,permitopen="127.0.0.1:8000",command="/bin/false" ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIlink secureclaw-link:secureclaw-dgx');
    });

    test("is installed once however often the launch runs, replaces an older link line, keeps every other line, and is removed on delete", () => {
        const fs = require("fs") as typeof import("fs");
        const os = require("os") as typeof import("os");
        const path = require("path") as typeof import("path");
        const home = fs.mkdtempSync(path.join(os.tmpdir(), "authkeys-"));
        const keys = path.join(home, ".ssh", "authorized_keys");
        fs.mkdirSync(path.dirname(keys), { mode: 0o700 });
        const login = "ssh-ed25519 AAAAlogin me@laptop";
        const otherStack = linkAuthorizedKey("ssh-ed25519 AAAAother", 9000, linkKeyMarker("secureclaw-dev"));
        fs.writeFileSync(keys, `${login}\n${otherStack}\n${linkAuthorizedKey("ssh-ed25519 AAAAold", 8000, marker)}\n`);
        const sh = (script: string) => execFileSync("sh", ["-c", script], { env: { ...process.env, HOME: home } });
        const authorize = renderAuthorizeLinkScript(line, marker);
        sh(authorize);
        sh(authorize);
        expect(fs.readFileSync(keys, "utf8")).toBe(`${login}\n${otherStack}\n${line}\n`);
        expect(fs.statSync(keys).mode & 0o777).toBe(0o600);
        sh(renderRevokeLinkScript(marker));
        expect(fs.readFileSync(keys, "utf8")).toBe(`${login}\n${otherStack}\n`);
    });
});
