import { AGENT } from "../../policy/contract/contract";
import { tmpfs } from "../shared/hardening";

/** Skill folders OpenClaw reads besides ours; each gets an empty read-only mount. */
export const SHADOWING_SKILL_DIRS: readonly string[] = [
    `${AGENT.paths.workspace}/skills`,
    `${AGENT.paths.workspace}/.agents/skills`,
    `${AGENT.paths.state}/skills`,
];

/** The agent's tmpfs mounts, path to mount options. */
export function agentTmpfs(): Record<string, string> {
    return {
        "/tmp": tmpfs(512, "noexec"),
        [AGENT.paths.home]: tmpfs(256, `uid=${AGENT.uid},gid=${AGENT.uid}`),
        // OpenClaw also loads skills from the workspace and the state dir, and
        // those win over ours: an empty read-only mount on each keeps a
        // hijacked agent from shadowing the Aider skill.
        ...Object.fromEntries(SHADOWING_SKILL_DIRS.map((dir) => [dir, "ro,nosuid,nodev,noexec,size=1k"])),
    };
}
