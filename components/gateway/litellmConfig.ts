/**
 * Renders the model gateway's (LiteLLM proxy) config.yaml. Pure.
 *
 * The gateway is the agent's only way to a model, so the file is written to
 * leave it no other: one deployment (the stack's vLLM), no wildcard routes,
 * no fallbacks to hosted providers, and no way for a request to bring its own
 * credentials or upstream URL. Keys are named as `os.environ/…` references;
 * their values live only in the container's environment.
 */
import { stringify } from "yaml";
import { GATEWAY } from "../../policy/contract/contract";

export const MASTER_KEY_ENV = "LITELLM_MASTER_KEY";
export const VLLM_KEY_ENV = "VLLM_API_KEY";

export interface LiteLLMConfigInput {
    /** vLLM's OpenAI base URL, ending in /v1. */
    vllmBaseUrl: string;
    /** Name vLLM serves the model under. */
    servedName: string;
    /** Seconds one model call may take. */
    requestTimeoutSeconds: number;
    /** Model calls in flight at once. */
    maxParallelRequests: number;
    /** Longest completion a caller may ask for. */
    maxOutputTokens: number;
}

export function renderLiteLLMConfig(input: LiteLLMConfigInput): string {
    const config = {
        model_list: [
            {
                model_name: GATEWAY.modelAlias,
                litellm_params: {
                    model: `hosted_vllm/${input.servedName}`,
                    api_base: input.vllmBaseUrl,
                    api_key: `os.environ/${VLLM_KEY_ENV}`,
                    timeout: input.requestTimeoutSeconds,
                    max_tokens: input.maxOutputTokens,
                    // Tokens are free on local hardware; a zero price keeps
                    // budgets meaningful if one is ever set.
                    input_cost_per_token: 0,
                    output_cost_per_token: 0,
                },
            },
        ],
        litellm_settings: {
            // Prompts and completions stay out of the gateway's logs.
            turn_off_message_logging: true,
            request_timeout: input.requestTimeoutSeconds,
            // No retries or fallbacks: a failed call fails, nothing reroutes it.
            num_retries: 0,
            drop_params: true,
            telemetry: false,
        },
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
