"""The original WakeDock front-end's contract (issue 10): its MonitoringDashboard replayed call by call — the
REST calls it makes, the three subscriptions it opens (two of them without `filters`), its ping, Start/Stop
without a body, the export — checking every field it reads, with the type it expects.

What it reads was taken from the public wakedock-frontend project (src/components/monitoring/
MonitoringDashboard.tsx) and the original backend's websocket service (wakedock/core/websocket_service.py)."""

from __future__ import annotations

import json
import time

import pytest
import websocket

from conftest import start_api_daemon


@pytest.fixture(scope="module")
def api(binary, engine, tmp_path_factory):
    names = ["wd-orig-web", "wd-orig-db"]
    engine.run("wd-orig-web", "exec sleep 100000", "--label", "com.docker.compose.service=web")
    engine.run("wd-orig-db", "exec sleep 100000")
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket,
           "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("metrics"))}
    daemon = start_api_daemon(binary, env, "--interval", "0.5")
    for name in names:
        daemon.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=15)
    time.sleep(1.2)
    # One alert for the alert list (the dashboard shows the last 24 h).
    r = daemon.post("/test/alert", json={"container_id": "wd-orig-web", "metric_type": "cpu_percent", "value": 95,
                                         "level": "critical"})
    assert r.status_code == 200, r.text
    yield daemon
    daemon.daemon.stop()
    engine.remove(*names)


def is_number(value) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def check_container_metrics(c: dict) -> None:
    """A ContainerMetrics as the dashboard uses it (filter list, averages, network total)."""
    assert isinstance(c["container_id"], str) and c["container_id"]
    assert isinstance(c["container_name"], str) and c["container_name"]
    for key in ("cpu_percent", "memory_percent", "network_rx_bytes", "network_tx_bytes"):
        assert is_number(c[key]), (key, c.get(key))


def check_alert(a: dict) -> None:
    assert a["level"] in ("info", "warning", "critical")
    assert isinstance(a["container_name"], str)
    assert isinstance(a["timestamp"], str) and a["timestamp"].endswith("Z")
    assert isinstance(a["message"], str) and a["message"]
    assert a["service_name"] is None or isinstance(a["service_name"], str)


def check_stats_panel(stats: dict) -> None:
    """`stats.monitoring.*` and `stats.websocket.*`, as the statistics panel renders them."""
    m = stats["monitoring"]
    assert isinstance(m["is_running"], bool)
    for key in ("monitored_containers", "collection_interval", "retention_days"):
        assert is_number(m[key]), key
    w = stats["websocket"]
    for key in ("active_connections", "total_connections", "messages_sent"):
        assert is_number(w[key]), key


def test_load_calls(api):
    """On load: status, containers, the last 24 h of alerts (a bare array, limit 20)."""
    status = api.get("/status").json()
    check_stats_panel(status)
    containers = api.get("/containers").json()["containers"]
    assert {c["container_name"] for c in containers} >= {"wd-orig-web", "wd-orig-db"}
    for c in containers:
        check_container_metrics(c)
    # "Trafic Réseau MB": the sum of the byte counters over 1024² must be a number, not NaN.
    total = sum(c["network_rx_bytes"] + c["network_tx_bytes"] for c in containers) / 1024 / 1024
    assert total >= 0
    alerts = api.get("/alerts", params={"hours": 24, "limit": 20}).json()
    assert isinstance(alerts, list) and alerts
    for a in alerts:
        check_alert(a)


def test_start_and_stop_without_a_body_and_the_stream_follows(api):
    ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=5)
    try:
        ws.recv()
        ws.send(json.dumps({"action": "subscribe", "stream_type": "system_status"}))
        import requests

        def follows(endpoint: str, expected: bool) -> bool:
            assert requests.post(api.url(endpoint), timeout=5).status_code == 200
            deadline = time.monotonic() + 5
            while time.monotonic() < deadline:
                message = json.loads(ws.recv())
                if message["type"] == "status_update" and message["data"].get("monitoring_active") is expected:
                    return True
            return False

        assert follows("/stop", False), "the Start/Stop button never learns that monitoring stopped"
        assert follows("/start", True), "the Start/Stop button never learns that monitoring started again"
    finally:
        ws.close()


def test_websocket_session_as_the_dashboard_opens_it(api):
    ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=5)
    try:
        welcome = json.loads(ws.recv())
        assert welcome["type"] == "status_update"
        # The welcome has neither collector_stats nor websocket_stats: the dashboard ignores it.
        assert "collector_stats" not in welcome["data"] and "websocket_stats" not in welcome["data"]
        ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics", "filters": {}}))
        ws.send(json.dumps({"action": "subscribe", "stream_type": "alerts"}))
        ws.send(json.dumps({"action": "subscribe", "stream_type": "system_status"}))
        ws.send(json.dumps({"action": "ping"}))
        seen: dict[str, list] = {}
        deadline = time.monotonic() + 6
        while time.monotonic() < deadline and not ({"metrics_update", "alert", "status_update", "pong"} <= set(seen)
                                                   and len(seen.get("status_update", [])) >= 2):
            message = json.loads(ws.recv())
            assert set(message) == {"type", "data", "timestamp"}
            seen.setdefault(message["type"], []).append(message["data"])
        assert "error" not in seen, seen.get("error")
        # metrics_update: one sample per message, upserted by container_id.
        for sample in seen["metrics_update"]:
            assert "samples" not in sample
            check_container_metrics(sample)
            assert isinstance(sample["timestamp"], str) and sample["timestamp"].endswith("Z")
        for alert in seen["alert"]:
            check_alert(alert)
        # status_update for system_status: the original backend's keys (what the dashboard reads) …
        status = seen["status_update"][-1]
        assert isinstance(status["monitoring_active"], bool)
        assert is_number(status["monitored_containers"]) and status["monitored_containers"] >= 2
        collector = status["collector_stats"]
        assert isinstance(collector["is_running"], bool)
        for key in ("monitored_containers", "collection_interval", "retention_days"):
            assert is_number(collector[key]), key
        assert isinstance(collector["storage_path"], str)
        assert set(collector["thresholds"]["cpu_percent"]) >= {"warning", "critical", "enabled"}
        w = status["websocket_stats"]
        assert isinstance(w["is_running"], bool)
        for key in ("active_connections", "total_connections", "messages_sent", "errors", "max_clients",
                    "ping_interval", "client_timeout"):
            assert is_number(w[key]), key
        # … and ours beside them: since the whole data replaces the panel's stats, it must render too.
        check_stats_panel(status)
        assert seen["pong"][0]["timestamp"].endswith("Z")
    finally:
        ws.close()


def test_export_of_a_day(api):
    """The export button: GET /metrics?hours=24&limit=10000, saved as JSON."""
    rows = api.get("/metrics", params={"hours": 24, "limit": 10000}).json()
    assert isinstance(rows, list) and rows
    for row in rows[:50]:
        check_container_metrics(row)
