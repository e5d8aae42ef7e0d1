#!/usr/bin/env bash
# Regenerate requirements-aider.txt: a fully hash-pinned lock of aider-chat and
# every dependency, for the agent image's Python (Debian bookworm: CPython
# 3.11, linux x86_64). Needs a python3.11 on the host and access to PyPI.
# The image installs it with: pip install --require-hashes --no-deps -r ...
set -euo pipefail
cd "$(dirname "$0")"
PY=${PYTHON:-python3.11}
command -v "$PY" >/dev/null || PY=python3
"$PY" -c 'import sys; assert sys.version_info[:2] == (3, 11), sys.version' \
  || { echo "lock-aider.sh: needs Python 3.11 (the image's version); set PYTHON=" >&2; exit 1; }

venv=$(mktemp -d)
trap 'rm -rf "$venv"' EXIT
"$PY" -m venv "$venv"
# Only PyPI: ignore any local wheel directories configured on this machine.
unset PIP_FIND_LINKS PIP_EXTRA_INDEX_URL PIP_INDEX_URL
"$venv/bin/pip" install --quiet --disable-pip-version-check 'pip-tools==7.6.2'
"$venv/bin/pip-compile" --quiet --generate-hashes --allow-unsafe --strip-extras \
  --no-emit-index-url --no-emit-find-links --index-url https://pypi.org/simple \
  --resolver=backtracking --newline=LF \
  --output-file requirements-aider.txt requirements-aider.in

if grep -Eiq '^litellm==1\.82\.(7|8)([^0-9]|$)' requirements-aider.txt; then
  echo "lock-aider.sh: refusing: the lock contains a malicious litellm release" >&2
  exit 1
fi
echo "lock-aider.sh: $(grep -c '^[A-Za-z0-9]' requirements-aider.txt) packages pinned;" \
     "$(grep -E '^(aider-chat|litellm)==' requirements-aider.txt | cut -d' ' -f1 | tr '\n' ' ')"
