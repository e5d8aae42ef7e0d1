import { Role, ROLE_LABEL, STACK_LABEL } from "../../policy/contract/contract";

/**
 * The Docker labels every SecureClaw object carries: its role (how the policy
 * pack and the tests find the agent, the proxy and so on, whatever a stack
 * names them) and its stack.
 */
export function labels(namePrefix: string, role: Role, extra: Record<string, string> = {}): { label: string; value: string }[] {
    return Object.entries({ [ROLE_LABEL]: role, [STACK_LABEL]: namePrefix, ...extra }).map(([label, value]) => ({ label, value }));
}
