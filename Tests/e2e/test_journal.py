"""systemd operations (issue 6) with real parts: a systemd-journald started by hand receives the daemon's
native entries with their fields; without a journal, or with a stale socket, lines reach stderr; a
test-owned datagram socket as NOTIFY_SOCKET hears READY=1, WATCHDOG=1 and STOPPING=1; systemd-analyze
verifies the unit file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import time
from pathlib import Path

import pytest

from conftest import REPO, Daemon, end_process, free_port, start_api_daemon

JOURNAL_DIR = Path("/run/systemd/journal")
JOURNAL_SOCKET = JOURNAL_DIR / "socket"
JOURNAL_FILES = ["socket", "stdout", "dev-log", "io.systemd.journal"]


def remove_journal_sockets():
    for name in JOURNAL_FILES:
        try:
            (JOURNAL_DIR / name).unlink()
        except FileNotFoundError:
            pass


@pytest.fixture
def journald():
    """A systemd-journald of our own for the test, stopped (and its sockets removed) afterwards, so that no
    later test finds a journal."""
    if subprocess.run(["pgrep", "-x", "systemd-journal"], capture_output=True).returncode == 0:
        pytest.fail("a systemd-journald is already running: these tests need the journal to themselves")
    JOURNAL_DIR.mkdir(parents=True, exist_ok=True)
    remove_journal_sockets()
    process = subprocess.Popen(["/lib/systemd/systemd-journald"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 10
    while not JOURNAL_SOCKET.exists() and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        assert JOURNAL_SOCKET.exists(), "systemd-journald did not create its socket"
        yield process
    finally:
        end_process(process)
        remove_journal_sockets()


def journal_entries(*matches: str, since: str) -> list[dict]:
    out = subprocess.run(["journalctl", "-o", "json", "--no-pager", "--since", since, *matches],
                         capture_output=True, text=True, timeout=30)
    return [json.loads(line) for line in out.stdout.splitlines() if line.strip()]


def wait_for_entry(predicate, *matches: str, since: str, timeout: float = 10) -> dict:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        subprocess.run(["journalctl", "--sync"], capture_output=True, timeout=10)
        for entry in journal_entries(*matches, since=since):
            if predicate(entry):
                return entry
        time.sleep(0.2)
    raise AssertionError(f"no journal entry matching {matches} in {timeout} s")


@pytest.fixture(scope="module")
def web(engine):
    engine.run("wd-j-web", "exec sleep 100000", "--label", "com.docker.compose.service=jweb")
    yield "wd-j-web"
    engine.remove("wd-j-web")


def test_entries_reach_the_journal_with_fields_and_filter_by_container(binary, engine, web, journald, tmp_path):
    since = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(time.time() - 1))
    port = free_port()
    env = dict(os.environ, WAKEDOCK_DOCKER_SOCKET=engine.socket, WAKEDOCK_METRICS_STORAGE_PATH=str(tmp_path / "h"),
               WAKEDOCK_LOG_TARGET="auto")
    daemon = Daemon(binary, env, ["--port", str(port), "--interval", "0.2"])
    try:
        started = wait_for_entry(lambda e: e["MESSAGE"] == "starting wakedock-monitor",
                                 "SYSLOG_IDENTIFIER=wakedock-monitor", since=since)
        assert started["LOG_TARGET"] == "journal" and "accepts datagrams" in started["LOG_TARGET_REASON"]
        assert started["PRIORITY"] == "6" and started["LOGGER_LABEL"] == "wakedock.monitoring"
        assert started["CODE_FILE"].endswith("Daemon.swift") and int(started["CODE_LINE"]) > 0 and started["CODE_FUNC"]
        for key in ["CGROUP_MODE", "DISCOVERY", "CONFIGURED_STORAGE_PATH", "INTERVAL_S"]:
            assert key in started, key
        # journalctl CONTAINER_NAME=… finds the container's lines.
        discovered = wait_for_entry(lambda e: e["MESSAGE"] == "container discovered",
                                    f"CONTAINER_NAME={web}", since=since)
        assert discovered["SERVICE_NAME"] == "jweb" and len(discovered["CONTAINER_ID"]) == 64
        import requests

        requests.post(f"http://127.0.0.1:{port}/api/v1/monitoring/test/alert", timeout=10,
                      json={"container_id": web, "metric_type": "cpu_percent", "value": 97, "level": "critical"})
        alert = wait_for_entry(lambda e: e["MESSAGE"].startswith("alert: "), "ALERT_LEVEL=critical", since=since)
        assert alert["MESSAGE"] == "alert: CPU critique: 97.0% (seuil: 90%)"
        assert alert["METRIC_TYPE"] == "cpu_percent" and alert["CONTAINER_NAME"] == web and alert["PRIORITY"] == "3"
        assert alert["LOGGER_LABEL"] == "wakedock.monitoring.alerts"
    finally:
        assert daemon.stop() == 0
    # With the journal in use, nothing goes to stderr.
    assert not [line for _, line in daemon.lines if "container discovered" in line]


def test_without_a_journal_lines_go_to_stderr(binary, engine, web, tmp_path):
    assert not JOURNAL_SOCKET.exists()
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_LOG_TARGET": "auto"})
    try:
        api.daemon.wait_for(rf"container_name={web} .*container discovered", timeout=15)
        started = [line for _, line in api.daemon.lines if "starting wakedock-monitor" in line][0]
        assert "log_target=stderr" in started and "No such file or directory" in started
    finally:
        api.daemon.stop()


def test_a_stale_journal_socket_falls_back_to_stderr_without_losing_lines(binary, engine, web, tmp_path):
    JOURNAL_DIR.mkdir(parents=True, exist_ok=True)
    remove_journal_sockets()
    stale = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    stale.bind(str(JOURNAL_SOCKET))
    stale.close()  # the file stays, nobody listens: connect() gets ECONNREFUSED
    try:
        # auto: sees the stale socket and picks stderr.
        api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_LOG_TARGET": "auto"})
        try:
            api.daemon.wait_for(rf"container_name={web} .*container discovered", timeout=15)
            assert "Connection refused" in [line for _, line in api.daemon.lines if "starting" in line][0]
        finally:
            api.daemon.stop()
        # journal, forced: every send fails with -ECONNREFUSED, and every line still reaches stderr.
        api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_LOG_TARGET": "journal"})
        try:
            api.daemon.wait_for(rf"container_name={web} .*container discovered", timeout=15)
            assert [line for _, line in api.daemon.lines if "log_target=journal" in line]
        finally:
            api.daemon.stop()
        assert [line for _, line in api.daemon.lines if "monitoring stopped" in line]
    finally:
        remove_journal_sockets()


def test_sd_notify_ready_watchdog_and_stopping(binary, engine, web, tmp_path):
    path = str(tmp_path / "notify.sock")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    listener.bind(path)
    listener.settimeout(0.2)
    messages: list[tuple[float, str]] = []

    def receive_for(seconds):
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            try:
                messages.append((time.monotonic(), listener.recv(4096).decode()))
            except socket.timeout:
                pass

    port = free_port()
    env = dict(os.environ, WAKEDOCK_DOCKER_SOCKET=engine.socket, WAKEDOCK_METRICS_STORAGE_PATH=str(tmp_path / "h"),
               WAKEDOCK_LOG_TARGET="stderr", NOTIFY_SOCKET=path, WATCHDOG_USEC="1000000")
    daemon = Daemon(binary, env, ["--port", str(port), "--interval", "0.1"])
    try:
        receive_for(4)
        texts = [text for _, text in messages]
        ready = [text for text in texts if "READY=1" in text]
        assert len(ready) == 1, texts
        status = [line for line in ready[0].splitlines() if line.startswith("STATUS=")][0]
        assert "containers every 0.1 s" in status and f"API on 127.0.0.1:{port}" in status
        # The port is bound when READY=1 arrives.
        socket.create_connection(("127.0.0.1", port), timeout=2).close()
        pings = [t for t, text in messages if text == "WATCHDOG=1"]
        assert len(pings) >= 5, texts  # every 0.5 s (half of WATCHDOG_USEC)
        gaps = [b - a for a, b in zip(pings, pings[1:])]
        assert max(gaps) < 0.9, gaps
        daemon.process.send_signal(signal.SIGTERM)
        receive_for(2)
        assert any("STOPPING=1" in text for _, text in messages), [text for _, text in messages][-5:]
    finally:
        assert daemon.stop() == 0
        listener.close()


def test_the_unit_file_verifies(binary):
    if shutil.which("systemd-analyze") is None:
        pytest.fail("systemd-analyze is missing: the test command installs the systemd package")
    unit = (REPO / "packaging" / "systemd" / "wakedock-monitor.service").read_text()
    assert "Type=notify" in unit and "WatchdogSec=" in unit and "ProtectSystem=strict" in unit
    # Verify it as written, but with ExecStart pointing at the binary just built (verify checks it exists).
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "wakedock-monitor.service"
        path.write_text(unit.replace("/usr/local/bin/wakedock-monitor", binary))
        result = subprocess.run(["systemd-analyze", "verify", str(path)], capture_output=True, text=True, timeout=60)
    assert result.returncode == 0 and result.stderr.strip() == "", result.stderr
