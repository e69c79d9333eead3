"""The REST API of SPEC §4 against the real binary and real containers: every endpoint, its shape, its
filters, and the JSON errors for bad input."""

from __future__ import annotations

import time

import pytest

from conftest import start_api_daemon

INTERVAL = "0.2"


@pytest.fixture(scope="module")
def api(binary, engine, tmp_path_factory):
    ids = {
        "wd-api-web1": engine.run("wd-api-web1", "exec sleep 100000", "--label", "com.docker.compose.service=web"),
        "wd-api-web2": engine.run("wd-api-web2", "exec sleep 100000", "--label", "com.docker.compose.service=web"),
        "wd-api-db": engine.run("wd-api-db", "exec sleep 100000", "--label", "com.docker.compose.service=db"),
    }
    env = {
        "WAKEDOCK_DOCKER_SOCKET": engine.socket,
        "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("metrics")),
    }
    daemon = start_api_daemon(binary, env, "--interval", INTERVAL)
    for name in ids:
        daemon.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=15)
    time.sleep(1.2)  # a few ticks of history
    daemon.ids = ids
    yield daemon
    daemon.daemon.stop()
    engine.remove(*ids)


def assert_error(response, status: int, code: str | None = None):
    assert response.status_code == status, (response.status_code, response.text)
    body = response.json()
    assert set(body) == {"error", "detail"}, body
    assert isinstance(body["detail"], str) and body["detail"]
    if code:
        assert body["error"] == code, body


def test_status(api):
    body = api.get("/status").json()
    m = body["monitoring"]
    assert m["is_running"] is True
    assert m["monitored_containers"] >= 3
    assert m["collection_interval"] == pytest.approx(0.2)
    assert m["retention_days"] == 7
    assert isinstance(m["storage_path"], str)
    assert set(body["websocket"]) >= {"is_running", "active_connections", "total_connections", "messages_sent"}
    assert body["thresholds"]["cpu_percent"] == {"warning": 70, "critical": 90, "enabled": True}
    # The default listens on loopback only: nothing to warn of (issue 16, part 1).
    assert body["security"]["loopback_only"] is True and body["security"]["warnings"] == []
    assert body["security"]["authentication"] == "none"


def test_listening_beyond_loopback_without_authentication_is_warned_of_at_start_and_in_status(binary, engine):
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--host", "0.0.0.0")
    try:
        api.daemon.wait_for(r"listening beyond loopback without authentication", timeout=5)
        security = api.get("/status").json()["security"]
        assert security["listen"].startswith("0.0.0.0:") and security["loopback_only"] is False
        assert len(security["warnings"]) == 1 and "without authentication" in security["warnings"][0]
    finally:
        api.daemon.stop()


def test_metrics_newest_first_with_limit_and_filters(api):
    rows = api.get("/metrics", params={"limit": 5}).json()
    assert len(rows) == 5
    stamps = [r["timestamp"] for r in rows]
    assert stamps == sorted(stamps, reverse=True)
    assert rows[0]["timestamp"].endswith("Z") and "." in rows[0]["timestamp"]  # ms precision below 1 s
    for key in ["container_id", "container_name", "service_name", "cpu_percent", "memory_usage", "memory_limit",
                "memory_percent", "network_rx_bytes", "network_tx_bytes", "pids"]:
        assert key in rows[0]

    web = api.get("/metrics", params={"service_name": "web", "limit": 50}).json()
    assert web and {r["container_name"] for r in web} == {"wd-api-web1", "wd-api-web2"}

    by_name = api.get("/metrics", params={"container_id": "wd-api-db", "limit": 3}).json()
    assert len(by_name) == 3 and {r["container_name"] for r in by_name} == {"wd-api-db"}
    prefix = api.ids["wd-api-db"][:8]
    by_prefix = api.get("/metrics", params={"container_id": prefix, "limit": 3}).json()
    assert {r["container_id"] for r in by_prefix} == {api.ids["wd-api-db"]}

    tiny_window = api.get("/metrics", params={"hours": 0.0001, "limit": 10000}).json()  # 0.36 s
    assert 0 < len(tiny_window) <= 3 * 3

    posted = api.post("/metrics/query", json={"service_name": "db", "hours": 1, "limit": 2}).json()
    assert len(posted) == 2 and {r["container_name"] for r in posted} == {"wd-api-db"}

    assert api.get("/metrics", params={"container_id": "no-such-container"}).json() == []


def test_latest(api):
    r = api.get("/metrics/wd-api-web1/latest")
    assert r.status_code == 200 and r.json()["container_name"] == "wd-api-web1"
    r = api.get(f"/metrics/{api.ids['wd-api-web2'][:5]}/latest")
    assert r.json()["container_id"] == api.ids["wd-api-web2"]
    assert_error(api.get("/metrics/nothing-here/latest"), 404, "not_found")


def test_containers(api):
    containers = {c["container_name"]: c for c in api.get("/containers").json()["containers"]}
    c = containers["wd-api-web1"]
    # The seed's fields, the byte counters the original front-end reads (issue 10), the alerts in force (issue 5).
    assert set(c) == {"container_id", "container_name", "service_name", "last_update", "cpu_percent",
                      "memory_percent", "network_rx_mb", "network_tx_mb", "network_rx_bytes", "network_tx_bytes",
                      "active_alerts"}
    assert c["network_rx_bytes"] >= 0 and isinstance(c["network_rx_bytes"], int)
    assert c["active_alerts"] == []
    assert c["service_name"] == "web" and c["last_update"].endswith("Z")


def test_thresholds_get_put_and_errors(api):
    assert set(api.get("/thresholds").json()["thresholds"]) >= {"cpu_percent", "memory_percent", "network_rx", "network_tx"}
    r = api.put("/thresholds/pids", json={"metric_type": "pids", "warning_threshold": 100, "critical_threshold": 200, "enabled": True})
    assert r.status_code == 200, r.text
    assert r.json()["message"] == "Seuil pids mis à jour avec succès"
    assert r.json()["threshold"]["warning_threshold"] == 100
    assert api.get("/thresholds").json()["thresholds"]["pids"] == {"warning": 100, "critical": 200, "enabled": True}

    bad = api.put("/thresholds/cpu_percent", json={"metric_type": "cpu_percent", "warning_threshold": 95, "critical_threshold": 90})
    assert_error(bad, 400)
    assert bad.json()["detail"] == "Le seuil d'avertissement doit être inférieur au seuil critique"
    assert_error(api.put("/thresholds/not_a_metric", json={"warning_threshold": 1, "critical_threshold": 2}), 404)
    assert_error(api.put("/thresholds/cpu_percent", json={"warning_threshold": "high", "critical_threshold": 2}), 422)
    assert_error(api.put("/thresholds/cpu_percent", data="{not json", headers={"Content-Type": "application/json"}), 400)
    assert api.get("/thresholds").json()["thresholds"]["cpu_percent"]["warning"] == 70  # nothing changed


def test_config_is_validated_as_a_whole(api):
    bad = api.post("/config", json={"collection_interval": 0.5, "retention_days": 99})
    assert_error(bad, 422)
    assert api.get("/status").json()["monitoring"]["collection_interval"] == pytest.approx(0.2)
    good = api.post("/config", json={"collection_interval": 0.3, "retention_days": 10,
                                     "thresholds": [{"metric_type": "memory_percent", "warning_threshold": 60, "critical_threshold": 85}]})
    assert good.status_code == 200 and good.json() == {"message": "Configuration mise à jour avec succès"}
    status = api.get("/status").json()
    assert status["monitoring"]["collection_interval"] == pytest.approx(0.3)
    assert status["monitoring"]["retention_days"] == 10
    assert status["thresholds"]["memory_percent"]["warning"] == 60
    api.post("/config", json={"collection_interval": 0.2, "retention_days": 7})


def test_stop_and_start_are_idempotent(api):
    for _ in range(2):
        r = api.post("/stop")
        assert r.json() == {"message": "Monitoring arrêté avec succès"}
    assert api.get("/status").json()["monitoring"]["is_running"] is False
    before = api.get("/metrics", params={"limit": 1}).json()[0]["timestamp"]
    time.sleep(0.6)
    assert api.get("/metrics", params={"limit": 1}).json()[0]["timestamp"] == before  # no collection, history served
    for _ in range(2):
        assert api.post("/start").json() == {"message": "Monitoring démarré avec succès"}
    time.sleep(0.6)
    assert api.get("/metrics", params={"limit": 1}).json()[0]["timestamp"] > before


def test_test_alert_is_stored_and_filtered(api):
    r = api.post("/test/alert", json={"container_id": "wd-api-db", "metric_type": "cpu_percent", "value": 95, "level": "critical"})
    assert r.status_code == 200, r.text
    alert = r.json()["alert"]
    assert r.json()["message"] == "Alerte de test générée"
    assert alert["message"] == "CPU critique: 95.0% (seuil: 90%)"
    assert alert["container_name"] == "wd-api-db" and alert["service_name"] == "db" and alert["threshold"] == 90
    api.post("/test/alert", json={"container_id": "wd-api-web1", "metric_type": "memory_percent", "value": 81.25})
    critical = api.get("/alerts", params={"level": "critical"}).json()
    assert [a["container_name"] for a in critical] == ["wd-api-db"]
    warnings = api.post("/alerts/query", json={"service_name": "web"}).json()
    assert warnings[0]["message"] == "Mémoire élevée: 81.2% (seuil: 80%)" or warnings[0]["message"].startswith("Mémoire élevée: 81.")
    assert_error(api.get("/alerts", params={"level": "loud"}), 422)
    assert_error(api.post("/test/alert", json={"container_id": "wd-api-db", "metric_type": "nope", "value": 1}), 422)
    assert_error(api.post("/test/alert", json={"container_id": "ghost-container", "metric_type": "pids", "value": 1}), 404)


def test_statistics(api):
    body = api.get("/statistics").json()
    assert set(body) >= {"collector", "websocket", "alerts", "performance"}
    assert body["collector"]["ticks"] > 0
    assert 0 <= body["collector"]["collection_success_rate"] <= 1
    assert body["collector"]["rss_bytes"] > 0
    assert 0 < body["collector"]["p99_tick_ms"] < 1000
    assert set(body["websocket"]) >= {"errors", "max_clients", "ping_interval", "client_timeout"}
    assert set(body["alerts"]["by_level"]) == {"critical", "warning", "info"}
    assert body["performance"]["metrics_count_last_hour"] > 0


@pytest.mark.parametrize(
    "params",
    [{"hours": "-1"}, {"hours": "0"}, {"hours": "169"}, {"hours": "abc"}, {"limit": "0"}, {"limit": "abc"},
     {"limit": "10001"}, {"limit": "1.5"}, {"container_id": "ab"}],
)
def test_bad_query_parameters_are_422(api, params):
    r = api.get("/metrics", params=params)
    if params == {"container_id": "ab"}:
        assert r.status_code == 200 and r.json() == []  # too short for a prefix, and no such name
    else:
        assert_error(r, 422, "validation_error")


def test_bad_bodies(api):
    assert_error(api.post("/metrics/query", data="{oops", headers={"Content-Type": "application/json"}), 400, "invalid_json")
    assert_error(api.post("/metrics/query", json={"hours": "one"}), 422)
    assert_error(api.post("/metrics/query", json={"limit": -5}), 422)
    assert_error(api.post("/metrics/query", json=[1, 2]), 422)
    assert_error(api.post("/metrics/query", data="x" * (256 * 1024), headers={"Content-Type": "application/json"}), 413)


def test_unknown_routes_are_json_404(api):
    assert_error(api.get("/nope"), 404, "not_found")
    import requests

    # (The root itself is the dashboard: test_dashboard.py.)
    assert_error(requests.get(f"http://127.0.0.1:{api.port}/nope", timeout=5), 404)
    # The daemon is still fine after all of the above.
    assert api.get("/status").status_code == 200
