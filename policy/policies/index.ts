import { agentLeastPrivilege, agentNetworkConfined, agentNoHostMounts, agentResourceLimits } from "./agent";
import { egressAllowlistStrict } from "./allowlist";
import { noHostExposure } from "./containers";
import { Guardrail } from "./define";
import { imagesDigestAdvised, imagesPinned } from "./images";
import { resourcesLabeled } from "./labels";
import { enclaveNetworkIsolated } from "./network";
import { agentPidsLimited } from "./pids";
import { noSecretsInCommands } from "./secrets";
import { agentVolumeAccess, enclaveMembership } from "./topology";

/** Every guardrail the SecureClaw policy pack serves, in the order the README lists them. */
export const GUARDRAILS: Guardrail[] = [
    resourcesLabeled,
    enclaveNetworkIsolated,
    agentLeastPrivilege,
    agentNetworkConfined,
    agentNoHostMounts,
    agentResourceLimits,
    agentPidsLimited,
    noHostExposure,
    imagesPinned,
    imagesDigestAdvised,
    egressAllowlistStrict,
    noSecretsInCommands,
    enclaveMembership,
    agentVolumeAccess,
];

/** The policies as the PolicyPack takes them. */
export const POLICIES = GUARDRAILS.map((g) => g.policy);

export {
    agentLeastPrivilege,
    agentPidsLimited,
    agentNetworkConfined,
    agentNoHostMounts,
    agentResourceLimits,
    agentVolumeAccess,
    egressAllowlistStrict,
    enclaveMembership,
    enclaveNetworkIsolated,
    imagesDigestAdvised,
    imagesPinned,
    noHostExposure,
    noSecretsInCommands,
    resourcesLabeled,
};
