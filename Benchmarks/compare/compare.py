"""Issue 12's side-by-side, in one run on the same containers (run through ../compare.sh, as root):

  (a) the six-file kept-descriptor C floor (floor.c) on every container;
  (b) the engine's tick on those containers, as the daemon at 0.1 s reports it (/statistics mean and p99);
  (c) the whole daemon's CPU (every thread, from /proc/<pid>/task/*/schedstat) over a fixed window at 1 s and
      at 0.1 s, with the store and alerts on and one WebSocket client subscribed to every metric; its RSS and
      descriptors;
  (d) Netdata's cgroups collector (Debian's netdata, per-container network from /proc/net/dev) at 1 s, its
      whole process tree;
  (e) `wakedock-monitor stats` (from the daemon's rings and from the kernel) against `docker stats --no-stream`.

Prints every figure and the ratios issue 12 sets goals for. Containers: one CPU burner and N-1 idle ones on
the default bridge, from a private dockerd (Tests/e2e/docker_engine.py) unless --docker-host names one."""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "Tests" / "e2e"))
from docker_engine import DockerClient, DockerEngine  # noqa: E402
from processes import end_process  # noqa: E402

import requests  # noqa: E402
import websocket  # noqa: E402


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def cpu_seconds(pids: list[int]) -> float:
    """On-CPU time of every thread of these processes (schedstat: nanoseconds, exact, unlike stat's ticks)."""
    total = 0
    for pid in pids:
        try:
            tasks = os.listdir(f"/proc/{pid}/task")
        except OSError:
            continue
        for task in tasks:
            try:
                with open(f"/proc/{pid}/task/{task}/schedstat") as f:
                    total += int(f.read().split()[0])
            except OSError:
                pass
    return total / 1e9


def descendants(root: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as f:
                    ppid = int(f.read().rsplit(")", 1)[1].split()[1])
                children.setdefault(ppid, []).append(int(entry))
            except (OSError, IndexError, ValueError):
                pass
    found, queue = [], [root]
    while queue:
        pid = queue.pop()
        found.append(pid)
        queue.extend(children.get(pid, []))
    return found


def rss_mb(pids: list[int]) -> float:
    total = 0
    for pid in pids:
        try:
            for line in open(f"/proc/{pid}/status"):
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            pass
    return total / 1024


def memory_breakdown(pid: int) -> str:
    """Where a process's resident memory is: anonymous (heap, stacks, rings) vs file-backed (its binary's
    pages), and how many threads it runs."""
    fields = {}
    for line in open(f"/proc/{pid}/smaps_rollup"):
        parts = line.split()
        if len(parts) >= 2 and parts[0].endswith(":") and parts[1].isdigit():
            fields[parts[0][:-1]] = int(parts[1]) / 1024
    threads = len(os.listdir(f"/proc/{pid}/task"))
    return (f"anonymous {fields.get('Anonymous', 0):.1f} MB, file-backed {fields.get('Rss', 0) - fields.get('Anonymous', 0):.1f} MB, "
            f"{threads} threads")


def six_files(pid: int) -> list[str]:
    """The files of one `docker stats` sample for the container holding `pid`, by its own /proc/<pid>/cgroup."""
    lines = [line.split(":", 2) for line in open(f"/proc/{pid}/cgroup").read().splitlines()]
    v2 = next((path for hid, ctrls, path in lines if hid == "0" and ctrls == ""), None)
    if all(ctrls == "" for _, ctrls, _ in lines) and v2 is not None:
        base = "/sys/fs/cgroup" + v2
        names = ["cpu.stat", "memory.current", "memory.max", "memory.stat", "pids.current"]
        return [f"{base}/{n}" for n in names] + [f"/proc/{pid}/net/dev"]

    def under(controller: str) -> str:
        path = next(path for _, ctrls, path in lines if controller in ctrls.split(","))
        return f"/sys/fs/cgroup/{controller}{path}"

    return [
        under("cpuacct") + "/cpuacct.usage", under("memory") + "/memory.usage_in_bytes",
        under("memory") + "/memory.limit_in_bytes", under("memory") + "/memory.stat",
        under("pids") + "/pids.current", f"/proc/{pid}/net/dev",
    ]


class Daemon:
    """The release daemon serving on a free port, its history in a temporary folder."""

    def __init__(self, binary: str, socket_path: str, interval: str, history: str, log: str | None = None):
        """`log`: a file for the daemon's debug log (one line per tick), else it logs warnings nowhere."""
        self.port = free_port()
        env = dict(os.environ)
        env.update({
            "WAKEDOCK_DOCKER_SOCKET": socket_path, "WAKEDOCK_METRICS_INTERVAL": interval,
            "WAKEDOCK_METRICS_STORAGE_PATH": history, "WAKEDOCK_PORT": str(self.port),
            "WAKEDOCK_LOG_TARGET": "stderr", "WAKEDOCK_LOG_LEVEL": "debug" if log else "warning",
        })
        log_file = open(log, "w") if log else subprocess.DEVNULL
        self.process = subprocess.Popen([binary, "serve"], env=env, stdout=subprocess.DEVNULL,
                                        stderr=log_file, start_new_session=True)
        if log:
            log_file.close()  # the daemon has its own descriptor
        self.base = f"http://127.0.0.1:{self.port}/api/v1/monitoring"
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(self.base + "/status", timeout=1).ok:
                    return
            except requests.RequestException:
                time.sleep(0.1)
        end_process(self.process, timeout=15)  # no caller holds it yet: it would outlive the run
        raise RuntimeError("the daemon did not answer within 30 s")

    def get(self, path: str):
        return requests.get(self.base + path, timeout=10).json()

    def stop(self):
        end_process(self.process, timeout=15)


class Subscriber:
    """One WebSocket client subscribed to every container's metrics, counting what it receives; `batch`: one
    message per tick holding every sample, instead of one per sample."""

    def __init__(self, port: int, batch: bool = False):
        self.messages = 0
        self.ws = websocket.create_connection(f"ws://127.0.0.1:{port}/api/v1/monitoring/ws", timeout=10)
        request = {"action": "subscribe", "stream_type": "metrics", "filters": {}}
        if batch:
            request["batch"] = True
        self.ws.send(json.dumps(request))
        self.running = True
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()

    def _read(self):
        while self.running:
            try:
                message = self.ws.recv()
            except Exception:
                return
            if message:
                self.messages += 1

    def close(self):
        self.running = False
        try:
            self.ws.close()
        except Exception:
            pass


def measure_daemon(binary, socket_path, interval, window, containers) -> dict:
    history = tempfile.mkdtemp(prefix="wd-compare-history-")
    daemon = Daemon(binary, socket_path, interval, history)
    subscriber = None
    try:
        deadline = time.monotonic() + 30
        while len(daemon.get("/containers")["containers"]) < containers and time.monotonic() < deadline:
            time.sleep(0.2)
        subscriber = Subscriber(daemon.port)
        time.sleep(3)  # warm: every container has had its first full read, the subscriber its backlog
        pids = [daemon.process.pid]
        ticks0 = daemon.get("/statistics")["collector"]["ticks"]
        cpu0, start = cpu_seconds(pids), time.monotonic()
        received0 = subscriber.messages
        time.sleep(window)
        cpu1, elapsed = cpu_seconds(pids), time.monotonic() - start
        stats = daemon.get("/statistics")["collector"]
        samples = (stats["ticks"] - ticks0) * containers
        return {
            "interval": interval, "cpu_percent": cpu1 * 100 / elapsed - cpu0 * 100 / elapsed,
            "us_per_sample": (cpu1 - cpu0) * 1e6 / max(samples, 1), "samples": samples,
            "mean_tick_ms": stats["mean_tick_ms"], "p99_tick_ms": stats["p99_tick_ms"],
            "missed_ticks": stats["missed_ticks"], "rss_mb": rss_mb(pids), "memory": memory_breakdown(daemon.process.pid),
            "fds": len(os.listdir(f"/proc/{daemon.process.pid}/fd")),
            "host_network_containers": stats.get("host_network_containers"),
            "ws_messages": subscriber.messages - received0, "port": daemon.port, "daemon": daemon, "history": history,
        }
    except Exception:
        daemon.stop()
        shutil.rmtree(history, ignore_errors=True)
        raise
    finally:
        if subscriber:
            subscriber.close()


NETDATA_CONF = """[global]
    run as user = root
[db]
    update every = 1
    mode = ram
[directories]
    config = {d}/etc
    cache = {d}/cache
    lib = {d}/lib
    log = {d}/log
    run = {d}/run
[logs]
    debug = {d}/log/debug.log
    error = {d}/log/error.log
    access = none
[web]
    bind to = 127.0.0.1:19999
[health]
    enabled = no
[ml]
    enabled = no
[plugins]
    cgroups = yes
    proc = yes
    tc = no
    idlejitter = no
    diskspace = no
    timex = no
    checks = no
    apps = no
    statsd = no
    go.d = no
    python.d = no
    charts.d = no
    node.d = no
    ebpf = no
    perf = no
    slabinfo = no
    fping = no
    ioping = no
    nfacct = no
    freeipmi = no
    cups = no
    debugfs = no
    systemd-journal = no
[plugin:proc]
    /proc/net/dev = yes
    /proc/stat = no
    /proc/uptime = no
    /proc/loadavg = no
    /proc/sys/kernel/random/entropy_avail = no
    /proc/pressure = no
    /proc/interrupts = no
    /proc/softirqs = no
    /proc/vmstat = no
    /proc/meminfo = no
    /sys/kernel/mm/ksm = no
    /sys/block/zram = no
    /sys/devices/system/edac/mc = no
    /sys/devices/system/node = no
    /proc/net/wireless = no
    /proc/net/sockstat = no
    /proc/net/sockstat6 = no
    /proc/net/netstat = no
    /proc/net/snmp = no
    /proc/net/snmp6 = no
    /proc/net/sctp/snmp = no
    /proc/net/softnet_stat = no
    /proc/net/ip_vs/stats = no
    /sys/class/infiniband = no
    /proc/net/stat/conntrack = no
    /proc/net/stat/synproxy = no
    /proc/diskstats = no
    /proc/mdstat = no
    /proc/net/rpc/nfsd = no
    /proc/net/rpc/nfs = no
    /proc/spl/kstat/zfs/arcstats = no
    /proc/spl/kstat/zfs/pool/state = no
    /sys/fs/btrfs = no
    ipc = no
    /sys/class/power_supply = no
[plugin:cgroups]
    update every = 1
    use unified cgroups = {unified}
    enable by default cgroups matching = !*/init.scope !/system.slice/run-* !*.mount !/process_api* *
"""


def measure_netdata(window: float, containers: int) -> dict | None:
    if shutil.which("netdata") is None and not os.path.exists("/usr/sbin/netdata"):
        return None
    d = tempfile.mkdtemp(prefix="wd-compare-netdata-")
    for sub in ("etc", "cache", "lib", "log", "run"):
        os.makedirs(f"{d}/{sub}", exist_ok=True)
    pure_v2 = open("/proc/self/mountinfo").read().count(" - cgroup ") == 0
    conf = f"{d}/etc/netdata.conf"
    Path(conf).write_text(NETDATA_CONF.format(d=d, unified="yes" if pure_v2 else "no"))
    # -D: in the foreground, so that its pid is this process's (start_new_session is the setsid).
    process = subprocess.Popen(["/usr/sbin/netdata", "-D", "-c", conf, "-P", f"{d}/run/netdata.pid"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    try:
        time.sleep(45)  # it discovers every 10 s and renames after that (RECIPES.md)
        pids = descendants(process.pid)
        cpu0, start = cpu_seconds(pids), time.monotonic()
        time.sleep(window)
        pids = descendants(process.pid)
        cpu1, elapsed = cpu_seconds(pids), time.monotonic() - start
        samples = containers * elapsed  # one sample per container per second
        charts = None
        try:
            charts = len(requests.get("http://127.0.0.1:19999/api/v1/charts", timeout=5).json()["charts"])
        except Exception:
            pass
        return {"cpu_percent": (cpu1 - cpu0) * 100 / elapsed, "us_per_sample": (cpu1 - cpu0) * 1e6 / samples,
                "rss_mb": rss_mb(pids), "charts": charts}
    finally:
        for pid in descendants(process.pid):
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()
        shutil.rmtree(d, ignore_errors=True)


def collector_benchmarks() -> dict[str, float]:
    """CollectorBenchmarks' tick at 100 containers and the six-file floor on its own cgroups (hot loops, one
    run): p50 microseconds per tick by benchmark name."""
    result = subprocess.run(
        ["swift", "package", "--allow-writing-to-package-directory", "benchmark", "--target", "CollectorBenchmarks",
         "--filter", r"tick/100 containers \(0.1 s cadence\)$|floor/100 containers \(six files.*", "--format", "markdown",
         "--no-progress"],
        cwd=REPO / "Benchmarks", capture_output=True, text=True, timeout=1800)
    figures, name = {}, None
    for line in result.stdout.splitlines():
        if line.startswith("### "):
            name = line[4:].strip()
        elif name and line.startswith("| Time (wall clock)"):
            cells = [c.strip() for c in line.strip("|").split("|")]
            scale = 1000.0 if "(ms)" in cells[0] else 0.001 if "(ns)" in cells[0] else 1.0
            figures[name] = float(cells[3].replace(",", "")) * scale  # p50
    if len(figures) < 2:
        raise RuntimeError(f"CollectorBenchmarks gave no figures:\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}")
    return figures


def timed(command: list[str], env: dict, runs: int) -> tuple[float, str]:
    """Median wall seconds of `runs` runs, and the last run's output."""
    times, out = [], ""
    for _ in range(runs):
        start = time.monotonic()
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120)
        times.append(time.monotonic() - start)
        if result.returncode != 0:
            raise RuntimeError(f"{' '.join(command)} failed: {result.stderr}")
        out = result.stdout
    return statistics.median(times), out


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--binary", required=True)
    parser.add_argument("--floor", required=True, help="the compiled floor.c")
    parser.add_argument("--containers", type=int, default=20)
    parser.add_argument("--window", type=float, default=30)
    parser.add_argument("--runs", type=int, default=5, help="runs of each stats command")
    parser.add_argument("--docker-host", help="use this engine (unix://PATH) instead of a private dockerd")
    parser.add_argument("--no-netdata", action="store_true")
    parser.add_argument("--no-benchmarks", action="store_true", help="skip CollectorBenchmarks (a release build)")
    args = parser.parse_args()

    engine: DockerEngine | None = None
    if args.docker_host:
        client: DockerClient = DockerClient(args.docker_host)
        socket_path = args.docker_host.removeprefix("unix://")
    else:
        engine = DockerEngine()
        engine.start()
        client = engine
        socket_path = engine.socket
    names = ["wdc-burner"] + [f"wdc-idle-{i}" for i in range(1, args.containers)]
    results: dict = {}
    try:
        client.import_busybox()
        client.remove(*names)
        client.run("wdc-burner", "while :; do :; done")
        for name in names[1:]:
            client.run(name, "exec sleep 100000")
        pids = [client.pid(name) for name in names]
        cores = os.cpu_count()
        print(f"machine: {cores} cores, kernel {os.uname().release}, "
              f"{'cgroup v2' if open('/proc/self/mountinfo').read().count(' - cgroup ') == 0 else 'cgroup v1 (hybrid)'}; "
              f"{args.containers} containers (1 burner, {args.containers - 1} idle) on the default bridge", flush=True)

        files = [path for pid in pids for path in six_files(pid)]
        floor = float(subprocess.run([args.floor, "5", *files], capture_output=True, text=True, check=True).stdout)
        results["floor"] = floor
        print(f"(a) C floor, six files kept open, pread every time: {floor:.2f} µs per container-sample", flush=True)

        env = dict(os.environ, WAKEDOCK_DOCKER_SOCKET=socket_path, WAKEDOCK_LOG_TARGET="stderr")
        for interval in ("1", "0.1"):
            r = measure_daemon(args.binary, socket_path, interval, args.window, args.containers)
            results[interval] = r
            print(f"(c) daemon at {interval} s: {r['cpu_percent']:.2f} % of a core, {r['us_per_sample']:.2f} µs per "
                  f"container-sample ({r['samples']} samples); tick mean {r['mean_tick_ms']:.3f} ms, p99 "
                  f"{r['p99_tick_ms']:.3f} ms, missed {r['missed_ticks']}; RSS {r['rss_mb']:.1f} MB ({r['memory']}), {r['fds']} "
                  f"descriptors; network from the host side for {r['host_network_containers']}; "
                  f"{r['ws_messages']} WebSocket messages", flush=True)
            if interval == "1":
                # (e) while this daemon serves: stats from its rings, from the kernel, and docker stats.
                from_daemon, _ = timed([args.binary, "stats", "--from", f"http://127.0.0.1:{r['port']}"], env, args.runs)
                local, _ = timed([args.binary, "stats", "--local"], env, args.runs)
                theirs, _ = timed(["docker", "-H", f"unix://{socket_path}", "stats", "--no-stream"], env, max(2, args.runs // 2))
                results["stats"] = (from_daemon, local, theirs)
                ours_json = subprocess.run([args.binary, "stats", "--local", "--format", "json", "--filter", "wdc-burner"],
                                           env=env, capture_output=True, text=True).stdout
                docker_row = client.stats_no_stream()["wdc-burner"]
                mine = json.loads(ours_json.splitlines()[0])["cpu_percent"]
                print(f"(e) stats: from the daemon's rings {from_daemon * 1000:.0f} ms, from the kernel "
                      f"{local * 1000:.0f} ms, docker stats --no-stream {theirs * 1000:.0f} ms (medians); burner CPU "
                      f"ours {mine:.1f} % vs docker {docker_row['CPUPerc']}", flush=True)
            r.pop("daemon").stop()
            shutil.rmtree(r.pop("history"), ignore_errors=True)
        # (b) the engine's tick on these containers: the daemon's own mean at 0.1 s (a tick woken every 0.1 s,
        # its caches cold), and CollectorBenchmarks' hot loop on 100 cgroups of its own against its own floor.
        tick_us = results["0.1"]["mean_tick_ms"] * 1000 / args.containers
        print(f"(b) engine tick in the daemon at 0.1 s: {tick_us:.2f} µs per container-sample (mean)", flush=True)
        bench = None if args.no_benchmarks else collector_benchmarks()
        if bench:
            bench_tick = next(v for k, v in bench.items() if k.startswith("tick/"))
            bench_floor = next(v for k, v in bench.items() if k.startswith("floor/"))
            print(f"(b) CollectorBenchmarks, 100 cgroups with a veth each: tick at 0.1 s cadence p50 {bench_tick:.0f} µs, "
                  f"six-file floor p50 {bench_floor:.0f} µs", flush=True)

        netdata = None if args.no_netdata else measure_netdata(args.window, args.containers)
        if netdata:
            print(f"(d) Netdata at 1 s (cgroups + /proc/net/dev): {netdata['cpu_percent']:.2f} % of a core, "
                  f"{netdata['us_per_sample']:.2f} µs per container-sample; RSS {netdata['rss_mb']:.1f} MB; "
                  f"{netdata['charts']} charts", flush=True)

        print("\nratios (issue 12's goals in brackets):")
        if bench:
            print(f"  engine tick / C floor at 0.1 s (CollectorBenchmarks): {bench_tick / bench_floor:.2f} [<= 0.5]")
        print(f"  engine tick in the daemon / C floor at 0.1 s (these containers): {tick_us / floor:.2f}")
        print(f"  whole daemon / C floor at 0.1 s: {results['0.1']['us_per_sample'] / floor:.2f} [<= 1.0]")
        if netdata and netdata["us_per_sample"] > 0:
            print(f"  whole daemon / Netdata at 1 s: {results['1']['us_per_sample'] / netdata['us_per_sample']:.3f} [<= 0.1]")
            print(f"  RSS daemon / Netdata: {results['1']['rss_mb'] / netdata['rss_mb']:.2f}")
        from_daemon, local, theirs = results["stats"]
        print(f"  docker stats / stats (kernel): {theirs / local:.1f}x [>= 10]; docker stats / stats (daemon): "
              f"{theirs / from_daemon:.1f}x; stats from the daemon: {from_daemon * 1000:.0f} ms [<= 50 ms]")
        return 0
    finally:
        client.remove(*names)
        if engine:
            engine.teardown()


if __name__ == "__main__":
    sys.exit(main())
