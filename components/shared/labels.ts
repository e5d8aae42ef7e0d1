/**
 * Docker labels every SecureClaw object carries. The role label is how the
 * policy pack and the tests find the agent, the proxy and so on, whatever a
 * stack names them.
 */
export type Role =
    | "enclave" | "egress" | "model"
    | "agent" | "egress-proxy" | "model-gateway" | "vllm" | "config-writer"
    | "workspace" | "agent-state" | "agent-config" | "egress-config" | "egress-log" | "gateway-config" | "hf-cache";

export const ROLE_LABEL = "secureclaw.role";
export const STACK_LABEL = "secureclaw.stack";

export function labels(namePrefix: string, role: Role, extra: Record<string, string> = {}): { label: string; value: string }[] {
    return Object.entries({ [ROLE_LABEL]: role, [STACK_LABEL]: namePrefix, ...extra }).map(([label, value]) => ({ label, value }));
}
