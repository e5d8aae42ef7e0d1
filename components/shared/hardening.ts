import * as docker from "@pulumi/docker";

/**
 * Container settings every SecureClaw container shares. Each one removes a
 * way out that the container does not need:
 *  - no Linux capabilities at all, and no way to gain any (setuid binaries
 *    and file capabilities stop working under no-new-privileges);
 *  - a read-only root filesystem, so nothing (a backdoor, a modified tool)
 *    persists outside the declared volumes;
 *  - bounded logs, so a chatty or malicious process can't fill the host's disk.
 */
export const HARDENED: Pick<docker.ContainerArgs, "capabilities" | "securityOpts" | "readOnly" | "logDriver" | "logOpts" | "privileged" | "restart"> = {
    capabilities: { drops: ["ALL"] },
    securityOpts: ["no-new-privileges:true"],
    readOnly: true,
    privileged: false,
    logDriver: "json-file",
    logOpts: { "max-size": "10m", "max-file": "3" },
    restart: "unless-stopped",
};

/** A size-capped tmpfs that allows no device files and no setuid. */
export function tmpfs(sizeMb: number, extra = ""): string {
    return `rw,nosuid,nodev,size=${sizeMb}m${extra ? `,${extra}` : ""}`;
}
