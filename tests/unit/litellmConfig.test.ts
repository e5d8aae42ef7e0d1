import { parse } from "yaml";
import { renderLiteLLMConfig } from "../../components/gateway/litellmConfig";
import { GATEWAY } from "../../policy/contract/contract";

const input = {
    vllmBaseUrls: ["http://model-link-0:8000/v1"],
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
            api_base: "http://model-link-0:8000/v1",
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
        ["no router settings for one deployment", (c) => c.router_settings, undefined],
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

describe("renderLiteLLMConfig with several GPU hosts", () => {
    const urls = ["http://model-link-0:8000/v1", "http://model-link-1:8000/v1", "http://model-link-2:8000/v1"];
    const several = parse(renderLiteLLMConfig({ ...input, vllmBaseUrls: urls }));

    test("one deployment per host, all under the one alias, each through its own link", () => {
        expect(several.model_list.map((d: any) => [d.model_name, d.litellm_params.api_base, d.litellm_params.model])).toEqual(
            urls.map((u) => [GATEWAY.modelAlias, u, "hosted_vllm/qwen3-30b-a3b"]),
        );
    });

    test("a failed call is retried on the other hosts only, and a failing host sits out a short cooldown", () => {
        expect(several.litellm_settings.num_retries).toBe(2);
        expect(several.router_settings).toEqual({ routing_strategy: "simple-shuffle", allowed_fails: 0, cooldown_time: 15, retry_after: 0 });
        expect(JSON.stringify(several)).not.toMatch(/fallbacks/);
    });
});
