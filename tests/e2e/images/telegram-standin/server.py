"""A stand-in for the Telegram Bot API. TEST-ONLY: the end-to-end suite runs it;
no stack ever does.

Serves HTTPS on :443 with a certificate from a test CA (mounted at /certs):
getMe, getUpdates (long-polling a queue the tests fill), sendMessage and the
other send/edit calls (answered with a well-formed Message), getFile and file
downloads (/file/bot<TOKEN>/<path>), and `{"ok":true,"result":true}` for the
rest. Every request is recorded in /log/requests.jsonl with the bot token
reduced to its SHA-256, so the suite can tell which bot called and that
traffic really came through the proxy. No Telegram servers are contacted.

Test control API, plain HTTP on :8081 (TEST-ONLY, reachable on the egress
network, never by the enclave: the agent has no route there):
  POST /control/updates  {"from": <user id>, "chat": <chat id>?, "text": "...",
                         "bot": <bot id>?} or {"update": {...raw Update
                         without update_id...}, "bot": <bot id>?}
                         -> {"ok":true,"update_id":N}; getUpdates of that bot
                         (default: DEFAULT_BOT, the e2e agent main's) returns it
  POST /control/files    {"file_id": "...", "size": N} -> getFile reports it,
                         the download serves N bytes
  GET  /control/requests -> {"ok":true,"requests":[{time, client, http,
                         method, token, chat_id, text, bytes}, ...]} (every
                         Bot API request since the last reset, token in full)
  POST /control/reset    -> forget queued updates, files and requests
"""
import hashlib
import json
import re
import ssl
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

LOG = "/log/requests.jsonl"
BOT_PATH = re.compile(r"^/bot([^/]+)/([A-Za-z]+)$")
FILE_PATH = re.compile(r"^/file/bot([^/]+)/(.+)$")
BOT_USER = {"id": 1000001, "is_bot": True, "first_name": "SecureClaw test bot", "username": "secureclaw_test_bot",
            "can_join_groups": False, "can_read_all_group_messages": False, "supports_inline_queries": False}
LONG_POLL_CAP_S = 2.0
# The bot of the e2e stack's agent "main" (tests/e2e/setup.ts E2E_SECRETS.telegramBotToken).
DEFAULT_BOT = "123456"


def bot_id(token):
    """The bot id of a token (the digits before its colon), or None."""
    match = re.match(r"^(\d+):", token)
    return match.group(1) if match else None
MESSAGE_METHODS = {"sendMessage", "editMessageText", "sendDocument", "sendPhoto"}


class State:
    """Everything the control API changes, behind one lock."""

    def __init__(self):
        self.cond = threading.Condition()
        self.reset()

    def reset(self):
        with self.cond:
            # Queued updates by bot id (the digits before a token's colon), as Telegram keeps one queue per bot.
            self.updates = {}
            self.next_update_id = 1
            self.next_message_id = 1
            self.files = {}
            self.requests = []


STATE = State()


def parse_params(handler, body):
    """Bot API parameters from the query, a JSON body, a form, or (roughly) a multipart upload."""
    params = {k: v[0] for k, v in parse_qs(urlsplit(handler.path).query).items()}
    kind = (handler.headers.get("Content-Type") or "").split(";")[0].strip().lower()
    try:
        if kind == "application/json" and body:
            params.update(json.loads(body))
        elif kind == "application/x-www-form-urlencoded":
            params.update({k: v[0] for k, v in parse_qs(body.decode()).items()})
        elif kind == "multipart/form-data":
            for name, value in re.findall(rb'name="([^"]+)"\r\n\r\n([^\r]*)\r\n', body):
                params[name.decode()] = value.decode(errors="replace")
    except (ValueError, UnicodeDecodeError):
        pass
    return params


class BotApi(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else b""
        path = urlsplit(self.path).path
        bot, download = BOT_PATH.match(path), FILE_PATH.match(path)
        token = (bot or download).group(1) if (bot or download) else ""
        method = bot.group(2) if bot else ("file" if download else None)
        params = parse_params(self, body)
        entry = {
            "time": time.time(),
            "client": self.client_address[0],
            "http": self.command,
            "method": method,
            "token_sha256": hashlib.sha256(token.encode()).hexdigest() if token else None,
            "host": self.headers.get("Host"),
            "bytes": len(body),
        }
        with open(LOG, "a", encoding="utf-8") as log:
            log.write(json.dumps(entry) + "\n")
        with STATE.cond:
            STATE.requests.append({**entry, "token": token, "chat_id": str(params.get("chat_id")) if "chat_id" in params else None, "text": params.get("text")})

        if method is None:
            self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
        elif download:
            self._download(download.group(2))
        elif method == "getMe":
            self._send(200, {"ok": True, "result": {**BOT_USER, "id": int(bot_id(token) or BOT_USER["id"])}})
        elif method == "getUpdates":
            self._send(200, {"ok": True, "result": self._updates(bot_id(token), params)})
        elif method == "getFile":
            self._get_file(str(params.get("file_id", "")))
        elif method in MESSAGE_METHODS:
            with STATE.cond:
                message_id = STATE.next_message_id
                STATE.next_message_id += 1
            chat = params.get("chat_id", 0)
            self._send(200, {"ok": True, "result": {"message_id": message_id, "date": int(time.time()), "from": BOT_USER,
                                                    "chat": {"id": int(chat) if str(chat).lstrip("-").isdigit() else 0, "type": "private"},
                                                    "text": params.get("text", "")}})
        else:
            self._send(200, {"ok": True, "result": True})

    def _updates(self, bot, params):
        offset = int(params.get("offset") or 0)
        wait = min(float(params.get("timeout") or 0), LONG_POLL_CAP_S)
        deadline = time.time() + wait
        with STATE.cond:
            # Updates below the offset are confirmed: Telegram forgets them.
            queue = [u for u in STATE.updates.get(bot, []) if u["update_id"] >= offset]
            STATE.updates[bot] = queue
            while not STATE.updates[bot] and time.time() < deadline:
                STATE.cond.wait(deadline - time.time())
            return list(STATE.updates[bot][:int(params.get("limit") or 100)])

    def _get_file(self, file_id):
        with STATE.cond:
            size = STATE.files.get(file_id)
        if size is None:
            self._send(400, {"ok": False, "error_code": 400, "description": "Bad Request: invalid file_id"})
        else:
            self._send(200, {"ok": True, "result": {"file_id": file_id, "file_unique_id": file_id, "file_size": size, "file_path": f"documents/{file_id}.bin"}})

    def _download(self, file_path):
        match = re.match(r"^documents/(.+)\.bin$", file_path)
        with STATE.cond:
            size = STATE.files.get(match.group(1)) if match else None
        if size is None:
            self._send(404, {"ok": False, "error_code": 404, "description": "Not Found"})
            return
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(size))
        self.end_headers()
        chunk = b"x" * 65536
        left = size
        while left > 0:
            self.wfile.write(chunk[:min(left, len(chunk))])
            left -= len(chunk)

    do_GET = _answer
    do_POST = _answer

    def _send(self, status, payload):
        send_json(self, status, payload)

    def log_message(self, *_args):
        pass


def send_json(handler, status, payload):
    data = json.dumps(payload).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(data)))
    handler.end_headers()
    handler.wfile.write(data)


class Control(BaseHTTPRequestHandler):
    """TEST-ONLY control API: queue updates and files, read back requests."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/control/requests":
            with STATE.cond:
                send_json(self, 200, {"ok": True, "requests": list(STATE.requests)})
        else:
            send_json(self, 404, {"ok": False})

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        try:
            body = json.loads(self.rfile.read(length) or b"{}")
        except ValueError:
            send_json(self, 400, {"ok": False, "description": "body must be JSON"})
            return
        if self.path == "/control/reset":
            STATE.reset()
            send_json(self, 200, {"ok": True})
        elif self.path == "/control/files":
            with STATE.cond:
                STATE.files[str(body["file_id"])] = int(body["size"])
            send_json(self, 200, {"ok": True})
        elif self.path == "/control/updates":
            with STATE.cond:
                update_id = STATE.next_update_id
                STATE.next_update_id += 1
                update = body.get("update") or message_update(body)
                bot = str(body.get("bot") or DEFAULT_BOT)
                STATE.updates.setdefault(bot, []).append({**update, "update_id": update_id})
                STATE.cond.notify_all()
            send_json(self, 200, {"ok": True, "update_id": update_id})
        else:
            send_json(self, 404, {"ok": False})

    def log_message(self, *_args):
        pass


def message_update(body):
    """A private text message from user `from` (in chat `chat`, default the same id)."""
    user = int(body["from"])
    chat = int(body.get("chat", user))
    with STATE.cond:
        message_id = STATE.next_message_id
        STATE.next_message_id += 1
    return {"message": {"message_id": message_id, "date": int(time.time()), "text": body.get("text", ""),
                        "from": {"id": user, "is_bot": False, "first_name": f"user{user}"},
                        "chat": {"id": chat, "type": "private", "first_name": f"user{user}"}}}


def main():
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain("/certs/server.crt", "/certs/server.key")
    control = ThreadingHTTPServer(("0.0.0.0", 8081), Control)
    threading.Thread(target=control.serve_forever, daemon=True).start()
    server = ThreadingHTTPServer(("0.0.0.0", 443), BotApi)
    server.socket = context.wrap_socket(server.socket, server_side=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
