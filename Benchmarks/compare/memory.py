"""Where the daemon's memory goes, with N idle containers (issue 12, part 4), for one or more builds in one run.

    sudo python3 Benchmarks/compare/memory.py --containers 100 --interval 0.1 --wait 85 BINARY [BINARY...]

Each binary serves in turn on the same containers (a private dockerd, Tests/e2e/docker_engine.py) with the store
and alerts on and one WebSocket client subscribed to every metric. After `--wait` seconds (85 s fills the
default 720-sample ring at 0.1 s) it prints the RSS, its anonymous and file-backed parts, the descriptors, and
the resident size of each kind of mapping (the heap, the executable's text, data and read-only data, the
shared libraries)."""

from __future__ import annotations

import argparse
import collections
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "Tests" / "e2e"))
from compare import Daemon, Subscriber, memory_breakdown, rss_mb  # noqa: E402
from docker_engine import DockerEngine  # noqa: E402


def mappings(pid: int) -> dict[str, tuple[int, int]]:
    """Resident and anonymous kB by mapping kind: the file's name and permissions, or [anon]/[heap]/[stack]."""
    totals: dict[str, list[int]] = collections.defaultdict(lambda: [0, 0])
    key = None
    for line in open(f"/proc/{pid}/smaps"):
        parts = line.split()
        if parts and "-" in parts[0] and not parts[0].endswith(":"):
            name = parts[5] if len(parts) > 5 else "[anon]"
            key = f"{os.path.basename(name) if name.startswith('/') else name} {parts[1]}"
        elif key and parts[0] == "Rss:":
            totals[key][0] += int(parts[1])
        elif key and parts[0] == "Anonymous:":
            totals[key][1] += int(parts[1])
    return {k: (v[0], v[1]) for k, v in totals.items()}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("binaries", nargs="+")
    parser.add_argument("--containers", type=int, default=100)
    parser.add_argument("--interval", default="0.1")
    parser.add_argument("--wait", type=float, default=85)
    args = parser.parse_args()

    engine = DockerEngine()
    names = [f"wdm-idle-{i}" for i in range(args.containers)]
    try:
        engine.start()
        engine.import_busybox()
        for name in names:
            engine.run(name, "exec sleep 100000")
        for binary in args.binaries:
            history = tempfile.mkdtemp(prefix="wd-memory-")
            daemon = subscriber = None
            try:
                daemon = Daemon(binary, engine.socket, args.interval, history)
                deadline = time.monotonic() + 60
                while len(daemon.get("/containers")["containers"]) < args.containers and time.monotonic() < deadline:
                    time.sleep(0.2)
                subscriber = Subscriber(daemon.port)
                time.sleep(args.wait)
                pid = daemon.process.pid
                collector = daemon.get("/statistics")["collector"]
                print(f"{binary}: {args.containers} containers at {args.interval} s after {args.wait:.0f} s: RSS "
                      f"{rss_mb([pid]):.1f} MB ({memory_breakdown(pid)}), {len(os.listdir(f'/proc/{pid}/fd'))} descriptors; "
                      f"tick mean {collector['mean_tick_ms']:.2f} ms, p99 {collector['p99_tick_ms']:.2f} ms", flush=True)
                for kind, (rss, anonymous) in sorted(mappings(pid).items(), key=lambda kv: -kv[1][0])[:8]:
                    print(f"  {rss / 1024:6.1f} MB resident, {anonymous / 1024:6.1f} MB anonymous  {kind}")
            finally:
                if subscriber:
                    subscriber.close()
                if daemon:
                    daemon.stop()
                shutil.rmtree(history, ignore_errors=True)
        return 0
    finally:
        engine.remove(*names)
        engine.teardown()


if __name__ == "__main__":
    sys.exit(main())
