/**
 * A Bot API stand-in over HTTPS on 127.0.0.1, for the relay's unit tests
 * (TEST-ONLY): records every request (method, token, parsed JSON body) and
 * answers getMe, getUpdates (a queue), getFile (registered sizes), file
 * downloads and the send calls. The certificate is made with openssl for the
 * test run. No relative imports (jest loads it beside the relay's sources).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { createServer, type Server } from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";

export interface FakeRequest {
    method: string;
    token: string;
    body: Record<string, unknown>;
    bytes: number;
}

export interface FakeTelegram {
    port: number;
    /** PEM of the self-signed certificate (CN and SAN api.telegram.org): the relay's extra CA. */
    caPem: string;
    requests: FakeRequest[];
    updates: Array<Record<string, unknown>>;
    files: Record<string, number>;
    close(): Promise<void>;
}

export async function startFakeTelegram(): Promise<FakeTelegram> {
    const dir = mkdtempSync(join(tmpdir(), "secureclaw-fake-telegram-"));
    execFileSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=api.telegram.org",
        "-addext", "subjectAltName=DNS:api.telegram.org", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem")], { stdio: "ignore" });
    const caPem = readFileSync(join(dir, "cert.pem"), "utf8");
    const fake = { port: 0, caPem, requests: [] as FakeRequest[], updates: [] as Array<Record<string, unknown>>, files: {} as Record<string, number> };
    const server: Server = createServer({ key: readFileSync(join(dir, "key.pem")), cert: caPem }, (req, res) => {
        const chunks: Buffer[] = [];
        req.on("data", (c: Buffer) => chunks.push(c));
        req.on("end", () => {
            const raw = Buffer.concat(chunks);
            const bot = /^\/bot([^/]+)\/([A-Za-z]+)$/.exec(req.url ?? "");
            const file = /^\/file\/bot([^/]+)\/documents\/(.+)\.bin$/.exec(req.url ?? "");
            let body: Record<string, unknown> = {};
            try {
                body = raw.length > 0 && (req.headers["content-type"] ?? "").startsWith("application/json") ? JSON.parse(raw.toString()) : {};
            } catch {
                body = {};
            }
            fake.requests.push({ method: bot?.[2] ?? (file ? "file" : "unknown"), token: (bot ?? file)?.[1] ?? "", body, bytes: raw.length });
            const json = (status: number, value: unknown) => {
                const text = JSON.stringify(value);
                res.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) }).end(text);
            };
            if (file) {
                const size = fake.files[file[2]];
                if (size === undefined) return json(404, { ok: false, error_code: 404, description: "Not Found" });
                res.writeHead(200, { "content-type": "application/octet-stream", "content-length": size }).end(Buffer.alloc(size, 120));
                return;
            }
            switch (bot?.[2]) {
                case "getMe":
                    return json(200, { ok: true, result: { id: 1, is_bot: true, first_name: "fake" } });
                case "getUpdates": {
                    const offset = Number(body.offset ?? 0);
                    fake.updates = fake.updates.filter((u) => Number(u.update_id) >= offset);
                    return json(200, { ok: true, result: fake.updates });
                }
                case "getFile": {
                    const size = fake.files[String(body.file_id)];
                    return json(200, { ok: true, result: { file_id: body.file_id, file_size: size, file_path: `documents/${body.file_id}.bin` } });
                }
                default:
                    return json(200, { ok: true, result: { message_id: 1, chat: { id: Number(body.chat_id ?? 0) } } });
            }
        });
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    fake.port = (server.address() as { port: number }).port;
    return Object.assign(fake, {
        close: () => new Promise<void>((resolve) => {
            server.closeAllConnections();
            server.close(() => resolve());
        }),
    });
}
