import * as pulumi from "@pulumi/pulumi";
import type { AgentSpec } from "../../config/agents";
import { Secrets } from "../../config/load";
import { StackConfig, telegramApiHost } from "../../config/schema";
import { Networks } from "../network/networks";
import { RelayAgentArgs, TelegramRelay } from "./telegramRelay";

/**
 * The Telegram relay, when any agent is on Telegram: it holds every bot token,
 * and each agent gets a relay credential that is worthless anywhere else, and
 * from any other cell. The Bot API root and the file cap are stack-wide (the
 * same in every agent's telegram section), so the first agent's say.
 */
export function placeRelay(name: string, config: StackConfig, secrets: Secrets, networks: Networks, repoRoot: string, parent: pulumi.Resource): TelegramRelay | undefined {
    const agents = config.agents.filter((a) => a.telegram.enabled);
    const telegram = agents[0]?.telegram;
    if (!telegram?.enabled) return undefined;
    return new TelegramRelay(name, {
        namePrefix: config.namePrefix, repoRoot,
        agents: agents.map((a) => relayAgent(a, secrets)),
        upstream: telegram.apiRoot ?? `https://${telegramApiHost(telegram)}`,
        maxFileBytes: telegram.maxFileBytes,
        extraCaCertificates: config.agent.extraCaCertificates,
        enclaveNetwork: networks.enclave.name,
        relayNetwork: networks.relay!.name,
        dnsSink: networks.enclaveUnassignedAddress,
    }, { parent });
}

/** The one host the relay reaches through the proxy, when any agent is on Telegram. */
export function relayDestination(config: StackConfig): string | undefined {
    const telegram = config.agents.find((a) => a.telegram.enabled)?.telegram;
    return telegram?.enabled ? telegramApiHost(telegram) : undefined;
}

/** An agent on Telegram at the relay: its bot token (its own, or the stack's), its owners, its rate, its cell. */
function relayAgent(agent: AgentSpec, secrets: Secrets): RelayAgentArgs {
    const token = agent.botToken === "own" ? secrets.agentBotTokens?.[agent.name] : secrets.telegramBotToken;
    if (token === undefined || !agent.telegram.enabled) throw new Error(`agent ${agent.name} has Telegram on but no bot token (the config validator should have said so)`);
    return { name: agent.name, allowFrom: agent.telegram.allowFrom, sendsPerMinute: agent.telegram.sendsPerMinute, sources: [agent.subnet], botToken: token };
}
