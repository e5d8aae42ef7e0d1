#!/usr/bin/env bash
# Regenerates a fully hash-pinned lock (every dependency, with hashes) from a
# requirements .in file, for the images' Python (Debian bookworm: CPython 3.11,
# linux x86_64). Needs a python3.11 on the host and access to PyPI. The images
# install the lock with: pip install --require-hashes --no-deps -r <lock>
#
#   scripts/lock-python.sh images/agent/requirements-aider.in images/agent/requirements-aider.txt
#   scripts/lock-python.sh images/litellm/requirements.in images/litellm/requirements.txt
set -euo pipefail
[ $# -eq 2 ] || { echo "usage: $0 REQUIREMENTS.in LOCK.txt" >&2; exit 2; }
in=$(realpath "$1"); out=$(realpath -m "$2")
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "lock-python.sh: needs Python 3.11 (the images' version); set PYTHON=" >&2; exit 1; }

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PY" -m venv "$venv"
# Only PyPI: ignore any local wheel directories configured on this machine.
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pip-tools==7.6.2'
(cd "$(dirname "$in")" && "$venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
  --resolver=backtracking --newline=LF --output-file "$out" "$in")

# PyPI releases 1.82.7 and 1.82.8 of litellm were malicious (2026-03-24).
if grep -Eiq '^litellm==1\.82\.(7|8)([^0-9]|$)' "$out"; then
  echo "lock-python.sh: refusing: the lock contains a malicious litellm release" >&2
  exit 1
fi
echo "lock-python.sh: $(grep -c '^[A-Za-z0-9]' "$out") packages pinned in $out;" \
     "$(grep -E '^(aider-chat|litellm)==' "$out" | cut -d' ' -f1 | tr '\n' ' ')"
