import { AGENT, AGENT_FILES, GATEWAY } from "../../policy/contract/contract";
import { ConfigFile } from "../shared/configVolume";
import { AgentSettings, GATEWAY_KEY_ENV, TELEGRAM_TOKEN_ENV } from "./agentSettings";
import { AiderSkillInput, renderAiderModelMetadata, renderAiderModelSettings, renderAiderSkillMd, renderAiderWrapper } from "./aiderSkill";
import { OpenClawConfigInput, renderOpenClawConfig } from "./openclawConfig";

/**
 * Every file of the agent's read-only config volume (paths relative to
 * AGENT.paths.config): OpenClaw's config, the Aider skill and Aider's model
 * files, and the extra CA bundle.
 */
export function agentConfigFiles(s: AgentSettings): ConfigFile[] {
    const aider: AiderSkillInput = {
        gatewayBaseUrl: s.gatewayUrl,
        gatewayApiKeyEnv: GATEWAY_KEY_ENV,
        modelName: GATEWAY.modelAlias,
        contextWindow: s.model.maxModelLen,
        maxOutputTokens: s.model.maxOutputTokens,
        requestTimeoutSeconds: s.requestTimeoutSeconds,
        workspaceDir: AGENT.paths.workspace,
        configDir: AGENT.paths.config,
    };
    return [
        { path: AGENT_FILES.openclaw, content: renderOpenClawConfig(openClawInput(s)) },
        { path: AGENT_FILES.skillMd, content: renderAiderSkillMd(aider) },
        { path: AGENT_FILES.aiderWrapper, content: renderAiderWrapper(aider), executable: true },
        { path: AGENT_FILES.aiderMetadata, content: renderAiderModelMetadata(aider) },
        { path: AGENT_FILES.aiderSettings, content: renderAiderModelSettings(aider) },
        // Always present, so no stale CA outlives its removal from config
        // (the provider refuses an empty upload, hence the comment line).
        { path: AGENT_FILES.extraCa, content: s.agent.extraCaCertificates ?? "# no extra CA certificates\n" },
    ];
}

function openClawInput(s: AgentSettings): OpenClawConfigInput {
    return {
        gatewayBaseUrl: s.gatewayUrl,
        gatewayApiKeyEnv: GATEWAY_KEY_ENV,
        model: {
            id: GATEWAY.modelAlias,
            displayName: `${s.model.servedName} (local vLLM)`,
            contextWindow: s.model.maxModelLen,
            maxTokens: s.model.maxOutputTokens,
            reasoning: false,
        },
        requestTimeoutSeconds: s.requestTimeoutSeconds,
        workspaceDir: AGENT.paths.workspace,
        skillsDir: `${AGENT.paths.config}/skills`,
        ...(s.telegram.enabled
            ? {
                  telegram: {
                      botTokenEnv: TELEGRAM_TOKEN_ENV,
                      allowFrom: s.telegram.allowFrom,
                      // The relay, on the enclave network: no proxy on the way (it holds the token and calls Telegram itself).
                      apiRoot: relayUrl(s),
                  },
              }
            : {}),
    };
}

function relayUrl(s: AgentSettings): string {
    if (s.telegramRelayUrl === undefined) throw new Error("agentConfigFiles: telegram is on but no relay URL was given");
    return s.telegramRelayUrl;
}
