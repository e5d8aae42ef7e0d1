#!/usr/bin/env bash
# Lints the GitHub Actions workflows with actionlint (pinned), with its
# Uses shellcheck integration for `run:` scripts when shellcheck is available.
# Exits non-zero on any finding.
#
#   scripts/lint-workflows.sh            # lint .github/workflows
#   ACTIONLINT_BIN_DIR=/some/dir ...     # where the actionlint binary is cached
#
# actionlint is built from source with `go install` (Go module proxy); the
# binary is cached, so later runs start at once. shellcheck comes from
# Debian's package: installed automatically when running as root under CI
# (CI=true), otherwise used only if already installed.
set -euo pipefail

ACTIONLINT_VERSION="v1.7.12"
REPO_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BIN_DIR="${ACTIONLINT_BIN_DIR:-${XDG_CACHE_HOME:-${HOME}/.cache}/secureclaw/bin}"
ACTIONLINT="${BIN_DIR}/actionlint"

installed_version() {
    [ -x "${ACTIONLINT}" ] && "${ACTIONLINT}" -version 2>/dev/null | head -n 1 || true
}

if [ "$(installed_version)" != "${ACTIONLINT_VERSION}" ]; then
    if ! command -v go >/dev/null 2>&1; then
        echo "lint-workflows: Go is needed to install actionlint ${ACTIONLINT_VERSION} (go install); install Go or put actionlint ${ACTIONLINT_VERSION} at ${ACTIONLINT}" >&2
        exit 2
    fi
    mkdir -p "${BIN_DIR}"
    echo "lint-workflows: installing actionlint ${ACTIONLINT_VERSION} into ${BIN_DIR}"
    # Outside any module, so the repository's files play no part in the build.
    (cd "$(mktemp -d)" && GOBIN="${BIN_DIR}" GOFLAGS="${GOFLAGS:--buildvcs=false}" go install "github.com/rhysd/actionlint/cmd/actionlint@${ACTIONLINT_VERSION}")
    if [ "$(installed_version)" != "${ACTIONLINT_VERSION}" ]; then
        echo "lint-workflows: ${ACTIONLINT} does not report ${ACTIONLINT_VERSION} after installing" >&2
        exit 2
    fi
fi

shellcheck_flag=()
if ! command -v shellcheck >/dev/null 2>&1; then
    if [ "${CI:-}" = "true" ] && [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        echo "lint-workflows: installing shellcheck (Debian package)"
        if ! { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq shellcheck; } >/tmp/lint-workflows-apt.log 2>&1; then
            echo "lint-workflows: apt-get install shellcheck failed (log: /tmp/lint-workflows-apt.log); continuing without it" >&2
        fi
    fi
fi
if command -v shellcheck >/dev/null 2>&1; then
    echo "lint-workflows: run: scripts are checked with $(shellcheck --version | sed -n 's/^version: /shellcheck /p')"
else
    echo "lint-workflows: note: shellcheck is not installed, so run: scripts are not shell-checked (apt-get install shellcheck, or run as root with CI=true)"
    shellcheck_flag=(-shellcheck=)
fi

cd "${REPO_ROOT}"
shopt -s nullglob
workflows=(.github/workflows/*.yml .github/workflows/*.yaml)
if [ "${#workflows[@]}" -eq 0 ]; then
    echo "lint-workflows: no workflows under .github/workflows" >&2
    exit 1
fi
echo "lint-workflows: actionlint ${ACTIONLINT_VERSION} on ${workflows[*]}"
"${ACTIONLINT}" "${shellcheck_flag[@]}" "${workflows[@]}"
echo "lint-workflows: no findings"
