"""dockerd goes away and comes back: discovery says so, reconnects with back-off and lists again.

These tests stop and start the session's engine. Whatever happens in them, the engine is running again when
each one ends (the autouse fixture below), so the modules after this one find it as they would have: its data
root, and so the busybox image, survive a restart. The module may run in any place of the session."""

from __future__ import annotations

import time

import pytest


@pytest.fixture(autouse=True)
def _engine_running_afterwards(engine):
    yield
    if engine.process is None or engine.process.poll() is not None:
        engine.process = None
        engine.start()


def test_discovery_recovers_after_dockerd_restarts(engine, start_daemon):
    daemon = start_daemon("--interval", "0.5", env={"WAKEDOCK_DOCKER_SOCKET": engine.socket})
    engine.run("wd-survivor", "exec sleep 100000")
    daemon.wait_for(r"container_name=wd-survivor .*container discovered", timeout=10)

    stopped = time.monotonic()
    engine.stop()  # SIGTERM: dockerd stops its containers, then exits
    daemon.wait_for(r"Docker connection lost", timeout=30, after=stopped)
    daemon.wait_for(r"container_name=wd-survivor .*container lost", timeout=30, after=stopped)
    assert daemon.process.poll() is None, "the daemon must keep running without Docker"

    time.sleep(1.5)  # a few failed reconnects, with back-off
    restarted = time.monotonic()
    engine.start()
    daemon.wait_for(r"Docker connection regained", timeout=15, after=restarted)
    engine.run("wd-phoenix", "exec sleep 100000")
    try:
        daemon.wait_for(r"container_name=wd-phoenix .*container discovered", timeout=10, after=restarted)
    finally:
        engine.remove("wd-survivor", "wd-phoenix")


def test_containers_are_back_within_a_second_of_a_long_docker_outage(engine, binary):
    """Issue 10: dockerd down 30 s (the reconnect back-off must not have grown meanwhile), then back: a container
    started right after it answers `_ping` is listed within a second; while it was away, /status said why."""
    from conftest import start_api_daemon

    # At 0.2 s a new container is sampled (and so listed) at most 0.2 s after discovery learns of it.
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--interval", "0.2")
    try:
        api.daemon.wait_for(r"connected to Docker", timeout=10)
        assert api.get("/status").json()["monitoring"]["discovery"]["connected"] is True
        stopped = time.monotonic()
        engine.stop()
        api.daemon.wait_for(r"Docker connection lost", timeout=30, after=stopped)
        time.sleep(30)
        discovery = api.get("/status").json()["monitoring"]["discovery"]
        assert discovery["connected"] is False and engine.socket in discovery["detail"], discovery
        engine.start()  # returns once dockerd answers _ping
        answered = time.monotonic()
        engine.run("wd-after-outage", "exec sleep 100000")
        started = time.monotonic()
        seen = None
        while time.monotonic() - started < 5:
            names = [c["container_name"] for c in api.get("/containers").json()["containers"]]
            if "wd-after-outage" in names:
                seen = time.monotonic()
                break
            time.sleep(0.05)
        assert seen is not None, "the container started after the outage was never listed"
        print(f"\nlisted {seen - started:.2f} s after docker run returned, {seen - answered:.2f} s after _ping")
        assert seen - started < 1.0, f"listed {seen - started:.2f} s after it started"
        assert api.get("/status").json()["monitoring"]["discovery"]["connected"] is True
    finally:
        api.daemon.stop()
        engine.remove("wd-after-outage")
