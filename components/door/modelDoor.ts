import * as command from "@pulumi/command";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { dockerName, DOOR, GATEWAY } from "../../policy/contract/contract";
import { dockerCpus } from "../shared/canonical";
import { ConfigVolume } from "../shared/configVolume";
import { HARDENED } from "../shared/hardening";
import { healthcheck } from "../shared/healthcheck";
import { buildRepoImage } from "../shared/images";
import { labels } from "../shared/labels";
import { startUnderPidsLimit, STARTED_UNDER_PIDS_LIMIT } from "../shared/startUnderPidsLimit";
import { doorCredential } from "./credentials";
import { DEFAULT_MAX_BODY_BYTES, DoorAgent, renderDoorSettings } from "./doorSettings";

export interface ModelDoorArgs {
    /** Prefix of Docker object names, `secureclaw-<stack>`. */
    namePrefix: string;
    /** Directory holding the repo's images/ folder. */
    repoRoot: string;
    /** The agents the door serves: each one's model, output cap and limits. */
    agents: DoorAgent[];
    /** LiteLLM's master key (secret): the door adds it upstream and derives each agent's credential from it. */
    masterKey: pulumi.Input<string>;
    /** Seconds LiteLLM may stay silent during one call (the gateway's own timeout). */
    requestTimeoutSeconds: number;
    /** Model calls in flight at once, all agents together (the stack's gateway.maxParallelRequests). */
    maxConcurrentCalls: number;
    /** Largest request body accepted; default DEFAULT_MAX_BODY_BYTES. */
    maxBodyBytes?: number;
    /** Enclave network: the door answers there as the model gateway. */
    enclaveNetwork: pulumi.Input<string>;
    /** The internal network only the door and LiteLLM join; LiteLLM is `litellm` on it. */
    gatewayNetwork: pulumi.Input<string>;
}

/** A Node process with a handful of threads and small buffers. */
const LIMITS = { memoryMb: 256, cpus: 1, pids: 64 };

/**
 * The door: the agent's only way to a model. It takes the gateway's name on
 * the enclave network and lets through only chat/completions, completions
 * and the model list, from agents presenting their own credential, within
 * their limits, adding LiteLLM's key itself, so the agent holds no
 * credential that works anywhere else.
 */
export class ModelDoor extends pulumi.ComponentResource {
    /** The OpenAI base URL the agents call (ending in /v1): the gateway's name, answered by the door. */
    public readonly url = `http://${GATEWAY.alias}:${GATEWAY.port}/v1`;
    public readonly container: docker.Container;
    /** Runs once the container exists: sets its pids limit, then starts it. */
    public readonly started: command.local.Command;
    /** Docker name of the volume holding usage.jsonl. */
    public readonly usageVolumeName: pulumi.Output<string>;
    private readonly masterKey: pulumi.Input<string>;
    private readonly agentNames: string[];

    constructor(name: string, args: ModelDoorArgs, opts?: pulumi.ComponentResourceOptions) {
        super("secureclaw:door:ModelDoor", name, {}, opts);
        this.masterKey = args.masterKey;
        this.agentNames = args.agents.map((a) => a.name);
        const image = buildRepoImage(`${name}-image`, { namePrefix: args.namePrefix, repoRoot: args.repoRoot, folder: "door" }, this);

        // Why no config hash label: the door re-reads its settings in place, so a new agent restarts nothing.
        const settings = new ConfigVolume(`${name}-settings`, {
            namePrefix: args.namePrefix,
            role: "door-config",
            writerImage: image,
            files: [{
                path: DOOR.settingsFile,
                content: renderDoorSettings({ agents: args.agents, requestTimeoutSeconds: args.requestTimeoutSeconds, maxBodyBytes: args.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES, maxConcurrentCalls: args.maxConcurrentCalls }),
            }],
        }, { parent: this });

        // Why a volume: usage outlives a replaced door, and the daily limit replays it at start.
        const usage = new docker.Volume(`${name}-usage`, {
            name: dockerName(args.namePrefix, "door-usage"),
            labels: labels(args.namePrefix, "door-usage"),
        }, { parent: this });
        this.usageVolumeName = usage.name;

        // Why no start here: it starts under its pids limit (startUnderPidsLimit).
        this.container = new docker.Container(name, {
            name: dockerName(args.namePrefix, "model-door"),
            image,
            ...HARDENED,
            ...STARTED_UNDER_PIDS_LIMIT,
            user: `${DOOR.uid}:${DOOR.uid}`,
            memory: LIMITS.memoryMb,
            memorySwap: LIMITS.memoryMb,
            cpus: dockerCpus(LIMITS.cpus),
            command: [
                "--settings", `${DOOR.settingsDir}/${DOOR.settingsFile}`,
                "--usage", `${DOOR.usageDir}/${DOOR.usageFile}`,
                "--listen", `0.0.0.0:${GATEWAY.port}`,
                "--upstream", `${GATEWAY.litellmAlias}:${GATEWAY.port}`,
            ],
            envs: pulumi.secret(pulumi.output(args.masterKey).apply((key) => [`${DOOR.upstreamKeyEnv}=${key}`])),
            networksAdvanced: [
                { name: args.enclaveNetwork, aliases: [GATEWAY.alias] },
                { name: args.gatewayNetwork },
            ],
            volumes: [
                { volumeName: settings.volumeName, containerPath: DOOR.settingsDir, readOnly: true },
                { volumeName: usage.name, containerPath: DOOR.usageDir },
            ],
            // /healthz answers on loopback only; the image has no client but node.
            healthcheck: healthcheck(
                ["node", "-e", `fetch("http://127.0.0.1:${GATEWAY.port}/healthz").then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))`],
                { interval: 15, timeout: 5, startPeriod: 10 },
            ),
            labels: labels(args.namePrefix, "model-door"),
        }, { parent: this, dependsOn: settings.writers, deleteBeforeReplace: true });
        this.started = startUnderPidsLimit(`${name}-start`, this.container, LIMITS.pids, this);

        this.registerOutputs({ url: this.url, container: this.container.name, usageVolumeName: this.usageVolumeName });
    }

    /** The credential an agent presents to this door (secret), for that agent's environment. */
    credentialFor(agentName: string): pulumi.Output<string> {
        if (!this.agentNames.includes(agentName)) throw new Error(`ModelDoor: no agent named ${agentName} (known: ${this.agentNames.join(", ")})`);
        return pulumi.secret(pulumi.output(this.masterKey).apply((key) => doorCredential(key, agentName)));
    }
}
