"""dockerd goes away and comes back: discovery says so, reconnects with back-off and lists again.
(Named zz so that it runs last: it restarts the session's engine.)"""

from __future__ import annotations

import time


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
