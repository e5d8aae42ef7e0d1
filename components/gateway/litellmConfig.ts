/**
 * Renders the model gateway's (LiteLLM proxy) config.yaml and its command
 * line. Pure.
 *
 * The gateway is the agent's only way to a model, so the file is written to
 * leave it no other: the stack's vLLM deployments only, no wildcard routes,
 * no fallbacks to hosted providers, and no way for a request to bring its own
 * credentials or upstream URL. Keys are named as `os.environ/…` references;
 * their values live only in the container's environment.
 *
 * Every call costs LiteLLM about 7 ms of CPU and every streamed chunk about
 * 0.4 ms (its container's cpuacct, e2e machine), in its own Python (auth,
 * router, logging objects, pydantic per chunk) that no setting turns off; the
 * settings marked "speed" remove work it would do per request for nothing
 * (measured with py-spy, see tests/e2e/benchmark.ts for the figures).
 */
import { stringify } from "yaml";
import { GATEWAY } from "../../policy/contract/contract";

export const MASTER_KEY_ENV = "LITELLM_MASTER_KEY";
export const VLLM_KEY_ENV = "VLLM_API_KEY";
export const CONFIG_FILE = "config.yaml";

/**
 * Uvicorn worker processes. Speed: one worker is one Python thread of work
 * and LiteLLM's container has 2 CPUs; a second worker halved the p50 of 8
 * concurrent calls (about 80 ms to 45 ms on the e2e machine) and costs ~300 MiB.
 */
export const LITELLM_WORKERS = 2;
/**
 * Seconds uvicorn keeps an idle connection open. The door reuses its
 * connections and drops idle ones after 30 s (IDLE_SOCKET_MS in images/door/src/upstream.ts);
 * the server must hold them longer, or a request sent as uvicorn closes (its
 * default is 5 s) fails.
 */
export const LITELLM_KEEPALIVE_SECONDS = 75;

export interface LiteLLMConfigInput {
    /** vLLM's OpenAI base URLs, ending in /v1: one deployment each, balanced under one model name. */
    vllmBaseUrls: string[];
    /** Name vLLM serves the model under. */
    servedName: string;
    /** Seconds one model call may take. */
    requestTimeoutSeconds: number;
    /** Longest completion a caller may ask for. */
    maxOutputTokens: number;
}

/**
 * Balancing over several GPU hosts: a random pick per call, and a host whose
 * call failed sits out a short cooldown, so a dead host (its link refuses at
 * once) costs one fast retry and then nothing until it may be back.
 */
const ROUTER_SETTINGS = {
    routing_strategy: "simple-shuffle",
    allowed_fails: 0,
    cooldown_time: 15,
    retry_after: 0,
};

export function renderLiteLLMConfig(input: LiteLLMConfigInput): string {
    const several = input.vllmBaseUrls.length > 1;
    const config = {
        model_list: input.vllmBaseUrls.map((apiBase) => (
            {
                model_name: GATEWAY.modelAlias,
                litellm_params: {
                    model: `hosted_vllm/${input.servedName}`,
                    api_base: apiBase,
                    api_key: `os.environ/${VLLM_KEY_ENV}`,
                    timeout: input.requestTimeoutSeconds,
                    max_tokens: input.maxOutputTokens,
                },
                // Tokens are free on local hardware; a zero price keeps
                // budgets meaningful if one is ever set. Speed: here, not in
                // litellm_params, where LiteLLM re-registers the model and
                // rebuilds its whole price map on every call.
                model_info: {
                    input_cost_per_token: 0,
                    output_cost_per_token: 0,
                },
            }
        )),
        litellm_settings: {
            // Prompts and completions stay out of the gateway's logs.
            turn_off_message_logging: true,
            request_timeout: input.requestTimeoutSeconds,
            // No fallbacks to anything else; with several GPU hosts a failed
            // call is retried once per other host of the same model, never elsewhere.
            num_retries: several ? input.vllmBaseUrls.length - 1 : 0,
            drop_params: true,
            telemetry: false,
        },
        ...(several ? { router_settings: ROUTER_SETTINGS } : {}),
        general_settings: {
            master_key: `os.environ/${MASTER_KEY_ENV}`,
            // Without a database there are no virtual keys, no UI and no stored models.
            disable_spend_logs: true,
            // Never take credentials or an upstream URL from the request.
            allow_client_side_credentials: false,
            // No concurrency cap here: LiteLLM 1.83's max_parallel_requests and
            // global_max_parallel_requests cap nothing (its default limiter, v3,
            // reads neither). The door caps calls, per agent and in all.
        },
    };
    return `# Rendered by SecureClaw; edits are overwritten on the next \`pulumi up\`.\n${stringify(config)}`;
}

/**
 * LiteLLM's command line (after the image's entrypoint). Uvicorn's access
 * log stays on, though a line per request is ~5% of LiteLLM's CPU: it is the
 * witness of what reached LiteLLM (the e2e suite checks that nothing the
 * door refuses does).
 */
export function litellmCommand(configDir: string, port: number): string[] {
    return [
        "--config", `${configDir}/${CONFIG_FILE}`,
        "--port", String(port),
        "--num_workers", String(LITELLM_WORKERS),
        "--keepalive_timeout", String(LITELLM_KEEPALIVE_SECONDS),
    ];
}
