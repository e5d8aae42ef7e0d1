import { parse } from "yaml";
import { renderLiteLLMConfig } from "../../components/gateway/litellmConfig";
import { GATEWAY } from "../../policy/contract/contract";

const input = {
    vllmBaseUrl: "http://192.168.1.50:8000/v1",
    servedName: "qwen3-30b-a3b",
    requestTimeoutSeconds: 600,
    maxParallelRequests: 8,
    maxOutputTokens: 16384,
};
const text = renderLiteLLMConfig(input);
const config = parse(text);

describe("renderLiteLLMConfig", () => {
    test("exactly one deployment: the stack's vLLM through the hosted_vllm provider, under the stable alias", () => {
        expect(config.model_list).toHaveLength(1);
        expect(config.model_list[0].model_name).toBe(GATEWAY.modelAlias);
        expect(config.model_list[0].litellm_params).toMatchObject({
            model: "hosted_vllm/qwen3-30b-a3b",
            api_base: "http://192.168.1.50:8000/v1",
            timeout: 600,
            max_tokens: 16384,
        });
    });

    test.each<[string, (c: any) => unknown, unknown]>([
        ["vLLM key comes from the environment", (c) => c.model_list[0].litellm_params.api_key, "os.environ/VLLM_API_KEY"],
        ["master key comes from the environment", (c) => c.general_settings.master_key, "os.environ/LITELLM_MASTER_KEY"],
        ["requests can't bring their own credentials or api_base", (c) => c.general_settings.allow_client_side_credentials, false],
        ["prompts stay out of logs", (c) => c.litellm_settings.turn_off_message_logging, true],
        ["no retries", (c) => c.litellm_settings.num_retries, 0],
        ["no telemetry", (c) => c.litellm_settings.telemetry, false],
        ["request timeout", (c) => c.litellm_settings.request_timeout, 600],
        ["parallel request cap", (c) => c.general_settings.max_parallel_requests, 8],
        ["global parallel request cap", (c) => c.general_settings.global_max_parallel_requests, 8],
        ["zero cost", (c) => c.model_list[0].litellm_params.output_cost_per_token, 0],
    ])("%s", (_title, pick, expected) => {
        expect(pick(config)).toEqual(expected);
    });

    test.each([
        ["a wildcard route", /model_name: ["']?\*/],
        ["a fallback to another provider", /fallbacks/],
        ["a database (virtual keys, admin UI)", /database_url/i],
        ["a hosted provider", /openai\/|anthropic\/|azure\//],
    ])("has no %s", (_title, pattern) => {
        expect(text).not.toMatch(pattern);
    });
});
