/**
 * A minimal CONNECT proxy for the relay's unit tests (TEST-ONLY): tunnels a
 * CONNECT to `host:port` to the `address:port` that `pins` maps it to, and
 * refuses every other target with 403, as the egress proxy would. No
 * relative imports, so jest can load it beside the relay's sources.
 */
import { createServer, type Server } from "node:http";
import { connect, type Socket } from "node:net";

export function connectProxy(pins: Record<string, string>): Server {
    const server = createServer((_req, res) => res.writeHead(403).end());
    // Tunnels are not the server's connections: close() ends them here.
    const tunnels = new Set<Socket>();
    const close = server.close.bind(server);
    server.close = (done?: (err?: Error) => void) => {
        for (const s of tunnels) s.destroy();
        return close(done);
    };
    server.on("connect", (req, client: Socket) => {
        tunnels.add(client);
        client.once("close", () => tunnels.delete(client));
        const to = pins[req.url ?? ""];
        if (to === undefined) {
            client.end("HTTP/1.1 403 Forbidden\r\n\r\n");
            return;
        }
        const [host, port] = to.split(":");
        const upstream = connect(Number(port), host, () => {
            client.write("HTTP/1.1 200 Connection established\r\n\r\n");
            upstream.pipe(client).pipe(upstream);
        });
        tunnels.add(upstream);
        upstream.once("close", () => tunnels.delete(upstream));
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
    });
    return server;
}
