/**
 * Per-stack state of the realizing harness: what it created, with which
 * inputs, in which order. One JSON file per stack (default
 * `<repo>/.e2e-state/<stack>.json`, gitignored).
 *
 * Like a Pulumi checkpoint it holds resource inputs in the clear, including
 * the test secrets the suite passes (they are needed to run a command
 * resource's `delete` with its stored connection). The file is written 0600.
 */
import * as fs from "fs";
import * as path from "path";

export interface StoredResource {
    /** `${type}::${name}`: logical names are unique per type in these programs. */
    key: string;
    type: string;
    name: string;
    /** Physical id (container ID, network ID, volume name, image name, command id). */
    id: string;
    /** Inputs as the program declared them (secrets unwrapped). */
    inputs: Record<string, any>;
    /** Top-level input keys that were secrets. */
    secretKeys: string[];
    /** Provider state returned to the program. */
    outputs: Record<string, any>;
    /** Hash of `inputs`, for a quick look at the file. */
    inputsHash: string;
    /** Creation order (monotonic per stack). */
    seq: number;
    /** Resource options that change how it is replaced and deleted. */
    options: { deleteBeforeReplace?: boolean; retainOnDelete?: boolean; timeouts?: { create?: number; update?: number; delete?: number } };
    /** Name the harness generated (Pulumi autonaming) when the program gave none. */
    autoName?: string;
    /** Created but its create failed half-way (like a tainted resource): the next run replaces it. */
    tainted?: boolean;
    /** The old half of a create-before-delete replacement, deleted at the end of the run. */
    pendingDelete?: boolean;
}

export interface StateFile {
    version: 1;
    stack: string;
    seq: number;
    resources: StoredResource[];
}

export function stateFilePath(stateDir: string, stack: string): string {
    if (!/^[A-Za-z0-9_.-]+$/.test(stack)) throw new Error(`e2e harness: bad stack name ${JSON.stringify(stack)}`);
    return path.join(stateDir, `${stack}.json`);
}

export function loadState(file: string, stack: string): StateFile {
    if (!fs.existsSync(file)) return { version: 1, stack, seq: 0, resources: [] };
    const parsed = JSON.parse(fs.readFileSync(file, "utf8")) as StateFile;
    if (parsed.version !== 1 || !Array.isArray(parsed.resources)) throw new Error(`e2e harness: ${file} is not a harness state file`);
    return parsed;
}

export function saveState(file: string, state: StateFile): void {
    fs.mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 });
    const tmp = `${file}.${process.pid}.tmp`;
    fs.writeFileSync(tmp, `${JSON.stringify(state, null, 2)}\n`, { mode: 0o600 });
    fs.renameSync(tmp, file);
}

export function removeState(file: string): void {
    fs.rmSync(file, { force: true });
}

/** The live (not pending-delete) record for a key. */
export function liveRecord(state: StateFile, key: string): StoredResource | undefined {
    return state.resources.find((r) => r.key === key && !r.pendingDelete);
}

export function putRecord(state: StateFile, record: StoredResource): void {
    const i = state.resources.findIndex((r) => r.key === record.key && !r.pendingDelete);
    if (i >= 0) state.resources[i] = record;
    else state.resources.push(record);
}

export function dropRecord(state: StateFile, record: StoredResource): void {
    state.resources = state.resources.filter((r) => r !== record);
}
