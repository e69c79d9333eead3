#!/usr/bin/env bash
# Builds WakeDock Monitor (release) and runs the daemon on its defaults. Extra arguments go to `serve`
# (see `wakedock-monitor serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh run
swift build -c release --product wakedock-monitor
exec "$(swift build -c release --show-bin-path)/wakedock-monitor" serve "$@"
