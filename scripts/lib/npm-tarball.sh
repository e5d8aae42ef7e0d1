# shellcheck shell=bash
# npm-tarball.sh — sourced, not run. Fetches a pinned npm package tarball and
# checks it against its Subresource Integrity string before anyone uses it.
# The caller defines log, die and need, and sets NPM_CACHE_DIR.

# sri_of FILE -> "sha512-<base64>", the form `npm view <pkg> dist.integrity` prints
sri_of() { printf 'sha512-%s' "$(openssl dgst -sha512 -binary "$1" | base64 -w0)"; }

# fetch_npm_tarball NAME VERSION INTEGRITY -> path of the verified tarball
fetch_npm_tarball() {
  local name=$1 version=$2 integrity=$3
  local file="$NPM_CACHE_DIR/$name-$version.tgz"
  mkdir -p "$NPM_CACHE_DIR"
  if [ -f "$file" ] && [ "$(sri_of "$file")" = "$integrity" ]; then
    log "npm tarball cache: reusing $file" >&2
  else
    need npm
    need openssl
    log "npm pack $name@$version" >&2
    rm -f "$file"
    (cd "$NPM_CACHE_DIR" && npm pack --silent "$name@$version" >/dev/null) \
      || die "npm pack $name@$version failed"
    [ -f "$file" ] || die "npm pack did not produce $file"
    local got; got=$(sri_of "$file")
    if [ "$got" != "$integrity" ]; then
      rm -f "$file"
      die "$name@$version integrity mismatch: expected $integrity, got $got"
    fi
  fi
  printf '%s\n' "$file"
}
