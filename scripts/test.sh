#!/usr/bin/env bash
# Runs every test of WakeDock Monitor: Swift unit tests (parsers, a cgroup v2 fixture tree, real v1 cgroups on
# this kernel), libFuzzer targets for a bounded time, then end-to-end tests of the real binary (debug, and the
# release build for the load tests) against a real dockerd that the tests start and tear
# down themselves. Needs root (dockerd, cgroups). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

echo "== build (debug, with tests; release for the load tests)"
swift build --build-tests
swift build -c release --product wakedock-monitor

echo "== unit tests (swift test)"
swift test --skip-build

echo "== fuzzing (libFuzzer: kernel-text parsers, history-line reader; WAKEDOCK_FUZZ_SECONDS each, default 30)"
scripts/fuzz.sh

echo "== end-to-end tests (pytest, real dockerd)"
WAKEDOCK_BIN="$(swift build --show-bin-path)/wakedock-monitor" \
WAKEDOCK_RELEASE_BIN="$(swift build -c release --show-bin-path)/wakedock-monitor" \
    python3 -m pytest Tests/e2e "$@"
