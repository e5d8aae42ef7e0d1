import { resourcePolicy } from "./define";
import { j, ROLE_LABEL, ROLES, T } from "./util";

const KIND: Record<string, keyof typeof ROLES> = {
    [T.network]: "network",
    [T.container]: "container",
    [T.volume]: "volume",
};

/**
 * Every guardrail finds the agent, the enclave network and the config
 * volumes by their role label. An unlabeled (or mislabeled) container would
 * slip past every role check, so a missing or unknown role is refused.
 */
export function checkRoleLabel(type: string, role: string | undefined | null): string[] {
    const kind = KIND[type];
    if (!kind || role === null) return [];
    const allowed = ROLES[kind];
    const example = `labels: [{ label: ${j(ROLE_LABEL)}, value: ${j(allowed[0])} }]`;
    if (role === undefined) {
        return [`docker ${kind} has no ${j(ROLE_LABEL)} label: add ${example} with one of ${j(allowed)}, so the guardrails can tell what it is (an unlabeled ${kind} escapes every role check)`];
    }
    if (!(allowed as readonly string[]).includes(role)) {
        return [`docker ${kind} has an unknown ${j(ROLE_LABEL)} ${j(role)}: set it to one of ${j(allowed)}`];
    }
    return [];
}

export const resourcesLabeled = resourcePolicy({
    name: "resources-labeled",
    description: `Every Docker network, container and volume carries a known ${ROLE_LABEL} label, so no resource escapes the role-based guardrails.`,
    enforcementLevel: "mandatory",
    types: [T.network, T.container, T.volume],
    check: (_props, ctx) => checkRoleLabel(ctx.type, ctx.role),
});
