/**
 * Credentials bound to the agent's cell, on the live enclave: the agent's own
 * door and relay credentials, presented from a network of the enclave that is
 * not the agent's (the gateway network from LiteLLM's namespace, the relay
 * network from the proxy's), must get the answer a bad credential gets.
 */
import * as fs from "fs";
import * as path from "path";
import { sh } from "./support";

export interface ProbeAnswer {
    code: number;
    headers: string[][];
    body: string;
}

/** probe.py `http` in a throwaway container (from `image`, which has python3) sharing `container`'s network namespace. */
export async function httpFromNamespaceOf(image: string, container: string, method: string, url: string, key: string): Promise<ProbeAnswer> {
    const probeText = fs.readFileSync(path.join(__dirname, "probes", "probe.py"), "utf8");
    const r = await sh("docker", ["run", "--rm", "-i", "--network", `container:${container}`, "--entrypoint", "python3", image, "-", "http", method, url, key], probeText);
    const line = r.stdout.trim().split("\n").pop() ?? "";
    try {
        return JSON.parse(line);
    } catch {
        throw new Error(`http probe in ${container}'s namespace printed no JSON (exit ${r.code}): ${r.stdout}${r.stderr}`);
    }
}

/** The parts of an answer a caller could tell two refusals apart by (not Date). */
export function refusalShape(a: ProbeAnswer): { code: number; body: string; headers: string[][] } {
    return { code: a.code, body: a.body, headers: a.headers.filter(([name]) => name.toLowerCase() !== "date") };
}
