import { resourcePolicy } from "./define";
import { describeContainer, isUnknown, knownStrings, T } from "./util";

/** Environment variable names whose value is a credential. */
export const SECRET_ENV_NAMES = [
    "HF_TOKEN",
    "HUGGING_FACE_HUB_TOKEN",
    "HUGGINGFACE_HUB_TOKEN",
    "HF_API_TOKEN",
    "VLLM_API_KEY",
    "OPENAI_API_KEY",
    "LITELLM_MASTER_KEY",
    "TELEGRAM_BOT_TOKEN",
];

/** Command-line flags that take a credential as their value. */
const SECRET_FLAGS: Array<{ flag: string; env: string }> = [
    { flag: "--api-key", env: "VLLM_API_KEY" },
    { flag: "--hf-token", env: "HF_TOKEN" },
];

/** Strings shaped like credentials; reported by kind, never echoed. */
const TOKEN_SHAPES: Array<{ re: RegExp; kind: string }> = [
    { re: /hf_[A-Za-z0-9]{20,}/, kind: "a Hugging Face token (hf_…)" },
    { re: /sk-[A-Za-z0-9]{16,}/, kind: "an API key (sk-…)" },
    { re: /(?<![0-9])\d{6,12}:[A-Za-z0-9_-]{30,}/, kind: "a Telegram bot token (<id>:<secret>)" },
    { re: /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/, kind: "a private key (-----BEGIN … PRIVATE KEY-----)" },
];

function escapeRe(s: string): string {
    return s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/**
 * Problems in one command string. `NAME=value` with a literal value is a
 * secret on a command line; `NAME=$(…)`, `NAME="$VAR"` or `-e NAME` (name only)
 * are not, since the value then comes from the environment or stdin.
 */
export function secretProblems(text: string): string[] {
    const problems: string[] = [];
    for (const { flag, env } of SECRET_FLAGS) {
        if (new RegExp(`(^|[\\s'"=])${escapeRe(flag)}($|[\\s'"=])`).test(text)) {
            problems.push(`passes ${flag}, which puts the credential on the process command line (ps, docker inspect): remove it and hand the server ${env} through the environment, read from stdin`);
        }
    }
    for (const name of SECRET_ENV_NAMES) {
        const re = new RegExp(`(?<![A-Za-z0-9_])${name}=(?!$|\\s|["']?\\$|["']["'\\s])`, "m");
        if (re.test(text)) {
            problems.push(`sets ${name}=… with a literal value (redacted): read it from stdin instead (IFS= read -r ${name}) and pass it on by name only (docker run -e ${name})`);
        }
    }
    for (const { re, kind } of TOKEN_SHAPES) {
        if (re.test(text)) problems.push(`contains what looks like ${kind}, redacted here: pass credentials through stdin, never in the command`);
    }
    return problems;
}

/** Fields of each type that end up on a command line or in Pulumi state in the clear. */
function commandFields(type: string, props: Record<string, any>): Array<{ field: string; text: string }> {
    const fields: Array<{ field: string; text: string }> = [];
    const add = (field: string, value: unknown) => {
        if (typeof value === "string" && !isUnknown(value)) fields.push({ field, text: value });
    };
    if (type === T.remoteCommand || type === T.localCommand) {
        add("create", props.create);
        add("update", props.update);
        add("delete", props.delete);
        if (type === T.localCommand) knownStrings(props.interpreter).forEach((s, i) => add(`interpreter[${i}]`, s));
    } else if (type === T.container) {
        const command = knownStrings(props.command);
        const entrypoint = knownStrings(props.entrypoints);
        if (command.length > 0) add("command", command.join(" "));
        if (entrypoint.length > 0) add("entrypoints", entrypoint.join(" "));
        const tests = knownStrings(props.healthcheck?.tests);
        if (!isUnknown(props.healthcheck) && tests.length > 0) add("healthcheck.tests", tests.join(" "));
    }
    return fields;
}

export function checkNoSecretsInCommands(type: string, props: Record<string, any>, role?: string | null): string[] {
    const what = type === T.remoteCommand ? "remote command" : type === T.localCommand ? "local command" : describeContainer(role);
    const out: string[] = [];
    for (const { field, text } of commandFields(type, props)) {
        for (const problem of secretProblems(text)) out.push(`${what}'s ${field} ${problem}`);
    }
    return out;
}

export const noSecretsInCommands = resourcePolicy({
    name: "no-secrets-in-commands",
    description:
        "No credential in a command line: remote/local Command create/update/delete scripts and container command/entrypoint/healthcheck carry no --api-key, --hf-token, literal HF_TOKEN=/VLLM_API_KEY=… assignments or token-shaped strings; secrets arrive on stdin.",
    enforcementLevel: "mandatory",
    types: [T.remoteCommand, T.localCommand, T.container],
    check: (props, ctx) => checkNoSecretsInCommands(ctx.type, props, ctx.role),
});
