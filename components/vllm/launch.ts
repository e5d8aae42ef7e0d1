/**
 * vLLM's command line and the scripts that launch and stop it on a remote GPU
 * host. Pure.
 *
 * Secrets never appear here. The launch script reads the vLLM API key and the
 * Hugging Face token from its standard input and hands them to `docker run` as
 * `-e NAME` (name only, value from the environment), so neither shows up in
 * the script, in Pulumi state, in `ps` on the GPU host, or in
 * `docker inspect`'s command line.
 */
import { ModelPreset } from "../../config/presets";
import { LINK, VLLM } from "../../policy/contract/contract";
import { shellQuote } from "../shared/shellQuote";

/** Most processes (threads included) vLLM's container may run. */
export const VLLM_PIDS_LIMIT = 4096;

/** The preset fields vLLM runs with (a model change relaunches it; nothing else does). */
export type VllmModelArgs = Pick<ModelPreset, "huggingFaceId" | "servedName" | "maxModelLen" | "tensorParallelSize" | "gpuMemoryUtilization" | "toolCallParser">;

/** Only the fields vLLM runs with, so nothing else (e.g. the agent's output cap) can relaunch it. */
export function vllmModelArgs(model: VllmModelArgs): VllmModelArgs {
    const { huggingFaceId, servedName, maxModelLen, tensorParallelSize, gpuMemoryUtilization, toolCallParser } = model;
    return { huggingFaceId, servedName, maxModelLen, tensorParallelSize, gpuMemoryUtilization, toolCallParser };
}

/** Arguments after the image name; the same for the local container and the remote launch. */
export function vllmArgs(model: VllmModelArgs): string[] {
    return [
        "--model", model.huggingFaceId,
        "--served-model-name", model.servedName,
        "--max-model-len", String(model.maxModelLen),
        "--tensor-parallel-size", String(model.tensorParallelSize),
        "--gpu-memory-utilization", String(model.gpuMemoryUtilization),
        "--enable-auto-tool-choice",
        "--tool-call-parser", model.toolCallParser,
        "--host", "0.0.0.0",
        "--port", String(VLLM.containerPort),
    ];
}

export interface LaunchScriptInput {
    /** Docker container name on the GPU host. */
    containerName: string;
    /** Named volume on the GPU host that keeps downloaded weights between launches. */
    cacheVolume: string;
    /** vLLM image, pinned. */
    image: string;
    /** Port published on the GPU host's loopback (the model link forwards to it; nothing on the LAN reaches it). */
    port: number;
    /** GPUs to hand to the container. */
    gpuCount: number;
    /** Seconds to wait for /health. */
    startupTimeoutSeconds: number;
    model: VllmModelArgs;
}

/**
 * The create script for remote.Command. Standard input carries two lines:
 * the vLLM API key, then the Hugging Face token (may be empty).
 */
export function renderLaunchScript(input: LaunchScriptInput): string {
    const q = shellQuote;
    const name = q(input.containerName);
    const published = `${LINK.vllmHost}:${input.port}:${VLLM.containerPort}`;
    const health = `http://${LINK.vllmHost}:${input.port}/health`;
    const run = [
        "docker run -d",
        `--name ${name}`,
        "--restart unless-stopped",
        `--gpus ${input.gpuCount}`,
        "--ipc host",
        // The same fork-bomb ceiling as every SecureClaw container (vLLM runs a few hundred threads).
        `--pids-limit ${VLLM_PIDS_LIMIT}`,
        "-e VLLM_API_KEY",
        "-e HF_TOKEN",
        "-e VLLM_NO_USAGE_STATS=1",
        "-e DO_NOT_TRACK=1",
        `-v ${q(input.cacheVolume)}:/root/.cache/huggingface`,
        `-p ${published}`,
        q(input.image),
        ...vllmArgs(input.model).map(q),
    ].join(" \\\n  ");
    return `set -eu
# SecureClaw: launch vLLM (${input.model.huggingFaceId} as ${input.model.servedName}).
command -v docker >/dev/null || { echo "SecureClaw: docker is not installed on the GPU host" >&2; exit 1; }
command -v curl >/dev/null || { echo "SecureClaw: curl is not installed on the GPU host (needed for the health check)" >&2; exit 1; }
IFS= read -r VLLM_API_KEY || true
IFS= read -r HF_TOKEN || true
[ -n "$VLLM_API_KEY" ] || { echo "SecureClaw: no vLLM API key on standard input" >&2; exit 1; }
export VLLM_API_KEY HF_TOKEN
docker rm -f ${name} >/dev/null 2>&1 || true
${run} >/dev/null
unset VLLM_API_KEY HF_TOKEN
deadline=$(( $(date +%s) + ${input.startupTimeoutSeconds} ))
until curl -fsS -o /dev/null --max-time 5 ${health}; do
  if [ "$(docker inspect -f '{{.State.Running}}' ${name} 2>/dev/null)" != "true" ]; then
    echo "SecureClaw: vLLM exited during start-up; its last log lines:" >&2
    docker logs --tail 50 ${name} >&2 2>&1 || true
    exit 1
  fi
  if [ "$(date +%s)" -ge "$deadline" ]; then
    echo "SecureClaw: vLLM did not answer ${health} within ${input.startupTimeoutSeconds}s; raise secureclaw:gpu.startupTimeoutSeconds if the model is still loading. Last log lines:" >&2
    docker logs --tail 50 ${name} >&2 2>&1 || true
    exit 1
  fi
  sleep 5
done
echo "SecureClaw: vLLM is serving ${input.model.servedName} on ${LINK.vllmHost}:${input.port}"
`;
}

/** The delete script: stop and remove the container (weights stay in the cache volume). */
export function renderStopScript(containerName: string): string {
    return `docker rm -f ${shellQuote(containerName)} >/dev/null 2>&1 || true\n`;
}

/**
 * The GPU host's authorized_keys line for the model link: this key may open
 * one forward, to vLLM on the host's loopback, and nothing else (`restrict`
 * turns off pty, agent, X11 and every forward; `port-forwarding` and
 * `permitopen` give back that one; a forced /bin/false answers any command).
 * `marker` ends the line so the launch finds its own line again.
 */
export function linkAuthorizedKey(publicKey: string, port: number, marker: string): string {
    return `restrict,port-forwarding,permitopen="${LINK.vllmHost}:${port}",command="/bin/false" ${publicKey} ${marker}`;
}

/** The comment that marks a stack's link line in authorized_keys (stack names are [a-z0-9-]). */
export function linkKeyMarker(namePrefix: string): string {
    return `secureclaw-link:${namePrefix}`;
}

/** Keeps every authorized_keys line but this stack's link line, into $tmp (sh; $keys names the file). */
function withoutLinkLine(marker: string): string {
    return `grep -v -e ${shellQuote(` ${marker}$`)} "$keys" > "$tmp" || true`;
}

/**
 * Installs the link's line in the login user's authorized_keys, replacing the
 * stack's earlier link line, so a second run adds no duplicate. Written to a
 * temporary file and renamed, so sshd never reads half a file.
 */
export function renderAuthorizeLinkScript(line: string, marker: string): string {
    return `set -eu
# SecureClaw: authorize the model link (forward to vLLM's loopback port only).
umask 077
mkdir -p "$HOME/.ssh"
keys="$HOME/.ssh/authorized_keys"; tmp="$keys.secureclaw.$$"
touch "$keys"
${withoutLinkLine(marker)}
printf '%s\n' ${shellQuote(line)} >> "$tmp"
chmod 600 "$tmp"
mv -f "$tmp" "$keys"
echo "SecureClaw: model link key authorized (${marker})"
`;
}

/** Removes the stack's link line (the delete of the authorization). */
export function renderRevokeLinkScript(marker: string): string {
    return `set -eu
umask 077
keys="$HOME/.ssh/authorized_keys"; tmp="$keys.secureclaw.$$"
[ -f "$keys" ] || exit 0
${withoutLinkLine(marker)}
chmod 600 "$tmp"
mv -f "$tmp" "$keys"
`;
}
