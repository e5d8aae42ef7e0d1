/**
 * A minimal CONNECT proxy for the relay's local tests and benchmark (TEST-ONLY):
 * tunnels `host:port` to the address `pins` maps the host to.
 */
import { createServer, type Server } from "node:http";
import { connect } from "node:net";

export function connectProxy(pins: Record<string, string>): Server {
    const server = createServer((_req, res) => res.writeHead(403).end());
    server.on("connect", (req, client) => {
        const [host, port] = (req.url ?? "").split(":");
        const upstream = connect(Number(port), pins[host] ?? host, () => {
            client.write("HTTP/1.1 200 Connection established\r\n\r\n");
            upstream.pipe(client).pipe(upstream);
        });
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
    });
    return server;
}

if (process.argv[1]?.endsWith("connectProxy.ts")) {
    const [port, pinsJson] = process.argv.slice(2);
    connectProxy(JSON.parse(pinsJson)).listen(Number(port), "127.0.0.1");
}
