#!/bin/sh
# Entrypoint of the GPU-host stand-in (runs under tini as root; sshd drops to
# the user `gpu` for every session).
#   AUTHORIZED_KEY       one OpenSSH public key line; the only key that may log in
#   STANDIN_START_DELAY  optional, seconds the vLLM stand-in "loads" (default 2)
# Host keys are generated fresh at every start (nothing is baked into the
# image); the public host key is printed so a test can pin it in known_hosts.
set -eu

log() { printf 'gpu-host: %s\n' "$*" >&2; }

if [ -z "${AUTHORIZED_KEY:-}" ]; then
  log "FATAL: set AUTHORIZED_KEY to the OpenSSH public key allowed to log in as gpu"
  exit 64
fi

umask 077
keyfile=$(mktemp)
printf '%s\n' "$AUTHORIZED_KEY" > "$keyfile"
if [ "$(grep -c . "$keyfile")" -ne 1 ] || ! ssh-keygen -l -f "$keyfile" >/dev/null 2>&1; then
  rm -f "$keyfile"
  log "FATAL: AUTHORIZED_KEY is not exactly one valid OpenSSH public key"
  exit 64
fi
unset AUTHORIZED_KEY

install -d -o gpu -g gpu -m 0700 /home/gpu/.ssh
install -o gpu -g gpu -m 0600 "$keyfile" /home/gpu/.ssh/authorized_keys
rm -f "$keyfile"
log "authorized key: $(ssh-keygen -l -f /home/gpu/.ssh/authorized_keys)"

# State for the docker shim and logs of the vLLM stand-in (writable by gpu).
install -d -o gpu -g gpu -m 0755 /var/log/vllm-standin /var/lib/vllm-standin

install -d -o root -g root -m 0755 /run/sshd /run/gpu-host

# ssh sessions do not inherit the container's environment: hand the stand-in's
# settings to the docker shim through a file.
: > /run/gpu-host/standin.env
if [ -n "${STANDIN_START_DELAY:-}" ]; then
  case $STANDIN_START_DELAY in
    *[!0-9.]*) log "FATAL: STANDIN_START_DELAY must be a number of seconds"; exit 64 ;;
  esac
  printf 'STANDIN_START_DELAY=%s\n' "$STANDIN_START_DELAY" > /run/gpu-host/standin.env
fi
chmod 0644 /run/gpu-host/standin.env
if [ ! -f /run/gpu-host/ssh_host_ed25519_key ]; then
  ssh-keygen -q -t ed25519 -N '' -C gpu-host-standin -f /run/gpu-host/ssh_host_ed25519_key
fi
printf 'gpu-host: host key: %s\n' "$(cat /run/gpu-host/ssh_host_ed25519_key.pub)"

/usr/sbin/sshd -t -f /etc/ssh/sshd_config
umask 022   # sessions: the launch records must stay world-readable
log "sshd listening on port 22 (public-key auth only, user gpu)"
exec /usr/sbin/sshd -D -e -f /etc/ssh/sshd_config
