"""JSONL persistence (SPEC §7), second part: rotation and gzip of closed files, history queries that read the
files (plain and gzipped, past days, after a crash and a restart) merged with memory, the JSONL export, and a
directory that turns read-only or disappears under the running daemon."""

from __future__ import annotations

import datetime
import gzip
import json
import shutil
import subprocess
import time

import pytest
import requests

from conftest import start_api_daemon, wait_discovered


@pytest.fixture(scope="module")
def pair(engine):
    names = ["wd-h-a", "wd-h-b"]
    for name in names:
        engine.run(name, "exec sleep 100000", "--label", "com.docker.compose.service=hist")
    yield names
    engine.remove(*names)


def records_in(directory, prefix="metrics"):
    """Every record of every history file (plain and gzipped), as the files hold them."""
    out = []
    for path in sorted(directory.iterdir()):
        if not path.name.startswith(prefix + "_"):
            continue
        if path.name.endswith(".jsonl.gz"):
            text = gzip.decompress(path.read_bytes()).decode()
        elif path.name.endswith(".jsonl"):
            text = path.read_text()
        else:
            continue
        out += [json.loads(line) for line in text.splitlines() if line.strip()]
    return out


def check_newest_first_and_unique(records):
    stamps = [(r["container_id"], r["timestamp"]) for r in records]
    assert len(set(stamps)) == len(stamps), "a record served twice (memory and file)"
    times = [r["timestamp"] for r in records]
    assert times == sorted(times, reverse=True)


def test_rotated_files_are_gzipped_and_queries_span_them(binary, engine, pair, tmp_path):
    storage = tmp_path / "rotating"
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage), "WAKEDOCK_PERSIST_INTERVAL": "0.1",
           "WAKEDOCK_METRICS_MAX_FILE_BYTES": "8192"}
    api = start_api_daemon(binary, env, "--interval", "0.1")
    try:
        wait_discovered(api, pair)
        api.daemon.wait_for(r"history file compressed", timeout=20)
        time.sleep(2.5)
        stats = api.get("/statistics").json()["collector"]["storage"]
        assert stats["files_compressed"] >= 2, stats
        assert stats["bytes_after_compression"] * 3 < stats["bytes_before_compression"], stats
    finally:
        api.daemon.stop()
    names = sorted(p.name for p in storage.iterdir())
    compressed = [n for n in names if n.endswith(".jsonl.gz")]
    assert len(compressed) >= 2, names
    for name in compressed:
        assert name + ".idx" in names
        subprocess.run(["gzip", "-t", str(storage / name)], check=True)  # a valid (multi-member) gzip file
    assert not [n for n in names if n.endswith(".tmp")]
    before_restart = [r for r in records_in(storage) if r["container_name"] == "wd-h-a"]
    assert len(before_restart) >= 30

    # A new run: memory starts empty, so everything before comes from the files, gzipped parts included.
    api = start_api_daemon(binary, env, "--interval", "0.1")
    try:
        wait_discovered(api, pair)
        served = api.get("/metrics", params={"container_id": "wd-h-a", "limit": 10000}).json()
        check_newest_first_and_unique(served)
        served_times = {r["timestamp"] for r in served}
        missing = [r["timestamp"] for r in before_restart if r["timestamp"] not in served_times]
        assert not missing, missing[:5]
        # `limit` keeps the newest records of the window, across memory and files.
        newest = api.get("/metrics", params={"service_name": "hist", "limit": 7}).json()
        assert len(newest) == 7
        check_newest_first_and_unique(newest)
    finally:
        api.daemon.stop()


def test_memory_and_files_merge_without_duplicates(binary, engine, pair, tmp_path):
    storage = tmp_path / "merge"
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage), "WAKEDOCK_PERSIST_INTERVAL": "0.1",
           "WAKEDOCK_MEMORY_SAMPLES": "10"}
    api = start_api_daemon(binary, env, "--interval", "0.1")
    try:
        wait_discovered(api, pair)
        time.sleep(3.5)
        served = api.get("/metrics", params={"container_id": "wd-h-a", "limit": 10000}).json()
        on_disk = [r for r in records_in(storage) if r["container_name"] == "wd-h-a"]
    finally:
        api.daemon.stop()
    assert len(served) > 20, len(served)  # memory holds 10: the rest came from the file
    assert len(served) >= len(on_disk)
    check_newest_first_and_unique(served)


def sample_line(when, cid, name, service="ghosts"):
    return json.dumps({
        "container_id": cid, "container_name": name, "service_name": service,
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "cpu_percent": 1.5, "memory_usage": 1048576,
        "memory_limit": 1073741824, "memory_percent": 0.1, "network_rx_bytes": 10, "network_tx_bytes": 20,
        "block_read_bytes": 0, "block_write_bytes": 0, "pids": 1}, separators=(",", ":")) + "\n"


def alert_line(when, cid, name, level):
    return json.dumps({
        "container_id": cid, "container_name": name, "service_name": "ghosts",
        "timestamp": when.strftime("%Y-%m-%dT%H:%M:%SZ"), "level": level, "metric_type": "cpu_percent",
        "value": 95.0, "threshold": 90.0, "message": "CPU critique: 95.0% (seuil: 90%)"}, separators=(",", ":")) + "\n"


def test_past_days_are_served_from_plain_gzipped_and_damaged_files(binary, engine, tmp_path):
    storage = tmp_path / "past"
    storage.mkdir()
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    two_days = now - datetime.timedelta(days=2)
    start = two_days.replace(hour=6, minute=0, second=0)
    # Two days ago: a gzip file of three members and no index (as another tool would write it).
    members = [
        gzip.compress("".join(sample_line(start + datetime.timedelta(seconds=m * 100 + i), "ghost0123456789abcdef", "ghost")
                              for i in range(100)).encode())
        for m in range(3)]
    (storage / f"metrics_{two_days:%Y-%m-%d}.1.jsonl.gz").write_bytes(b"".join(members))
    # The same day, a later part cut short mid-member (a disk that filled while compressing, say).
    later = gzip.compress("".join(sample_line(start + datetime.timedelta(seconds=300 + i), "ghost0123456789abcdef", "ghost")
                                  for i in range(2000)).encode())
    (storage / f"metrics_{two_days:%Y-%m-%d}.2.jsonl.gz").write_bytes(later[: len(later) // 2])
    # Today: a plain file of the last ten minutes that ends in a torn line.
    today = storage / f"metrics_{now:%Y-%m-%d}.jsonl"
    today.write_text("".join(sample_line(now - datetime.timedelta(seconds=600 - i), "ghost0123456789abcdef", "ghost")
                             for i in range(600)) + '{"container_id":"torn')
    (storage / f"alerts_{two_days:%Y-%m-%d}.jsonl").write_text(
        alert_line(start, "ghost0123456789abcdef", "ghost", "critical") +
        alert_line(start + datetime.timedelta(seconds=1), "ghost0123456789abcdef", "ghost", "warning"))

    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage)})
    try:
        week = api.get("/metrics", params={"container_id": "ghost", "hours": 72, "limit": 10000}).json()
        check_newest_first_and_unique(week)
        from_cut_part = [r for r in week if start + datetime.timedelta(seconds=300) <=
                         datetime.datetime.fromisoformat(r["timestamp"]) < now - datetime.timedelta(days=1)]
        assert 300 < len(from_cut_part) < 2000  # what came before the cut is served
        assert len(week) == 600 + 300 + len(from_cut_part)
        assert week[-1]["timestamp"] == start.strftime("%Y-%m-%dT%H:%M:%SZ")
        # The last hour only reads today's file; an id prefix finds a container memory never knew.
        hour = api.get("/metrics", params={"container_id": "ghost0123", "limit": 10000}).json()
        assert len(hour) == 600
        assert api.get("/metrics", params={"service_name": "ghosts", "hours": 72, "limit": 5}).json() == week[:5]
        assert api.get("/metrics", params={"service_name": "nobody", "hours": 72}).json() == []
        body = api.post("/metrics/query", json={"container_id": "ghost", "hours": 72, "limit": 10000}).json()
        assert body == week

        alerts = api.get("/alerts", params={"hours": 72, "level": "critical"}).json()
        assert [a["level"] for a in alerts] == ["critical"] and alerts[0]["container_name"] == "ghost"
        assert len(api.get("/alerts", params={"hours": 72, "container_id": "ghost"}).json()) == 2

        # The export: the same records, one per line, streamed.
        with requests.get(api.url("/metrics"), params={"container_id": "ghost", "hours": 72, "format": "jsonl"},
                          stream=True, timeout=10) as response:
            assert response.status_code == 200
            assert response.headers["content-type"] == "application/x-ndjson"
            exported = [json.loads(line) for line in response.iter_lines() if line]
        assert exported == week
        limited = api.get("/metrics", params={"container_id": "ghost", "hours": 72, "format": "jsonl", "limit": 3})
        assert [json.loads(line) for line in limited.text.splitlines()] == week[:3]
        bad = api.get("/metrics", params={"format": "xml"})
        assert bad.status_code == 422 and "format" in bad.json()["detail"]
        assert api.get("/metrics", params={"format": "json", "limit": 10001}).status_code == 422
    finally:
        api.daemon.stop()
    assert today.read_text().endswith("\n")  # the torn line was cut at start


def test_records_from_before_a_kill_9_are_served_after_restart(binary, engine, pair, tmp_path):
    storage = tmp_path / "killed"
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage), "WAKEDOCK_PERSIST_INTERVAL": "0.1"}
    api = start_api_daemon(binary, env, "--interval", "0.1")
    wait_discovered(api, pair)
    time.sleep(3)
    collected = api.get("/metrics", params={"container_id": "wd-h-b", "limit": 10000}).json()
    api.daemon.process.kill()
    api.daemon.process.wait()
    api = start_api_daemon(binary, env, "--interval", "0.1")
    try:
        wait_discovered(api, pair)
        served = api.get("/metrics", params={"container_id": "wd-h-b", "limit": 10000}).json()
    finally:
        api.daemon.stop()
    check_newest_first_and_unique(served)
    served_times = {r["timestamp"] for r in served}
    kept = [r for r in collected if r["timestamp"] in served_times]
    assert len(kept) >= len(collected) - 10, (len(collected), len(kept))  # at most the last flush lost


def remount(path, mode):
    """Remounts a bind mount read-only or read-write. The daemon holds no file open between flushes, so a try
    that lands mid-flush ("busy") is simply made again."""
    for _ in range(50):
        if subprocess.run(["mount", "-o", f"remount,{mode},bind", str(path)], capture_output=True).returncode == 0:
            return
        time.sleep(0.05)
    raise AssertionError(f"cannot remount {path} {mode}")


def test_a_read_only_directory_is_reported_and_writing_resumes(binary, engine, pair, tmp_path):
    storage = tmp_path / "ro"
    storage.mkdir()
    subprocess.run(["mount", "--bind", str(storage), str(storage)], check=True)
    api = None
    try:
        api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket,
                                        "WAKEDOCK_METRICS_STORAGE_PATH": str(storage)}, "--interval", "0.1")
        wait_discovered(api, pair)
        time.sleep(1)
        remount(storage, "ro")
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            state = api.get("/status").json()["monitoring"]["storage"]
            if state["failing"]:
                break
            time.sleep(0.2)
        assert state["failing"] and "Read-only file system" in state["last_error"], state
        first = api.get("/metrics", params={"limit": 1}).json()[0]["timestamp"]
        time.sleep(0.4)
        assert api.get("/metrics", params={"limit": 1}).json()[0]["timestamp"] > first  # live data goes on
        persisted = state["samples_persisted"]
        remount(storage, "rw")
        api.daemon.wait_for(r"history writes resumed", timeout=10)
        state = api.get("/statistics").json()["collector"]["storage"]
        assert not state["failing"] and state["samples_persisted"] > persisted
    finally:
        if api is not None:
            api.daemon.stop()
        subprocess.run(["umount", "-l", str(storage)], check=False)


def test_a_deleted_directory_is_created_anew(binary, engine, pair, tmp_path):
    storage = tmp_path / "deleted"
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(storage)},
                           "--interval", "0.1")
    try:
        wait_discovered(api, pair)
        time.sleep(1)
        shutil.rmtree(storage)
        api.daemon.wait_for(r"history file had been deleted; created it anew", timeout=10)
        time.sleep(1.2)
        assert api.get("/status").json()["monitoring"]["storage"]["files_recreated"] >= 1
        assert [r for r in records_in(storage) if r["container_name"] == "wd-h-a"]
    finally:
        api.daemon.stop()
