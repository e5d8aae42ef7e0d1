import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, DOOR, PROXY, RELAY } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { ConfigVolume } from "../shared/configVolume";
import { HARDENED } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { buildRepoImage } from "../shared/images";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { volumeWriter } from "../shared/volumeWriter";
import { relayCredential } from "./credentials";
import { RelayAgent, renderRelaySettings } from "./relaySettings";

/** An agent the relay serves, with the bot that is its alone. */
export interface RelayAgentArgs extends RelayAgent {
    /** This agent's own bot token from @BotFather (secret): one file in the relay's secret volume, nowhere else in the enclave. No two agents may share a bot (the relay refuses it). */
    botToken: pulumi.Input<string>;
}

export interface TelegramRelayArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** The agents the relay serves: each one's bot, whose chats, how fast it may write, and its cell. */
    agents: RelayAgentArgs[];
    /** Bot API root the relay calls through the proxy (https, port 443). */
    upstream: string;
    /** Largest file moved either way. */
    maxFileBytes: number;
    /** PEM certificates trusted besides the system store (a test stand-in's CA). */
    extraCaCertificates?: string;
    /** Enclave network: the agent reaches the relay there as `telegram-relay`. */
    enclaveNetwork: pulumi.Input<string>;
    /** The relay network, shared with the proxy alone (the proxy answers there as `relay-egress-proxy`). */
    relayNetwork: pulumi.Input<string>;
    /** An enclave address nothing holds: the relay's DNS upstream, so only Docker's names resolve. */
    dnsSink: string;
}

/** A Node process with a few threads and bounded buffers (a file in flight is at most maxFileBytes). */
const LIMITS = { memoryMb: 192, cpus: 1, pids: 64 };

/**
 * The Telegram relay: the only holder of the bot token in the enclave. The
 * agent's Telegram channel calls it with a relay credential instead of the
 * token; it forwards only the Bot API methods OpenClaw needs, for the
 * allowFrom chats only, with a file cap and a send rate, and writes one audit
 * line per decision. It reaches Telegram by CONNECT through the proxy over
 * the relay network, where the proxy's rule for the API host matches the
 * relay and nothing else; it is not on the egress network.
 */
export class TelegramRelay extends pulumi.ComponentResource {
    /** The Bot API root the agent's channel uses. */
    public readonly url = `http://${RELAY.alias}:${RELAY.port}`;
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;
    /** Docker name of the volume holding the audit log. */
    public readonly auditVolumeName: pulumi.Output<string>;
    private readonly botTokens: Map<string, pulumi.Input<string>>;

    constructor(name: string, args: TelegramRelayArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:relay:TelegramRelay", name, {}, opts);
        this.botTokens = new Map(args.agents.map((a) => [a.name, a.botToken]));
        const image = buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "relay" }, this);

        // Why no config hash label: the relay re-reads its settings in place.
        const settings = new ConfigVolume(`${name}-settings`, {
            namePrefix: args.namePrefix,
            role: "relay-config",
            writerImage: image,
            files: [
                { path: RELAY.settingsFile, content: renderRelaySettings({ upstream: args.upstream, maxFileBytes: args.maxFileBytes, agents: args.agents.map(({ botToken: _secret, ...agent }) => agent) }) },
                ...(args.extraCaCertificates ? [{ path: RELAY.extraCaFile, content: args.extraCaCertificates }] : []),
            ],
        }, { parent: this });
        const secret = this.tokenVolume(name, args, image);

        // Why a volume: the audit trail outlives a replaced relay; `secureclaw audit` finds it by its role.
        const audit = new docker.Volume(`${name}-audit`, { name: dockerName(args.namePrefix, "relay-audit"), labels: labels(args.namePrefix, "relay-audit") }, { parent: this });
        this.auditVolumeName = audit.name;

        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "telegram-relay"),
            image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            user: `${RELAY.uid}:${RELAY.uid}`,
            memory: LIMITS.memoryMb,
            memorySwap: LIMITS.memoryMb,
            cpus: dockerCpus(LIMITS.cpus),
            // No token here: envs and the command line show in `docker inspect` and `ps`.
            command: [
                "--settings", `${RELAY.configDir}/${RELAY.settingsFile}`,
                "--token-dir", RELAY.secretDir,
                "--audit", `${RELAY.auditDir}/${RELAY.auditFile}`,
                "--listen", `0.0.0.0:${RELAY.port}`,
                "--proxy", `${RELAY.proxyAlias}:${PROXY.port}`,
                ...(args.extraCaCertificates ? ["--extra-ca", `${RELAY.configDir}/${RELAY.extraCaFile}`] : []),
            ],
            networksAdvanced: [
                { name: args.enclaveNetwork, aliases: [RELAY.alias] },
                { name: args.relayNetwork },
            ],
            // Only Docker's own names resolve (see AgentBox): the relay never looks up Telegram, the proxy does.
            dns: [args.dnsSink],
            volumes: [
                { volumeName: settings.volumeName, containerPath: RELAY.configDir, readOnly: true },
                { volumeName: secret.volumeName, containerPath: RELAY.secretDir, readOnly: true },
                { volumeName: audit.name, containerPath: RELAY.auditDir },
            ],
            healthcheck: healthcheck(
                ["node", "-e", `fetch("http://127.0.0.1:${RELAY.port}/healthz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
                { interval: 15, timeout: 5, startPeriod: 10 },
            ),
            labels: labels(args.namePrefix, "telegram-relay"),
        }, { parent: this, dependsOn: [...settings.writers, ...secret.writers], deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, LIMITS.pids, this);

        this.registerOutputs({ url: this.url, container: this.container.name, auditVolumeName: this.auditVolumeName });
    }

    /** The credential an agent's channel presents as its bot token (secret), for that agent's environment. */
    credentialFor(agentName: string): pulumi.Output<string> {
        const token = this.botTokens.get(agentName);
        if (token === undefined) throw new Error(`TelegramRelay: no agent named ${agentName} (known: ${[...this.botTokens.keys()].join(", ")})`);
        return pulumi.secret(pulumi.output(token).apply((t) => relayCredential(t, agentName)));
    }

    /**
     * Each agent's token as a file only the relay's uid can read (0400), in a
     * volume only the relay mounts: `<agent>.bot-token`, one never-started
     * writer per agent (see volumeWriter), so adding an agent adds a writer
     * and touches no other.
     * Mounted where the image made that directory the relay's, the new volume
     * takes its owner and mode. A removed agent's writer goes; its file stays
     * in the volume, unread (the relay reads the files of the agents in its
     * settings only).
     */
    private tokenVolume(name: string, args: TelegramRelayArgs, image: pulumi.Input<string>) {
        const volume = new docker.Volume(`${name}-secret`, { name: dockerName(args.namePrefix, "relay-secret"), labels: labels(args.namePrefix, "relay-secret") }, { parent: this });
        const writers = args.agents.map((agent) => volumeWriter(`${name}-secret-writer-${agent.name}`, {
            name: dockerName(args.namePrefix, "relay-secret", `writer-${agent.name}`),
            namePrefix: args.namePrefix,
            image,
            volumeName: volume.name,
            mountPath: RELAY.secretDir,
            upload: {
                file: `${RELAY.secretDir}/${agent.name}${RELAY.tokenSuffix}`,
                content: pulumi.secret(pulumi.output(agent.botToken).apply((t) => `${t}\n`)),
                permissions: "0400",
                owner: String(RELAY.uid),
                group: String(RELAY.uid),
            },
            // The single-agent stack's one writer had no agent in its name: the same resource, moved.
        }, { parent: this, aliases: agent.name === DOOR.defaultAgent ? [{ name: `${name}-secret-writer` }] : [] }));
        return { volumeName: volume.name, writers };
    }
}
