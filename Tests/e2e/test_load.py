"""The tick never waits for anyone (issue 10): a wrk load on the history endpoints leaves every tick in its slot,
and GET /status answers fast meanwhile. History answers run on their own thread pool with a bound (429 beyond
it); the collector ticks on its own thread."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time

import pytest
import requests

from conftest import start_api_daemon

CONTAINERS = 10


@pytest.fixture(scope="module")
def many(engine):
    names = [f"wd-load-{i}" for i in range(CONTAINERS)]
    for name in names:
        engine.run(name, "exec sleep 100000", "--label", "com.docker.compose.service=load")
    yield names
    engine.remove(*names)


def health(api) -> dict:
    return api.get("/statistics").json()["collector"]


@pytest.mark.parametrize(("interval", "path"), [
    ("0.1", "/metrics?hours=1&limit=1000"),
    ("1", "/metrics?hours=1&limit=1000"),
    ("0.1", "/alerts?hours=24&limit=1000"),
])
def test_history_load_misses_no_tick_and_status_stays_fast(release_binary, engine, many, tmp_path, interval, path):
    assert shutil.which("wrk"), "wrk is missing: the README's test command installs it"
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path / "m"),
           "WAKEDOCK_PERSIST_INTERVAL": "0.1"}
    api = start_api_daemon(release_binary, env, "--interval", interval)
    try:
        for name in many:
            api.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=20)
        time.sleep(2.5)  # history in memory and in today's file
        before = health(api)
        latencies: list[float] = []
        stop = threading.Event()

        def poll_status() -> None:
            with requests.Session() as session:
                while not stop.is_set():
                    start = time.monotonic()
                    assert session.get(api.url("/status"), timeout=5).status_code == 200
                    latencies.append(time.monotonic() - start)
                    time.sleep(0.02)

        poller = threading.Thread(target=poll_status, daemon=True)
        poller.start()
        result = subprocess.run(["wrk", "-t2", "-c64", "-d10s", "--latency", api.url(path)],
                                capture_output=True, text=True, timeout=60)
        stop.set()
        poller.join(timeout=10)
        after = health(api)
        print(result.stdout)
        requests_done = int(re.search(r"(\d+) requests in", result.stdout).group(1))
        assert requests_done > 100, result.stdout
        assert after["missed_ticks"] == before["missed_ticks"], (before["missed_ticks"], after["missed_ticks"])
        assert after["ticks"] > before["ticks"]
        latencies.sort()
        p99 = latencies[max(int(len(latencies) * 0.99) - 1, 0)]
        print(f"GET /status under load: {len(latencies)} requests, p50 {latencies[len(latencies) // 2] * 1000:.1f} ms, "
              f"p99 {p99 * 1000:.1f} ms; busy 429s: {api.get('/statistics').json()['performance']['busy_rejections']}")
        assert len(latencies) > 50
        assert p99 < 0.05, f"GET /status p99 {p99 * 1000:.1f} ms under load"
        # The daemon still answers history normally once the load is gone.
        assert api.get(path.split("?")[0], params={"limit": 5}).status_code == 200
    finally:
        api.daemon.stop()


def test_too_many_concurrent_history_queries_get_429_with_retry_after(binary, engine, many, tmp_path):
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path / "m")}
    api = start_api_daemon(binary, env, "--interval", "0.1")
    try:
        for name in many:
            api.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=20)
        time.sleep(1.5)
        statuses: list[int] = []
        retry_after: list[str] = []
        lock = threading.Lock()

        def query() -> None:
            response = requests.get(api.url("/metrics"), params={"hours": 1, "limit": 10000}, timeout=30)
            with lock:
                statuses.append(response.status_code)
                if response.status_code == 429:
                    retry_after.append(response.headers.get("Retry-After", ""))
                    assert response.json()["error"] == "too_many_requests"

        threads = [threading.Thread(target=query) for _ in range(40)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert set(statuses) <= {200, 429}, statuses
        assert 200 in statuses
        if 429 in statuses:
            assert all(value == "1" for value in retry_after)
            assert api.get("/statistics").json()["performance"]["busy_rejections"] >= statuses.count(429)
    finally:
        api.daemon.stop()
