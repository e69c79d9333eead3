#!/usr/bin/env bash
# Runs every test of WakeDock Monitor: Swift unit tests (parsers, a cgroup v2 fixture tree, real v1 cgroups on
# this kernel), then end-to-end tests of the real binary against a real dockerd that the tests start and tear
# down themselves. Needs root (dockerd, cgroups). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

echo "== build"
swift build --build-tests

echo "== unit tests (swift test)"
swift test --skip-build

echo "== end-to-end tests (pytest, real dockerd)"
WAKEDOCK_BIN="$(swift build --show-bin-path)/wakedock-monitor" python3 -m pytest Tests/e2e "$@"
