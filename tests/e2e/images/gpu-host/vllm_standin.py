#!/usr/bin/env python3
"""A stand-in for vLLM's OpenAI-compatible server, for SecureClaw's e2e tests.

No GPU, no weights, no model: it answers with a fixed, recognisable text.
What it reproduces is the *HTTP surface* that matters for the security tests:

  GET  /health                  200, no auth (as in vLLM)
  GET  /version                 200, no auth
  POST /tokenize, /detokenize   no auth (as in vLLM; shows why vLLM itself
                                must never be reachable from the enclave)
  POST /invocations             full chat completion, NO auth (as in vLLM)
  GET  /v1/models               Bearer <VLLM_API_KEY> required (401 otherwise)
  POST /v1/chat/completions     Bearer required; stream=false and stream=true
  POST /v1/completions          Bearer required (non-streaming)

A TEST-ONLY script (scripted_model.py, the e2e user story) answers the
requests it recognises; for every other one the reply content is
"stand-in reply from <served-model-name>: <last user
message>" (OpenClaw's injected internal-context blocks are skipped). A last
user message "secureclaw-bench: emit N chunks" is answered with N one-word
chunks (N <= 100000), written in batches as fast as the server can: the
benchmark's stream source. "secureclaw-bench: emit N chunks, M ms apart"
paces them as a model's decode steps do (the role and first word at once,
then one word every M ms, M <= 1000): the source of the first-event figure,
which with everything in one write would time the whole stream instead.

Every POST it receives is recorded as one JSON line in STANDIN_REQUEST_LOG
(default /var/log/vllm-standin/requests.jsonl): time, path, whether the key
was right, model, max_tokens, max_completion_tokens, stream, and the first
80 characters of the last user message (a test's marker), so a test can
assert what reached "vLLM" and what never did. Before it listens it waits STANDIN_START_DELAY seconds (default 2),
like vLLM loading weights: until then connections are refused.

Bind address: STANDIN_BIND_HOST / STANDIN_BIND_PORT (set by the docker shim
from `-p ADDR:PORT:8000`), falling back to --host/--port, then 0.0.0.0:8000.
The API key comes from --api-key or the environment variable VLLM_API_KEY
(vLLM's precedence); with neither, /v1 is open, as in vLLM.

Unknown command-line flags are accepted (vLLM has hundreds) and reported.
Python standard library only.
"""

import argparse
import json
import os
import re
import signal
import sys
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import scripted_model  # TEST-ONLY: the e2e user story's scripted replies

MAX_BODY = 1 << 20  # 1 MiB
REQUEST_LOG = os.environ.get("STANDIN_REQUEST_LOG", "/var/log/vllm-standin/requests.jsonl")
BENCH_RE = re.compile(r"^\s*secureclaw-bench: emit (\d+) chunks(?:, (\d+) ms apart)?\s*$")
MAX_BENCH_CHUNKS = 100000
_request_log_lock = threading.Lock()


def record_request(path, authorized, body):
    """One line per POST: what a test needs to know reached the model server (never a key)."""
    last_user = ""
    messages = body.get("messages") if isinstance(body, dict) else None
    for m in messages if isinstance(messages, list) else []:
        if isinstance(m, dict) and m.get("role") == "user":
            last_user = message_text(m.get("content"))
    if not last_user and isinstance(body, dict) and isinstance(body.get("prompt"), str):
        last_user = body["prompt"]
    line = {"time": time.time(), "path": path, "authorized": authorized,
            "model": body.get("model") if isinstance(body, dict) else None,
            "max_tokens": body.get("max_tokens") if isinstance(body, dict) else None,
            "max_completion_tokens": body.get("max_completion_tokens") if isinstance(body, dict) else None,
            "stream": body.get("stream") if isinstance(body, dict) else None,
            "tag": INJECTED_CONTEXT_RE.sub("", last_user).strip()[:80]}
    if path in ("/v1/chat/completions", "/invocations"):
        line.update(scripted_model.record_fields(body))
    try:
        with _request_log_lock, open(REQUEST_LOG, "a") as f:
            f.write(json.dumps(line) + "\n")
    except OSError as err:
        log("WARNING: request log %s not written: %s" % (REQUEST_LOG, err))


def build_parser():
    p = argparse.ArgumentParser(prog="vllm serve (stand-in)", add_help=False,
                                allow_abbrev=False)
    p.add_argument("model_tag", nargs="?", default=None)
    p.add_argument("--model", default=None)
    p.add_argument("--served-model-name", nargs="+", default=None)
    p.add_argument("--max-model-len", type=int, default=None)
    p.add_argument("--host", default=None)
    p.add_argument("--port", type=int, default=None)
    p.add_argument("--api-key", default=None)
    p.add_argument("--gpu-memory-utilization", type=float, default=None)
    p.add_argument("--tensor-parallel-size", "-tp", type=int, default=None)
    p.add_argument("--pipeline-parallel-size", "-pp", type=int, default=None)
    p.add_argument("--dtype", default=None)
    p.add_argument("--quantization", "-q", default=None)
    p.add_argument("--kv-cache-dtype", default=None)
    p.add_argument("--max-num-seqs", type=int, default=None)
    p.add_argument("--max-num-batched-tokens", type=int, default=None)
    p.add_argument("--download-dir", default=None)
    p.add_argument("--revision", default=None)
    p.add_argument("--seed", type=int, default=None)
    p.add_argument("--chat-template", default=None)
    p.add_argument("--generation-config", default=None)
    p.add_argument("--tool-call-parser", default=None)
    p.add_argument("--reasoning-parser", default=None)
    p.add_argument("--uvicorn-log-level", default=None)
    p.add_argument("--enable-auto-tool-choice", action="store_true")
    p.add_argument("--enable-prefix-caching", action="store_true")
    p.add_argument("--trust-remote-code", action="store_true")
    p.add_argument("--disable-log-requests", action="store_true")
    p.add_argument("--disable-log-stats", action="store_true")
    p.add_argument("--disable-fastapi-docs", action="store_true")
    p.add_argument("--enforce-eager", action="store_true")
    return p


def parse_vllm_args(argv):
    """Return (namespace, unknown_flags). Never exits on unknown flags."""
    ns, unknown = build_parser().parse_known_args(argv)
    ns.model = ns.model or ns.model_tag or "unknown-model"
    ns.served = ns.served_model_name or [ns.model]
    ns.max_model_len = ns.max_model_len or 8192
    return ns, unknown


def redact_argv(argv):
    """argv with the value of --api-key hidden (for logs)."""
    out, hide = [], False
    for a in argv:
        if hide:
            out.append("<redacted>")
            hide = False
        elif a == "--api-key":
            out.append(a)
            hide = True
        elif a.startswith("--api-key="):
            out.append("--api-key=<redacted>")
        else:
            out.append(a)
    return out


def log(msg):
    sys.stderr.write("%s %s\n" % (time.strftime("%m-%d %H:%M:%S"), msg))
    sys.stderr.flush()


def words(text):
    return [w for w in str(text).split() if w]


# Agent frameworks append their own context as extra "user" messages (OpenClaw
# wraps them in these markers); the echo should show what the person typed.
INJECTED_CONTEXT_RE = re.compile(
    r"<<<BEGIN_OPENCLAW_INTERNAL_CONTEXT>>>.*?<<<END_OPENCLAW_INTERNAL_CONTEXT>>>", re.S)


def message_text(content):
    """OpenAI message content: a string or a list of parts."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        parts = []
        for part in content:
            if isinstance(part, dict) and part.get("type") == "text":
                parts.append(str(part.get("text", "")))
            elif isinstance(part, str):
                parts.append(part)
        return " ".join(parts)
    return ""


class StandIn:
    def __init__(self, ns, unknown, api_key):
        self.ns = ns
        self.unknown = unknown
        self.api_key = api_key
        self.created = int(time.time())

    def model_ok(self, requested):
        return requested is None or requested in self.ns.served


class Handler(BaseHTTPRequestHandler):
    # Transport as vLLM's uvicorn has it, so the gateway's figures measure the
    # gateway and not this stand-in: HTTP/1.1 with kept-alive connections
    # (LiteLLM reuses its connections to vLLM) and TCP_NODELAY. Without
    # NODELAY, http.server's two writes per answer (headers, then body) meet
    # Nagle's algorithm and the peer's delayed ACK on a reused connection:
    # ~40 ms per answer that real vLLM does not have.
    protocol_version = "HTTP/1.1"
    disable_nagle_algorithm = True
    # Buffered writes: an answer's head and body leave in one segment
    # (http.server flushes after each request; streams flush each chunk).
    wbufsize = 1 << 16
    standin = None  # set in main()

    def version_string(self):  # vLLM runs under uvicorn
        return "uvicorn"

    # -- plumbing ---------------------------------------------------------
    def log_message(self, fmt, *args):  # one line per request, no headers/bodies
        log("INFO: %s - %s" % (self.client_address[0], fmt % args))

    def send_json(self, status, obj, extra_headers=None):
        body = json.dumps(obj).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        for k, v in (extra_headers or {}).items():
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def error_json(self, status, message, etype):
        self.send_json(status, {"error": {"message": message, "type": etype,
                                          "param": None, "code": status}})

    def read_json(self):
        try:
            length = int(self.headers.get("Content-Length") or 0)
        except ValueError:
            length = -1
        if length < 0 or length > MAX_BODY:
            self.close_connection = True  # the body stays unread: the connection cannot carry another request
            self.error_json(413, "request body too large or malformed", "BadRequestError")
            return None
        raw = self.rfile.read(length) if length else b""
        try:
            obj = json.loads(raw or b"{}")
        except ValueError:
            self.error_json(400, "body is not valid JSON", "BadRequestError")
            return None
        if not isinstance(obj, dict):
            self.error_json(400, "body must be a JSON object", "BadRequestError")
            return None
        return obj

    def authorized(self):
        """vLLM --api-key semantics: only /v1 routes are checked."""
        key = self.standin.api_key
        if not key:
            return True
        if self.headers.get("Authorization", "") == "Bearer " + key:
            return True
        self.send_json(401, {"error": "Unauthorized"})
        return False

    # -- routes -----------------------------------------------------------
    def do_GET(self):
        path = self.path.split("?", 1)[0]
        if path in ("/health", "/ping"):
            self.send_response(200)
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif path == "/version":
            self.send_json(200, {"version": "0.0.0-standin"})
        elif path == "/v1/models":
            if self.authorized():
                self.models()
        else:
            self.send_json(404, {"detail": "Not Found"})

    def do_POST(self):
        path = self.path.split("?", 1)[0]
        body = self.read_json()
        if body is None:
            return
        key_ok = not self.standin.api_key or self.headers.get("Authorization", "") == "Bearer " + self.standin.api_key
        record_request(path, key_ok, body)
        if path.startswith("/v1/") and not self.authorized():
            return
        if path in ("/v1/chat/completions", "/invocations"):
            self.chat(body)
        elif path == "/v1/completions":
            self.completion(body)
        elif path == "/tokenize":
            self.tokenize(body)
        elif path == "/detokenize":
            toks = body.get("tokens") or []
            try:
                text = bytes(int(t) & 0xFF for t in toks).decode("utf-8", "replace")
            except (TypeError, ValueError):
                return self.error_json(400, "tokens must be integers", "BadRequestError")
            self.send_json(200, {"prompt": text})
        else:
            self.send_json(404, {"detail": "Not Found"})

    def models(self):
        s = self.standin
        data = [{"id": name, "object": "model", "created": s.created, "owned_by": "vllm",
                 "root": s.ns.model, "parent": None, "max_model_len": s.ns.max_model_len,
                 "permission": []} for name in s.ns.served]
        self.send_json(200, {"object": "list", "data": data})

    def check_model(self, body):
        requested = body.get("model")
        if not self.standin.model_ok(requested):
            self.error_json(404, "The model `%s` does not exist." % requested, "NotFoundError")
            return None
        return requested or self.standin.ns.served[0]

    def chat(self, body):
        model = self.check_model(body)
        if model is None:
            return
        messages = body.get("messages")
        if not isinstance(messages, list) or not messages:
            return self.error_json(400, "messages must be a non-empty list", "BadRequestError")
        last_user = ""
        prompt_words = 0
        for m in messages:
            if not isinstance(m, dict):
                return self.error_json(400, "each message must be an object", "BadRequestError")
            text = message_text(m.get("content"))
            prompt_words += len(words(text))
            if m.get("role") == "user" and INJECTED_CONTEXT_RE.sub("", text).strip():
                last_user = INJECTED_CONTEXT_RE.sub("", text)
        scripted = scripted_model.answer(body)
        if scripted is not None:
            return scripted_model.respond(self, body, model, scripted, prompt_words)
        reply_words = words("stand-in reply from %s: %s" % (self.standin.ns.served[0], last_user))
        bench = BENCH_RE.match(last_user)
        if bench:
            reply_words = ["w"] * min(int(bench.group(1)), MAX_BENCH_CHUNKS)
        finish = "stop"
        max_tokens = body.get("max_completion_tokens") or body.get("max_tokens")
        if isinstance(max_tokens, int) and 0 < max_tokens < len(reply_words):
            reply_words, finish = reply_words[:max_tokens], "length"
        reply = " ".join(reply_words)
        usage = {"prompt_tokens": prompt_words, "completion_tokens": len(reply_words),
                 "total_tokens": prompt_words + len(reply_words)}
        cid = "chatcmpl-" + uuid.uuid4().hex
        created = int(time.time())
        if body.get("stream") is True:
            include_usage = bool((body.get("stream_options") or {}).get("include_usage"))
            gap = min(int(bench.group(2)), 1000) / 1000 if bench and bench.group(2) else 0
            return self.stream_chat(cid, created, model, reply_words, finish,
                                    usage if include_usage else None, batched=bool(bench) and not gap, gap=gap)
        self.send_json(200, {
            "id": cid, "object": "chat.completion", "created": created, "model": model,
            "choices": [{"index": 0, "finish_reason": finish, "logprobs": None,
                         "message": {"role": "assistant", "content": reply,
                                     "tool_calls": []}}],
            "usage": usage,
        })

    def stream_chat(self, cid, created, model, reply_words, finish, usage, batched=False, gap=0):
        """SSE in HTTP chunks; `batched` (the benchmark's source) gathers events into ~16 KiB writes;
        `gap` seconds between words after the first (a decode step)."""
        self.send_response(200)
        self.send_header("Content-Type", "text/event-stream")
        self.send_header("Cache-Control", "no-cache")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        self._batch = [] if batched else None

        def chunk(delta, finish_reason=None, with_usage=None):
            obj = {"id": cid, "object": "chat.completion.chunk", "created": created,
                   "model": model,
                   "choices": [{"index": 0, "delta": delta, "logprobs": None,
                                "finish_reason": finish_reason}]}
            if with_usage is not None:
                obj = dict(obj, choices=[], usage=with_usage)
            self.send_chunk("data: %s\n\n" % json.dumps(obj))

        chunk({"role": "assistant", "content": ""})
        for i, w in enumerate(reply_words):
            if i and gap:
                time.sleep(gap)
            chunk({"content": (" " if i else "") + w})
        chunk({}, finish)
        if usage is not None:
            chunk(None, with_usage=usage)
        self.send_chunk("data: [DONE]\n\n")
        self.flush_batch()
        self.wfile.write(b"0\r\n\r\n")
        self.wfile.flush()

    def send_chunk(self, text):
        batch = getattr(self, "_batch", None)
        if batch is not None:
            batch.append(text)
            if len(batch) >= 64:
                self.flush_batch()
            return
        data = text.encode()
        self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
        self.wfile.flush()

    def flush_batch(self):
        batch = getattr(self, "_batch", None)
        if batch:
            data = "".join(batch).encode()
            self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.flush()
            batch.clear()

    def completion(self, body):
        model = self.check_model(body)
        if model is None:
            return
        prompt = body.get("prompt", "")
        if isinstance(prompt, list):
            prompt = " ".join(str(p) for p in prompt)
        reply_words = words("stand-in reply from %s: %s" % (self.standin.ns.served[0], prompt))
        n_prompt = len(words(prompt))
        self.send_json(200, {
            "id": "cmpl-" + uuid.uuid4().hex, "object": "text_completion",
            "created": int(time.time()), "model": model,
            "choices": [{"index": 0, "text": " ".join(reply_words), "logprobs": None,
                         "finish_reason": "stop"}],
            "usage": {"prompt_tokens": n_prompt, "completion_tokens": len(reply_words),
                      "total_tokens": n_prompt + len(reply_words)},
        })

    def tokenize(self, body):
        if "messages" in body and isinstance(body["messages"], list):
            text = " ".join(message_text(m.get("content")) for m in body["messages"]
                            if isinstance(m, dict))
        else:
            text = str(body.get("prompt", ""))
        tokens = list(text.encode("utf-8"))
        self.send_json(200, {"count": len(tokens), "max_model_len": self.standin.ns.max_model_len,
                             "tokens": tokens})


def main(argv=None):
    argv = sys.argv[1:] if argv is None else argv
    ns, unknown = parse_vllm_args(argv)
    api_key = ns.api_key or os.environ.get("VLLM_API_KEY") or None
    host = os.environ.get("STANDIN_BIND_HOST") or ns.host or "0.0.0.0"
    port = int(os.environ.get("STANDIN_BIND_PORT") or ns.port or 8000)
    try:
        delay = max(0.0, float(os.environ.get("STANDIN_START_DELAY", "2")))
    except ValueError:
        delay = 2.0

    log("INFO: vLLM STAND-IN (no GPU, no weights): args %s" % json.dumps(redact_argv(argv)))
    log("INFO: model=%s served_model_name=%s max_model_len=%d api_key=%s" % (
        ns.model, ",".join(ns.served), ns.max_model_len, "set" if api_key else "NOT SET"))
    if unknown:
        log("WARNING: unknown vLLM flags accepted and ignored: %s" % json.dumps(redact_argv(unknown)))
    log("INFO: simulating model load for %.1fs" % delay)

    stop = threading.Event()

    def on_signal(signum, _frame):
        log("INFO: received signal %d, shutting down" % signum)
        stop.set()
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    if stop.wait(delay):
        return 0

    Handler.standin = StandIn(ns, unknown, api_key)
    # A deeper accept queue than socketserver's 5: eight benchmark clients
    # connecting at once must not wait out a dropped SYN's 1 s retry.
    ThreadingHTTPServer.request_queue_size = 128
    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    log("INFO: Starting vLLM API server (stand-in) on http://%s:%d" % (host, port))
    log("INFO: Application startup complete.")
    try:
        server.serve_forever(poll_interval=0.5)
    except SystemExit:
        pass
    finally:
        server.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
