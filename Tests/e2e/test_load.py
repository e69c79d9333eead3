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


def test_exports_beyond_four_get_429_and_do_not_keep_answers_out(binary, engine, tmp_path):
    """Four JSONL exports whose readers read nothing hold the four export places: a fifth gets 429 with
    `Retry-After: 1`, an ordinary history query is still answered (exports are counted apart), and once the
    readers go away exports are admitted again."""
    import datetime
    import json
    import socket

    storage = tmp_path / "exports"
    storage.mkdir()
    now = datetime.datetime.now(datetime.timezone.utc)
    day = now.strftime("%Y-%m-%d")
    # 30 MB of a container's history: far more than the kernel's socket buffers hold.
    with open(storage / f"metrics_{day}.jsonl", "w") as f:
        for i in range(200_000):
            stamp = (now - datetime.timedelta(seconds=200_000 - i) / 10).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
            f.write(json.dumps({"container_id": "e" * 64, "container_name": "wd-export", "timestamp": stamp,
                                "cpu_percent": 1.0, "padding": "x" * 40}, separators=(",", ":")) + "\n")
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage)}
    api = start_api_daemon(binary, env, "--interval", "0.5")
    stuck: list[socket.socket] = []
    try:
        request = (f"GET /api/v1/monitoring/metrics?container_id=wd-export&hours=24&format=jsonl HTTP/1.1\r\n"
                   f"Host: x\r\n\r\n").encode()
        for _ in range(4):
            s = socket.socket()
            s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
            s.connect(("127.0.0.1", api.port))
            s.sendall(request)
            stuck.append(s)
        time.sleep(2)  # each export fills the socket buffers and waits for its reader
        refused = requests.get(api.url("/metrics"), params={"container_id": "wd-export", "hours": 24, "format": "jsonl"},
                               timeout=10)
        assert refused.status_code == 429, refused.status_code
        assert refused.headers.get("Retry-After") == "1"
        assert refused.json()["error"] == "too_many_requests"
        answered = api.get("/metrics", params={"container_id": "wd-export", "hours": 24, "limit": 10})
        assert answered.status_code == 200 and len(answered.json()) == 10
        assert api.get("/statistics").json()["performance"]["busy_rejections"] >= 1
        for s in stuck:
            s.close()
        stuck.clear()
        deadline = time.monotonic() + 10
        while True:
            again = requests.get(api.url("/metrics"), params={"container_id": "wd-export", "hours": 1, "format": "jsonl",
                                                              "limit": 5}, timeout=10)
            if again.status_code == 200 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert again.status_code == 200, "the export places were never given back"
        assert len(again.text.splitlines()) == 5
    finally:
        for s in stuck:
            s.close()
        api.daemon.stop()
