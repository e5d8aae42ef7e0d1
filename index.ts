import { SecureClawEnclave } from "./components/enclave";
import { checkAgentRuntime } from "./config/engineRuntime";
import { loadConfig } from "./config/load";

// Validation runs first. On bad config it throws a ConfigError, a pulumi.RunError:
// the CLI prints its list of problems (no stack trace) and no resource is declared.
const { config, secrets } = loadConfig();
// Then the engine must have every agent's runtime (gVisor is installed separately); the
// first agent under runsc names the key (its own override, or the stack-wide one).
const gvisorAgent = config.agents.find((a) => a.agent.runtime === "runsc");
if (gvisorAgent) {
    const own = config.agents.length > 1 || gvisorAgent.name !== "main";
    checkAgentRuntime("runsc", { at: own && config.agent.runtime !== "runsc" ? `agents.${gvisorAgent.name}.agent.runtime` : "agent.runtime" });
}

const enclave = new SecureClawEnclave("secureclaw", { config, secrets, repoRoot: __dirname });

export const agentContainer = enclave.agentContainer;
export const proxyContainer = enclave.proxyContainer;
export const doorContainer = enclave.doorContainer;
export const gatewayContainer = enclave.gatewayContainer;
export const vllmEndpoint = enclave.vllmEndpoint;
export const workspaceVolume = enclave.workspaceVolume;
export const egressLogVolume = enclave.egressLogVolume;
export const usageVolume = enclave.usageVolume;
export const modelServed = `${config.model.servedName} (${config.model.huggingFaceId})`;
export const allowlist = config.egress.allowlist;
/** Each agent's container, workspace volume and cell network. */
export const agents = enclave.agents;
