"""Fixtures for the end-to-end tests: the real binary, a real dockerd, and the daemon under test."""

from __future__ import annotations

import os
import queue
import re
import subprocess
import threading
import time
from pathlib import Path

import pytest

from docker_engine import DockerEngine, EngineError
from processes import end_process  # noqa: F401  (the tests import it from here)

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def binary() -> str:
    """The wakedock-monitor binary built by the test command (WAKEDOCK_BIN), else the debug build."""
    path = os.environ.get("WAKEDOCK_BIN") or str(REPO / ".build" / "debug" / "wakedock-monitor")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no wakedock-monitor binary at {path}: build it first (the README's test command does)")
    return path


@pytest.fixture(scope="session")
def release_binary() -> str:
    """The optimised build (WAKEDOCK_RELEASE_BIN, else .build/release): for the load tests, whose latency bounds
    are those of the binary users run, not of a debug build ten times slower."""
    path = os.environ.get("WAKEDOCK_RELEASE_BIN") or str(REPO / ".build" / "release" / "wakedock-monitor")
    if not os.access(path, os.X_OK):
        pytest.fail(f"no release wakedock-monitor at {path}: `swift build -c release --static-swift-stdlib` "
                    "(the README's test command does)")
    return path


@pytest.fixture(scope="session")
def engine():
    """A real dockerd for the whole session. If it cannot start, every test that needs it fails, saying why:
    these tests never skip silently."""
    if os.geteuid() != 0:
        pytest.fail("the end-to-end tests start dockerd and create cgroups: run them as root")
    eng = DockerEngine()
    try:
        eng.start()
        eng.import_busybox()
    except EngineError as error:
        eng.teardown()
        pytest.fail(f"cannot start the test Docker engine: {error}")
    yield eng
    eng.teardown()


class Daemon:
    """`wakedock-monitor serve` as a child process, its stderr collected line by line with arrival times."""

    def __init__(self, binary: str, env: dict[str, str], args: list[str]):
        self.lines: list[tuple[float, str]] = []
        self._queue: queue.Queue = queue.Queue()
        self.process = subprocess.Popen(
            [binary, "serve", *args],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            item = (time.monotonic(), line.rstrip("\n"))
            self.lines.append(item)
            self._queue.put(item)

    def wait_for(self, pattern: str, timeout: float, after: float = 0.0) -> tuple[float, str]:
        """The first line at or after monotonic time `after` matching `pattern` (a regex)."""
        regex = re.compile(pattern)
        for seen_at, line in list(self.lines):
            if seen_at >= after and regex.search(line):
                return seen_at, line
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                tail = "\n".join(line for _, line in self.lines[-25:])
                raise AssertionError(f"no log line matching {pattern!r} within {timeout} s; last lines:\n{tail}")
            try:
                seen_at, line = self._queue.get(timeout=min(remaining, 0.2))
            except queue.Empty:
                if self.process.poll() is not None and self._queue.empty():
                    tail = "\n".join(line for _, line in self.lines[-25:])
                    raise AssertionError(f"daemon exited ({self.process.returncode}) before {pattern!r}:\n{tail}")
                continue
            if seen_at >= after and regex.search(line):
                return seen_at, line

    def stop(self) -> int:
        if self.process.poll() is None:
            end_process(self.process, timeout=15)
        self._reader.join(timeout=5)
        return self.process.returncode


@pytest.fixture
def start_daemon(binary, tmp_path):
    """Starts daemons on demand and stops every one of them at the end of the test, pass or fail."""
    started: list[Daemon] = []

    def start(*args: str, env: dict[str, str] | None = None) -> Daemon:
        full_env = dict(os.environ)
        full_env.setdefault("WAKEDOCK_METRICS_STORAGE_PATH", str(tmp_path / "metrics"))
        full_env.setdefault("WAKEDOCK_LOG_TARGET", "stderr")  # tests read the log from stderr
        full_env.setdefault("WAKEDOCK_RATE_LIMIT", "0")  # tests that hammer the API test something else
        full_env.update(env or {})
        daemon = Daemon(binary, full_env, list(args))
        started.append(daemon)
        return daemon

    yield start
    for daemon in started:
        daemon.stop()


def free_port() -> int:
    """A port nothing listens on right now (tests never use fixed ports)."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class ApiDaemon:
    """A daemon serving HTTP on a free port, with helpers for its REST API."""

    def __init__(self, daemon: Daemon, port: int):
        self.daemon = daemon
        self.port = port
        self.base = f"http://127.0.0.1:{port}/api/v1/monitoring"

    def url(self, path: str) -> str:
        return self.base + path

    def get(self, path: str, **kw):
        import requests

        return requests.get(self.url(path), timeout=10, **kw)

    def post(self, path: str, **kw):
        import requests

        return requests.post(self.url(path), timeout=10, **kw)

    def put(self, path: str, **kw):
        import requests

        return requests.put(self.url(path), timeout=10, **kw)

    def delete(self, path: str, **kw):
        import requests

        return requests.delete(self.url(path), timeout=10, **kw)


_history_dirs: list[str] = []


@pytest.fixture(scope="session", autouse=True)
def _remove_default_history_dirs():
    yield
    import shutil

    for path in _history_dirs:
        shutil.rmtree(path, ignore_errors=True)


def start_api_daemon(binary: str, env: dict[str, str], *args: str) -> ApiDaemon:
    import tempfile

    port = free_port()
    full_env = dict(os.environ)
    full_env.setdefault("WAKEDOCK_LOG_TARGET", "stderr")  # tests read the log from stderr, journal or not
    # Tests that hammer the API test something else; test_security.py's rate limit test sets its own.
    full_env.setdefault("WAKEDOCK_RATE_LIMIT", "0")
    # History goes to a fresh directory unless the test names one: never into the machine's /var/log.
    if "WAKEDOCK_METRICS_STORAGE_PATH" not in env:
        full_env["WAKEDOCK_METRICS_STORAGE_PATH"] = tempfile.mkdtemp(prefix="wd-history-")
        _history_dirs.append(full_env["WAKEDOCK_METRICS_STORAGE_PATH"])
    full_env.update(env)
    daemon = Daemon(binary, full_env, ["--port", str(port), *args])
    try:
        daemon.wait_for(r"HTTP API listening", timeout=20)
    except AssertionError:
        daemon.stop()
        raise
    return ApiDaemon(daemon, port)


def wait_discovered(api: ApiDaemon, names) -> None:
    """Waits until the daemon's log says each named container was discovered."""
    for name in names:
        api.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=15)


def run_binary(binary: str, *args: str, env: dict[str, str] | None = None, timeout: float = 60):
    full_env = dict(os.environ)
    full_env.update(env or {})
    return subprocess.run([binary, *args], env=full_env, capture_output=True, text=True, timeout=timeout)
