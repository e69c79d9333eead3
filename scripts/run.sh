#!/usr/bin/env bash
# Builds WakeDock Monitor (release) and runs the daemon on its defaults. Extra arguments go to `serve`
# (see `wakedock-monitor serve --help`).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh run
# The Swift runtime linked in (--static-swift-stdlib): the binary then runs on hosts without a Swift toolchain,
# and this is the same build as the test command's, so neither rebuilds the other's.
swift build -c release --product wakedock-monitor --static-swift-stdlib
exec "$(swift build -c release --show-bin-path)/wakedock-monitor" serve "$@"
