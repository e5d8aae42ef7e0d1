/**
 * Renders the model gateway's (LiteLLM proxy) config.yaml. Pure.
 *
 * The gateway is the agent's only way to a model, so the file is written to
 * leave it no other: the stack's vLLM deployments only, no wildcard routes,
 * no fallbacks to hosted providers, and no way for a request to bring its own
 * credentials or upstream URL. Keys are named as `os.environ/…` references;
 * their values live only in the container's environment.
 */
import { stringify } from "yaml";
import { GATEWAY } from "../../policy/contract/contract";

export const MASTER_KEY_ENV = "LITELLM_MASTER_KEY";
export const VLLM_KEY_ENV = "VLLM_API_KEY";

export interface LiteLLMConfigInput {
    /** vLLM's OpenAI base URLs, ending in /v1: one deployment each, balanced under one model name. */
    vllmBaseUrls: string[];
    /** Name vLLM serves the model under. */
    servedName: string;
    /** Seconds one model call may take. */
    requestTimeoutSeconds: number;
    /** Model calls in flight at once. */
    maxParallelRequests: number;
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
                    // Tokens are free on local hardware; a zero price keeps
                    // budgets meaningful if one is ever set.
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
            max_parallel_requests: input.maxParallelRequests,
            global_max_parallel_requests: input.maxParallelRequests,
            // Without a database there are no virtual keys, no UI and no stored models.
            disable_spend_logs: true,
            // Never take credentials or an upstream URL from the request.
            allow_client_side_credentials: false,
        },
    };
    return `# Rendered by SecureClaw; edits are overwritten on the next \`pulumi up\`.\n${stringify(config)}`;
}
