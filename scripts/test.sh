#!/usr/bin/env bash
# Runs every test of WakeDock Monitor: Swift unit tests (parsers, cgroup v2 fixture trees, real v1 cgroups on
# this kernel), libFuzzer targets for a bounded time, then end-to-end tests of the real binary (debug, and the
# release build for the load tests and the cgroup v2 VMs) against a real dockerd that the tests start and tear
# down themselves, and inside two qemu VMs (a v2 kernel; a Debian 12 host with systemd and Docker). Needs root
# (dockerd, cgroups, debootstrap). Installs what it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/install-deps.sh test

echo "== build (debug, with tests; release, as installed on hosts, for the load tests and the cgroup v2 VMs)"
swift build --build-tests
# The Swift runtime linked in: the v2 host VM runs this binary on a Debian without Swift, as users do.
swift build -c release --product wakedock-monitor --static-swift-stdlib

echo "== unit tests (swift test)"
swift test --skip-build

echo "== fuzzing (libFuzzer: kernel-text parsers, history-line reader; WAKEDOCK_FUZZ_SECONDS each, default 30)"
scripts/fuzz.sh

echo "== end-to-end tests (pytest, real dockerd)"
WAKEDOCK_BIN="$(swift build --show-bin-path)/wakedock-monitor" \
WAKEDOCK_RELEASE_BIN="$(swift build -c release --show-bin-path)/wakedock-monitor" \
    python3 -m pytest Tests/e2e "$@"
