/**
 * `secureclaw:agents`: several agents on one stack, each in its own cell.
 *
 * Each entry names an agent and overrides the stack-wide sections for it
 * (`agent`, `egress.allowlist`, `telegram`), and may pick its cell's subnet
 * and its workspace volume. A stack without the map has one agent, named
 * DOOR.defaultAgent ("main"), built from the stack-wide sections: that is
 * the single-agent shape, and its resources keep their names and URNs.
 * An entry named "main" is that same agent, so a stack moves to the map
 * without replacing it.
 *
 * Pure: parses raw config and reports problems at their full key path
 * (`agents.alice.egress.allowlist[2]`).
 */
import { createHash } from "crypto";
import { z } from "zod";
import { allowlistCovers, normalizeAllowlist, relayOnlyHostOpenedBy, relayOnlyProblem, RELAY_ONLY_HOSTS } from "../policy/contract/allowlist";
import { DOOR, dockerName } from "../policy/contract/contract";
import { exampleFor, NAMESPACE } from "./examples";
import { fields, list, numberIn, section, shown, text, flag } from "./fields";
import { cidrsOverlap, freeSubnet, parseCidr } from "./net";
import { ConfigProblem, fullKey, keyPath, problemsFromIssues } from "./problems";
import { AgentConfig, AgentSection, EgressConfig, ModelConfig, NetworkConfig, TelegramConfig, telegramApiHost, TelegramSection } from "./schema";
import * as values from "./values";

/** The agent of a single-agent stack, and the entry of the map that keeps its names. */
export const DEFAULT_AGENT = DOOR.defaultAgent;
/** Most agents one stack runs (each takes a cell subnet and a container). */
export const MAX_AGENTS = 32;
/** Lowercase letters, digits and dashes, starting with a letter: a Docker name part, a Squid ACL name, a door and relay identity. */
const AGENT_NAME = /^[a-z][a-z0-9-]{0,23}$/;

/** One agent, every setting resolved. */
export interface AgentSpec {
    /** Its key in the map ("main" for a single-agent stack). */
    name: string;
    /** The served model it asks for (one of the stack's). */
    model: string;
    /** Limits, runtime and extra trust of its box, and its door limits. */
    agent: AgentConfig;
    /** Normalised: the names the proxy lets this agent reach. */
    allowlist: string[];
    /** Its Telegram channel. */
    telegram: TelegramConfig;
    /** Where its bot token comes from: the stack's `telegramBotToken`, its own `agents.<name>.telegram.botToken`, or none. */
    botToken: "stack" | "own" | "none";
    /** Docker name of its workspace volume. */
    workspace: string;
    /** IPv4 subnet of its cell network. */
    subnet: string;
}

/** What the validator knows of the per-agent bot tokens, read where secrets are read (config/load.ts); never a value. */
export interface AgentTokenFacts {
    /** Whether the stack-wide `telegramBotToken` is set. */
    stackToken: boolean;
    /** Agents that have `agents.<name>.telegram.botToken` set. */
    present: ReadonlySet<string>;
    /** True when the `agents` key holds a token but is not encrypted. */
    plaintext: boolean;
    /** The bot id (the digits before the colon) of each agent's token, and of the stack's token under "". */
    botIds: ReadonlyMap<string, string>;
}

const NO_TOKENS: AgentTokenFacts = { stackToken: false, present: new Set(), plaintext: false, botIds: new Map() };

/** Settings an entry may carry; its sections are merged over the stack's and parsed by the stack's own schema. */
const AgentEntry = section(fields({
    /** The served model this agent asks for; the stack serves one (model.servedName). */
    model: text(values.servedName).optional(),
    /** IPv4 subnet of the agent's cell network; derived from its name when unset. */
    subnet: text(values.privateSubnet).optional(),
    /** Docker name of the agent's workspace volume. */
    workspace: text(values.volumeName).optional(),
    /** Overrides of `secureclaw:agent` (limits, runtime). */
    agent: z.record(z.string(), z.unknown(), { error: (issue) => `must be an object, got ${shown(issue.input)}` }).optional(),
    /** Its own allowlist, instead of the stack's. */
    egress: section(fields({ allowlist: list(values.allowlistEntry).default([]) })).optional(),
    /** Overrides of `secureclaw:telegram`; the Bot API root and the file cap are stack-wide. */
    telegram: section(fields({
        enabled: flag().optional(),
        allowFrom: list(values.telegramUserId).optional(),
        sendsPerMinute: numberIn(1, 1800, { integer: true }).optional(),
    })).optional(),
}));

/** Raw stack sections the entries are merged over. */
export interface StackDefaults {
    rawAgent: unknown;
    rawEgress: unknown;
    rawTelegram: unknown;
    model: ModelConfig;
    egress: EgressConfig;
    agent: AgentConfig;
    telegram: TelegramConfig;
    network: NetworkConfig;
}

/** A raw section as a plain object (an absent one is empty). */
function asObject(value: unknown): Record<string, unknown> {
    return typeof value === "object" && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** Every agent of the stack, sorted by name, or the problems (each at its full key path). */
export function resolveAgents(namePrefix: string, rawAgents: unknown, stack: StackDefaults, tokens: AgentTokenFacts = NO_TOKENS): { agents: AgentSpec[]; problems: ConfigProblem[] } {
    if (rawAgents === undefined || rawAgents === null) {
        const agents = [singleAgent(namePrefix, stack)];
        return { agents, problems: pinnedHostProblems(agents, stack, undefined) };
    }
    const problems: ConfigProblem[] = [];
    if (typeof rawAgents !== "object" || Array.isArray(rawAgents) || Object.keys(rawAgents).length === 0 || Object.keys(rawAgents).length > MAX_AGENTS) {
        problems.push({ key: fullKey("agents"), problem: `must map 1 to ${MAX_AGENTS} agent names to their settings, got ${shown(rawAgents)}`, example: exampleFor("agents.alice.egress.allowlist[0]", { value: "pypi.org" }) });
        return { agents: [], problems };
    }
    const agents: AgentSpec[] = [];
    for (const name of Object.keys(rawAgents).sort()) {
        const at = (...path: PropertyKey[]) => ["agents", name, ...path];
        if (!AGENT_NAME.test(name)) {
            problems.push({ key: fullKey(keyPath(at())), problem: "is not a usable agent name: use lower-case letters, digits and dashes, starting with a letter (at most 24)", example: exampleFor("agents.alice.egress.allowlist[0]", { value: "pypi.org" }) });
            continue;
        }
        const agent = resolveOne(namePrefix, name, (rawAgents as Record<string, unknown>)[name], stack, tokens, problems);
        if (agent) agents.push(agent);
    }
    problems.push(...crossAgentProblems(agents, stack, tokens));
    return { agents, problems };
}

/** The single-agent stack's one agent: the stack-wide sections as they are. */
function singleAgent(namePrefix: string, stack: StackDefaults): AgentSpec {
    return {
        name: DEFAULT_AGENT,
        model: stack.model.servedName,
        agent: stack.agent,
        allowlist: stack.egress.allowlist,
        telegram: stack.telegram,
        botToken: stack.telegram.enabled ? "stack" : "none",
        workspace: dockerName(namePrefix, "workspace"),
        subnet: stack.network.enclaveSubnet,
    };
}

/** Parses one entry, its sections merged over the stack's; problems go to `problems`. */
function resolveOne(namePrefix: string, name: string, raw: unknown, stack: StackDefaults, tokens: AgentTokenFacts, problems: ConfigProblem[]): AgentSpec | undefined {
    const sub = (path: string[], issues: readonly z.core.$ZodIssue[]) => problemsFromIssues(["agents", name, ...path], issues);
    const entry = AgentEntry.safeParse(raw);
    if (!entry.success) {
        problems.push(...sub([], entry.error.issues));
        return undefined;
    }
    const e = entry.data;
    const agent = AgentSection.safeParse({ ...asObject(stack.rawAgent), ...(e.agent ?? {}) });
    if (!agent.success) problems.push(...sub(["agent"], agent.error.issues));
    const telegram = TelegramSection.safeParse({ ...asObject(stack.rawTelegram), ...(e.telegram ?? {}) });
    if (!telegram.success) problems.push(...sub(["telegram"], telegram.error.issues));
    const allowlist = e.egress ? normalizeAllowlist(e.egress.allowlist) : stack.egress.allowlist;
    e.egress?.allowlist.forEach((entryText, i) => {
        const host = relayOnlyHostOpenedBy(entryText);
        if (host !== undefined) problems.push({ key: fullKey(keyPath(["agents", name, "egress", "allowlist", i])), problem: relayOnlyProblem(host), example: exampleFor(`agents.${name}.telegram.enabled`, { value: "true" }) });
    });
    if (e.model !== undefined && e.model !== stack.model.servedName) {
        problems.push({ key: fullKey(`agents.${name}.model`), problem: `is ${shown(e.model)}, which this stack does not serve (it serves ${shown(stack.model.servedName)}, set by model.size or model.servedName)`, example: exampleFor(`agents.${name}.model`, { value: stack.model.servedName }) });
    }
    if (!agent.success || !telegram.success) return undefined;
    const tg = telegram.data;
    problems.push(...tokenBudgetProblems(stack.model, agent.data, `agents.${name}.`), ...telegramRelayOnlyProblems(tg, allowlist, `agents.${name}.`));
    return {
        name,
        model: stack.model.servedName,
        agent: agent.data,
        allowlist,
        telegram: tg,
        botToken: !tg.enabled ? "none" : tokens.present.has(name) ? "own" : "stack",
        workspace: e.workspace ?? (name === DEFAULT_AGENT ? dockerName(namePrefix, "workspace") : dockerName(namePrefix, "workspace", name)),
        subnet: e.subnet ?? (name === DEFAULT_AGENT ? stack.network.enclaveSubnet : derivedSubnet(name)),
    };
}

/** The door reserves max_tokens against the per-minute budget, so a budget below one answer refuses every request. `at` prefixes the keys (`agents.alice.`). */
export function tokenBudgetProblems(model: ModelConfig, agent: AgentConfig, at = ""): ConfigProblem[] {
    if (agent.tokensPerMinute > model.maxOutputTokens) return [];
    return [{
        key: fullKey(`${at}agent.tokensPerMinute`),
        problem: `is ${agent.tokensPerMinute} but one answer may take model.maxOutputTokens (${model.maxOutputTokens}) tokens: every request would be refused`,
        example: exampleFor(`${at}agent.tokensPerMinute`, { value: String(model.maxOutputTokens * 10) }),
    }];
}

/**
 * Only the relay reaches the Telegram API host; an allowlist must not open it
 * (api.telegram.org itself is refused by the egress section, for every stack;
 * this covers a test server named by telegram.apiRoot). `at` prefixes the keys.
 */
export function telegramRelayOnlyProblems(telegram: TelegramConfig, allowlist: string[], at = ""): ConfigProblem[] {
    if (!telegram.enabled) return [];
    const host = telegramApiHost(telegram);
    if (RELAY_ONLY_HOSTS.includes(host) || !allowlistCovers(allowlist, host)) return [];
    return [{ key: fullKey(`${at}egress.allowlist`), problem: relayOnlyProblem(host), example: exampleFor(`${at}telegram.enabled`, { value: "true" }) }];
}

/** A cell subnet from the agent's name, 10.90.<n>.0/24: stable whatever other agents come and go. */
export function derivedSubnet(name: string): string {
    return `10.90.${createHash("sha256").update(name).digest()[0]}.0/24`;
}

/** Subnets apart, workspaces apart, and one bot per agent. */
function crossAgentProblems(agents: AgentSpec[], stack: StackDefaults, tokens: AgentTokenFacts): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const { enclaveSubnet, ...others } = stack.network;
    const taken: Array<{ what: string; subnet: string }> = Object.entries(others).map(([field, subnet]) => ({ what: `network.${field}`, subnet }));
    if (!agents.some((a) => a.name === DEFAULT_AGENT)) taken.push({ what: "network.enclaveSubnet", subnet: enclaveSubnet });
    const workspaces = new Map<string, string>();
    for (const a of agents) {
        const clash = taken.find((t) => cidrsOverlap(parseCidr(t.subnet)!, parseCidr(a.subnet)!));
        if (clash) {
            const free = freeSubnet([...taken, ...agents].map((t) => parseCidr(t.subnet)!));
            problems.push({ key: fullKey(`agents.${a.name}.subnet`), problem: `${shown(a.subnet)} overlaps ${clash.what} (${clash.subnet}); every cell needs its own addresses`, example: exampleFor(`agents.${a.name}.subnet`, { value: free }) });
        }
        taken.push({ what: `agents.${a.name}.subnet`, subnet: a.subnet });
        const owner = workspaces.get(a.workspace);
        if (owner !== undefined) problems.push({ key: fullKey(`agents.${a.name}.workspace`), problem: `is ${shown(a.workspace)}, agent ${owner}'s workspace too; agents never share a volume (it would be a channel between them)`, example: exampleFor(`agents.${a.name}.workspace`, { value: `${a.workspace}-${a.name}` }) });
        workspaces.set(a.workspace, a.name);
    }
    problems.push(...botProblems(agents, tokens), ...pinnedHostProblems(agents, stack, agents[0]?.name));
    if (tokens.plaintext) problems.push({ key: fullKey("agents"), problem: "holds a bot token in plain text in the stack file; it must be encrypted", example: `pulumi config set --secret --path '${NAMESPACE}:agents.alice.telegram.botToken' 123456789:AA...` });
    return problems;
}

/** Each agent on Telegram has a bot of its own: one bot's updates can be fetched by one consumer only. */
function botProblems(agents: AgentSpec[], tokens: AgentTokenFacts): ConfigProblem[] {
    const problems: ConfigProblem[] = [];
    const botOwner = new Map<string, string>();
    const tokenExample = (name: string) => `pulumi config set --secret --path '${NAMESPACE}:agents.${name}.telegram.botToken' 123456789:AA...`;
    for (const a of agents) {
        if (a.botToken === "none") continue;
        const botId = tokens.botIds.get(a.botToken === "own" ? a.name : "");
        const where = a.botToken === "own" ? `agents.${a.name}.telegram.botToken` : "telegramBotToken";
        if (botId === undefined) {
            if (a.botToken === "stack" && !tokens.stackToken) {
                problems.push({ key: fullKey(`agents.${a.name}.telegram.botToken`), problem: "is required: this agent has Telegram on, and each agent needs its own bot (@BotFather /newbot)", example: tokenExample(a.name) });
            }
            continue;
        }
        const owner = botOwner.get(botId);
        if (owner !== undefined) problems.push({ key: fullKey(`agents.${a.name}.telegram.botToken`), problem: `${where} is the same bot (${botId}) as agent ${owner}'s; each agent needs its own bot, since a bot's updates go to one reader (@BotFather /newbot)`, example: tokenExample(a.name) });
        botOwner.set(botId, a.name);
    }
    return problems;
}

/**
 * A pinned host must be on some agent's allowlist (or be the relay's host):
 * pinning never widens one. The example adds the host to the stack's
 * allowlist (after what the user wrote), or to the first agent's.
 */
function pinnedHostProblems(agents: AgentSpec[], stack: StackDefaults, exampleAgent: string | undefined): ConfigProblem[] {
    const written = asObject(stack.rawEgress).allowlist;
    const exampleKey = exampleAgent === undefined
        ? `egress.allowlist[${Array.isArray(written) ? written.length : 0}]`
        : `agents.${exampleAgent}.egress.allowlist[${agents[0].allowlist.length}]`;
    const allowed = (host: string) => RELAY_ONLY_HOSTS.includes(host)
        || agents.some((a) => allowlistCovers(a.allowlist, host) || (a.telegram.enabled && telegramApiHost(a.telegram) === host));
    return Object.keys(stack.egress.pinnedHosts).filter((host) => !allowed(host)).map((host) => ({
        key: fullKey(`egress.pinnedHosts[${JSON.stringify(host)}]`),
        problem: `pins ${host}, which ${exampleAgent === undefined ? "egress.allowlist does not allow" : "no agent's allowlist allows"} (and the Telegram relay does not call); pinning never widens an allowlist`,
        example: exampleFor(exampleKey, { value: host }),
    }));
}
