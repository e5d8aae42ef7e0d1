/**
 * The proxy's SNI check and audit trail as the e2e suite sees them: the
 * stand-in's second name, the audit lines read from the running proxy, and
 * the list of attacks that must each show up there as a refusal with its
 * reason.
 */
import { execFileSync } from "child_process";
import { AUDIT, PROXY as PROXY_CONTRACT } from "../../policy/contract/contract";
import { docker } from "./support";

/** A name of its own for the Telegram stand-in, allowlisted and pinned for the agent (Pulumi.e2e.yaml): the SNI checks' endpoint. */
export const TLS_STANDIN = "tls-standin.e2e.test";
/** Another name the stand-in's certificate covers: an SNI that a check-free proxy would let complete its handshake. */
export const OTHER_CERT_NAME = "api.telegram.org";

export interface AuditLine {
    time: string;
    component: string;
    source: string;
    /** The agent whose cell the request came from; "-" for none. */
    agent: string;
    destination: string;
    decision: string;
    reason: string;
    bytes: number;
    method: string;
}

/** Every audit line the proxy has written (rotated files first), parsed. */
export function proxyAudit(proxyContainer: string): AuditLine[] {
    const files = docker("exec", proxyContainer, "sh", "-c", `cd ${PROXY_CONTRACT.logDir} && ls -1r ${AUDIT.file}.* 2>/dev/null; ls -1 ${AUDIT.file}`).split("\n").filter(Boolean);
    // After the flood test the trail holds ~20 MB: more than execFileSync's default buffer.
    const text = execFileSync("docker", ["exec", proxyContainer, "cat", ...files.map((f) => `${PROXY_CONTRACT.logDir}/${f}`)], { encoding: "utf8", maxBuffer: 256 * 1024 * 1024 });
    return text.split("\n").filter(Boolean).map((l) => JSON.parse(l) as AuditLine);
}

/** The proxy's lines about `destination` since `sinceMs`. */
export function auditLinesFor(proxyContainer: string, destination: string, sinceMs: number): AuditLine[] {
    return proxyAudit(proxyContainer).filter((l) => l.destination === destination && Date.parse(l.time) >= sinceMs - 1000);
}

/** An attack the suite runs and the refusal the audit trail must show for it. */
export interface ExpectedRefusal {
    attack: string;
    destination: string;
    reason: string;
    method?: string;
}

/** Attacks recorded while the suite runs (by the tests that make them), checked against the log at the end. */
export const refusalsToFind: ExpectedRefusal[] = [];

/** The bound on the proxy's log volume: each of the live file and its rotations may pass the rotation size by what a flood writes in one poll. */
export const AUDIT_VOLUME_BOUND_BYTES = (AUDIT.rotations + 1) * AUDIT.rotateAtBytes * 2;
