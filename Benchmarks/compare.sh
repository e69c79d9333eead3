#!/usr/bin/env bash
# Issue 12's side-by-side on one host, in one run, on the same containers: the six-file C floor, the engine's
# tick, the whole daemon at 1 s and 0.1 s (store, alerts and one WebSocket subscriber on), Netdata's cgroups
# collector at 1 s, and `stats` against `docker stats --no-stream`. Prints every figure and the ratios.
#
#   sudo Benchmarks/compare.sh [--containers N] [--window SECONDS] [--no-netdata]
#
# Installs what it needs (docker.io, busybox-static, netdata, gcc, the Python client packages), builds the
# release binary, and uses a private dockerd in a temporary folder — or the host's own engine when
# /var/run/docker.sock answers (its containers are left alone; ours are named wdc-*). Takes ~4 minutes.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "compare.sh: run as root (it reads every container's cgroup files)" >&2; exit 1; }

packages=()
need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }
need docker.io; need busybox-static; need netdata; need gcc; need libc6-dev; need python3-pip; need iproute2
if [ ${#packages[@]} -gt 0 ]; then
    echo "compare.sh: installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # Debian's policy blocks starting services from a package install here; compare.py runs netdata itself.
    apt-get install -y -qq "${packages[@]}" >/dev/null
fi
python3 -c 'import requests, websocket' 2>/dev/null ||
    python3 -m pip install -q requests websocket-client || python3 -m pip install -q --break-system-packages requests websocket-client
# A netdata the package started would be measured with ours: stop it for the run (compare.py starts its own)
# and start it again afterwards if it was a running service.
if systemctl is-active --quiet netdata 2>/dev/null; then
    systemctl stop netdata
    trap 'systemctl start netdata' EXIT
fi
pkill -x netdata >/dev/null 2>&1 || true

swift build -c release --product wakedock-monitor --static-swift-stdlib >/dev/null
binary="$(swift build -c release --show-bin-path)/wakedock-monitor"
floor="$(mktemp -d)/floor"
gcc -O2 -o "$floor" Benchmarks/compare/floor.c

args=(--binary "$binary" --floor "$floor")
if curl -s --max-time 2 --unix-socket /var/run/docker.sock http://localhost/_ping 2>/dev/null | grep -q OK; then
    args+=(--docker-host unix:///var/run/docker.sock)
fi
python3 Benchmarks/compare/compare.py "${args[@]}" "$@"
