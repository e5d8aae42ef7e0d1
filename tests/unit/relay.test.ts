/**
 * The Telegram relay (images/relay) as it runs in its image: the real program
 * in a child Node process, reaching a Bot API stand-in over HTTPS only through
 * a CONNECT proxy, with the token in a file. Each refusal is checked twice:
 * the answer the agent gets, and that Telegram never saw the request.
 */
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import type { AddressInfo } from "net";
import { relayCredential } from "../../components/relay/credentials";
import { renderRelaySettings } from "../../components/relay/relaySettings";
import { connectProxy } from "../../images/relay/bench/connectProxy";
import { FakeTelegram, startFakeTelegram } from "../../images/relay/bench/fakeTelegram";
import { RelayProcess, spawnRelay, writeBotToken } from "../../images/relay/bench/relayProcess";

const MAIN = path.resolve(__dirname, "..", "..", "images", "relay", "src", "main.ts");
const TOKEN = "424242:REAL-bot-token-aaaaaaaaaaaaaaaaaaaa";
const OWNER = "111";
const STRANGER = "999";
const SENDS = 5;
const MAX_FILE = 4096;
const AGENT = relayCredential(TOKEN, "main");
/** The test's cell: loopback, unless a test narrows an agent's. */
const LOOPBACK = ["127.0.0.0/8"];

interface Answer {
    status: number;
    body: any;
}

/** `via`: the client's source address on loopback (the test's cells), and a keep-alive agent. */
function call(port: number, target: string, body?: string | Buffer, contentType = "application/json", method = body === undefined ? "GET" : "POST", via: { from?: string; agent?: http.Agent } = {}): Promise<Answer> {
    return new Promise((resolve, reject) => {
        const req = http.request({ host: "127.0.0.1", port, path: target, method, localAddress: via.from, agent: via.agent, headers: body === undefined ? {} : { "content-type": contentType, "content-length": Buffer.byteLength(body) } }, (res) => {
            const chunks: Buffer[] = [];
            res.on("data", (c: Buffer) => chunks.push(c));
            res.on("end", () => {
                const text = Buffer.concat(chunks).toString();
                let parsed: any;
                try {
                    parsed = JSON.parse(text);
                } catch {
                    parsed = { bytes: text.length };
                }
                resolve({ status: res.statusCode ?? 0, body: parsed });
            });
        });
        req.on("error", reject);
        req.end(body);
    });
}

const bot = (port: number, method: string, json: unknown = {}, token = AGENT) => call(port, `/bot${token}/${method}`, JSON.stringify(json));

function multipart(fields: Array<[string, string]>, fileBytes: number): { body: Buffer; type: string } {
    const b = "----test";
    const parts = fields.map(([k, v]) => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`).join("");
    const body = Buffer.concat([Buffer.from(`${parts}--${b}\r\nContent-Disposition: form-data; name="document"; filename="a.bin"\r\n\r\n`), Buffer.alloc(fileBytes, 120), Buffer.from(`\r\n--${b}--\r\n`)]);
    return { body, type: `multipart/form-data; boundary=${b}` };
}

const audit = (relay: RelayProcess) => fs.readFileSync(relay.auditPath, "utf8").split("\n").filter(Boolean).map((l) => JSON.parse(l));

describe("the Telegram relay in front of the Bot API", () => {
    let telegram: FakeTelegram;
    let proxy: http.Server;
    let relay: RelayProcess;
    const seen = (method: string) => telegram.requests.filter((r) => r.method === method);

    beforeAll(async () => {
        telegram = await startFakeTelegram();
        proxy = connectProxy({ "api.telegram.org:443": `127.0.0.1:${telegram.port}` });
        await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
        relay = await spawnRelay({
            mainPath: MAIN,
            settings: renderRelaySettings({ upstream: "https://api.telegram.org", maxFileBytes: MAX_FILE, agents: [{ name: "main", allowFrom: [OWNER], sendsPerMinute: SENDS, sources: LOOPBACK }] }),
            botTokens: { main: TOKEN },
            proxyPort: (proxy.address() as AddressInfo).port,
            caPem: telegram.caPem,
        });
    }, 30_000);

    afterAll(async () => {
        await relay?.stop();
        proxy?.close();
        await telegram?.close();
    });

    test("the program's credential opens the relay, which calls Telegram through the proxy with the real token", async () => {
        const r = await bot(relay.port, "getMe");
        expect(r).toEqual({ status: 200, body: { ok: true, result: expect.objectContaining({ is_bot: true }) } });
        expect(seen("getMe").map((q) => q.token)).toEqual([TOKEN]);
        expect(audit(relay)).toContainEqual(expect.objectContaining({ component: "relay", source: "main", agent: "main", destination: "api.telegram.org", decision: "allow", reason: "forwarded", method: "getMe", chat: null }));
    });

    // [what, target, body, status, audit reason]
    test.each<[string, string, unknown, number, string]>([
        ["a wrong token", "/bot424242:guess/getMe", {}, 401, "bad-credential"],
        ["the real token (the agent never has it, but it is no key here either)", `/bot${TOKEN}/getMe`, {}, 401, "bad-credential"],
        ["setWebhook", `/bot${AGENT}/setWebhook`, { url: "https://evil.example" }, 403, "method-not-allowed"],
        ["logOut", `/bot${AGENT}/logOut`, {}, 403, "method-not-allowed"],
        ["close", `/bot${AGENT}/close`, {}, 403, "method-not-allowed"],
        ["a method name that is an object property", `/bot${AGENT}/constructor`, {}, 403, "method-not-allowed"],
        ["sendMessage to a stranger", `/bot${AGENT}/sendMessage`, { chat_id: STRANGER, text: "x" }, 403, "chat-not-allowed"],
        ["sendMessage without a chat (inline_message_id edits)", `/bot${AGENT}/editMessageText`, { inline_message_id: "1", text: "x" }, 400, "bad-request"],
        ["getChat of a stranger", `/bot${AGENT}/getChat`, { chat_id: STRANGER }, 403, "chat-not-allowed"],
        ["commands scoped to a stranger's chat", `/bot${AGENT}/setMyCommands`, { commands: [], scope: { type: "chat", chat_id: STRANGER } }, 403, "chat-not-allowed"],
        ["a query string (Telegram would merge it with the body)", `/bot${AGENT}/sendMessage?chat_id=${STRANGER}`, { chat_id: OWNER, text: "x" }, 404, "unknown-target"],
        ["a path trick", `/bot${AGENT}/../setWebhook`, {}, 404, "unknown-target"],
    ])("refuses %s, and Telegram never sees it", async (_what, target, body, status, reason) => {
        const before = telegram.requests.length;
        const r = await call(relay.port, target, JSON.stringify(body));
        expect(r.status).toBe(status);
        expect(r.body).toMatchObject({ ok: false, error_code: status, description: expect.stringContaining(`[secureclaw relay: ${reason}]`) });
        expect(telegram.requests.length).toBe(before);
        expect(audit(relay).pop()).toMatchObject({ decision: "deny", reason });
    });

    test("a form sending chat_id twice, or multipart doing so, is refused (no ambiguity for Telegram to resolve)", async () => {
        const form = await call(relay.port, `/bot${AGENT}/sendMessage`, `chat_id=${OWNER}&chat_id=${STRANGER}&text=x`, "application/x-www-form-urlencoded");
        expect(form.status).toBe(400);
        const parts = multipart([["chat_id", OWNER], ["chat_id", STRANGER]], 10);
        const upload = await call(relay.port, `/bot${AGENT}/sendDocument`, parts.body, parts.type);
        expect(upload.status).toBe(400);
        expect(seen("sendMessage").length + seen("sendDocument").length).toBe(0);
    });

    test("a form is forwarded as the JSON that was checked", async () => {
        const r = await call(relay.port, `/bot${AGENT}/sendChatAction`, `chat_id=${OWNER}&action=typing`, "application/x-www-form-urlencoded");
        expect(r.status).toBe(200);
        expect(seen("sendChatAction").pop()!.body).toEqual({ chat_id: OWNER, action: "typing" });
    });

    test("deleteWebhook is answered by the relay and never forwarded (it could drop the owner's pending messages)", async () => {
        const r = await bot(relay.port, "deleteWebhook", { drop_pending_updates: true });
        expect(r).toEqual({ status: 200, body: { ok: true, result: true } });
        expect(seen("deleteWebhook")).toEqual([]);
    });

    test("getUpdates: a stranger's updates are dropped and logged, the owner's pass; all-dropped updates are confirmed so they don't come back", async () => {
        telegram.updates = [
            { update_id: 10, message: { message_id: 1, from: { id: Number(STRANGER) }, chat: { id: Number(STRANGER), type: "private" }, text: "hi from a stranger" } },
            { update_id: 11, message: { message_id: 2, from: { id: Number(OWNER) }, chat: { id: Number(OWNER), type: "private" }, text: "hi from the owner" } },
            { update_id: 12, message: { message_id: 3, from: { id: Number(OWNER) }, chat: { id: -100123, type: "group" }, text: "the owner in a group" } },
            { update_id: 13, callback_query: { id: "q", from: { id: Number(STRANGER) }, message: { chat: { id: Number(STRANGER) } } } },
            { update_id: 14, poll: { id: "p" } },
        ];
        const r = await bot(relay.port, "getUpdates", { timeout: 0 });
        expect(r.body.result.map((u: any) => u.update_id)).toEqual([11]);
        expect(audit(relay).filter((l) => l.reason === "update-from-stranger").map((l) => l.chat)).toEqual([STRANGER, "-100123", STRANGER, null]);

        // The agent confirms 11; Telegram still holds 12-14, all dropped: the relay moves the offset past them.
        await bot(relay.port, "getUpdates", { offset: 12, timeout: 0 });
        await bot(relay.port, "getUpdates", { offset: 12, timeout: 0 });
        expect(seen("getUpdates").pop()!.body.offset).toBe(15);
    });

    test("files: getFile and downloads over the cap are refused, under it they pass; uploads over the cap are refused", async () => {
        telegram.files.big = MAX_FILE + 1;
        telegram.files.small = 100;
        expect((await bot(relay.port, "getFile", { file_id: "big" })).status).toBe(413);
        expect((await call(relay.port, `/file/bot${AGENT}/documents/big.bin`)).status).toBe(413);
        expect(await call(relay.port, `/file/bot${AGENT}/documents/small.bin`)).toEqual({ status: 200, body: { bytes: 100 } });
        const big = multipart([["chat_id", OWNER]], MAX_FILE + 1);
        expect((await call(relay.port, `/bot${AGENT}/sendDocument`, big.body, big.type)).status).toBe(413);
        // Far larger than a socket buffer: the client still reads the 413 (the relay drains the body), not a reset.
        const huge = multipart([["chat_id", OWNER]], 8 << 20);
        expect((await call(relay.port, `/bot${AGENT}/sendDocument`, huge.body, huge.type)).status).toBe(413);
        const small = multipart([["chat_id", OWNER]], 100);
        expect((await call(relay.port, `/bot${AGENT}/sendDocument`, small.body, small.type)).status).toBe(200);
        expect(seen("sendDocument").length).toBe(1);
    });

    test(`sends past ${SENDS} a minute get 429 with retry_after, and are not forwarded`, async () => {
        const answers: Answer[] = [];
        for (let i = 0; i < SENDS + 2; i++) answers.push(await bot(relay.port, "sendMessage", { chat_id: OWNER, text: `n${i}` }));
        const limited = answers.filter((a) => a.status === 429);
        expect(limited.length).toBeGreaterThanOrEqual(2);
        expect(limited[0].body).toMatchObject({ ok: false, error_code: 429, parameters: { retry_after: expect.any(Number) } });
        expect(seen("sendMessage").filter((q) => String(q.body.text).startsWith("n")).length).toBe(answers.filter((a) => a.status === 200).length);
    });

    test("the token appears in nothing the relay printed or logged", () => {
        expect(relay.output()).not.toContain(TOKEN);
        expect(fs.readFileSync(relay.auditPath, "utf8")).not.toContain(TOKEN);
        expect(fs.readFileSync(relay.auditPath, "utf8")).not.toContain(TOKEN.split(":")[1]);
    });
});

const settingsFor = (agents: Array<{ name: string; allowFrom: string[]; sendsPerMinute?: number; sources?: string[] }>) =>
    renderRelaySettings({ upstream: "https://api.telegram.org", maxFileBytes: 1024, agents: agents.map((a) => ({ sendsPerMinute: 1, sources: LOOPBACK, ...a })) });

describe("relay start-up", () => {
    test.each<[string, Record<string, string>, RegExp]>([
        ["a token file that is not a bot token", { main: "not-a-token" }, /agent main: .*main\.bot-token: the bot token is not <digits>:<secret>/],
        ["an agent without its token file", {}, /agent main: its bot token file .*main\.bot-token can't be read \(ENOENT\)/],
        ["two agents on one bot", { main: "555:one-bot-secret", other: "555:same-bot-other-secret" }, /agents main and other use the same bot \(id 555\): give each agent a bot of its own/],
    ])("exits 78 on %s, saying so without the token", async (_what, botTokens, message) => {
        const started = spawnRelay({ mainPath: MAIN, settings: settingsFor([{ name: "main", allowFrom: [OWNER] }, ...(botTokens.other ? [{ name: "other", allowFrom: [OWNER] }] : [])]), botTokens, proxyPort: 1 });
        await expect(started).rejects.toThrow(/exited 78/);
        await expect(started).rejects.toThrow(message);
        for (const token of Object.values(botTokens)) await expect(started).rejects.not.toThrow(token.split(":").pop());
    });
});

describe("several agents, each with its own bot and its own cell", () => {
    // alice's cell is 127.0.0.2 alone; bob's is all of loopback. The client picks its source address.
    const ALICE = { name: "alice", token: "111:alice-bot-secret-aaaaaaaa", owner: "1001", from: "127.0.0.2" };
    const BOB = { name: "bob", token: "222:bob-bot-secret-bbbbbbbbbb", owner: "2002", from: "127.0.0.4" };
    const N = 3;
    let telegram: FakeTelegram;
    let proxy: http.Server;
    let proxyPort: number;
    const relays: RelayProcess[] = [];
    const start = async (agents: Array<typeof ALICE>, listenHost?: string) => {
        const relay = await spawnRelay({
            mainPath: MAIN, proxyPort, caPem: telegram.caPem, listenHost,
            settings: settingsFor(agents.map((a) => ({ name: a.name, allowFrom: [a.owner], sendsPerMinute: N, sources: a === ALICE ? ["127.0.0.2/32"] : LOOPBACK }))),
            botTokens: Object.fromEntries(agents.map((a) => [a.name, a.token])),
        });
        relays.push(relay);
        return relay;
    };
    const as = (relay: RelayProcess, a: typeof ALICE, method: string, json: unknown = {}, via: { from?: string; agent?: http.Agent } = {}) =>
        call(relay.port, `/bot${relayCredential(a.token, a.name)}/${method}`, JSON.stringify(json), "application/json", "POST", { from: a.from, ...via });
    const toTelegram = (method: string, token: string) => telegram.requests.filter((r) => r.method === method && r.token === token);
    const until = async (what: () => boolean | Promise<boolean>) => {
        for (let i = 0; i < 50 && !(await what()); i++) await new Promise((r) => setTimeout(r, 100));
    };

    beforeAll(async () => {
        telegram = await startFakeTelegram();
        proxy = connectProxy({ "api.telegram.org:443": `127.0.0.1:${telegram.port}` });
        await new Promise<void>((r) => proxy.listen(0, "127.0.0.1", r));
        proxyPort = (proxy.address() as AddressInfo).port;
    }, 30_000);
    afterEach(async () => {
        for (const relay of relays.splice(0)) await relay.stop();
        telegram.requests.length = 0;
        telegram.updates = [];
    });
    afterAll(async () => {
        proxy?.close();
        await telegram?.close();
    });

    test("each agent's calls go to Telegram with its own bot token; getUpdates and chats are per agent", async () => {
        const relay = await start([ALICE, BOB]);
        expect((await as(relay, ALICE, "getMe")).status).toBe(200);
        expect((await as(relay, BOB, "getMe")).status).toBe(200);
        expect(telegram.requests.map((r) => [r.method, r.token])).toEqual([["getMe", ALICE.token], ["getMe", BOB.token]]);

        telegram.updates = [{ update_id: 5, message: { message_id: 1, from: { id: Number(ALICE.owner) }, chat: { id: Number(ALICE.owner), type: "private" }, text: "for alice" } }];
        expect((await as(relay, BOB, "getUpdates", { timeout: 0 })).body.result).toEqual([]);
        expect((await as(relay, ALICE, "getUpdates", { timeout: 0 })).body.result.map((u: any) => u.update_id)).toEqual([5]);
        expect([toTelegram("getUpdates", ALICE.token).length, toTelegram("getUpdates", BOB.token).length]).toEqual([1, 1]);

        // The relay won't deliver to another agent's chats.
        const crossed = await as(relay, ALICE, "sendMessage", { chat_id: BOB.owner, text: "x" });
        expect([crossed.status, crossed.body.description]).toEqual([403, expect.stringContaining("[secureclaw relay: chat-not-allowed]")]);
        expect(telegram.requests.filter((r) => r.method === "sendMessage")).toEqual([]);
        expect(audit(relay).pop()).toMatchObject({ agent: "alice", reason: "chat-not-allowed", chat: BOB.owner });
    });

    test.each<[string, string | undefined]>([
        ["listening on IPv4: peers are plain a.b.c.d", undefined],
        ["listening dual-stack: peers are ::ffff:a.b.c.d", "::"],
    ])("a valid credential from outside its cell is refused exactly like a bad one (%s)", async (_what, listenHost) => {
        const relay = await start([ALICE, BOB], listenHost);
        expect((await as(relay, ALICE, "getMe")).status).toBe(200);
        const bad = await call(relay.port, "/bot111:relay-0000/getMe", "{}", "application/json", "POST", { from: ALICE.from });
        const wrongCell = await as(relay, ALICE, "getMe", {}, { from: "127.0.0.3" });
        expect(wrongCell).toEqual(bad);
        expect(bad.status).toBe(401);
        expect(telegram.requests).toHaveLength(1);
        expect(audit(relay).slice(-2)).toEqual([
            expect.objectContaining({ agent: "-", decision: "deny", reason: "bad-credential" }),
            expect.objectContaining({ agent: "alice", decision: "deny", reason: "wrong-cell" }),
        ]);
        expect((await as(relay, BOB, "getMe", {}, { from: "127.0.0.3" })).status).toBe(200);
    });

    test(`the send rate, in the real process: the ${N + 1}th send in 60 s gets 429 and Telegram saw exactly ${N}; each agent's budget is its own`, async () => {
        const relay = await start([ALICE, BOB]);
        const send = (a: typeof ALICE, i: number) => as(relay, a, "sendMessage", { chat_id: a.owner, text: `n${i}` });
        const alice = [];
        for (let i = 0; i <= N; i++) alice.push(await send(ALICE, i));
        expect(alice.map((a) => a.status)).toEqual([...Array(N).fill(200), 429]);
        expect(alice[N].body).toMatchObject({ ok: false, error_code: 429, parameters: { retry_after: expect.any(Number) } });
        expect(toTelegram("sendMessage", ALICE.token)).toHaveLength(N);
        // alice spent hers; bob has all of his.
        const bob = [];
        for (let i = 0; i <= N; i++) bob.push(await send(BOB, i));
        expect(bob.map((a) => a.status)).toEqual([...Array(N).fill(200), 429]);
        expect(toTelegram("sendMessage", BOB.token)).toHaveLength(N);
        expect(audit(relay).filter((l) => l.reason === "send-rate-limit").map((l) => l.agent)).toEqual(["alice", "bob"]);
    });

    test("an agent added while the relay runs (settings, then its token file) is served without a restart; the other's keep-alive connection carries on", async () => {
        const relay = await start([ALICE]);
        const keepAlive = new http.Agent({ keepAlive: true, maxSockets: 1 });
        const sockets = new Set<unknown>();
        keepAlive.on("free", (socket) => sockets.add(socket));
        expect((await as(relay, ALICE, "getMe", {}, { agent: keepAlive })).status).toBe(200);

        // The settings can land before the token file: the change waits for it, and alice is served meanwhile.
        fs.writeFileSync(relay.settingsPath, settingsFor([{ name: "alice", allowFrom: [ALICE.owner], sources: ["127.0.0.2/32"] }, { name: "bob", allowFrom: [BOB.owner] }]));
        await until(() => relay.output().includes("bob.bot-token can't be read"));
        expect(relay.output()).toContain('"event":"settings-ignored"');
        expect((await as(relay, BOB, "getMe")).status).toBe(401);
        expect((await as(relay, ALICE, "getMe", {}, { agent: keepAlive })).status).toBe(200);

        writeBotToken(relay.tokenDir, "bob", BOB.token);
        await until(async () => (await as(relay, BOB, "getMe")).status === 200);
        expect((await as(relay, BOB, "getMe")).status).toBe(200);
        expect(toTelegram("getMe", BOB.token).length).toBeGreaterThan(0);
        expect((await as(relay, ALICE, "getMe", {}, { agent: keepAlive })).status).toBe(200);
        expect(sockets.size).toBe(1);
        keepAlive.destroy();
        expect(relay.output()).not.toContain(BOB.token.split(":")[1]);
    });

    test("an agent added on a bot another agent has is refused at reload, naming both; the others are served as before", async () => {
        const relay = await start([ALICE, BOB]);
        const CAROL = { name: "carol", token: "111:carol-other-secret-cccccc", owner: "3003", from: "127.0.0.5" };
        writeBotToken(relay.tokenDir, "carol", CAROL.token);
        fs.writeFileSync(relay.settingsPath, settingsFor([ALICE, BOB, CAROL].map((a) => ({ name: a.name, allowFrom: [a.owner], sources: a === ALICE ? ["127.0.0.2/32"] : LOOPBACK }))));
        await until(() => relay.output().includes("same bot"));
        expect(relay.output()).toContain("agents alice and carol use the same bot (id 111): give each agent a bot of its own");
        expect(relay.output()).not.toContain("carol-other-secret");
        expect((await as(relay, CAROL, "getMe")).status).toBe(401);
        expect((await as(relay, ALICE, "getMe")).status).toBe(200);
        expect((await as(relay, BOB, "getMe")).status).toBe(200);
    });
});
