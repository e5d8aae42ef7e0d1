#!/usr/bin/env bash
# build-images.sh — build SecureClaw's local images (and the e2e GPU-host
# stand-in) with BuildKit, after making sure the base images exist.
#
# Usage: scripts/build-images.sh [--no-cache] [squid|agent|door|relay|litellm|model-link|gpu-host|all]...
#
#   SECURECLAW_TAG       tag for every image (default: local)
#   SECURECLAW_BUILD_CA  path of a CA bundle to trust *during the build only*
#                        (for a machine whose HTTPS goes through an
#                        intercepting proxy). Passed as the BuildKit secret
#                        `build_ca`; never stored in an image. Leave unset on
#                        a normal machine.
#   DOCKER               docker client to use (default: the first one on PATH
#                        that can run BuildKit builds)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
TAG="${SECURECLAW_TAG:-local}"
NO_CACHE=()
TARGETS=()
for arg in "$@"; do
  case "$arg" in
    --no-cache) NO_CACHE=(--no-cache) ;;
    squid|agent|door|relay|litellm|model-link|gpu-host) TARGETS+=("$arg") ;;
    all) TARGETS+=(squid agent door relay litellm model-link gpu-host) ;;
    -h|--help) sed -n '2,17p' "$0"; exit 0 ;;
    *) echo "build-images: unknown argument: $arg" >&2; exit 2 ;;
  esac
done
[ ${#TARGETS[@]} -gt 0 ] || TARGETS=(squid agent door relay litellm model-link gpu-host)

# Each image's Dockerfile folder. Its build context is that folder, except
# for door and relay: they build from images/ so both can COPY
# images/sidecar-kit (images/.dockerignore keeps that context small).
declare -A DIR=(
  [squid]=images/squid
  [agent]=images/agent
  [door]=images/door
  [relay]=images/relay
  [litellm]=images/litellm
  [model-link]=images/model-link
  [gpu-host]=tests/e2e/images/gpu-host
)
context_of() { case "$1" in door|relay) echo "$ROOT/images" ;; *) echo "$ROOT/${DIR[$1]}" ;; esac; }
image_of() { case "$1" in gpu-host) echo "secureclaw-test/gpu-host:$TAG" ;; *) echo "secureclaw/$1:$TAG" ;; esac; }

# A client that can do `DOCKER_BUILDKIT=1 docker build`: either one with the
# buildx plugin, or an older (< 23) one with BuildKit built in. (Docker CLI
# 23+ without buildx refuses BuildKit builds.)
pick_docker() {
  local c major
  for c in ${DOCKER:-} $(type -ap docker); do
    [ -x "$(command -v "$c")" ] || continue
    if "$c" buildx version >/dev/null 2>&1; then echo "$c"; return; fi
    major=$("$c" version --format '{{.Client.Version}}' 2>/dev/null | cut -d. -f1 || true)
    if [[ "$major" =~ ^[0-9]+$ ]] && [ "$major" -lt 23 ]; then echo "$c"; return; fi
  done
  echo "build-images: no docker client that can run BuildKit builds (install docker-buildx)" >&2
  exit 1
}
DOCKER_BIN=$(pick_docker)

SECRET=()
if [ -n "${SECURECLAW_BUILD_CA:-}" ]; then
  [ -r "$SECURECLAW_BUILD_CA" ] || { echo "build-images: cannot read $SECURECLAW_BUILD_CA" >&2; exit 1; }
  SECRET=(--secret "id=build_ca,src=$SECURECLAW_BUILD_CA")
fi

"$ROOT/scripts/make-base-images.sh"

for t in "${TARGETS[@]}"; do
  start=$(date +%s)
  image=$(image_of "$t")
  echo "[build-images] $image from ${DIR[$t]}"
  DOCKER_BUILDKIT=1 "$DOCKER_BIN" build --progress=plain "${NO_CACHE[@]}" "${SECRET[@]}" \
    -t "$image" -f "$ROOT/${DIR[$t]}/Dockerfile" "$(context_of "$t")" >"/tmp/secureclaw-build-$t.log" 2>&1 \
    || { tail -n 30 "/tmp/secureclaw-build-$t.log" >&2; echo "build-images: $t failed (log: /tmp/secureclaw-build-$t.log)" >&2; exit 1; }
  size=$("$DOCKER_BIN" image inspect -f '{{.Size}}' "$image" | awk '{printf "%.0f MB", $1/1e6}')
  echo "[build-images] $image: $(( $(date +%s) - start ))s, $size"
done
