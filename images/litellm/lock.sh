#!/usr/bin/env bash
# Regenerate requirements.txt: a fully hash-pinned lock of litellm[proxy] and
# every dependency, for the image's Python (Debian bookworm: CPython 3.11,
# linux x86_64). Needs a python3.11 on the host and access to PyPI.
# The image installs it with: pip install --require-hashes --no-deps -r ...
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "lock.sh: needs Python 3.11 (the image's version); set PYTHON=" >&2; exit 1; }

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PY" -m venv "$venv"
# Only PyPI: ignore any local wheel directories configured on this machine.
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pip-tools==7.6.2'
"$venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
  --resolver=backtracking --newline=LF \
  --output-file requirements.txt requirements.in

# PyPI releases 1.82.7 and 1.82.8 were malicious (2026-03-24).
if grep -Eiq '^litellm==1\.82\.(7|8)([^0-9]|$)' requirements.txt; then
  echo "lock.sh: refusing: the lock contains a malicious litellm release" >&2
  exit 1
fi
echo "lock.sh: $(grep -c '^[A-Za-z0-9]' requirements.txt) packages pinned;" \
     "$(grep -E '^litellm==' requirements.txt | cut -d' ' -f1)"
