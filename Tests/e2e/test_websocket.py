"""The WebSocket stream of SPEC §6 against the real binary and real containers."""

from __future__ import annotations

import json
import socket
import time

import pytest
import websocket

from conftest import start_api_daemon


@pytest.fixture(scope="module")
def services(engine):
    names = {
        "wd-ws-web": engine.run("wd-ws-web", "exec sleep 100000", "--label", "com.docker.compose.service=web"),
        "wd-ws-db": engine.run("wd-ws-db", "exec sleep 100000", "--label", "com.docker.compose.service=db"),
        "wd-ws-cache": engine.run("wd-ws-cache", "exec sleep 100000"),
    }
    yield names
    engine.remove(*names)


def daemon_for(binary, engine, tmp_path, *args, env=None):
    full_env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path / "m")}
    full_env.update(env or {})
    api = start_api_daemon(binary, full_env, *args)
    return api


def connect(api, timeout=10):
    ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=timeout)
    greeting = json.loads(ws.recv())
    return ws, greeting


def receive(ws, until, timeout=10):
    """Messages until `until(messages)` is true or the timeout passes."""
    messages = []
    deadline = time.monotonic() + timeout
    while not until(messages):
        ws.settimeout(max(0.05, deadline - time.monotonic()))
        try:
            messages.append(json.loads(ws.recv()))
        except websocket.WebSocketTimeoutException:
            break
        if time.monotonic() > deadline:
            break
    return messages


@pytest.fixture
def api(binary, engine, tmp_path, services):
    daemon = daemon_for(binary, engine, tmp_path, "--interval", "0.2")
    for name in services:
        daemon.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=15)
    yield daemon
    daemon.daemon.stop()


def test_greeting_errors_and_ping(api):
    ws, greeting = connect(api)
    assert greeting["type"] == "status_update"
    assert greeting["data"]["status"] == "connected"
    assert greeting["data"]["available_streams"] == ["metrics", "alerts", "system_status"]
    assert greeting["data"]["client_id"] and greeting["timestamp"].endswith("Z")
    for frame, expected in [
        ("{not json", "Message JSON invalide"),
        (json.dumps({"action": "subscribe", "stream_type": "logs"}), "Type de flux invalide: logs"),
        (json.dumps({"action": "dance"}), "Action non reconnue: dance"),
    ]:
        ws.send(frame)
        reply = json.loads(ws.recv())
        assert reply == {"type": "error", "data": {"message": expected}, "timestamp": reply["timestamp"]}
    ws.send(json.dumps({"action": "ping"}))
    pong = json.loads(ws.recv())
    assert pong["type"] == "pong" and pong["data"]["timestamp"].endswith("Z")
    assert api.get("/statistics").json()["websocket"]["errors"] >= 3
    ws.close()


def test_metrics_subscription_with_service_filter_gets_only_that_service(api, services):
    ws, _ = connect(api)
    ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics", "filters": {"service_names": ["web"]}}))
    ack = json.loads(ws.recv())
    assert ack["type"] == "subscription_ack"
    assert ack["data"] == {"stream_type": "metrics", "subscribed": True, "filters": {"service_names": ["web"]}}
    messages = receive(ws, lambda m: len(m) >= 12)
    assert len(messages) >= 12
    assert {m["type"] for m in messages} == {"metrics_update"}
    assert {m["data"]["container_name"] for m in messages} == {"wd-ws-web"}
    assert messages[-1]["data"]["service_name"] == "web"

    # Subscribing again replaces the filters.
    ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics", "filters": {"container_ids": ["wd-ws-db", services["wd-ws-cache"][:6]]}}))
    def both_seen(m):
        names = [x["data"]["container_name"] for x in m if x["type"] == "metrics_update"]
        return names.count("wd-ws-cache") >= 4 and names.count("wd-ws-db") >= 4

    messages = receive(ws, both_seen)
    names = {m["data"]["container_name"] for m in messages if m["type"] == "metrics_update"}
    assert names == {"wd-ws-cache", "wd-ws-db"}
    ws.send(json.dumps({"action": "unsubscribe", "stream_type": "metrics"}))
    messages = receive(ws, lambda m: any(x["type"] == "subscription_ack" for x in m))
    assert messages[-1]["data"] == {"stream_type": "metrics", "subscribed": False}
    time.sleep(0.5)
    assert receive(ws, lambda m: False, timeout=0.6) == []  # nothing after unsubscribing
    ws.close()


def test_batch_subscription_sends_one_message_per_tick(api):
    ws, _ = connect(api)
    ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics", "batch": True,
                        "filters": {"container_ids": ["wd-ws-web", "wd-ws-db", "wd-ws-cache"]}}))
    json.loads(ws.recv())  # ack
    messages = receive(ws, lambda m: len(m) >= 6)
    live = messages[1:]  # the first is the recent history
    assert all(m["type"] == "metrics_update" and isinstance(m["data"]["samples"], list) for m in messages)
    assert all(len(m["data"]["samples"]) == 3 for m in live)
    assert {s["container_name"] for s in live[-1]["data"]["samples"]} == {"wd-ws-web", "wd-ws-db", "wd-ws-cache"}
    ws.close()


def test_alert_subscription_filters_levels(api):
    ws, _ = connect(api)
    ws.send(json.dumps({"action": "subscribe", "stream_type": "alerts", "filters": {"alert_levels": ["critical"]}}))
    assert json.loads(ws.recv())["data"]["subscribed"] is True
    api.post("/test/alert", json={"container_id": "wd-ws-db", "metric_type": "cpu_percent", "value": 50, "level": "warning"})
    api.post("/test/alert", json={"container_id": "wd-ws-web", "metric_type": "cpu_percent", "value": 97.5, "level": "critical"})
    messages = receive(ws, lambda m: len(m) >= 1, timeout=5)
    messages += receive(ws, lambda m: False, timeout=0.5)
    assert [m["type"] for m in messages] == ["alert"]
    assert messages[0]["data"]["level"] == "critical" and messages[0]["data"]["container_name"] == "wd-ws-web"
    assert messages[0]["data"]["message"] == "CPU critique: 97.5% (seuil: 90%)"
    ws.close()


def test_system_status_messages_at_most_once_a_second(api):
    ws, _ = connect(api)
    ws.send(json.dumps({"action": "subscribe", "stream_type": "system_status"}))
    start = time.monotonic()
    messages = receive(ws, lambda m: False, timeout=3.2)
    statuses = [m for m in messages if m["type"] == "status_update"]
    assert 2 <= len(statuses) <= 5, len(statuses)  # the one at subscribe, then ≤ 1/s
    assert statuses[-1]["data"]["monitoring"]["monitored_containers"] >= 3
    assert time.monotonic() - start >= 3
    ws.close()


def test_the_101st_client_is_refused(api):
    clients = []
    try:
        for _ in range(100):
            ws, greeting = connect(api)
            assert greeting["data"]["status"] == "connected"
            clients.append(ws)
        extra = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=5)
        opcode, payload = extra.recv_data(control_frame=True)
        assert opcode == websocket.ABNF.OPCODE_CLOSE
        assert int.from_bytes(payload[:2], "big") == 1008
        assert payload[2:].decode() == "Trop de connexions"
        assert api.get("/status").json()["websocket"]["active_connections"] == 100
    finally:
        for ws in clients:
            ws.close()


def test_idle_client_is_closed(binary, engine, tmp_path, services):
    api = daemon_for(binary, engine, tmp_path, "--interval", "0.5", env={"WAKEDOCK_WS_CLIENT_TIMEOUT": "1", "WAKEDOCK_WS_PING_INTERVAL": "0.5"})
    try:
        ws, _ = connect(api)
        start = time.monotonic()
        closed_at = None
        pings = 0
        while time.monotonic() - start < 5:
            try:
                opcode, payload = ws.recv_data(control_frame=True)
            except (websocket.WebSocketConnectionClosedException, ConnectionError):
                closed_at = time.monotonic()
                break
            if opcode == websocket.ABNF.OPCODE_TEXT and json.loads(payload)["type"] == "ping":
                pings += 1
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                closed_at = time.monotonic()
                break
        assert closed_at is not None, "an idle client must be closed"
        assert 0.9 <= closed_at - start <= 3.0
        assert pings >= 1  # the server's own ping messages went out meanwhile
    finally:
        api.daemon.stop()


def test_a_client_that_never_reads_does_not_slow_the_others(binary, engine, tmp_path, services):
    # Enough traffic that the kernel's socket buffers (the send buffer grows to 4 MB on loopback) fill in
    # seconds: a 20 ms interval and a few more containers.
    extra = [engine.run(f"wd-ws-extra{i}", "exec sleep 100000") for i in range(4)]
    api = daemon_for(binary, engine, tmp_path, "--interval", "0.02", env={"WAKEDOCK_WS_QUEUE_SIZE": "16"})
    try:
        # The stuck client: a raw socket with a tiny receive buffer that subscribes and then never reads.
        stuck = socket.socket()
        stuck.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        stuck.connect(("127.0.0.1", api.port))
        stuck.sendall(
            b"GET /api/v1/monitoring/ws HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        )
        payload = json.dumps({"action": "subscribe", "stream_type": "metrics", "batch": False}).encode()
        mask = b"\x01\x02\x03\x04"
        stuck.sendall(bytes([0x81, 0x80 | len(payload)]) + mask + bytes(b ^ mask[i % 4] for i, b in enumerate(payload)))

        ws, _ = connect(api)
        ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics", "batch": True}))
        json.loads(ws.recv())
        start = time.monotonic()
        messages = receive(ws, lambda m: False, timeout=6)
        elapsed = time.monotonic() - start
        batches = [m for m in messages if m["type"] == "metrics_update"]
        period = elapsed / max(len(batches), 1)
        print(f"tick period seen by a healthy client with a stuck one attached: {period * 1000:.1f} ms (interval 20 ms)")
        assert len(batches) >= 0.5 * elapsed / 0.02, f"{len(batches)} batches in {elapsed:.1f} s"
        # Kernel and channel buffers absorb ~100-200 KB first; then the stuck client's queue fills and it is dropped.
        deadline = time.monotonic() + 30
        while True:
            stats = api.get("/statistics").json()
            if stats["websocket"]["dropped_clients"] >= 1 or time.monotonic() > deadline:
                break
            time.sleep(0.5)
        assert stats["websocket"]["dropped_clients"] >= 1, stats["websocket"]
        assert stats["websocket"]["dropped_messages"] >= 1
        assert api.get("/status").json()["websocket"]["active_connections"] >= 1
        stuck.close()
        ws.close()
    finally:
        api.daemon.stop()
        engine.remove(*[f"wd-ws-extra{i}" for i in range(4)])
