#!/usr/bin/env python3
"""`docker` for the GPU-host stand-in: just the subset SecureClaw's vLLM launch
script uses, backed by a local process (vllm_standin.py) instead of a
container. Anything else fails loudly with exit status 2.

Supported (exactly):
  docker rm -f NAME
  docker run -d --name NAME [--restart X] [--gpus X] [--ipc X] [--shm-size X] [--pids-limit N]
             [-e VAR | -e VAR=VAL]... [-v SRC:DST[:OPTS]]...
             -p [ADDR:]HOSTPORT:8000 IMAGE [vllm args...]
  docker inspect -f '{{.State.Running}}' NAME
  docker logs --tail N NAME
Long options also accept the --opt=value form.

Every `docker run` is recorded as one JSON line in
/var/log/vllm-standin/launches.jsonl: image, vLLM args (any --api-key value
redacted), the names given with -e, whether VLLM_API_KEY reached the server
non-empty, and flags that show a secret on a command line. Secret values are
never written anywhere. Every invocation (argv redacted) also goes to
/var/log/vllm-standin/calls.jsonl.
"""

import json
import os
import re
import signal
import socket
import subprocess
import sys
import time

LOG_DIR = os.environ.get("STANDIN_LOG_DIR", "/var/log/vllm-standin")
STATE_DIR = os.environ.get("STANDIN_STATE_DIR", "/var/lib/vllm-standin")
STANDIN = os.environ.get("STANDIN_SERVER", "/opt/vllm-standin/vllm_standin.py")
SETTINGS_FILE = "/run/gpu-host/standin.env"
CONTAINER_PORT = "8000"
NAME_RE = re.compile(r"^[a-zA-Z0-9][a-zA-Z0-9_.-]*$")
ENV_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]*$")
SECRET_NAME_RE = re.compile(r"(KEY|TOKEN|SECRET|PASSWORD)", re.I)

sys.path.insert(0, os.path.dirname(STANDIN))
try:
    from vllm_standin import parse_vllm_args, redact_argv  # noqa: E402
except ImportError:  # pragma: no cover - only if the image is broken
    parse_vllm_args = None

    def redact_argv(argv):
        return ["<unparsed>"] * len(argv)


class Unsupported(Exception):
    """An invocation outside the supported subset (exit 2)."""


def unsupported(msg):
    raise Unsupported(msg)


def now():
    return time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())


def append_jsonl(name, obj):
    os.makedirs(LOG_DIR, exist_ok=True)
    fd = os.open(os.path.join(LOG_DIR, name), os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    with os.fdopen(fd, "a", encoding="utf-8") as f:
        f.write(json.dumps(obj, sort_keys=True) + "\n")


def redact_call(argv):
    """argv for calls.jsonl: values of -e VAR=VAL and --api-key hidden."""
    out = []
    prev = None
    for a in redact_argv(argv):
        if prev in ("-e",) and "=" in a:
            a = a.split("=", 1)[0] + "=<redacted>"
        out.append(a)
        prev = a
    return out


def container_setting(key):
    """A setting the entrypoint copied from the container's environment."""
    try:
        with open(SETTINGS_FILE, encoding="utf-8") as f:
            for line in f:
                k, _, v = line.strip().partition("=")
                if k == key:
                    return v
    except FileNotFoundError:
        pass
    return None


def state_file(name):
    return os.path.join(STATE_DIR, name + ".json")


def log_file(name):
    return os.path.join(STATE_DIR, name + ".log")


def load_state(name):
    try:
        with open(state_file(name), encoding="utf-8") as f:
            return json.load(f)
    except FileNotFoundError:
        return None


def pid_alive(pid):
    """Running = exists, not a zombie, and is our stand-in (not a reused pid)."""
    try:
        with open("/proc/%d/stat" % pid, encoding="utf-8") as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        with open("/proc/%d/cmdline" % pid, "rb") as f:
            cmdline = f.read()
    except (FileNotFoundError, ProcessLookupError, IndexError):
        return False
    return state != "Z" and os.path.basename(STANDIN).encode() in cmdline


def check_name(name):
    if not NAME_RE.match(name or ""):
        unsupported("invalid container name %r" % name)
    return name


# -- commands ---------------------------------------------------------------

def cmd_rm(args):
    if len(args) != 2 or args[0] != "-f":
        unsupported("only `docker rm -f NAME` is supported")
    name = check_name(args[1])
    st = load_state(name)
    if st is None:
        print("Error response from daemon: No such container: %s" % name, file=sys.stderr)
        return 0  # like docker: rm -f of a missing container is not an error
    pid = st.get("pid")
    if isinstance(pid, int) and pid_alive(pid):
        try:
            os.killpg(pid, signal.SIGKILL)  # docker rm -f kills without grace
        except ProcessLookupError:
            pass
        for _ in range(50):
            if not pid_alive(pid):
                break
            time.sleep(0.1)
    for path in (state_file(name), log_file(name)):
        try:
            os.unlink(path)
        except FileNotFoundError:
            pass
    print(name)
    return 0


def take_value(args, i, opt):
    """Value of option args[i] (either `--opt value` or `--opt=value`)."""
    a = args[i]
    if a.startswith(opt + "="):
        return a[len(opt) + 1:], i + 1
    if i + 1 >= len(args):
        unsupported("%s needs a value" % opt)
    return args[i + 1], i + 2


def cmd_run(args):
    opts = {"detach": False, "name": None, "restart": None, "gpus": None, "ipc": None,
            "shm_size": None, "pids_limit": None, "env": [], "volumes": [], "publish": None}
    single = {"--name": "name", "--restart": "restart", "--gpus": "gpus", "--ipc": "ipc",
              "--shm-size": "shm_size", "--pids-limit": "pids_limit"}
    i = 0
    while i < len(args):
        a = args[i]
        if a == "-d":
            opts["detach"] = True
            i += 1
            continue
        long_opt = a.split("=", 1)[0] if a.startswith("--") else a
        if long_opt in single:
            key = single[long_opt]
            if opts[key] is not None:
                unsupported("%s given twice" % long_opt)
            opts[key], i = take_value(args, i, long_opt)
        elif a == "-e":
            val, i = take_value(args, i, "-e")
            opts["env"].append(val)
        elif a == "-v":
            val, i = take_value(args, i, "-v")
            opts["volumes"].append(val)
        elif a == "-p":
            if opts["publish"] is not None:
                unsupported("only one -p is supported")
            opts["publish"], i = take_value(args, i, "-p")
        elif a.startswith("-"):
            unsupported("unsupported option for docker run: %s" % a)
        else:
            break
    image, vllm_args = (args[i], args[i + 1:]) if i < len(args) else (None, [])
    if not opts["detach"]:
        unsupported("docker run without -d is not supported")
    if not opts["name"]:
        unsupported("docker run needs --name")
    check_name(opts["name"])
    if not image:
        unsupported("docker run needs an IMAGE")
    if opts["publish"] is None:
        unsupported("docker run needs -p [ADDR:]HOSTPORT:8000")

    # -p ADDR:HOSTPORT:8000 or HOSTPORT:8000 (the latter binds every address,
    # exactly what a careful launch script must not do; recorded as such).
    parts = opts["publish"].split(":")
    if len(parts) == 3:
        addr, host_port, cport = parts
    elif len(parts) == 2:
        addr, (host_port, cport) = "0.0.0.0", parts
    else:
        unsupported("-p must be [ADDR:]HOSTPORT:8000 (got %r)" % opts["publish"])
    if cport != CONTAINER_PORT or not host_port.isdigit() or not 0 < int(host_port) < 65536:
        unsupported("-p must be [ADDR:]HOSTPORT:8000 (got %r)" % opts["publish"])
    addr = addr or "0.0.0.0"

    env_names, child_env, literal_secret_names = [], {}, []
    for e in opts["env"]:
        name, eq, val = e.partition("=")
        if not ENV_NAME_RE.match(name):
            unsupported("invalid -e %r" % name)
        env_names.append(name)
        if eq:
            child_env[name] = val
            if SECRET_NAME_RE.search(name):
                literal_secret_names.append(name)
        elif name in os.environ:  # -e VAR: passed through only if set, like docker
            child_env[name] = os.environ[name]
    for v in opts["volumes"]:
        if len(v.split(":")) not in (2, 3):
            unsupported("-v must be SRC:DST[:OPTS] (got %r)" % v)

    name = opts["name"]
    st = load_state(name)
    if st is not None:
        print('docker: Error response from daemon: Conflict. The container name "/%s" is '
              'already in use. You have to remove (or rename) that container to be able to '
              'reuse that name.' % name, file=sys.stderr)
        return 125

    # Fail now, like docker does, if the address cannot be bound.
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((addr, int(host_port)))
    except OSError as err:
        print("docker: Error response from daemon: driver failed programming external "
              "connectivity on endpoint %s: Error starting userland proxy: listen tcp4 %s:%s: "
              "bind: %s." % (name, addr, host_port, err.strerror), file=sys.stderr)
        return 125

    if parse_vllm_args is not None:
        ns, unknown = parse_vllm_args(vllm_args)
        served, model = ns.served, ns.model
        key_from_args = bool(ns.api_key)
    else:
        served, model, unknown, key_from_args = [], None, [], False

    env = {"PATH": "/usr/local/bin:/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
           "PYTHONUNBUFFERED": "1", "STANDIN_BIND_HOST": addr,
           "STANDIN_BIND_PORT": host_port}
    delay = os.environ.get("STANDIN_START_DELAY") or container_setting("STANDIN_START_DELAY")
    if delay:
        env["STANDIN_START_DELAY"] = delay
    env.update(child_env)

    os.makedirs(STATE_DIR, exist_ok=True)
    logf = open(log_file(name), "ab")
    proc = subprocess.Popen([sys.executable, STANDIN] + vllm_args, env=env,
                            stdin=subprocess.DEVNULL, stdout=logf, stderr=subprocess.STDOUT,
                            start_new_session=True, close_fds=True)
    logf.close()
    cid = os.urandom(32).hex()
    with open(state_file(name), "w", encoding="utf-8") as f:
        json.dump({"id": cid, "name": name, "pid": proc.pid, "image": image,
                   "started": now()}, f)

    append_jsonl("launches.jsonl", {
        "time": now(),
        "name": name,
        "image": image,
        "vllm_args": redact_argv(vllm_args),
        "model": model,
        "served_model_name": served,
        "unknown_vllm_flags": redact_argv(unknown),
        "env_names": env_names,
        "vllm_api_key_set": bool(child_env.get("VLLM_API_KEY")) or key_from_args,
        "vllm_api_key_from_env": bool(child_env.get("VLLM_API_KEY")),
        # A secret on a command line is visible in `ps` and `docker inspect`.
        "api_key_in_vllm_args": key_from_args,
        "secret_env_given_literally": literal_secret_names,
        "publish": {"addr": addr, "host_port": int(host_port), "container_port": 8000},
        "binds_all_interfaces": addr in ("0.0.0.0", "::", ""),
        "gpus": opts["gpus"],
        "ipc": opts["ipc"],
        "shm_size": opts["shm_size"],
        "pids_limit": opts["pids_limit"],
        "restart": opts["restart"],
        "volumes": opts["volumes"],
        "pid": proc.pid,
    })
    print(cid)
    return 0


FORMAT_RE = re.compile(r"^\{\{\s*\.State\.Running\s*\}\}$")


def cmd_inspect(args):
    fmt, rest = None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a in ("-f", "--format") or a.startswith("--format="):
            fmt, i = take_value(args, i, "--format" if a.startswith("--format") else "-f")
        elif a.startswith("-"):
            unsupported("unsupported option for docker inspect: %s" % a)
        else:
            rest.append(a)
            i += 1
    if fmt is None or not FORMAT_RE.match(fmt) or len(rest) != 1:
        unsupported("only `docker inspect -f '{{.State.Running}}' NAME` is supported")
    name = check_name(rest[0])
    st = load_state(name)
    if st is None:
        print("Error: No such object: %s" % name, file=sys.stderr)
        return 1
    print("true" if pid_alive(st.get("pid", -1)) else "false")
    return 0


def cmd_logs(args):
    tail, rest = None, []
    i = 0
    while i < len(args):
        a = args[i]
        if a == "--tail" or a.startswith("--tail="):
            tail, i = take_value(args, i, "--tail")
        elif a.startswith("-"):
            unsupported("unsupported option for docker logs: %s" % a)
        else:
            rest.append(a)
            i += 1
    if tail is None or len(rest) != 1 or not (tail.isdigit() or tail == "all"):
        unsupported("only `docker logs --tail N NAME` is supported")
    name = check_name(rest[0])
    if load_state(name) is None:
        print("Error response from daemon: No such container: %s" % name, file=sys.stderr)
        return 1
    try:
        with open(log_file(name), "rb") as f:
            lines = f.read().splitlines(keepends=True)
    except FileNotFoundError:
        lines = []
    if tail != "all":
        lines = lines[-int(tail):] if int(tail) > 0 else []
    sys.stdout.buffer.write(b"".join(lines))
    return 0


COMMANDS = {"rm": cmd_rm, "run": cmd_run, "inspect": cmd_inspect, "logs": cmd_logs}


def main(argv):
    try:
        append_jsonl("calls.jsonl", {"time": now(), "argv": redact_call(argv)})
    except OSError:
        pass
    try:
        if not argv or argv[0] not in COMMANDS:
            unsupported("unsupported docker command: %s" % (argv[0] if argv else "(none)"))
        return COMMANDS[argv[0]](argv[1:])
    except Unsupported as err:
        print("docker (gpu-host stand-in shim): %s\n"
              "supported: rm -f NAME | run -d --name NAME [--restart X] [--gpus X] [--ipc X] "
              "[--shm-size X] [-e VAR[=VAL]]... [-v SRC:DST]... -p [ADDR:]HOSTPORT:8000 IMAGE "
              "[ARGS...] | inspect -f '{{.State.Running}}' NAME | logs --tail N NAME" % err,
              file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
