#!/usr/bin/env bash
# Wall time of `wakedock-monitor stats` next to `docker stats --no-stream`, same containers, same run.
# Needs a running dockerd with containers (DOCKER_HOST or /var/run/docker.sock) and hyperfine
# (`apt-get install hyperfine`). Uses the release binary: build it with `swift build -c release` first.
set -euo pipefail
cd "$(dirname "$0")/.."
bin="$(swift build -c release --show-bin-path)/wakedock-monitor"
socket="${DOCKER_HOST#unix://}"
socket="${socket:-/var/run/docker.sock}"
command -v hyperfine >/dev/null || { echo "hyperfine is not installed (apt-get install hyperfine)" >&2; exit 1; }
hyperfine --warmup 1 --runs "${RUNS:-10}" --export-markdown /dev/stdout \
    "WAKEDOCK_DOCKER_SOCKET=$socket $bin stats" \
    "docker stats --no-stream"
