#!/usr/bin/env bash
# Installs what WakeDock Monitor needs on a Debian 12 machine, only where it is missing.
#   install-deps.sh run   — what the daemon needs at run time
#   install-deps.sh test  — plus a Docker engine, busybox (the test image), curl, iproute2, Prometheus and pytest
set -euo pipefail

purpose=${1:-run}
packages=()
need() { dpkg -s "$1" >/dev/null 2>&1 || packages+=("$1"); }

if ! command -v swift >/dev/null 2>&1; then
    echo "install-deps: no Swift toolchain on PATH (Swift 6.1 or later is needed to build; see swift.org)" >&2
    exit 1
fi
need zlib1g-dev       # compress-nio links zlib (history files are gzipped)
need libsystemd-dev   # journal entries and sd_notify (CSystemd)
if [ "$purpose" = test ]; then
    need systemd      # systemd-journald, journalctl and systemd-analyze for the journal tests
    need docker.io
    need busybox-static
    need curl
    need openssl      # the TLS tests make their certificates as an operator would
    need iproute2
    need python3-pip
    need wrk          # load against the history endpoints (the tick must not wait for it)
    need qemu-system-x86  # a real cgroup v2 kernel, booted under emulation (Tests/vm)
    need cpio
    need debootstrap  # the Debian 12 host of the full cgroup v2 VM test
    need e2fsprogs    # mke2fs -d: that host's root filesystem image, without a loop mount
    need prometheus   # promtool and a real Prometheus that scrapes /metrics (the package starts no service here)
    need chromium     # the dashboard's tests: a real headless browser driven over the DevTools protocol
fi
if [ ${#packages[@]} -gt 0 ]; then
    echo "install-deps: installing ${packages[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq "${packages[@]}" >/dev/null
fi
python_packages="pytest requests websocket-client jsonschema openapi-spec-validator schemathesis prometheus-client pyjwt cryptography"
if [ "$purpose" = test ] && ! python3 -c 'import pytest, requests, websocket, jsonschema, openapi_spec_validator, schemathesis, prometheus_client, jwt, cryptography' 2>/dev/null; then
    echo "install-deps: installing $python_packages"
    # shellcheck disable=SC2086
    python3 -m pip install -q $python_packages ||
        python3 -m pip install -q --break-system-packages $python_packages
fi
