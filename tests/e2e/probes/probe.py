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


def http(method, url, key=None, body=None):
    """Plain HTTP to a peer on the enclave network (no proxy), e.g. the gateway."""
    import urllib.request
    handler = urllib.request.ProxyHandler({})
    opener = urllib.request.build_opener(handler)
    data = body.encode() if body else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if key:
        req.add_header("Authorization", f"Bearer {os.environ[key]}")
    try:
        with opener.open(req, timeout=30) as resp:
            out(code=resp.status, body=resp.read().decode(errors="replace")[:4000])
    except urllib.error.HTTPError as err:
        out(code=err.code, body=err.read().decode(errors="replace")[:4000])
    except OSError as err:
        out(code=0, error=str(err))


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
    with open("/proc/sys/net/ipv6/conf/all/disable_ipv6") as f:
        ipv6_disabled = f.read().strip()
    with open("/proc/net/if_inet6") as f:
        ipv6_addresses = f.read().strip()
    out(
        uid=os.getuid(), gid=os.getgid(),
        cap_eff=status.get("CapEff"), cap_prm=status.get("CapPrm"), cap_bnd=status.get("CapBnd"),
        no_new_privs=status.get("NoNewPrivs"),
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


def bench_chat(n, url, key, model):
    """n chat completions (non-streaming) against an OpenAI-style endpoint; `key` is the key itself."""
    import urllib.request
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    body = json.dumps({"model": model, "messages": [{"role": "user", "content": "ping"}], "max_tokens": 16}).encode()
    samples = []
    for _ in range(int(n)):
        req = urllib.request.Request(url, data=body, method="POST")
        req.add_header("Content-Type", "application/json")
        req.add_header("Authorization", f"Bearer {os.environ.get(key, key)}")
        start = time.perf_counter()
        with opener.open(req, timeout=30) as resp:
            resp.read()
        samples.append(time.perf_counter() - start)
    out(**_percentiles(samples))


COMMANDS = {
    "tcp": tcp, "tcp6": tcp6, "resolve": resolve, "connect": connect,
    "http-via-proxy": http_via_proxy, "tls-via-proxy": tls_via_proxy,
    "http": http, "forkbomb": forkbomb, "selfcheck": selfcheck,
    "bench-tls": bench_tls, "bench-chat": bench_chat,
}

if __name__ == "__main__":
    COMMANDS[sys.argv[1]](*sys.argv[2:])
