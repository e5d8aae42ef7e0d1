/**
 * The Bot API methods the relay serves: what OpenClaw 2026.9.6's Telegram
 * channel calls (read from its dist: grammY `bot.api.*` calls), and nothing
 * that changes who receives the bot's updates or who owns it. Every other
 * method is refused with 403 (setWebhook, logOut, close, getChat of a
 * stranger, forwardMessage, ...). Keep README.md's table in step.
 *
 * kind:
 *  - "read":    forwarded as is (getMe);
 *  - "updates": forwarded, and the answer filtered to the allowed users;
 *  - "file":    forwarded; a file larger than the cap is refused;
 *  - "write":   forwarded, counted against the agent's sends per minute;
 *  - "local":   answered by the relay, never forwarded.
 * chat: the parameter naming the chat, which must be an allowed one.
 */
export interface MethodRule {
    kind: "read" | "updates" | "file" | "write" | "local";
    chat?: "chat_id" | "scope";
    /** Multipart uploads, capped at maxFileBytes (others at JSON_BODY_BYTES). */
    upload?: true;
}

export const METHODS: Readonly<Record<string, MethodRule>> = {
    getMe: { kind: "read" },
    getUpdates: { kind: "updates" },
    getFile: { kind: "file" },
    getChat: { kind: "read", chat: "chat_id" },
    // OpenClaw deletes any webhook before it polls. The relay owns the bot's
    // delivery mode (long polling, always), so it answers true and forwards
    // nothing: forwarding would let the agent drop pending updates.
    deleteWebhook: { kind: "local" },
    setMyCommands: { kind: "write", chat: "scope" },
    deleteMyCommands: { kind: "write", chat: "scope" },
    sendMessage: { kind: "write", chat: "chat_id" },
    sendChatAction: { kind: "write", chat: "chat_id" },
    editMessageText: { kind: "write", chat: "chat_id" },
    editMessageReplyMarkup: { kind: "write", chat: "chat_id" },
    deleteMessage: { kind: "write", chat: "chat_id" },
    setMessageReaction: { kind: "write", chat: "chat_id" },
    answerCallbackQuery: { kind: "write" },
    sendPhoto: { kind: "write", chat: "chat_id", upload: true },
    sendDocument: { kind: "write", chat: "chat_id", upload: true },
};

/** Largest JSON or form body of a method without an upload. */
export const JSON_BODY_BYTES = 1024 * 1024;
