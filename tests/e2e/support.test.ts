/**
 * The suite's own helpers must never leave an 'error' unhandled: jest turns
 * an uncaught socket or pipe error into "Test suite failed to run" after all
 * tests passed (what `.ci/run` hit with `read ECONNRESET` from attack 2's
 * host listener). Each case provokes the error deterministically; without the
 * handler this file fails the same way.
 *
 * Runs with the end-to-end suite (SECURECLAW_E2E=1); needs no Docker engine.
 */
import * as net from "net";
import { listenOnHost, sh } from "./support";

describe("listenOnHost", () => {
    test("a client that resets the connection is recorded, not thrown", async () => {
        const listener = await listenOnHost("host service\n");
        try {
            const client = net.connect({ host: "127.0.0.1", port: listener.port });
            client.on("error", () => undefined);
            // Wait for the reply, so the server's socket is open and reading when the reset arrives.
            await new Promise<void>((resolve) => client.once("data", () => resolve()));
            client.resetAndDestroy();
            await listener.idle();
            expect(listener.accepted).toBe(1);
            expect(listener.connectionErrors).toEqual(["ECONNRESET"]);
        } finally {
            await listener.close();
        }
    });

    test("a client that leaves without reading does not stop the listener serving", async () => {
        const listener = await listenOnHost("host service\n");
        try {
            // Like probe.py's tcp: connect and close at once.
            await new Promise<void>((resolve, reject) => {
                const client = net.connect({ host: "127.0.0.1", port: listener.port }, () => client.destroy());
                client.on("close", () => resolve());
                client.on("error", reject);
            });
            await listener.idle();
            const reply = await new Promise<string>((resolve, reject) => {
                let text = "";
                const client = net.connect({ host: "127.0.0.1", port: listener.port });
                client.on("data", (d) => (text += d.toString()));
                client.on("end", () => resolve(text));
                client.on("error", reject);
            });
            expect(reply).toBe("host service\n");
            expect(listener.accepted).toBe(2);
        } finally {
            await listener.close();
        }
    });

    test("close() ends open connections and stops listening", async () => {
        const listener = await listenOnHost("host service\n");
        // A client that never closes its side: server.close() alone would wait for it forever.
        const client = net.connect({ host: "127.0.0.1", port: listener.port, allowHalfOpen: true });
        client.on("error", () => undefined);
        try {
            const gotReply = new Promise<void>((resolve) => client.once("end", () => resolve()));
            client.resume();
            await gotReply;
            expect(listener.accepted).toBe(1);
            await listener.close();
            const again = await new Promise<string>((resolve) => {
                const probe = net.connect({ host: "127.0.0.1", port: listener.port }, () => (probe.destroy(), resolve("connected")));
                probe.on("error", (err: NodeJS.ErrnoException) => resolve(err.code ?? err.message));
            });
            expect(again).toBe("ECONNREFUSED");
        } finally {
            client.destroy();
        }
    });
});

describe("sh", () => {
    test("a command that exits without reading its input resolves with its exit code (no uncaught EPIPE)", async () => {
        // More than a pipe buffer, so the write is still pending when `true` exits.
        const result = await sh("true", [], "x".repeat(1 << 20));
        expect(result.code).toBe(0);
    });
});
