#!/bin/sh
# The model link: keep one SSH local forward up, LINK_LISTEN -> LINK_FORWARD_TO
# on the GPU host, reconnecting whenever ssh exits (host down, network cut,
# keepalives missed). The GPU host's authorized_keys allows this key that one
# forward and nothing else; -N asks for no shell.
set -eu

: "${LINK_HOST:?}" "${LINK_SSH_PORT:?}" "${LINK_SSH_USER:?}" "${LINK_LISTEN:?}" "${LINK_FORWARD_TO:?}" "${LINK_HOST_KEY:?}"
dir=/etc/model-link
log() { printf 'model-link: %s\n' "$*" >&2; }

if [ "$LINK_HOST_KEY" = any ]; then
  log "INSECURE: no pinned host key (gpu.insecureAnyHostKey); trusting whatever key $LINK_HOST shows"
  hostkey="-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null"
else
  hostkey="-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$dir/known_hosts -o HostKeyAlgorithms=$LINK_HOST_KEY"
  [ "$LINK_HOST_KEY" = ssh-rsa ] && hostkey="-o StrictHostKeyChecking=yes -o UserKnownHostsFile=$dir/known_hosts -o HostKeyAlgorithms=rsa-sha2-512,rsa-sha2-256"
fi

child=
stop() { [ -n "$child" ] && kill "$child" 2>/dev/null; exit 0; }
trap stop TERM INT

delay=1
while :; do
  started=$(date +%s)
  # LD_PRELOAD: TCP_NODELAY on the transport (see images/model-link/nodelay.c), for ssh only.
  # shellcheck disable=SC2086
  LD_PRELOAD=/usr/local/lib/model-link/libnodelay.so ssh -N -F /dev/null -i "$dir/id_link" -o IdentitiesOnly=yes -o IdentityAgent=none \
    -o BatchMode=yes -o PasswordAuthentication=no -o KbdInteractiveAuthentication=no \
    -o GlobalKnownHostsFile=/dev/null $hostkey \
    -o ExitOnForwardFailure=yes -o ConnectTimeout=10 \
    -o ServerAliveInterval=5 -o ServerAliveCountMax=3 -o TCPKeepAlive=yes \
    -o ForwardAgent=no -o ForwardX11=no -o LogLevel=ERROR \
    -L "$LINK_LISTEN:$LINK_FORWARD_TO" -p "$LINK_SSH_PORT" -l "$LINK_SSH_USER" -- "$LINK_HOST" &
  child=$!
  status=0; wait "$child" || status=$?
  child=
  # A link that stayed up a while starts over from a short wait; a failing one backs off to 10 s.
  if [ $(( $(date +%s) - started )) -gt 30 ]; then delay=1; fi
  log "ssh to $LINK_HOST exited ($status); reconnecting in ${delay}s"
  sleep "$delay" & wait $! || true
  delay=$(( delay * 2 > 10 ? 10 : delay * 2 ))
done
