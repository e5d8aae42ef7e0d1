#!/bin/sh
# run-squid.sh — PID 1 of the SecureClaw egress proxy container.
#
# * validates $SQUID_CONF_DIR/squid.conf (squid -k parse) and refuses to start
#   on an invalid configuration;
# * runs squid in the foreground (-N) as a child, forwards TERM/INT/QUIT to it
#   and exits with its status when it exits;
# * every $SQUID_POLL_SECONDS (default 2) checksums the files in
#   $SQUID_CONF_DIR; on a change it validates the new configuration and sends
#   SIGHUP to squid (a reload in place), or keeps the running configuration
#   and says why if the new one is invalid;
# * on the same tick, rotates the logs (SIGUSR1: squid keeps logfile_rotate
#   old files) once the audit log passes $SQUID_ROTATE_BYTES, so a flood of
#   refused CONNECTs can't fill the disk;
# * before anything else, makes the throwaway certificate squid's ssl-bump
#   port requires, in a tmpfs ($SQUID_TLS_DIR): a fresh self-signed key at
#   every start, never stored, never a CA (it signs nothing), and never shown
#   to a client (that port only peeks at ClientHellos and splices or cuts);
# * after every start and reload, sends one warm-up request so squid probes
#   its own SNI port while it listens (see squid.conf).
#
# The configuration directory is mounted read-only and written by someone
# else; mount the directory, not single files (a file replaced by rename is
# not seen through a single-file bind mount).
set -u

CONF_DIR=${SQUID_CONF_DIR:-/etc/squid/secureclaw}
CONF=$CONF_DIR/squid.conf
POLL=${SQUID_POLL_SECONDS:-2}
TLS_DIR=${SQUID_TLS_DIR:-/tmp/squid-tls}
LOG_DIR=${SQUID_LOG_DIR:-/var/log/squid}
AUDIT_LOG=$LOG_DIR/${SQUID_AUDIT_FILE:-audit.jsonl}
ROTATE_BYTES=${SQUID_ROTATE_BYTES:-4194304}
PORT=${SQUID_PORT:-3128}
WARMUP_NAME=${SQUID_WARMUP_NAME:-sni-port-warmup.invalid}

log() { printf '%s run-squid: %s\n' "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$*" >&2; }

case $POLL in
  ''|*[!0-9]*|0) log "SQUID_POLL_SECONDS must be a positive integer (got '$POLL')"; exit 64 ;;
esac
case $ROTATE_BYTES in
  ''|*[!0-9]*|0) log "SQUID_ROTATE_BYTES must be a positive integer (got '$ROTATE_BYTES')"; exit 64 ;;
esac

# The certificate ssl-bump insists on (squid -k parse fails without it).
# EC P-256: made in milliseconds. Lives one container life, in a tmpfs.
umask 077
mkdir -p "$TLS_DIR" || { log "FATAL: cannot create $TLS_DIR (mount a writable tmpfs at /tmp)"; exit 73; }
if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 3650 \
    -subj "/CN=secureclaw-egress-proxy-unused" -addext "basicConstraints=critical,CA:FALSE" \
    -keyout "$TLS_DIR/key.pem" -out "$TLS_DIR/cert.pem" >/dev/null 2>&1; then
  log "FATAL: could not make the throwaway certificate in $TLS_DIR"
  exit 73
fi
umask 022

if [ ! -r "$CONF" ]; then
  log "FATAL: $CONF is missing or unreadable; mount the configuration directory at $CONF_DIR"
  exit 78
fi

# Checksum of every regular file (following symlinks) under the config dir,
# names included, so that adds, removals and renames count as changes.
conf_sum() {
  find -L "$CONF_DIR" -type f -print0 2>/dev/null | LC_ALL=C sort -z \
    | xargs -0 -r sha256sum 2>/dev/null | sha256sum | cut -d' ' -f1
}

# Validate; on failure print squid's complaints (errors first) to stderr.
PARSE_OUT=
conf_ok() {
  if PARSE_OUT=$(squid -k parse -f "$CONF" 2>&1); then
    return 0
  fi
  return 1
}
parse_errors() {
  printf '%s\n' "$PARSE_OUT" | grep -Ei 'error|fatal|bungled|unrecognized' | head -n 20 >&2 \
    || printf '%s\n' "$PARSE_OUT" | tail -n 20 >&2
}

sum=$(conf_sum)
if ! conf_ok; then
  log "FATAL: squid -k parse rejected $CONF; not starting:"
  parse_errors
  exit 78
fi

squid -N -f "$CONF" &
SQUID_PID=$!
log "started squid (pid $SQUID_PID) with $CONF; watching $CONF_DIR every ${POLL}s"

# Requests that make squid probe its SNI port (answered 500 or 403, never
# forwarded anywhere: the name is .invalid, and the SNI port refuses it).
# Squid probes that port once when it (re)configures, before the port listens,
# and re-probes at most once a second when a request needs it; until then a
# tunnel gets 500. Four a second for three seconds keep that window to about
# a second. In the background, so signals are still handled at once.
warm_up() {
  (
    for _ in 1 2 3 4 5 6 7 8 9 10 11 12; do
      sleep 0.25
      bash -c "exec 3<>/dev/tcp/127.0.0.1/$PORT && printf 'CONNECT $WARMUP_NAME:443 HTTP/1.1\r\nHost: $WARMUP_NAME:443\r\n\r\n' >&3 && timeout 5 head -c 12 <&3 >/dev/null" 2>/dev/null
    done
  ) &
}
warm_up

# Rotation by size: squid renames audit.jsonl to .0 (.0 to .1, ...) on SIGUSR1.
rotate_if_big() {
  size=$(stat -c %s "$AUDIT_LOG" 2>/dev/null || echo 0)
  if [ "$size" -gt "$ROTATE_BYTES" ]; then
    kill -USR1 "$SQUID_PID" 2>/dev/null || log "could not signal squid (pid $SQUID_PID) to rotate"
  fi
}

STOPPING=0
# shellcheck disable=SC2317  # invoked from the traps below
forward() {
  STOPPING=1
  log "received $1, passing it to squid"
  kill "-$1" "$SQUID_PID" 2>/dev/null
}
trap 'forward TERM' TERM
trap 'forward INT' INT
trap 'forward QUIT' QUIT
trap '' HUP   # a HUP for us must not kill the supervisor; reloads are ours to send

# Alive = exists and is not a zombie waiting to be reaped.
squid_alive() {
  [ -r "/proc/$SQUID_PID/stat" ] || return 1
  state=$(sed 's/^.*) //' "/proc/$SQUID_PID/stat" 2>/dev/null | cut -c1)
  [ -n "$state" ] && [ "$state" != Z ]
}

while squid_alive; do
  # A bounded sleep in the background so that signals are handled at once.
  sleep "$POLL" &
  wait $! 2>/dev/null
  [ "$STOPPING" -eq 1 ] && break
  squid_alive || break
  rotate_if_big
  new=$(conf_sum)
  [ "$new" = "$sum" ] && continue
  sum=$new
  if conf_ok; then
    log "configuration in $CONF_DIR changed and parses; reloading squid (SIGHUP)"
    kill -HUP "$SQUID_PID" 2>/dev/null || log "could not signal squid (pid $SQUID_PID)"
    warm_up
  else
    log "configuration in $CONF_DIR changed but squid -k parse rejects it; keeping the running configuration:"
    parse_errors
  fi
done

# wait returns early (status > 128) when a trapped signal arrives; keep
# waiting until squid itself is gone.
while :; do
  wait "$SQUID_PID"
  rc=$?
  squid_alive || break
done
log "squid exited with status $rc"
exit "$rc"
