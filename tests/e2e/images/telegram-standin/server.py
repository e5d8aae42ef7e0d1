"""A stand-in for the Telegram Bot API, for the end-to-end suite only.

Serves HTTPS on :443 with a certificate from a test CA (mounted at /certs) and
answers the few Bot API calls a bot makes at start (getMe, getUpdates,
deleteWebhook, setMyCommands, ...) with well-formed empty results. Every
request is recorded in /log/requests.jsonl with the bot token redacted, so the
suite can tell which bot called and that traffic really came through the proxy.
No Telegram servers are contacted.
"""
import hashlib
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

LOG = "/log/requests.jsonl"
LOCK = threading.Lock()
TOKEN_PATH = re.compile(r"^/bot([^/]+)/([A-Za-z]+)")


def record(entry):
    with LOCK, open(LOG, "a", encoding="utf-8") as log:
        log.write(json.dumps(entry) + "\n")


class BotApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        match = TOKEN_PATH.match(self.path)
        method = match.group(2) if match else None
        token = match.group(1) if match else ""
        record({
            "time": time.time(),
            "client": self.client_address[0],
            "http": self.command,
            "method": method,
            "token_sha256": hashlib.sha256(token.encode()).hexdigest() if token else None,
            "host": self.headers.get("Host"),
            "bytes": len(body),
        })
        if method is None:
            self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        elif method == "getMe":
            self._send(200, {"ok": True, "result": {"id": 1000001, "is_bot": True, "first_name": "SecureClaw test bot", "username": "secureclaw_test_bot", "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}})
        elif method == "getUpdates":
            time.sleep(1)
            self._send(200, {"ok": True, "result": []})
        else:
            self._send(200, {"ok": True, "result": True})

    do_GET = _answer
    do_POST = _answer

    def _send(self, status, payload):
        data = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *_args):
        pass


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain("/certs/server.crt", "/certs/server.key")
    server = ThreadingHTTPServer(("0.0.0.0", 443), BotApi)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
