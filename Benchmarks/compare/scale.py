"""The daemon at scale (issue 12, part 5): N cgroups at 0.1 s, without Docker.

    sudo python3 Benchmarks/compare/scale.py --binary BINARY [--cgroups 1000] [--namespaces 100] [--window 30]

Creates N real cgroups under a dedicated parent (`wakedock-scale-<pid>`) in every controller the daemon reads,
named as Docker names a container's cgroup (64 hex digits) so that the daemon's cgroup-scan discovery (no
Docker socket) finds them; each holds one `sleep` in a network namespace of its own. In the first
`--namespaces` of them that namespace has a veth to a test bridge, as a container on a Docker bridge network
(the daemon maps them to the host side); the others have only `lo`, as `--network none` (no network read).
Processes in the host's own namespace are left out: each would read the host's whole /proc/net/dev. Then the release daemon serves at 0.1 s with the store and alerts on, and
over `--window` seconds, first with no client and then with one WebSocket client subscribed to every metric
(batch mode),
it reports the CPU of all its threads, the window's tick durations (from the daemon's debug line per tick),
missed ticks, RSS and descriptors. Everything it made is removed at the end, whatever happens."""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from compare import Daemon, Subscriber, cpu_seconds, memory_breakdown, rss_mb  # noqa: E402

CONTROLLERS = ("memory", "cpu", "cpuacct", "pids", "blkio")


def hierarchies() -> tuple[list[str], bool]:
    """The folders to make each cgroup in (one per mounted v1 hierarchy the daemon reads, plus the hybrid
    unified tree; or the v2 root alone), and whether this is pure v2."""
    v1, unified = [], None
    for line in open("/proc/self/mountinfo"):
        fields = line.split()
        separator = fields.index("-")
        fstype, mountpoint, options = fields[separator + 1], fields[4], fields[separator + 3].split(",")
        if fstype == "cgroup" and any(c in options for c in CONTROLLERS) and mountpoint not in v1:
            v1.append(mountpoint)
        elif fstype == "cgroup2":
            unified = mountpoint
    if v1:
        return v1 + ([unified] if unified else []), False
    assert unified, "no cgroup hierarchy mounted"
    return [unified], True


class ScaleCgroups:
    """Made by `make`, removed by `remove` — which undoes whatever part `make` got through."""

    def __init__(self, count: int):
        self.parent = f"wakedock-scale-{os.getpid()}"
        self.bridge = f"wdsbr{os.getpid() % 10000}"
        self.dirs, self.v2 = hierarchies()
        self.processes: list[subprocess.Popen] = []
        self.count = count

    def make(self, namespaces: int) -> None:
        v2, count = self.v2, self.count
        for d in self.dirs:
            os.mkdir(f"{d}/{self.parent}")
        if v2:
            Path(f"{self.dirs[0]}/{self.parent}/cgroup.subtree_control").write_text("+memory +cpu +pids +io")
        subprocess.run(["ip", "link", "add", self.bridge, "type", "bridge"], check=True)
        subprocess.run(["ip", "link", "set", self.bridge, "up"], check=True)
        own_ns = os.readlink("/proc/self/ns/net")
        for i in range(count):
            name = f"{i + 1:064x}"
            for d in self.dirs:
                os.mkdir(f"{d}/{self.parent}/{name}")
            process = subprocess.Popen(["unshare", "--net", "sleep", "3600"], start_new_session=True)
            self.processes.append(process)
            deadline = time.monotonic() + 5
            while os.readlink(f"/proc/{process.pid}/ns/net") == own_ns:  # until unshare has exec'd
                assert time.monotonic() < deadline, "unshare --net did not take"
                time.sleep(0.001)
            if i < namespaces:
                # As Docker does it: both ends made on the host, one moved in (it keeps its host-wide index;
                # CNI's way, made inside, gives every idle container's interface the same index and zero
                # counters, which the daemon cannot tell apart: they fall back to the namespace's file).
                host, inside = f"wds{i}h{os.getpid() % 1000}", f"wds{i}c{os.getpid() % 1000}"
                subprocess.run(["ip", "link", "add", host, "type", "veth", "peer", "name", inside], check=True)
                subprocess.run(["ip", "link", "set", inside, "netns", str(process.pid)], check=True)
                subprocess.run(["ip", "link", "set", host, "master", self.bridge, "up"], check=True)
                subprocess.run(["nsenter", "-t", str(process.pid), "-n", "ip", "link", "set", inside, "up"], check=True)
            for d in self.dirs:
                Path(f"{d}/{self.parent}/{name}/cgroup.procs").write_text(f"{process.pid}\n")

    def remove(self) -> None:
        for process in self.processes:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except OSError:
                pass
        for process in self.processes:
            process.wait()
        time.sleep(0.2)
        for d in self.dirs:
            for i in range(self.count):
                try:
                    os.rmdir(f"{d}/{self.parent}/{i + 1:064x}")
                except OSError:
                    pass
            try:
                os.rmdir(f"{d}/{self.parent}")
            except OSError:
                pass
        subprocess.run(["ip", "link", "del", self.bridge], capture_output=True)


def tick_durations(log: str, after_sequence: int, through_sequence: int) -> list[float]:
    """The window's ticks from the daemon's debug lines (`tick` with sequence= and duration_us=), in ms."""
    durations = []
    for line in open(log, errors="replace"):
        if " tick" not in line or "duration_us=" not in line:
            continue
        fields = dict(part.split("=", 1) for part in line.split() if "=" in part)
        sequence = int(fields.get("sequence", "0"))
        if after_sequence < sequence <= through_sequence:
            durations.append(int(fields["duration_us"]) / 1000)
    return sorted(durations)


def measure(daemon: Daemon, log: str, window: float, label: str, cgroups: int) -> None:
    pid = daemon.process.pid
    before = daemon.get("/statistics")["collector"]
    cpu0, start = cpu_seconds([pid]), time.monotonic()
    time.sleep(window)
    cpu1, elapsed = cpu_seconds([pid]), time.monotonic() - start
    after = daemon.get("/statistics")["collector"]
    ticks = after["ticks"] - before["ticks"]
    durations = tick_durations(log, before["ticks"], after["ticks"])
    assert durations, "no tick lines in the daemon's log"
    p50, p99 = durations[len(durations) // 2], durations[min(len(durations) - 1, int(len(durations) * 0.99))]
    print(f"{label}: {(cpu1 - cpu0) * 100 / elapsed:.1f} % of a core over {elapsed:.0f} s "
          f"({(cpu1 - cpu0) * 1e6 / max(ticks * cgroups, 1):.2f} µs per container-sample, {ticks} ticks); this window's "
          f"ticks p50 {p50:.2f} ms, p99 {p99:.2f} ms, max {durations[-1]:.2f} ms (since start: mean "
          f"{after['mean_tick_ms']:.2f} ms, p99 ≤ {after['p99_tick_ms']:.2f} ms); missed ticks {after['missed_ticks'] - before['missed_ticks']} "
          f"in the window ({after['missed_ticks']} since start); RSS {rss_mb([pid]):.1f} MB ({memory_breakdown(pid)}); "
          f"{len(os.listdir(f'/proc/{pid}/fd'))} descriptors; network from the host side for "
          f"{after.get('host_network_containers')}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--cgroups", type=int, default=1000)
    parser.add_argument("--namespaces", type=int, default=100)
    parser.add_argument("--window", type=float, default=30)
    args = parser.parse_args()
    if os.getuid() != 0:
        print("scale.py: run as root (it makes cgroups and network namespaces)", file=sys.stderr)
        return 1

    made = time.monotonic()
    cgroups = ScaleCgroups(args.cgroups)
    history = tempfile.mkdtemp(prefix="wd-scale-")
    daemon = None
    try:
        cgroups.make(args.namespaces)
        print(f"{args.cgroups} cgroups under {cgroups.parent} ({args.namespaces} with a veth) in {time.monotonic() - made:.0f} s; "
              f"kernel {os.uname().release}, {os.cpu_count()} cores", flush=True)
        # No Docker socket: the daemon names containers from the cgroup tree.
        log = os.path.join(history, "daemon.log")
        daemon = Daemon(args.binary, "/nonexistent/docker.sock", "0.1", os.path.join(history, "store"), log=log)
        deadline = time.monotonic() + 60
        while daemon.get("/statistics")["collector"].get("monitored_containers", 0) < args.cgroups:
            assert time.monotonic() < deadline, daemon.get("/statistics")
            time.sleep(0.5)
        time.sleep(5)  # every cgroup's first full read, the network mapped
        measure(daemon, log, args.window, "no client", args.cgroups)
        # Batch mode: one message a tick. One message per sample (10,000 a second here) overflows the client's
        # queue within a tick, and the daemon drops it as a slow consumer (counted in /statistics).
        subscriber = Subscriber(daemon.port, batch=True)
        try:
            time.sleep(2)
            received = subscriber.messages
            measure(daemon, log, args.window, "one WebSocket subscriber to every metric, batch mode", args.cgroups)
            websocket = daemon.get("/statistics")["websocket"]
            print(f"  the subscriber received {subscriber.messages - received} messages in the window; "
                  f"dropped clients {websocket['dropped_clients']}, dropped messages {websocket['dropped_messages']}", flush=True)
        finally:
            subscriber.close()
        return 0
    finally:
        if daemon:
            daemon.stop()
        shutil.rmtree(history, ignore_errors=True)
        cgroups.remove()


if __name__ == "__main__":
    sys.exit(main())
