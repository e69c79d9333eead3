"""The usual test containers and how `wakedock-monitor stats` must agree with `docker stats` about them: shared
by the v1 host test (test_stats_vs_docker.py) and the cgroup v2 host VM (test_v2_host.py)."""

from __future__ import annotations

import time

from docker_engine import DockerClient, parse_pair

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


def start_fleet(docker: DockerClient, timeout: float = 20) -> dict[str, str]:
    """Runs every container of CONTAINERS; returns {name: full id} once the holder has filled its 150 MB."""
    ids = {name: docker.run(name, script, *options) for name, (script, options) in CONTAINERS.items()}
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if parse_pair(docker.stats_no_stream()["wd-holder"]["MemUsage"])[0] > 140e6:
            break
    return ids


def assert_stats_agree(mine: dict, theirs: dict, after: dict, ids: dict[str, str]) -> None:
    """`mine`: our `stats --format json` rows by name, read while `docker stats` (`theirs`) was reading;
    `after`: ours again, read after docker's."""
    for name in CONTAINERS:
        assert name in mine, f"{name} missing from our stats: {sorted(mine)}"
        assert name in theirs, f"{name} missing from docker stats"
        row, d = mine[name], theirs[name]
        assert row["container_id"] == ids[name]

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
