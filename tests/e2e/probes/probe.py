"""Attack probes run inside the agent box (python3 - <command> [args...] < probe.py).

Each command prints one JSON object. Every network call is bounded by a short
timeout; the suite only ever points them at the project's own containers.
"""
import json
import os
import socket
import ssl
import sys
import time

PROXY = ("egress-proxy", 3128)


def out(**kw):
    print(json.dumps(kw))


def tcp(host, port, timeout="3"):
    start = time.time()
    try:
        with socket.create_connection((host, int(port)), timeout=float(timeout)):
            out(connected=True, seconds=round(time.time() - start, 2))
    except OSError as err:
        out(connected=False, error=f"{type(err).__name__}: {err}", seconds=round(time.time() - start, 2))


def tcp6(host, port):
    try:
        sock = socket.socket(socket.AF_INET6, socket.SOCK_STREAM)
        sock.settimeout(3)
        sock.connect((host, int(port)))
        out(connected=True)
    except OSError as err:
        out(connected=False, error=f"{type(err).__name__}: {err}")


def resolve(name):
    start = time.time()
    try:
        addrs = sorted({a[4][0] for a in socket.getaddrinfo(name, 443)})
        out(resolved=True, addresses=addrs, seconds=round(time.time() - start, 2))
    except OSError as err:
        out(resolved=False, error=str(err), seconds=round(time.time() - start, 2))


def _proxy_connect(target, port):
    sock = socket.create_connection(PROXY, timeout=5)
    sock.sendall(f"CONNECT {target}:{port} HTTP/1.1\r\nHost: {target}:{port}\r\n\r\n".encode())
    head = b""
    while b"\r\n\r\n" not in head and len(head) < 65536:
        chunk = sock.recv(4096)
        if not chunk:
            break
        head += chunk
    status = head.split(b"\r\n", 1)[0].decode(errors="replace")
    return sock, status


def connect(target, port):
    try:
        sock, status = _proxy_connect(target, port)
        sock.close()
        out(status=status, code=int(status.split()[1]) if len(status.split()) > 1 else 0)
    except OSError as err:
        out(status="", code=0, error=str(err))


def http_via_proxy(url):
    try:
        sock = socket.create_connection(PROXY, timeout=5)
        host = url.split("/")[2]
        sock.sendall(f"GET {url} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        status = sock.recv(4096).split(b"\r\n", 1)[0].decode(errors="replace")
        out(status=status, code=int(status.split()[1]))
    except OSError as err:
        out(status="", code=0, error=str(err))


def tls_via_proxy(host, path, cafile, sni=None):
    try:
        sock, status = _proxy_connect(host, 443)
        if " 200" not in status:
            out(ok=False, proxy_status=status)
            return
        ctx = ssl.create_default_context(cafile=cafile)
        tls = ctx.wrap_socket(sock, server_hostname=sni or host)
        tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        data = b""
        while True:
            chunk = tls.recv(65536)
            if not chunk:
                break
            data += chunk
        head, _, body = data.partition(b"\r\n\r\n")
        out(ok=True, proxy_status=status, status=head.split(b"\r\n", 1)[0].decode(), body=body.decode(errors="replace")[:2000])
    except (OSError, ssl.SSLError) as err:
        out(ok=False, error=f"{type(err).__name__}: {err}")


def _read_all(sock, limit=65536):
    data = b""
    try:
        while len(data) < limit:
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    except (OSError, ssl.SSLError) as err:
        return data, f"{type(err).__name__}: {err}"
    return data, None


def sni_tunnel(host, sni, cafile, path="/"):
    """CONNECT host:443, then a TLS handshake with `sni` ("-": no SNI at all) and one GET.
    The certificate is checked against the CA; the name only when an SNI is sent."""
    try:
        sock, status = _proxy_connect(host, 443)
    except OSError as err:
        out(proxy_status="", handshake=False, error=f"{type(err).__name__}: {err}")
        return
    if " 200" not in status:
        out(proxy_status=status, handshake=False)
        return
    ctx = ssl.create_default_context(cafile=cafile)
    ctx.check_hostname = sni != "-"
    try:
        tls = ctx.wrap_socket(sock, server_hostname=None if sni == "-" else sni)
    except (OSError, ssl.SSLError) as err:
        out(proxy_status=status, handshake=False, error=f"{type(err).__name__}: {err}")
        return
    tls.sendall(f"GET {path} HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
    data, error = _read_all(tls)
    head, _, body = data.partition(b"\r\n\r\n")
    out(proxy_status=status, handshake=True, status=head.split(b"\r\n", 1)[0].decode(errors="replace"), body=body.decode(errors="replace")[:2000], error=error)


def raw_tunnel(host, text):
    """CONNECT host:443, then `text` (not TLS) through the tunnel: what comes back, and how it ends."""
    try:
        sock, status = _proxy_connect(host, 443)
    except OSError as err:
        out(proxy_status="", error=f"{type(err).__name__}: {err}")
        return
    if " 200" not in status:
        out(proxy_status=status)
        return
    try:
        sock.sendall(text.encode())
    except OSError as err:
        out(proxy_status=status, error=f"send: {type(err).__name__}: {err}")
        return
    data, error = _read_all(sock)
    out(proxy_status=status, received=data[:300].decode(errors="replace"), received_bytes=len(data), error=error)


def flood(n, target, connections="4"):
    """n CONNECTs to `target` (host:port, refused by the proxy) over a few keep-alive
    connections, each answer read before the next: how many were answered 403, and how fast."""
    n, connections = int(n), int(connections)
    start = time.time()
    refused = other = 0

    def one_connection(count):
        nonlocal refused, other
        sock = socket.create_connection(PROXY, timeout=10)
        buf = b""
        request = f"CONNECT {target} HTTP/1.1\r\nHost: {target}\r\n\r\n".encode()
        for _ in range(count):
            sock.sendall(request)
            while b"\r\n\r\n" not in buf:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = 0
            for h in head.split(b"\r\n")[1:]:
                name, _, value = h.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value.strip())
            while len(buf) < length:
                chunk = sock.recv(65536)
                if not chunk:
                    return
                buf += chunk
            buf = buf[length:]
            if b" 403 " in head.split(b"\r\n", 1)[0]:
                refused += 1
            else:
                other += 1
        sock.close()

    per = max(1, n // connections)
    _in_threads(connections, lambda _i: one_connection(per))
    seconds = time.time() - start
    out(sent=per * connections, refused=refused, other=other, seconds=round(seconds, 1), per_second=round(refused / seconds))


def _key(spec):
    """A key given as the name of an environment variable holding it (the agent's own), else the literal."""
    return os.environ.get(spec, spec) if spec else None


def _dechunk(data):
    """The body of a chunked transfer encoding (trailers ignored); a cut-off body gives what arrived."""
    out, i = bytearray(), 0
    while True:
        eol = data.find(b"\r\n", i)
        if eol < 0:
            return bytes(out)
        size = int(data[i:eol].split(b";")[0] or b"0", 16)
        if size == 0:
            return bytes(out)
        out += data[eol + 2:eol + 2 + size]
        i = eol + 2 + size + 2


def raw_request(host, port, method, target, key=None, body=None, timeout=30, limit=1 << 20):
    """One HTTP/1.1 request with the request target sent byte for byte (no client normalises
    `..`, `%2e`, `//` or case away), then the whole answer: status, headers, body."""
    data = body.encode() if body is not None else b""
    head = [f"{method} {target} HTTP/1.1", f"Host: {host}:{port}", "Connection: close", "Accept: */*"]
    if key:
        head.append(f"Authorization: Bearer {key}")
    if body is not None:
        head += ["Content-Type: application/json", f"Content-Length: {len(data)}"]
    try:
        sock = socket.create_connection((host, int(port)), timeout=timeout)
    except OSError as err:
        return {"code": 0, "error": f"{type(err).__name__}: {err}", "headers": [], "body": ""}
    received = bytearray()
    error = None
    with sock:
        try:
            sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode() + data)
        except OSError as err:
            # A server that refuses early may close before reading the body; its answer may still be there.
            error = f"send: {type(err).__name__}: {err}"
        try:
            while len(received) < limit:
                chunk = sock.recv(65536)
                if not chunk:
                    break
                received += chunk
        except OSError as err:
            error = f"recv: {type(err).__name__}: {err}"
    head_bytes, _, payload = bytes(received).partition(b"\r\n\r\n")
    lines = head_bytes.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ", 2)
    code = int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0
    headers = [[n.strip(), v.strip()] for n, _, v in (l.partition(":") for l in lines[1:] if l)]
    if any(n.lower() == "transfer-encoding" and "chunked" in v.lower() for n, v in headers):
        payload = _dechunk(payload)
    result = {"code": code, "status": lines[0], "headers": headers, "body": payload.decode(errors="replace")}
    if error:
        result["error"] = error
    return result


def http(method, url, key=None, body=None):
    """Plain HTTP to a peer on the enclave network (no proxy), e.g. the gateway; `key` names an env variable or is the key."""
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    r = raw_request(host, port or "80", method, "/" + path, _key(key), body)
    r["body"] = r["body"][:8000]
    out(**r)


def raw(host, port, requests_json):
    """Several raw requests to host:port, one after another: a JSON list of
    {method, target, key?, body?}; prints {"results": [...]} in the same order."""
    results = []
    for spec in json.loads(requests_json):
        r = raw_request(host, port, spec["method"], spec["target"], _key(spec.get("key")), spec.get("body"))
        r["body"] = r["body"][:8000]
        results.append(r)
    out(results=results)


def burst(n, url, key, body):
    """n identical POSTs sent one after another as fast as they go: codes and bodies."""
    rest = url.split("://", 1)[1]
    hostport, _, path = rest.partition("/")
    host, _, port = hostport.partition(":")
    results = []
    for _ in range(int(n)):
        r = raw_request(host, port or "80", "POST", "/" + path, _key(key), body)
        r["body"] = r["body"][:2000]
        results.append(r)
    out(results=results)


def forkbomb(limit):
    """Fork sleeping children until the kernel refuses; report how many, then reap them."""
    children = []
    error = None
    for _ in range(int(limit)):
        try:
            pid = os.fork()
        except OSError as err:
            error = str(err)
            break
        if pid == 0:
            time.sleep(20)
            os._exit(0)
        children.append(pid)
    for pid in children:
        try:
            os.kill(pid, 9)
        except OSError:
            pass
    for pid in children:
        try:
            os.waitpid(pid, 0)
        except OSError:
            pass
    out(forked=len(children), stopped_by=error)


def _no_new_privs():
    """PR_GET_NO_NEW_PRIVS, asked of the kernel (gVisor's /proc/self/status has no NoNewPrivs line)."""
    import ctypes
    return ctypes.CDLL(None, use_errno=True).prctl(39, 0, 0, 0, 0)


def selfcheck():
    status = {}
    with open("/proc/self/status") as f:
        for line in f:
            key, _, value = line.partition(":")
            status[key] = value.strip()

    def writable(path):
        probe = os.path.join(path, f".secureclaw-probe-{os.getpid()}")
        try:
            with open(probe, "w") as f:
                f.write("x")
            os.remove(probe)
            return True
        except OSError:
            return False

    setuid = []
    for root in ("/usr", "/bin", "/sbin", "/opt"):
        for dirpath, _dirs, files in os.walk(root):
            for name in files:
                p = os.path.join(dirpath, name)
                try:
                    st = os.lstat(p)
                except OSError:
                    continue
                if st.st_mode & 0o6000 and not os.path.islink(p):
                    setuid.append(p)
    try:
        with open("/proc/sys/net/ipv6/conf/all/disable_ipv6") as f:
            ipv6_disabled = f.read().strip()
    except FileNotFoundError:
        ipv6_disabled = None  # gVisor's kernel has no /proc/sys/net; the suite reads the box's namespace from the host
    with open("/proc/net/if_inet6") as f:
        ipv6_addresses = f.read().strip()
    out(
        uid=os.getuid(), gid=os.getgid(),
        cap_eff=status.get("CapEff"), cap_prm=status.get("CapPrm"), cap_bnd=status.get("CapBnd"),
        no_new_privs=status.get("NoNewPrivs"),
        no_new_privs_prctl=_no_new_privs(),
        seccomp=status.get("Seccomp"),
        docker_sock=any(os.path.exists(p) for p in ("/var/run/docker.sock", "/run/docker.sock")),
        writable={p: writable(p) for p in ("/", "/usr", "/etc", "/etc/openclaw", "/etc/openclaw/skills/aider", "/workspace", "/var/lib/openclaw", "/tmp", "/home/node")},
        setuid_files=setuid,
        ipv6_disabled=ipv6_disabled,
        ipv6_addresses=ipv6_addresses,
        gpu_devices=[d for d in os.listdir("/dev") if d.startswith("nvidia")],
    )


def _percentiles(samples):
    samples = sorted(samples)
    pick = lambda q: round(samples[min(len(samples) - 1, int(q * len(samples)))] * 1000, 2)
    return {"n": len(samples), "p50_ms": pick(0.50), "p95_ms": pick(0.95), "max_ms": round(samples[-1] * 1000, 2)}


def bench_tls(n, host, address, cafile, mode):
    """n fresh connections, each: (CONNECT through the proxy or direct TCP) + TLS + one GET."""
    ctx = ssl.create_default_context(cafile=cafile)
    samples = []
    for _ in range(int(n)):
        start = time.perf_counter()
        if mode == "proxy":
            sock, status = _proxy_connect(host, 443)
            assert " 200" in status, status
        else:
            sock = socket.create_connection((address, 443), timeout=5)
        tls = ctx.wrap_socket(sock, server_hostname=host)
        tls.sendall(f"GET /bot1:bench/getMe HTTP/1.1\r\nHost: {host}\r\nConnection: close\r\n\r\n".encode())
        while tls.recv(65536):
            pass
        tls.close()
        samples.append(time.perf_counter() - start)
    out(**_percentiles(samples))


def bench_handshake(n, host, cafile, proxies):
    """n new tunnels through each of `proxies` (comma-separated host:port), taking turns one
    tunnel at a time so that both see the same moments of a noisy machine. Each: CONNECT,
    a full TLS handshake, close. Percentiles per proxy."""
    global PROXY
    ctx = ssl.create_default_context(cafile=cafile)
    targets = [(p.rsplit(":", 1)[0], int(p.rsplit(":", 1)[1])) for p in proxies.split(",")]
    samples = {t: [] for t in targets}
    for _ in range(int(n)):
        for target in targets:
            PROXY = target
            start = time.perf_counter()
            sock, status = _proxy_connect(host, 443)
            assert " 200" in status, status
            tls = ctx.wrap_socket(sock, server_hostname=host)
            samples[target].append(time.perf_counter() - start)
            tls.close()
    out(results=[dict(proxy=f"{h}:{p}", **_percentiles(samples[(h, p)])) for h, p in targets])


def _split_url(url):
    hostport, _, path = url.split("://", 1)[1].partition("/")
    host, _, port = hostport.partition(":")
    return host, int(port or 80), "/" + path


def _in_threads(concurrency, work):
    """Runs work(i) in `concurrency` threads started together; returns (results, wall seconds)."""
    import threading
    results = [None] * concurrency
    gate = threading.Barrier(concurrency + 1)

    def run(i):
        gate.wait()
        results[i] = work(i)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(concurrency)]
    for t in threads:
        t.start()
    gate.wait()
    start = time.perf_counter()
    for t in threads:
        t.join()
    return results, time.perf_counter() - start


class _KeptAlive:
    """One client's HTTP/1.1 connection, reused from call to call as LiteLLM's
    pool and agents' HTTP clients do (a new TCP connection per call would
    measure the handshake, not the path); reopened if the server closed it."""

    def __init__(self, host, port, key):
        import http.client
        self.conn = http.client.HTTPConnection(host, port, timeout=60)
        self.headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {key}"} if key else {})}

    def post(self, path, body, accept="application/json"):
        """Sends one POST; returns the open response (the caller reads it to the end)."""
        import http.client
        for attempt in (0, 1):
            try:
                if self.conn.sock is None:
                    self.conn.connect()
                    self.conn.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                self.conn.request("POST", path, body, {**self.headers, "Accept": accept})
                return self.conn.getresponse()
            except (http.client.RemoteDisconnected, BrokenPipeError, ConnectionResetError):
                self.conn.close()
                if attempt:
                    raise


def bench_chat(n, url, key, model, concurrency="1"):
    """n chat completions (non-streaming), spread over `concurrency` clients, each on its own
    kept-alive connection; `key` names an environment variable or is the key itself.
    Latency percentiles over all n (each client's first call, which opens the connection, is not counted)."""
    host, port, path = _split_url(url)
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 16})
    concurrency = int(concurrency)
    per_client = max(1, int(n) // concurrency)
    errors = []

    def client(_i):
        conn = _KeptAlive(host, port, _key(key))
        samples = []
        for i in range(per_client + 1):
            start = time.perf_counter()
            r = conn.post(path, body)
            r.read()
            if i:
                samples.append(time.perf_counter() - start)
            if r.status != 200:
                errors.append(f"{r.status} {r.reason}")
        conn.conn.close()
        return samples

    results, wall = _in_threads(concurrency, client)
    samples = [s for r in results for s in r]
    out(**_percentiles(samples), concurrency=concurrency, per_second=round(len(samples) / wall, 1), errors=errors[:5], error_count=len(errors))


def _stream_once(conn, path, body):
    """One streamed chat completion on a kept-alive connection: seconds to the first SSE event, to the end, and events seen."""
    start = time.perf_counter()
    first = None
    received = bytearray()
    r = conn.post(path, body, accept="text/event-stream")
    while True:
        chunk = r.read1(262144)
        if not chunk:
            break
        received += chunk
        if first is None and b"data: " in received:
            first = time.perf_counter() - start
    end = time.perf_counter() - start
    # Content events: every data event but [DONE] and the usage chunk (whose choices are empty).
    events = received.count(b"data: {") - received.count(b'"choices": []') - received.count(b'"choices":[]')
    return {"status": f"HTTP/1.1 {r.status} {r.reason}", "first": first, "end": end, "events": events, "done": b"data: [DONE]" in received}


def bench_stream(n, url, key, model, chunks, concurrency="1", gap_ms="0"):
    """n streams (spread over `concurrency` clients, each on its own kept-alive connection) of a
    reply the stand-in emits as `chunks` one-word chunks, as fast as it can (or, with `gap_ms`,
    one word every gap_ms as a model's decode steps come): first-event latency and aggregate
    chunks per second. Each client opens its connection before the clock starts."""
    host, port, path = _split_url(url)
    paced = f", {int(gap_ms)} ms apart" if int(gap_ms) else ""
    body = json.dumps({"model": model, "stream": True, "messages": [{"role": "user", "content": f"secureclaw-bench: emit {int(chunks)} chunks{paced}"}]})
    warm = json.dumps({"model": model, "stream": True, "messages": [{"role": "user", "content": "secureclaw-bench: emit 1 chunks"}]})
    concurrency = int(concurrency)
    per_client = max(1, int(n) // concurrency)
    conns = [_KeptAlive(host, port, _key(key)) for _ in range(concurrency)]
    for conn in conns:
        _stream_once(conn, path, warm)

    def client(i):
        return [_stream_once(conns[i], path, body) for _ in range(per_client)]

    results, wall = _in_threads(concurrency, client)
    streams = [s for r in results for s in r]
    bad = [s for s in streams if " 200" not in s["status"] or not s["done"] or s["events"] < int(chunks)]
    firsts = [s["first"] for s in streams if s["first"] is not None]
    out(streams=len(streams), concurrency=concurrency, first_event=_percentiles(firsts),
        chunks_per_second=round(sum(s["events"] for s in streams) / wall),
        per_stream_chunks_per_second=round(statistics_median([s["events"] / s["end"] for s in streams])),
        incomplete=len(bad), example_bad=bad[:1])


def statistics_median(values):
    values = sorted(values)
    return values[len(values) // 2] if values else 0


def kernel():
    """The kernel the box sees: /proc/version and the start of its log (gVisor's is recognisable)."""
    import subprocess
    with open("/proc/version") as f:
        version = f.read().strip()
    log = subprocess.run(["dmesg"], capture_output=True, text=True, timeout=10)
    out(proc_version=version, release=os.uname().release, dmesg=(log.stdout or log.stderr)[:600])


def bench_syscalls(n):
    """ns per call of a few cheap syscalls, each loop minus an empty loop of the same length."""
    n = int(n)

    def timed(fn):
        start = time.perf_counter_ns()
        for _ in range(n):
            fn()
        return time.perf_counter_ns() - start

    def nothing():
        pass

    def open_close():
        os.close(os.open("/etc/hostname", os.O_RDONLY))

    def read_zero():
        os.read(zero, 1)

    zero = os.open("/dev/zero", os.O_RDONLY)
    calls = {"getpid": os.getpid, "stat": lambda: os.stat("/etc/hostname"), "open+close": open_close, "read 1 byte": read_zero}
    base = min(timed(nothing) for _ in range(3))
    out(n=n, ns_per_call={name: round((min(timed(fn) for _ in range(3)) - base) / n) for name, fn in calls.items()})


COMMANDS = {
    "tcp": tcp, "tcp6": tcp6, "resolve": resolve, "connect": connect,
    "http-via-proxy": http_via_proxy, "tls-via-proxy": tls_via_proxy, "sni-tunnel": sni_tunnel, "raw-tunnel": raw_tunnel, "flood": flood,
    "http": http, "raw": raw, "burst": burst, "forkbomb": forkbomb, "selfcheck": selfcheck,
    "bench-tls": bench_tls, "bench-handshake": bench_handshake, "bench-chat": bench_chat, "bench-stream": bench_stream,
    "kernel": kernel, "bench-syscalls": bench_syscalls,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
