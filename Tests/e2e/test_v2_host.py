"""A real cgroup v2 host (issue 11, part 2): Debian 12 booted under qemu (software emulation) with systemd as
PID 1, pure cgroup v2, docker.io on its default systemd cgroup driver, AppArmor, and our unit
`packaging/systemd/wakedock-monitor.service` installed, enabled and started by systemd (DynamicUser,
SupplementaryGroups=docker, the whole hardening). Tests/vm/build-host-vm.sh makes the disk (a debootstrapped
root cached by release and recipe, our release binary added on every run).

Everything is driven from this host: the VM's Docker engine through a forwarded loopback port (the host's
docker client imports the busybox image and runs the usual containers there), our API through another, and
commands inside through the QEMU guest agent (systemctl, journalctl, kill, our `stats` as root)."""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
import requests

from conftest import REPO, end_process, free_port
from docker_engine import DockerClient
from fleet import CONTAINERS, assert_stats_agree, start_fleet
from guest_agent import GuestAgent

UNIT = "wakedock-monitor"
API = "/api/v1/monitoring"
# systemd's DynamicUser range (sd_uid_t, src/basic/uid-range.h: 61184–65519).
DYNAMIC_UIDS = range(61184, 65520)


class HostVM:
    def __init__(self, out: Path, api_port: int, docker: DockerClient, agent: GuestAgent, ids: dict[str, str]):
        self.out = out
        self.api_port = api_port
        self.docker = docker
        self.agent = agent
        self.ids = ids

    def get(self, path: str, **kw) -> requests.Response:
        return requests.get(f"http://127.0.0.1:{self.api_port}{API}{path}", timeout=15, **kw)

    def sh(self, script: str, timeout: float = 60) -> str:
        return self.agent.check(script, timeout)

    def unit(self, *properties: str) -> dict[str, str]:
        out = self.sh(f"systemctl show {UNIT} " + " ".join(f"-p {p}" for p in properties))
        return dict(line.split("=", 1) for line in out.splitlines() if "=" in line)

    def ours(self) -> dict[str, dict]:
        """`wakedock-monitor stats --format json` run as root inside the VM, by container name."""
        # CPU % over 1 s, as docker stats measures it: under emulation a 0.25 s window is too jittery for ±10
        # points (seen: 90.4 % against docker's 100.9 %).
        # --local: the kernel as root reads it, not the serving daemon's rings that stats would answer from.
        out = self.sh("/usr/local/bin/wakedock-monitor stats --local --format json --sample-interval 1", timeout=60)
        return {row["container_name"]: row for row in map(json.loads, out.splitlines())}

    def journal(self) -> list[dict]:
        """The unit's journal: its own entries and systemd's about it."""
        out = self.sh(f"journalctl -o json --no-pager -u {UNIT}")
        return [json.loads(line) for line in out.splitlines() if line.strip()]


def wait_until(what: str, check, timeout: float, interval: float = 1.0):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        try:
            value = check()
            if value:
                return value
        except (requests.RequestException, OSError, ValueError) as error:
            last_error = error
        time.sleep(interval)
    raise AssertionError(f"{what}: not within {timeout:.0f} s (last error: {last_error})")


@pytest.fixture(scope="module")
def host_vm(release_binary, tmp_path_factory):
    for tool in ("qemu-system-x86_64", "debootstrap", "mke2fs", "docker"):
        assert shutil.which(tool), f"{tool} is missing: the README's test command installs it"
    # The VM has no Swift: the binary must carry its runtime, as the one users install does.
    needed = subprocess.run(["ldd", release_binary], capture_output=True, text=True).stdout
    assert "libswiftCore" not in needed, "build the release binary with --static-swift-stdlib (the test command does)"
    out = tmp_path_factory.mktemp("v2host")
    started = time.monotonic()
    # Its own process group, so that a time-out stops debootstrap and chroot too, not only bash.
    build = subprocess.Popen(["bash", str(REPO / "Tests" / "vm" / "build-host-vm.sh"), release_binary, str(out)],
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, start_new_session=True)
    try:
        build_out, build_err = build.communicate(timeout=1500)
    except subprocess.TimeoutExpired:
        os.killpg(build.pid, signal.SIGTERM)
        build.communicate()
        raise
    assert build.returncode == 0, build_out + build_err
    print(build_err.strip())
    built = time.monotonic()
    api_port, docker_port = free_port(), free_port()
    qemu_log = open(out / "qemu.log", "wb")
    qemu = subprocess.Popen(
        ["qemu-system-x86_64", "-m", "2048", "-smp", "2", "-accel", "tcg,thread=multi", "-no-reboot",
         "-display", "none", "-monitor", "none", "-serial", f"file:{out / 'console.log'}",
         "-kernel", str(out / "vmlinuz"), "-initrd", str(out / "initrd.img"),
         "-append", "root=/dev/vda rw console=ttyS0 panic=-1",
         "-drive", f"file={out / 'disk.img'},if=virtio,format=raw",
         "-nic", f"user,model=virtio-net-pci,hostfwd=tcp:127.0.0.1:{api_port}-:8000,"
                 f"hostfwd=tcp:127.0.0.1:{docker_port}-:2375",
         "-chardev", f"socket,id=qga0,path={out / 'qga.sock'},server=on,wait=off",
         "-device", "virtio-serial", "-device", "virtserialport,chardev=qga0,name=org.qemu.guest_agent.0"],
        stdout=qemu_log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
    docker = DockerClient(f"tcp://127.0.0.1:{docker_port}")
    try:
        agent = GuestAgent(str(out / "qga.sock"))
        try:
            # Until the agent answers, or qemu has exited (no point waiting five minutes for a dead VM).
            wait_until("the guest agent", lambda: qemu.poll() is not None or agent.ping(), timeout=300)
            assert qemu.poll() is None, f"qemu exited with {qemu.returncode}: {(out / 'qemu.log').read_text(errors='replace')}"
        except AssertionError as error:
            console = (out / "console.log").read_text(errors="replace")
            raise AssertionError(f"the VM did not come up ({error}); console:\n{console[-4000:]}")
        vm = HostVM(out, api_port, docker, agent, {})
        wait_until("our API through the forwarded port", lambda: vm.get("/status").ok, timeout=120)
        booted = time.monotonic()
        wait_until("the VM's Docker engine", lambda: docker.docker("version", check=False).returncode == 0, timeout=120)
        docker.import_busybox()
        vm.ids = start_fleet(docker, timeout=60)
        print(f"v2 host VM: root and disk built in {built - started:.0f} s, booted to our API in "
              f"{booted - built:.0f} s, containers running {time.monotonic() - booted:.0f} s later")
        yield vm
    finally:
        end_process(qemu, timeout=20)
        qemu_log.close()
        # The 4 GiB disk and the client's scratch root; the console and qemu logs stay for a post-mortem.
        (out / "disk.img").unlink(missing_ok=True)
        shutil.rmtree(docker.scratch, ignore_errors=True)


def test_the_host_is_pure_cgroup_v2_with_systemd_and_dockers_systemd_driver(host_vm):
    assert host_vm.sh("stat -fc %T /sys/fs/cgroup").strip() == "cgroup2fs"
    assert host_vm.sh("readlink /proc/1/exe").strip().endswith("/systemd")
    info = host_vm.docker.docker("info", "--format", "{{.CgroupDriver}} {{.CgroupVersion}}").stdout.split()
    assert info == ["systemd", "2"], info


def test_the_unit_is_active_ready_and_says_its_status(host_vm):
    unit = host_vm.unit("Type", "ActiveState", "SubState", "StatusText", "MainPID", "WatchdogUSec", "User")
    # Type=notify: `active (running)` is reached only when READY=1 came.
    assert (unit["Type"], unit["ActiveState"], unit["SubState"]) == ("notify", "active", "running"), unit
    status_line = r"\d+ containers every 1 s; API on 0\.0\.0\.0:8000; history in /var/log/wakedock/metrics"
    assert re.fullmatch(status_line, unit["StatusText"]), unit["StatusText"]
    assert unit["WatchdogUSec"] == "30s"
    status = host_vm.sh(f"SYSTEMD_COLORS=0 systemctl status --no-pager {UNIT} || true")
    # The count in STATUS= is refreshed once a minute: it may have changed between the two reads.
    assert "Active: active (running)" in status and re.search(f'Status: "{status_line}"', status), status
    assert any(e["MESSAGE"] == "told systemd we are ready" for e in host_vm.journal())
    # DynamicUser: an unprivileged uid of systemd's dynamic range, with the docker group added.
    proc_status = host_vm.sh(f"cat /proc/{unit['MainPID']}/status")
    uid = int(re.search(r"^Uid:\s+(\d+)", proc_status, re.M).group(1))
    groups = re.search(r"^Groups:\s*(.*)$", proc_status, re.M).group(1).split()
    docker_gid = host_vm.sh("getent group docker").split(":")[2]
    assert uid in DYNAMIC_UIDS and docker_gid in groups, (uid, groups, docker_gid)
    assert re.search(r"^CapEff:\s+0+$", proc_status, re.M), proc_status


def test_discovery_finds_the_containers_under_system_slice_docker_scopes(host_vm):
    for name, cid in host_vm.ids.items():
        pid = host_vm.docker.pid(name)
        assert host_vm.sh(f"cat /proc/{pid}/cgroup").strip() == f"0::/system.slice/docker-{cid}.scope"

    def all_listed():
        listed = {c["container_name"]: c["container_id"] for c in host_vm.get("/containers").json()["containers"]}
        return listed if set(CONTAINERS) <= set(listed) else None

    listed = wait_until("every container in /containers", all_listed, timeout=30)
    assert {name: listed[name] for name in CONTAINERS} == host_vm.ids
    discovery = host_vm.get("/status").json()["monitoring"]["discovery"]
    assert discovery == {"connected": True, "detail": "docker:/var/run/docker.sock"}, discovery


def test_stats_agrees_with_docker_stats_on_v2(host_vm):
    # docker stats (the host's client, the VM's engine) takes a few seconds under emulation: ours in its middle.
    # Its CPU % is its own two reads around ~1 s, which under emulation on a busy host can swing far (seen:
    # 121.9 % for a one-thread burner): up to three rounds, until docker's figure is one a thread can reach and
    # ours is within the check's 10 points of it; every other figure is checked on the round kept.
    for _ in range(3):
        theirs: dict = {}
        thread = threading.Thread(target=lambda: theirs.update(host_vm.docker.stats_no_stream()))
        thread.start()
        time.sleep(1.0)
        mine = host_vm.ours()
        thread.join()
        after = host_vm.ours()
        docker_cpu = float(theirs.get("wd-burner", {}).get("CPUPerc", "0%").rstrip("%"))
        if docker_cpu <= 105 and abs(mine.get("wd-burner", {}).get("cpu_percent", 0) - docker_cpu) <= 10:
            break
    for name in CONTAINERS:
        print(f"{name}: ours cpu {mine[name]['cpu_percent']:.1f}% mem {mine[name]['memory_usage']} "
              f"limit {mine[name]['memory_limit']} pids {mine[name]['pids']} | docker {theirs[name]['CPUPerc']} "
              f"{theirs[name]['MemUsage']} pids {theirs[name]['PIDs']} net {theirs[name]['NetIO']}")
    assert_stats_agree(mine, theirs, after, host_vm.ids)

    # With the unit serving (on 0.0.0.0:8000), a plain `stats` answers from its rings.
    log = host_vm.sh(
        "WAKEDOCK_LOG_TARGET=stderr /usr/local/bin/wakedock-monitor stats --log-level info 2>&1 >/dev/null", timeout=60)
    assert "answered from the daemon's rings" in log, log


def test_the_hardened_unit_reads_every_file_the_engine_needs(host_vm):
    # Traffic both ways, so the network counters read from /proc/<pid>/net/dev cannot pass by being 0.
    host_vm.docker.run("wd-pinger", "exec ping -q -i 0.2 172.17.0.1")
    try:
        def pinged():
            sample = host_vm.get("/metrics/wd-pinger/latest")
            return sample.ok and sample.json()["network_tx_bytes"] > 1000 and sample.json()["network_rx_bytes"] > 1000

        wait_until("the daemon's network counters of wd-pinger", pinged, timeout=30)
        as_root = host_vm.ours()
        for name in [*CONTAINERS, "wd-pinger"]:
            sample = host_vm.get(f"/metrics/{name}/latest").json()
            # Every field root can read, the DynamicUser daemon reads too: no null that root does not have.
            unread = sorted(k for k, v in sample.items() if v is None and as_root[name].get(k) is not None)
            assert unread == [], (name, unread)
            for key in ("memory_usage", "memory_limit", "pids", "cpu_usage", "psi_cpu_some_avg10",
                        "psi_memory_some_avg10", "psi_io_some_avg10", "block_read_bytes", "oom_kills"):
                assert sample[key] is not None, (name, key, sample)
            assert sample["memory_usage"] > 0 and sample["pids"] >= 1, (name, sample)
        collector = host_vm.get("/statistics").json()["collector"]
        assert collector["read_errors"] == 0 and collector["failed_samples"] == 0, collector
        denied = [e["MESSAGE"] for e in host_vm.journal() if re.search(r"denied|EACCES|EPERM", e.get("MESSAGE", ""))
                  and not e["MESSAGE"].startswith("Failed to set thread priority")]
        assert denied == [], denied
    finally:
        host_vm.docker.remove("wd-pinger")


def test_journal_entries_carry_the_container_name(host_vm):
    burner = host_vm.ids["wd-burner"]

    def alert_entries():
        return [e for e in host_vm.journal()
                if e.get("CONTAINER_NAME") == "wd-burner" and e["MESSAGE"].startswith("alert: CPU critique")]

    entries = wait_until("the burner's CPU alert in the journal", alert_entries, timeout=60, interval=2)
    entry = entries[-1]
    assert entry["CONTAINER_ID"] == burner and entry["METRIC_TYPE"] == "cpu_percent", entry
    assert entry["PRIORITY"] == "3" and entry["ALERT_LEVEL"] == "critical", entry
    assert entry["_SYSTEMD_UNIT"] == f"{UNIT}.service"


def test_the_watchdog_restarts_a_daemon_whose_tick_is_stopped(host_vm):
    before = host_vm.unit("MainPID", "NRestarts")
    stopped_at = time.monotonic()
    host_vm.sh(f"kill -STOP {before['MainPID']}")

    def restarted():
        now = host_vm.unit("MainPID", "ActiveState", "NRestarts")
        return now if now["MainPID"] not in (before["MainPID"], "0") and now["ActiveState"] == "active" else None

    # WatchdogSec=30 and a ping every 15 s: systemd gives up 30 s after the last ping, 15–30 s after the stop,
    # aborts the daemon and restarts it (RestartSec=2).
    after = wait_until("a restart by the watchdog", restarted, timeout=120, interval=2)
    took = time.monotonic() - stopped_at
    print(f"watchdog: SIGSTOP to a new running daemon in {took:.0f} s")
    assert 12 <= took <= 90, took
    assert int(after["NRestarts"]) == int(before["NRestarts"]) + 1
    messages = [e["MESSAGE"] for e in host_vm.journal() if e.get("_PID") == "1"]
    assert any("Watchdog timeout" in m for m in messages), messages[-10:]
    wait_until("our API after the restart", lambda: host_vm.get("/status").json()["monitoring"]["is_running"], timeout=60)


def test_systemctl_stop_flushes_the_store(host_vm):
    holder = host_vm.ids["wd-holder"]
    wait_until("a fresh sample", lambda: host_vm.get("/metrics/wd-holder/latest").ok, timeout=30)
    last_seen = host_vm.get("/metrics/wd-holder/latest").json()["timestamp"]
    host_vm.sh(f"systemctl stop {UNIT}", timeout=60)
    unit = host_vm.unit("ActiveState", "Result", "ExecMainStatus")
    assert (unit["ActiveState"], unit["Result"], unit["ExecMainStatus"]) == ("inactive", "success", "0"), unit
    newest = host_vm.sh("ls -t /var/log/wakedock/metrics/metrics_*.jsonl | head -1").strip()
    records = [json.loads(line) for line in host_vm.sh(f"grep -F '{holder}' {newest}").splitlines()]
    stamps = [r["timestamp"] for r in records]
    assert stamps == sorted(stamps)
    # The last tick the API showed before the stop is on disk: the final flush wrote it.
    assert stamps[-1] >= last_seen, (stamps[-5:], last_seen)
    messages = [e["MESSAGE"] for e in host_vm.journal()]
    assert not any("timed out" in m or "SIGKILL" in m for m in messages), messages[-10:]
