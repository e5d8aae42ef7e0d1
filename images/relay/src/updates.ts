/**
 * Filters a getUpdates answer to the agent's allowed users: an update is kept
 * only when its sender is on allowFrom and its chat (if it names one) is that
 * private chat, so nothing from a stranger or a group ever reaches the agent.
 * Updates of a kind that names no sender (polls, chat boosts, ...) are dropped.
 */
export interface Update {
    update_id: number;
    [kind: string]: unknown;
}

export interface Dropped {
    update_id: number;
    /** The sender's or chat's id, when the update names one. */
    chat?: string;
}

interface Party {
    from?: { id?: unknown };
    chat?: { id?: unknown };
    message?: { chat?: { id?: unknown } };
    user?: { id?: unknown };
}

/** The sender and chat an update is about, whatever its kind. */
function parties(update: Update): { from?: string; chat?: string } {
    for (const [kind, value] of Object.entries(update)) {
        if (kind === "update_id" || typeof value !== "object" || value === null) continue;
        const v = value as Party;
        const from = v.from?.id ?? v.user?.id;
        const chat = v.chat?.id ?? v.message?.chat?.id;
        return { from: from === undefined ? undefined : String(from), chat: chat === undefined ? undefined : String(chat) };
    }
    return {};
}

export function filterUpdates(updates: Update[], allowFrom: ReadonlySet<string>): { kept: Update[]; dropped: Dropped[] } {
    const kept: Update[] = [];
    const dropped: Dropped[] = [];
    for (const update of updates) {
        const { from, chat } = parties(update);
        if (from !== undefined && allowFrom.has(from) && (chat === undefined || chat === from)) kept.push(update);
        else dropped.push({ update_id: update.update_id, chat: chat ?? from });
    }
    return { kept, dropped };
}
