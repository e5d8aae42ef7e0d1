import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AGENT, AGENT_LABEL, DOOR } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { ConfigVolume } from "../shared/configVolume";
import { HARDENED } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { buildRepoImage } from "../shared/images";
import { labels } from "../shared/labels";
import { STARTED_UNDER_PIDS_LIMIT, startUnderPidsLimit } from "../shared/startUnderPidsLimit";
import { agentConfigFiles } from "./agentConfigFiles";
import { agentEnvironment } from "./agentEnvironment";
import { agentProcessLimits } from "./agentProcessLimits";
import { AgentSettings } from "./agentSettings";
import { agentTmpfs } from "./agentTmpfs";

/** AgentSettings (limits, model, Telegram, timeout, gateway and proxy URLs) and the rest. */
export interface AgentBoxArgs extends AgentSettings {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** The agent's name; "main" keeps the single-agent stack's Docker names. */
    agentName: string;
    /** Docker name of its workspace volume. */
    workspace: string;
    /** The agent image, when another box already builds it; built here when unset. */
    image?: pulumi.Input<string>;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** Key the agent presents to the gateway (secret). */
    gatewayKey: pulumi.Input<string>;
    /** Telegram bot token (secret); required when telegram is enabled. */
    telegramBotToken?: pulumi.Input<string>;
    /** The agent's cell, the only network it joins (the enclave network for "main"). */
    cellNetwork: pulumi.Input<string>;
    /** A cell address nothing holds, used as the agent's DNS upstream. */
    dnsSink: string;
    /** Sidecars that must be up before the agent starts. */
    sidecars: pulumi.Input<pulumi.Resource>[];
}

/**
 * The agent box: OpenClaw with the Aider skill, on the enclave network only.
 *
 * Everything here assumes the agent is hostile. It has no capabilities, can't
 * gain any, runs as uid 1000 on a read-only root, and can write only its
 * workspace, its state and two small tmpfs mounts. Its config and skills are
 * mounted read-only, so a hijacked agent can't persist a backdoor in them.
 * It has no ports, no GPU, no Docker socket and no host paths. The network
 * gives it two peers: the gateway (models) and the proxy (allowlisted TLS).
 */
export class AgentBox extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    /** Starts the container once its process limit is set; whatever needs the agent running depends on this. */
    public readonly started: command.local.Command;
    /** Docker name of the workspace volume. */
    public readonly workspaceVolumeName: pulumi.Output<string>;
    /** The image the box runs, for other boxes to share. */
    public readonly image: pulumi.Input<string>;

    constructor(name: string, args: AgentBoxArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:agent:AgentBox", name, {}, opts);
        if (args.telegram.enabled && args.telegramBotToken === undefined) {
            throw new Error("AgentBox: telegram is enabled but no bot token was given");
        }
        const image = args.image ?? buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "agent" }, this);
        this.image = image;
        const names = agentDockerNames(args.namePrefix, args.agentName);
        const agentLabel = names.label;

        const config = new ConfigVolume(`${name}-config`, {
            namePrefix: args.namePrefix,
            role: "agent-config",
            volumeName: names.config,
            writerImage: image,
            files: agentConfigFiles(args),
        }, { parent: this });

        const volume = (suffix: string, dockerVolumeName: string, role: "workspace" | "agent-state") => new docker.Volume(`${name}-${suffix}`, {
            name: dockerVolumeName,
            labels: labels(args.namePrefix, role, agentLabel),
        }, { parent: this, retainOnDelete: role === "workspace" });
        const workspace = volume("workspace", args.workspace, "workspace");
        const state = volume("state", names.state, "agent-state");
        // OpenClaw's SQLite state written under runc can't be opened under gVisor
        // 2022-12 ("database is locked"), so the box under runsc keeps its own
        // state; the runc state stays declared, untouched, for a switch back.
        const boxState = args.agent.runtime === "runsc" ? volume("state-gvisor", names.gvisorState, "agent-state") : state;
        this.workspaceVolumeName = workspace.name;

        const envs = pulumi.secret(pulumi.all([args.gatewayKey, args.telegramBotToken]).apply(
            ([gatewayKey, telegramBotToken]) => agentEnvironment(args, { gatewayKey, telegramBotToken })));

        const limits = agentProcessLimits(args.agent.runtime, args.agent.pids, args.agent.memoryMb);
        this.container = new docker.Container(name, {
            name: names.container,
            image,
            ...HARDENED,
            // Created stopped: startUnderPidsLimit starts it once the limit holds.
            ...STARTED_UNDER_PIDS_LIMIT,
            user: `${AGENT.uid}:${AGENT.uid}`,
            hostname: AGENT.hostname,
            // Always written, "runc" too: the provider reads the engine's runtime
            // back ("runc" for the default) and keeps state for an unset input, so
            // leaving it unset would never move a box back from runsc to runc.
            runtime: args.agent.runtime,
            tmpfs: agentTmpfs(),
            memory: args.agent.memoryMb,
            memorySwap: args.agent.memoryMb,
            cpus: dockerCpus(args.agent.cpus),
            ulimits: [
                { name: "nofile", soft: 4096, hard: 8192 },
                { name: "core", soft: 0, hard: 0 },
                ...(limits.nproc === undefined ? [] : [{ name: "nproc", soft: limits.nproc, hard: limits.nproc }]),
            ],
            networksAdvanced: [{ name: args.cellNetwork, aliases: ["agent"] }],
            // Docker's embedded resolver forwards names it doesn't know to the
            // container's upstream servers. An internal network has no route
            // to a real one, but engines before 26.0 (CVE-2024-29018) forward
            // from the host's namespace when the upstream is on the host's
            // loopback. An upstream that is an unassigned enclave address
            // leaves only the sidecars' names resolvable and nothing to leak to.
            dns: [args.dnsSink],
            sysctls: { "net.ipv6.conf.all.disable_ipv6": "1" },
            envs,
            volumes: [
                { volumeName: workspace.name, containerPath: AGENT.paths.workspace },
                { volumeName: boxState.name, containerPath: AGENT.paths.state },
                { volumeName: config.volumeName, containerPath: AGENT.paths.config, readOnly: true },
            ],
            healthcheck: healthcheck(
                ["node", "-e", `fetch("http://127.0.0.1:${AGENT.port}/healthz").then(r => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
                { interval: 15, timeout: 5, startPeriod: 60 },
            ),
            labels: labels(args.namePrefix, "agent", agentLabel),
            // Stopped (SIGTERM) before it is removed: OpenClaw closes its SQLite state and lease cleanly.
            destroyGraceSeconds: 10,
        }, { parent: this, dependsOn: [...config.writers, ...args.sidecars], deleteBeforeReplace: true });

        // No process of the agent runs before its fork-bomb ceiling is in force.
        this.started = startUnderPidsLimit(`${name}-start`, this.container, limits.hostPidsLimit, this);

        this.registerOutputs({ container: this.container.name, workspaceVolumeName: this.workspaceVolumeName });
    }
}

/**
 * Docker names of an agent's container and volumes. "main", the
 * single-agent stack's agent, keeps the names it always had (and no agent
 * label, which would replace it); another agent's carry its name.
 */
export function agentDockerNames(namePrefix: string, agentName: string): { container: string; state: string; gvisorState: string; config: string; label: Record<string, string> } {
    if (agentName === DOOR.defaultAgent) {
        return { container: `${namePrefix}-agent`, state: `${namePrefix}-agent-state`, gvisorState: `${namePrefix}-agent-state-gvisor`, config: `${namePrefix}-agent-config`, label: {} };
    }
    const base = `${namePrefix}-agent-${agentName}`;
    return { container: base, state: `${base}-state`, gvisorState: `${base}-state-gvisor`, config: `${base}-config`, label: { [AGENT_LABEL]: agentName } };
}
