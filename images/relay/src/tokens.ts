/**
 * Each agent's bot token, one file per agent in the secret volume:
 * `<token dir>/<agent>.bot-token` (mode 0400, this uid's), written by the
 * program (components/relay/telegramRelay.ts) and read here, never from the
 * environment or the command line. Agent names are checked by the settings
 * parser (letters, digits, dashes), so a name can't step out of the folder.
 */
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { botIdOf, checkOneBotPerAgent } from "./identity.ts";

export const TOKEN_SUFFIX = ".bot-token";

export interface TokenFiles {
    /** Agent name → its bot token. */
    tokens: Map<string, string>;
    /** The files' text together: what a poll compares to see a change. */
    fingerprint: string;
}

/** Reads the agents' token files; throws naming the file (never its content) when one is missing, malformed or shared. */
export async function readTokens(dir: string, agents: readonly string[]): Promise<TokenFiles> {
    const tokens = new Map<string, string>();
    for (const agent of agents) {
        const path = join(dir, agent + TOKEN_SUFFIX);
        let token: string;
        try {
            token = (await readFile(path, "utf8")).trim();
        } catch (e) {
            throw new Error(`agent ${agent}: its bot token file ${path} can't be read (${(e as NodeJS.ErrnoException).code ?? "error"})`);
        }
        try {
            botIdOf(token);
        } catch (e) {
            throw new Error(`agent ${agent}: ${path}: ${(e as Error).message}`);
        }
        tokens.set(agent, token);
    }
    checkOneBotPerAgent(tokens);
    return { tokens, fingerprint: [...tokens].map(([a, t]) => `${a}\n${t}`).join("\n") };
}
