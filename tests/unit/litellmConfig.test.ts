import { parse } from "yaml";
import { LITELLM_KEEPALIVE_SECONDS, litellmCommand, renderLiteLLMConfig } from "../../components/gateway/litellmConfig";
import { GATEWAY } from "../../policy/contract/contract";

const input = {
    vllmBaseUrls: ["http://model-link-0:8000/v1"],
    servedName: "qwen3-30b-a3b",
    requestTimeoutSeconds: 600,
    maxOutputTokens: 16384,
};
const text = renderLiteLLMConfig(input);
const config = parse(text);

describe("renderLiteLLMConfig", () => {
    test("exactly one deployment: the stack's vLLM through the hosted_vllm provider, under the stable alias", () => {
        expect(config.model_list).toHaveLength(1);
        expect(config.model_list[0].model_name).toBe(GATEWAY.modelAlias);
        expect(config.model_list[0].litellm_params).toEqual({
            model: "hosted_vllm/qwen3-30b-a3b",
            api_base: "http://model-link-0:8000/v1",
            api_key: "os.environ/VLLM_API_KEY",
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
        ["zero cost, in model_info (speed: not re-registered per call)", (c) => c.model_list[0].model_info, { input_cost_per_token: 0, output_cost_per_token: 0 }],
        ["no spend logs", (c) => c.general_settings.disable_spend_logs, true],
        // LiteLLM 1.83 reads neither; a value here would only look like a cap (the door is the cap).
        ["no parallel request cap that caps nothing", (c) => c.general_settings.max_parallel_requests, undefined],
        ["no global parallel request cap that caps nothing", (c) => c.general_settings.global_max_parallel_requests, undefined],
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

describe("litellmCommand", () => {
    const args = litellmCommand("/etc/litellm", 4000);
    const flag = (name: string) => args[args.indexOf(name) + 1];
    test.each<[string, string, string]>([
        ["the rendered config", "--config", "/etc/litellm/config.yaml"],
        ["the gateway port", "--port", "4000"],
        ["two workers for the container's two CPUs (speed)", "--num_workers", "2"],
        ["idle connections kept longer than the door keeps them (30 s)", "--keepalive_timeout", String(LITELLM_KEEPALIVE_SECONDS)],
    ])("%s", (_title, name, value) => {
        expect(flag(name)).toBe(value);
    });
    test("the server holds an idle connection longer than the door does", () => {
        expect(LITELLM_KEEPALIVE_SECONDS * 1000).toBeGreaterThan(30_000);
    });
    test("every flag has a value (no stray argument)", () => {
        expect(args).toHaveLength(8);
    });
    test("keeps uvicorn's access log: the witness of what reached LiteLLM", () => {
        expect(args).not.toContain("--log_config");
    });
});
