#!/usr/bin/env bash
# Installs gVisor (Debian's runsc package) and registers it with the running
# Docker engine the way `agent.runtime: runsc` needs it: as runtime "runsc"
# with the argument --network=host (its default network mode can't start a
# container on a Docker network). Idempotent: run again, daemon.json
# keeps its entry. As root, with dockerd running (.ci/run starts it first).
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
config=/etc/docker/daemon.json

# Whole outputs go into variables before matching: with pipefail, a reader that
# stops early (grep -q, head) can SIGPIPE the writer and fail the pipeline.
registered() {
  local runtimes
  runtimes=$(docker info --format '{{json .Runtimes}}')
  [[ "$runtimes" =~ \"runsc\":\{[^}]*\"runtimeArgs\":\[\"--network=host\"\] ]]
}

if ! dpkg -s runsc >/dev/null 2>&1; then
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends runsc >/dev/null
fi
version=$(runsc --version)
echo "${version%%$'\n'*}"

# runsc's own installer merges its entry into daemon.json and keeps every
# other key and runtime there (no node or jq needed); run again, it rewrites
# the same entry. Always run: an engine may list runsc from an earlier reload
# while daemon.json has lost it, and would then lose it at its next start.
mkdir -p "$(dirname "$config")"
runsc install --config_file="$config" -- --network=host 2>&1 | grep -v '^$' || true
if ! registered; then
  # SIGHUP makes dockerd re-read daemon.json; running containers are untouched.
  pid=$(cat /var/run/docker.pid 2>/dev/null || pidof dockerd)
  kill -HUP "$pid"
  for _ in $(seq 1 20); do registered && break; sleep 0.5; done
fi
registered || { echo "dockerd does not list runsc with --network=host after reloading $config" >&2; exit 1; }
echo "engine runtimes: $(docker info --format '{{json .Runtimes}}')"
