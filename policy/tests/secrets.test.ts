import { noSecretsInCommands } from "../policies";
import { secretProblems } from "../policies/secrets";
import { compliantStack, LAUNCH_SCRIPT, mutated, pick } from "./fixtures";
import { violationsOf } from "./harness";

const HF = "hf_" + "A1b2C3d4E5f6G7h8I9j0K1l2";
const SK = "sk-" + "abcdef0123456789ABCD";
const TG = "123456789:" + "AAHfiqksKZ8WmR2zSjiQ7_v4TMAKdiHm9T0";

describe("no-secrets-in-commands", () => {
    test("the compliant launch script, delete script, local command and containers pass", async () => {
        for (const r of compliantStack()) {
            expect(await violationsOf(noSecretsInCommands, r)).toEqual([]);
        }
    });

    test("the stdin field is where secrets belong", async () => {
        const r = mutated("vllm-launch", (i) => (i.stdin = `${SK}\n${HF}\n`));
        expect(await violationsOf(noSecretsInCommands, r)).toEqual([]);
    });

    test.each<[string, string, (i: Record<string, any>) => void, string]>([
        ["--api-key in the launch", "vllm-launch", (i) => (i.create = LAUNCH_SCRIPT.replace("--port 8000", '--port 8000 --api-key "$VLLM_API_KEY"')), "remote command's create passes --api-key, which puts the credential on the process command line (ps, docker inspect): remove it and hand the server VLLM_API_KEY through the environment, read from stdin"],
        ["--hf-token in the update", "vllm-launch", (i) => (i.update = "vllm serve x --hf-token=abc"), "remote command's update passes --hf-token, which puts the credential on the process command line (ps, docker inspect): remove it and hand the server HF_TOKEN through the environment, read from stdin"],
        ["HF_TOKEN= literal", "vllm-launch", (i) => (i.create = `HF_TOKEN=abc123 ${LAUNCH_SCRIPT}`), "remote command's create sets HF_TOKEN=… with a literal value (redacted): read it from stdin instead (IFS= read -r HF_TOKEN) and pass it on by name only (docker run -e HF_TOKEN)"],
        ["-e VLLM_API_KEY=literal", "vllm-launch", (i) => (i.create = LAUNCH_SCRIPT.replace("-e VLLM_API_KEY ", "-e VLLM_API_KEY=s3cret ")), "remote command's create sets VLLM_API_KEY=… with a literal value (redacted)"],
        ["quoted HUGGING_FACE_HUB_TOKEN", "vllm-launch", (i) => (i.create = "export HUGGING_FACE_HUB_TOKEN='abc'"), "sets HUGGING_FACE_HUB_TOKEN=… with a literal value"],
        ["an hf_ token in the delete", "vllm-launch", (i) => (i.delete = `curl -H "Authorization: Bearer ${HF}" https://huggingface.co`), "remote command's delete contains what looks like a Hugging Face token (hf_…), redacted here: pass credentials through stdin, never in the command"],
        ["an sk- key in a local command", "pids-limit", (i) => (i.create = `curl -H 'Authorization: Bearer ${SK}' http://gateway:4000`), "local command's create contains what looks like an API key (sk-…), redacted here"],
        ["a Telegram token", "pids-limit", (i) => (i.create = `curl https://api.telegram.org/bot${TG}/getMe`), "local command's create contains what looks like a Telegram bot token (<id>:<secret>), redacted here"],
        ["a private key", "pids-limit", (i) => (i.create = "cat > k <<EOF\n-----BEGIN OPENSSH PRIVATE KEY-----\nabc\nEOF"), "local command's create contains what looks like a private key"],
        ["a secret in the interpreter", "pids-limit", (i) => (i.interpreter = ["/bin/sh", "-c", `export OPENAI_API_KEY=${SK}; exec "$0"`]), "local command's interpreter[2] sets OPENAI_API_KEY=… with a literal value"],
        ["--api-key in the vLLM container", "vllm", (i) => (i.command = [...i.command, "--api-key", "abc"]), "vllm container's command passes --api-key"],
        ["--api-key= in the vLLM container", "vllm", (i) => (i.command = [...i.command, "--api-key=abc"]), "vllm container's command passes --api-key"],
        ["a key in the gateway's entrypoint", "model-gateway", (i) => (i.entrypoints = ["sh", "-c", `LITELLM_MASTER_KEY=${SK} litellm`]), "model-gateway container's entrypoints sets LITELLM_MASTER_KEY=… with a literal value"],
        ["a key in the gateway's healthcheck", "model-gateway", (i) => (i.healthcheck = { tests: ["CMD", "curl", "-H", `Authorization: Bearer ${SK}`, "http://127.0.0.1:4000/health"] }), "model-gateway container's healthcheck.tests contains what looks like an API key"],
    ])("%s is refused", async (_l, name, mutate, expected) => {
        const violations = await violationsOf(noSecretsInCommands, mutated(name, mutate));
        expect(violations).toEqual(expect.arrayContaining([expect.stringContaining(expected)]));
    });

    test("messages never repeat the secret", async () => {
        const r = mutated("vllm-launch", (i) => (i.create = `HF_TOKEN=${HF} OPENAI_API_KEY=${SK} curl https://api.telegram.org/bot${TG}/getMe`));
        const violations = await violationsOf(noSecretsInCommands, r);
        expect(violations.length).toBeGreaterThanOrEqual(4);
        for (const v of violations) {
            for (const secret of [HF, SK, TG, "A1b2C3d4", "abcdef0123", "AAHfiqks"]) expect(v).not.toContain(secret);
        }
    });

    test.each([
        ["reading from stdin", "IFS= read -r VLLM_API_KEY || true"],
        ["passing by name", "docker run -e VLLM_API_KEY -e HF_TOKEN img"],
        ["assigning from a substitution", 'VLLM_API_KEY="$(cat)"; HF_TOKEN=$(head -n1)'],
        ["assigning from another variable", "HF_TOKEN=$SECRET_FROM_STDIN"],
        ["clearing", "HF_TOKEN= vllm serve"],
        ["clearing with quotes", 'HF_TOKEN="" vllm serve'],
        ["testing", '[ -n "$VLLM_API_KEY" ]'],
        ["an image digest", `docker pull vllm/vllm-openai@sha256:${"ab".repeat(32)}`],
        ["a flag that merely starts alike", "vllm serve --api-key-file /run/secrets/k"],
    ])("%s passes", (_l, text) => {
        expect(secretProblems(text)).toEqual([]);
    });

    test("the fixture's own launch script is clean", () => {
        expect(secretProblems(pick(compliantStack(), "vllm-launch").inputs.create)).toEqual([]);
    });
});
