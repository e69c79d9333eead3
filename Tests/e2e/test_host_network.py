"""Network counters from the host side (issue 12, part 2): one read of the host's /proc/net/dev serves every
bridge-networked container through its veth peer (rx/tx swapped); a container sharing another's namespace
reports that namespace's counters; `--network none` reports zeros; a macvlan interface, which has no host veth
peer, falls back to the namespace's own /proc/<pid>/net/dev. Checked against the namespace's own file read by
the test as root, and across a veth that Docker recreates (network disconnect + connect)."""

from __future__ import annotations

import re
import socket
import subprocess
import time

import pytest

from conftest import start_api_daemon, wait_discovered

# Pings the bridge's gateway (the host), ~40 kB/s each way; the sink only receives.
TRAFFIC = "while :; do ping -q -c 40 -i 0.05 -s 1000 -W 1 {gateway} >/dev/null 2>&1; sleep 0.1; done"
SINK = "while :; do nc -l -p 9000 >/dev/null; done"
# The macvlan's parent: a host veth pair (this kernel has macvlan but no dummy driver).
PARENT, PARENT_PEER = "wd-mvp0", "wd-mvp1"


def namespace_counters(pid: int) -> tuple[int, int]:
    """(rx, tx) bytes of every interface but lo in the namespace of `pid`, as the kernel gives them there."""
    rx = tx = 0
    with open(f"/proc/{pid}/net/dev") as f:
        for line in f.read().splitlines()[2:]:
            name, fields = line.split(":", 1)
            values = fields.split()
            if name.strip() != "lo":
                rx += int(values[0])
                tx += int(values[8])
    return rx, tx


@pytest.fixture(scope="module")
def network_fleet(engine):
    subprocess.run(["ip", "link", "del", PARENT], capture_output=True)
    subprocess.run(["ip", "link", "add", PARENT, "type", "veth", "peer", "name", PARENT_PEER], check=True)
    for link in (PARENT, PARENT_PEER):
        subprocess.run(["ip", "link", "set", link, "up"], check=True)
    engine.docker("network", "rm", "wd-mv", check=False)
    engine.docker("network", "create", "-d", "macvlan", "--subnet", "192.168.250.0/24", "-o", f"parent={PARENT}", "wd-mv")
    # The bridge's gateway is the host's address on docker0 (the default bridge's IPAM config often leaves
    # its Gateway field empty).
    gateway = subprocess.run(["ip", "-4", "-o", "addr", "show", "docker0"], capture_output=True, text=True,
                             check=True).stdout.split()[3].split("/")[0]
    engine.run("wd-traffic", TRAFFIC.format(gateway=gateway))
    engine.run("wd-sink", SINK)
    engine.run("wd-shared", "exec sleep 100000", "--network", "container:wd-traffic")
    engine.run("wd-none", "exec sleep 100000", "--network", "none")
    engine.run("wd-macvlan", "exec sleep 100000", "--network", "wd-mv")
    yield
    engine.remove("wd-traffic", "wd-shared", "wd-none", "wd-macvlan", "wd-sink")
    engine.docker("network", "rm", "wd-mv", check=False)
    subprocess.run(["ip", "link", "del", PARENT], capture_output=True)


NAMES = ["wd-traffic", "wd-shared", "wd-none", "wd-macvlan", "wd-sink"]


def test_network_from_the_host_side(binary, engine, network_fleet):
    api = start_api_daemon(
        binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_INTERVAL": "0.2", "WAKEDOCK_LOG_LEVEL": "debug"})
    try:
        wait_discovered(api, NAMES)
        for name in ["wd-traffic", "wd-shared", "wd-none", "wd-sink"]:
            api.daemon.wait_for(rf"network counters from the host side.*container_name={name}\b|container_name={name}\b.*network counters from the host side", timeout=10)
        api.daemon.wait_for(r"network counters from the container's namespace.*wd-macvlan|wd-macvlan.*network counters from the container's namespace", timeout=10)
        collector = api.get("/statistics").json()["collector"]
        assert collector["host_network_containers"] == 4, collector

        # One direction only: 3 MB sent to the sink is what it received (rx), its ACKs all it sent (tx). A
        # swap forgotten or done twice would show it the other way round.
        sink_ip = engine.docker("inspect", "-f", "{{.NetworkSettings.IPAddress}}", "wd-sink").stdout.strip()
        with socket.create_connection((sink_ip, 9000), timeout=10) as connection:
            connection.sendall(b"x" * 3_000_000)
        time.sleep(1.0)
        sink = api.get("/metrics/wd-sink/latest").json()
        assert sink["network_rx_bytes"] >= 3_000_000 and sink["network_tx_bytes"] < 1_000_000, sink

        traffic_pid = engine.pid("wd-traffic")
        macvlan_pid = engine.pid("wd-macvlan")
        time.sleep(1.0)
        for _ in range(5):
            # Ours (one tick old at most), then the namespace's own file: equal but for the traffic in between
            # (~40 kB/s each way here: 0.2 s ticks plus the request leave well under 64 kB).
            mine = api.get("/metrics/wd-traffic/latest").json()
            shared = api.get("/metrics/wd-shared/latest").json()
            rx, tx = namespace_counters(traffic_pid)
            assert mine["network_rx_bytes"] > 10_000 and mine["network_tx_bytes"] > 10_000, mine
            for sample in (mine, shared):
                assert 0 <= rx - sample["network_rx_bytes"] <= 64_000, (rx, sample["network_rx_bytes"])
                assert 0 <= tx - sample["network_tx_bytes"] <= 64_000, (tx, sample["network_tx_bytes"])
            none = api.get("/metrics/wd-none/latest").json()
            assert none["network_rx_bytes"] == 0 and none["network_tx_bytes"] == 0, none
            mv = api.get("/metrics/wd-macvlan/latest").json()
            mv_rx, mv_tx = namespace_counters(macvlan_pid)
            assert 0 <= mv_rx - mv["network_rx_bytes"] <= 4096 and 0 <= mv_tx - mv["network_tx_bytes"] <= 4096, (mv, mv_rx, mv_tx)
            time.sleep(0.3)

        # Docker recreates the veth: the new one's counters start at 0, ours carry on from where they were.
        before = api.get("/metrics/wd-traffic/latest").json()
        engine.docker("network", "disconnect", "bridge", "wd-traffic")
        time.sleep(0.6)
        engine.docker("network", "connect", "bridge", "wd-traffic")
        time.sleep(2.0)
        after = api.get("/metrics/wd-traffic/latest").json()
        assert after["network_tx_bytes"] > before["network_tx_bytes"] + 10_000, (before, after)
        assert after["network_rx_bytes"] > before["network_rx_bytes"] + 10_000, (before, after)
        history = api.get("/metrics", params={"container_id": "wd-traffic", "hours": 1, "limit": 10000}).json()
        series = sorted(history, key=lambda s: s["timestamp"])
        for a, b in zip(series, series[1:]):
            assert b["network_rx_bytes"] >= a["network_rx_bytes"], (a["timestamp"], a["network_rx_bytes"], b["network_rx_bytes"])
            assert b["network_tx_bytes"] >= a["network_tx_bytes"], (a["timestamp"], a["network_tx_bytes"], b["network_tx_bytes"])
        # Still from the host side, through the new veth: rates are live, not frozen at the old veth's end.
        assert api.get("/statistics").json()["collector"]["host_network_containers"] == 4
        assert after["network_rx_rate"] > 1000 and after["network_tx_rate"] > 1000, after
        # The container sharing its namespace follows it onto the new veth (no Docker event names it).
        shared = api.get("/metrics/wd-shared/latest").json()
        shared_log = [line for _, line in api.daemon.lines if "network counters" in line and "wd-shared" in line]
        assert shared["network_rx_rate"] > 1000 and shared["network_tx_rate"] > 1000, (shared, shared_log)
        assert api.get("/statistics").json()["collector"]["read_errors"] == 0
        # The veth seen going (no interface left) and the new one mapped, in the log.
        veths = [re.search(r"veths=(\S+)", line).group(1) for _, line in api.daemon.lines
                 if "network counters from the host side" in line and "wd-traffic" in line]
        print("wd-traffic's host peers over the run:", veths)
        assert len(veths) == 3 and veths[1] == "[]" and veths[2] not in (veths[0], "[]"), veths
    finally:
        api.daemon.stop()
