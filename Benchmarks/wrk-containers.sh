#!/usr/bin/env bash
# wrk against `GET /api/v1/monitoring/containers` of the release daemon and against Hummingbird's plain
# hello-world, one after the other in the same run, on loopback (wrk shares the 2 cores with the server).
# Needs wrk (apt-get install wrk) and, for containers to list, a running dockerd (DOCKER_HOST or
# /var/run/docker.sock). Build first: `swift build -c release` here and in the parent folder.
set -euo pipefail
cd "$(dirname "$0")"
command -v wrk >/dev/null || { echo "wrk is not installed (apt-get install wrk)" >&2; exit 1; }
daemon="$(cd .. && swift build -c release --show-bin-path)/wakedock-monitor"
hello="$(swift build -c release --show-bin-path)/HelloServer"
socket="${DOCKER_HOST#unix://}"; socket="${socket:-/var/run/docker.sock}"
port_a=18931; port_b=18932
WAKEDOCK_DOCKER_SOCKET="$socket" WAKEDOCK_METRICS_STORAGE_PATH="$(mktemp -d)" "$daemon" serve --port $port_a --interval 1 2>/dev/null &
daemon_pid=$!
"$hello" $port_b 2>/dev/null &
hello_pid=$!
trap 'kill $daemon_pid $hello_pid 2>/dev/null; wait 2>/dev/null' EXIT
sleep 3
echo "containers listed: $(curl -s http://127.0.0.1:$port_a/api/v1/monitoring/containers | grep -o container_id | wc -l)"
for target in "http://127.0.0.1:$port_a/api/v1/monitoring/containers" "http://127.0.0.1:$port_b/hello"; do
    echo "== $target"
    wrk -t2 -c64 -d"${DURATION:-10}"s "$target"
done
