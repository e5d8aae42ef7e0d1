/**
 * The relay's only way to Telegram: an HTTP CONNECT through the egress proxy,
 * then TLS to the API host, verified against the system trust store (plus an
 * optional extra CA, for a test stand-in). The relay's container has no other
 * route, and the proxy allows the API host for the relay's network only.
 * Tunnels are kept alive and reused, so a Bot API call after the first costs
 * no CONNECT and no handshake.
 */
import { request as httpRequest } from "node:http";
import { Agent, type AgentOptions } from "node:https";
import type { Duplex } from "node:stream";
import { connect as tlsConnect, rootCertificates } from "node:tls";

export class ProxyRefused extends Error {}

export class TunnelAgent extends Agent {
    private readonly proxy: { host: string; port: number };
    private readonly trust: string[];

    constructor(proxy: { host: string; port: number }, extraCaPem: string | undefined, options: AgentOptions = {}) {
        super({ keepAlive: true, maxSockets: 16, maxFreeSockets: 4, scheduling: "lifo", ...options });
        this.proxy = proxy;
        this.trust = extraCaPem ? [...rootCertificates, extraCaPem] : [...rootCertificates];
    }

    // Node's Agent waits for the callback when createConnection returns nothing.
    override createConnection(options: Record<string, any>, callback?: (err: Error | null, stream: Duplex) => void): undefined {
        const done = (err: Error | null, stream?: Duplex) => callback?.(err, stream as Duplex);
        const target = `${options.host}:${options.port}`;
        const connect = httpRequest({ host: this.proxy.host, port: this.proxy.port, method: "CONNECT", path: target, headers: { host: target }, timeout: 10_000 });
        connect.once("connect", (res, socket) => {
            if (res.statusCode !== 200) {
                socket.destroy();
                done(new ProxyRefused(`the proxy answered ${res.statusCode} to CONNECT ${target}`));
                return;
            }
            const secure = tlsConnect({ socket, host: options.host, servername: options.servername ?? options.host, ca: this.trust, ALPNProtocols: ["http/1.1"] });
            secure.once("secureConnect", () => done(null, secure));
            secure.once("error", (e) => done(e));
        });
        connect.once("timeout", () => connect.destroy(new Error(`CONNECT ${target} timed out`)));
        connect.once("error", (e) => done(e));
        connect.end();
        return undefined;
    }
}
