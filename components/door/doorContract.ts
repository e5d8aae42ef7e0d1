/**
 * The door's names, ports and paths. They belong in policy/contract/contract.ts
 * next to GATEWAY (the policy pack needs the roles); until they move there,
 * this is the one place that defines them.
 */
import { GATEWAY, Role } from "../../policy/contract/contract";

export const DOOR = {
    /** The door takes the gateway's name and port on the enclave network: the agent's URL does not change. */
    alias: GATEWAY.alias,
    port: GATEWAY.port,
    /** Name LiteLLM answers to on the network only the door and LiteLLM join. */
    upstreamAlias: "litellm",
    upstreamPort: GATEWAY.port,
    uid: 1000,
    settingsDir: "/etc/secureclaw-door",
    settingsFile: "door.json",
    usageDir: "/var/lib/secureclaw-door",
    usageFile: "usage.jsonl",
    /** Environment variable carrying LiteLLM's master key into the door. */
    upstreamKeyEnv: "DOOR_UPSTREAM_KEY",
} as const;

/**
 * The door's roles. The contract's ROLES does not list them yet: add
 * "model-door" to ROLES.container, "door-config" and "door-usage" to
 * ROLES.volume and "gateway" to ROLES.network, then drop this cast.
 */
export const DOOR_ROLES = {
    container: "model-door" as Role,
    settingsVolume: "door-config" as Role,
    usageVolume: "door-usage" as Role,
    gatewayNetwork: "gateway" as Role,
} as const;
