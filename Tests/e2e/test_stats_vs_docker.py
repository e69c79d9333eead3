"""`wakedock-monitor stats` against `docker stats --no-stream` for the same containers at the same moment."""

from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import run_binary
from docker_engine import parse_pair, parse_size

# Containers ending in an exec'd `sleep` do not fork, so their memory holds still while both tools read it.
CONTAINERS = {
    "wd-burner": ("while :; do :; done", []),
    "wd-holder": ('x=$(head -c 150000000 /dev/zero | tr "\\0" a); while :; do sleep 3600; done', []),
    "wd-limited": ("exec sleep 100000", ["--memory=64m"]),
    "wd-nonet": ("exec sleep 100000", ["--network", "none"]),
    "wd-web": (
        "exec sleep 100000",
        ["--label", "com.docker.compose.service=web", "--label", "com.docker.compose.project=shop"],
    ),
}


@pytest.fixture(scope="module")
def fleet(engine):
    ids = {name: engine.run(name, script, *options) for name, (script, options) in CONTAINERS.items()}
    # The holder needs a moment to fill its 150 MB.
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if parse_pair(engine.stats_no_stream()["wd-holder"]["MemUsage"])[0] > 140e6:
            break
    yield ids
    engine.remove(*CONTAINERS)


def ours(binary, engine, *args):
    result = run_binary(binary, "stats", "--format", "json", *args, env={"WAKEDOCK_DOCKER_SOCKET": engine.socket})
    assert result.returncode == 0, result.stderr
    return {row["container_name"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_stats_agrees_with_docker_stats(binary, engine, fleet):
    # docker stats takes ~2 s; run ours in the middle of it so both see the same moment.
    theirs_holder: dict = {}
    thread = threading.Thread(target=lambda: theirs_holder.update(engine.stats_no_stream()))
    thread.start()
    time.sleep(0.8)
    mine = ours(binary, engine)
    thread.join()
    theirs = theirs_holder
    after = ours(binary, engine)

    for name in CONTAINERS:
        assert name in mine, f"{name} missing from our stats: {sorted(mine)}"
        assert name in theirs, f"{name} missing from docker stats"
        row, d = mine[name], theirs[name]
        assert row["container_id"] == fleet[name]

        d_usage, d_limit = parse_pair(d["MemUsage"])
        # 1 %, with 64 KiB of slack for the ~1 MB idle containers whose kernel memory moves by a few pages.
        assert abs(row["memory_usage"] - d_usage) <= max(0.01 * d_usage, 64 * 1024), (name, row["memory_usage"], d["MemUsage"])
        assert abs(row["memory_limit"] - d_limit) <= 0.001 * d_limit, (name, row["memory_limit"], d["MemUsage"])
        assert row["pids"] == int(d["PIDs"]), (name, row["pids"], d["PIDs"])
        d_rx, d_tx = parse_pair(d["NetIO"])
        # Counters only grow: ours, read after docker's, is at least docker's (3 significant digits shown).
        assert after[name]["network_rx_bytes"] >= d_rx * 0.995 - 1, (name, after[name]["network_rx_bytes"], d["NetIO"])
        assert after[name]["network_tx_bytes"] >= d_tx * 0.995 - 1, (name, after[name]["network_tx_bytes"], d["NetIO"])

    burner_docker = float(theirs["wd-burner"]["CPUPerc"].rstrip("%"))
    assert abs(mine["wd-burner"]["cpu_percent"] - burner_docker) <= 10, (mine["wd-burner"]["cpu_percent"], burner_docker)
    assert mine["wd-burner"]["cpu_percent"] > 80

    assert mine["wd-holder"]["memory_usage"] > 140e6
    assert mine["wd-limited"]["memory_limit"] == 64 * 1024 * 1024
    assert mine["wd-nonet"]["network_rx_bytes"] == 0 and mine["wd-nonet"]["network_tx_bytes"] == 0
    assert mine["wd-web"]["service_name"] == "web" and mine["wd-web"]["project_name"] == "shop"
    assert mine["wd-burner"]["service_name"] is None


def test_table_and_filters(binary, engine, fleet):
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket}
    table = run_binary(binary, "stats", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["CONTAINER", "ID", "NAME"]
    assert any(line.split()[1] == "wd-holder" and "MiB" in line for line in lines[1:])

    assert set(ours(binary, engine, "--filter", "service=web")) == {"wd-web"}
    assert set(ours(binary, engine, "--filter", "wd-limited")) == {"wd-limited"}
    assert set(ours(binary, engine, "--filter", "name=nope")) == set()
    prefix = fleet["wd-nonet"][:6]
    assert set(ours(binary, engine, "--filter", f"id={prefix}")) == {"wd-nonet"}
