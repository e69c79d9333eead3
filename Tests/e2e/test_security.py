"""Authentication (issue 16, SPEC §10) on the real binary: every route needs a token once a secret is set, bad
tokens of every kind get the same 401, scopes give 403, tokens limited to a service see only it over REST, the
export, the WebSocket and /metrics, and `wakedock-monitor token` mints what the daemon takes."""

from __future__ import annotations

import json
import socket
import subprocess
import time

import jwt
import pytest
import requests
import websocket
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from conftest import start_api_daemon, wait_discovered

SECRET = "an-e2e-secret-that-is-long-enough-0123456789"


def mint(binary, *args, secret=SECRET, env=None):
    out = subprocess.run([binary, "token", *args], env={"WAKEDOCK_JWT_SECRET": secret, **(env or {})},
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def hs256(payload, key: bytes):
    """An HS256 token made by hand (PyJWT refuses a PEM as an HMAC key, which is the point of the attack)."""
    import base64
    import hashlib
    import hmac

    def part(data: bytes) -> str:
        return base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    signing = part(b'{"alg":"HS256","typ":"JWT"}') + "." + part(json.dumps(payload).encode())
    return signing + "." + part(hmac.new(key, signing.encode(), hashlib.sha256).digest())


def claims(**extra):
    now = int(time.time())
    return {"sub": "tester", "scope": "monitoring:read", "iat": now, "exp": now + 300, **extra}


@pytest.fixture(scope="module")
def services(engine):
    """Two containers of two compose services."""
    names = ["wd-sec-api", "wd-sec-db"]
    engine.run(names[0], "exec sleep 100000", "--label", "com.docker.compose.service=sec-api")
    engine.run(names[1], "exec sleep 100000", "--label", "com.docker.compose.service=sec-db")
    yield names
    engine.remove(*names)


@pytest.fixture(scope="module")
def secured(binary, engine, services, tmp_path_factory):
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET,
                                    "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("secured"))},
                           "--interval", "0.2")
    wait_discovered(api, services)
    yield api
    api.daemon.stop()


def operations():
    """Every operation the OpenAPI document describes, with its placeholders filled."""
    import pathlib
    document = json.loads((pathlib.Path(__file__).parents[2] / "Sources/MonitorServer/openapi.json").read_text())
    for path, item in document["paths"].items():
        for method in item:
            if method in ("get", "post", "put", "delete"):
                yield method.upper(), path.replace("{container_id}", "wd-sec-api").replace("{metric_type}", "cpu")


def test_every_route_needs_a_token_and_the_page_does_not(secured):
    root = f"http://127.0.0.1:{secured.port}"
    checked = 0
    for method, path in operations():
        url = root + path
        if path in ("/", "/dashboard.css", "/dashboard.js", "/api/v1/openapi.json"):
            continue
        r = requests.request(method, url, json={}, timeout=10)
        assert r.status_code == 401, (method, url, r.status_code, r.text)
        assert r.json() == {"error": "unauthorized", "detail": "Authentification requise"}
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        checked += 1
    assert checked >= 17
    # 403 everywhere for a token without the operation's scope: metrics:scrape for the API, read for /metrics.
    scraper, reader = bearer(jwt.encode(claims(scope="metrics:scrape"), SECRET, "HS256")), bearer(jwt.encode(claims(), SECRET, "HS256"))
    for method, path in operations():
        if path in ("/", "/dashboard.css", "/dashboard.js", "/api/v1/openapi.json"):
            continue
        r = requests.request(method, root + path, json={}, headers=reader if path == "/metrics" else scraper, timeout=10)
        assert r.status_code == 403 and r.json()["error"] == "forbidden", (method, path, r.status_code)
    for open_path in ["/", "/dashboard.js", "/dashboard.css", "/api/v1/openapi.json"]:
        assert requests.get(root + open_path, timeout=10).status_code == 200, open_path
    # Path tricks do not find an open door.
    for sneaky in ["/api/v1/monitoring//status", "/api/v1/monitoring/status/", "/api/v1/monitoring/./status", "//metrics"]:
        r = requests.get(root + sneaky, timeout=10)
        assert r.status_code in (401, 404), (sneaky, r.status_code)
    r = requests.post(root + "/api/v1/monitoring//stop", headers=bearer(jwt.encode(claims(), SECRET, "HS256")), timeout=10)
    assert r.status_code == 403, r.status_code  # the router reads `//stop` as `/stop`: so does the scope check
    secured.daemon.wait_for(r"client=127\.0\.0\.1 .*reason=no token .*request refused", timeout=5)


def test_bad_tokens_all_get_the_same_401(secured):
    now = int(time.time())
    bad = {
        "expired": jwt.encode(claims(exp=now - 10), SECRET, "HS256"),
        "not yet valid": jwt.encode(claims(nbf=now + 600), SECRET, "HS256"),
        "without exp": jwt.encode({"sub": "x", "scope": "monitoring:admin"}, SECRET, "HS256"),
        "alg none": jwt.encode(claims(scope="monitoring:admin"), None, "none"),
        "another secret": jwt.encode(claims(), "another-secret-that-is-also-long-enough!!", "HS256"),
        "HS512": jwt.encode(claims(), SECRET, "HS512"),
        "garbage": "not.a.token",
        "huge": "a" * 20_000,
    }
    for name, token in bad.items():
        r = secured.get("/status", headers=bearer(token))
        assert r.status_code == 401 and r.json()["detail"] == "Authentification requise", (name, r.status_code, r.text)
    r = secured.get("/status", headers={"Authorization": f"Basic {SECRET}"})
    assert r.status_code == 401
    assert secured.get("/status", headers=bearer(jwt.encode(claims(), SECRET, "HS256"))).status_code == 200


def test_read_scope_reads_admin_scope_changes_scrape_scope_scrapes(secured, binary):
    reader, admin, scraper = (mint(binary, "--scope", s) for s in ("monitoring:read", "monitoring:admin", "metrics:scrape"))
    assert secured.get("/status", headers=bearer(reader)).status_code == 200
    assert secured.post("/metrics/query", json={"hours": 0.01}, headers=bearer(reader)).status_code == 200
    for method, path in [("post", "/stop"), ("post", "/start"), ("post", "/config"), ("put", "/thresholds/cpu"),
                         ("post", "/test/alert")]:
        r = getattr(secured, method)(path, json={}, headers=bearer(reader))
        assert r.status_code == 403 and r.json() == {"error": "forbidden", "detail": "Permission insuffisante"}, (path, r.text)
    for spelling in ["/metrics", "/metrics/", "//metrics"]:  # as the router also takes it
        assert requests.get(f"http://127.0.0.1:{secured.port}{spelling}", headers=bearer(reader), timeout=10).status_code == 403, spelling
    scrape = requests.get(f"http://127.0.0.1:{secured.port}/metrics", headers=bearer(scraper), timeout=10)
    assert scrape.status_code == 200 and "container_cpu_usage_seconds_total" in scrape.text
    assert secured.get("/status", headers=bearer(scraper)).status_code == 403
    try:
        assert secured.post("/stop", headers=bearer(admin)).status_code == 200
        assert secured.get("/status", headers=bearer(reader)).json()["monitoring"]["is_running"] is False
    finally:
        assert secured.post("/start", headers=bearer(admin)).status_code == 200
    status = secured.get("/status", headers=bearer(reader)).json()
    assert status["security"]["authentication"] == "jwt"


def test_a_token_limited_to_a_service_sees_only_it(secured, binary, services):
    api_only = mint(binary, "--scope", "monitoring:read", "--scope", "metrics:scrape", "--service", "sec-api")
    admin = mint(binary, "--scope", "monitoring:admin")
    time.sleep(1)
    names = {c["container_name"] for c in secured.get("/containers", headers=bearer(api_only)).json()["containers"]}
    assert names == {"wd-sec-api"}, names
    everyone = {c["container_name"] for c in secured.get("/containers", headers=bearer(admin)).json()["containers"]}
    assert set(services) <= everyone
    rows = secured.get("/metrics", params={"hours": 1, "limit": 500}, headers=bearer(api_only)).json()
    assert rows and {r["container_name"] for r in rows} == {"wd-sec-api"}
    rows = secured.post("/metrics/query", json={"hours": 1, "limit": 500, "container_id": "wd-sec-db"}, headers=bearer(api_only)).json()
    assert rows == []
    export = secured.get("/metrics", params={"hours": 1, "format": "jsonl"}, headers=bearer(api_only))
    assert export.status_code == 200
    exported = [json.loads(line) for line in export.text.splitlines() if line]
    assert exported and {r["container_name"] for r in exported} == {"wd-sec-api"}
    assert secured.get("/metrics/wd-sec-db/latest", headers=bearer(api_only)).status_code == 404
    assert secured.get("/metrics/wd-sec-api/latest", headers=bearer(api_only)).status_code == 200
    latest = secured.get("/metrics/latest", headers=bearer(api_only)).json()["samples"]
    assert {s["container_name"] for s in latest} == {"wd-sec-api"}
    assert secured.get("/status", headers=bearer(api_only)).json()["monitoring"]["monitored_containers"] == 1
    scrape = requests.get(f"http://127.0.0.1:{secured.port}/metrics", headers=bearer(api_only), timeout=10).text
    assert 'name="wd-sec-api"' in scrape and 'name="wd-sec-db"' not in scrape
    # The daemon's own health (the host's figures) is not for a token limited to some containers.
    assert not [line for line in scrape.splitlines() if line.startswith("wakedock_") and not line.startswith("wakedock_container_")]
    # Alerts: one per container raised by the admin; the limited token hears of its own only, over REST and WS.
    ws = websocket.create_connection(f"ws://127.0.0.1:{secured.port}/api/v1/monitoring/ws?token={api_only}", timeout=10)
    try:
        json.loads(ws.recv())  # the greeting
        ws.send(json.dumps({"action": "subscribe", "stream_type": "alerts"}))
        ws.send(json.dumps({"action": "subscribe", "stream_type": "metrics"}))
        time.sleep(0.3)
        for name in ["wd-sec-db", "wd-sec-api"]:
            r = secured.post("/test/alert", json={"container_id": name, "metric_type": "cpu_percent", "value": 99}, headers=bearer(admin))
            assert r.status_code == 200, r.text
        assert secured.post("/test/alert", json={"container_id": "wd-sec-db", "metric_type": "cpu_percent", "value": 99},
                            headers=bearer(mint(binary, "--scope", "monitoring:admin", "--service", "sec-api"))).status_code == 404
        seen_alerts, seen_metrics = [], set()
        deadline = time.monotonic() + 3  # 15 ticks of both containers
        while time.monotonic() < deadline:
            message = json.loads(ws.recv())
            if message["type"] == "alert":
                seen_alerts.append(message["data"]["container_name"])
            elif message["type"] == "metrics_update":
                seen_metrics.add(message["data"]["container_name"])
        assert seen_alerts == ["wd-sec-api"], seen_alerts
        assert seen_metrics == {"wd-sec-api"}, seen_metrics
    finally:
        ws.close()
    alerts = secured.get("/alerts", params={"hours": 1}, headers=bearer(api_only)).json()
    assert alerts and {a["container_name"] for a in alerts} == {"wd-sec-api"}
    # status_update pushes count only what the token sees.
    ws = websocket.create_connection(f"ws://127.0.0.1:{secured.port}/api/v1/monitoring/ws", timeout=10, header=bearer(api_only))
    try:
        json.loads(ws.recv())
        ws.send(json.dumps({"action": "subscribe", "stream_type": "system_status"}))
        pushed = [json.loads(ws.recv()) for _ in range(3)]
        statuses = [m["data"] for m in pushed if m["type"] == "status_update" and "monitored_containers" in m["data"]]
        assert statuses and all(s["monitored_containers"] == 1 for s in statuses), pushed
    finally:
        ws.close()
    # Container claims: an exact name, a full id or a 12+ character prefix; a short prefix names nothing.
    ids = {c["container_name"]: c["container_id"] for c in secured.get("/containers", headers=bearer(admin)).json()["containers"]}
    by_prefix = mint(binary, "--container", ids["wd-sec-db"][:12])
    assert [c["container_name"] for c in secured.get("/containers", headers=bearer(by_prefix)).json()["containers"]] == ["wd-sec-db"]
    short = mint(binary, "--container", ids["wd-sec-db"][:6])
    assert secured.get("/containers", headers=bearer(short)).json()["containers"] == []
    # Thresholds: a limited admin changes its own containers' only, and sees only their overrides.
    limited_admin = bearer(mint(binary, "--scope", "monitoring:admin", "--service", "sec-api"))
    def put(body, headers):
        return secured.put("/thresholds/cpu_percent", json={"metric_type": "cpu_percent", "warning_threshold": 80,
                                                             "critical_threshold": 95, **body}, headers=headers)
    assert put({"container_id": "wd-sec-db"}, bearer(admin)).status_code == 200
    assert put({}, limited_admin).status_code == 403
    assert put({"container_id": "wd-sec-db"}, limited_admin).status_code == 404
    assert put({"service_name": "sec-db"}, limited_admin).status_code == 403
    assert put({"container_id": "wd-sec-api"}, limited_admin).status_code == 200
    overrides = secured.get("/thresholds", headers=limited_admin).json()["overrides"]
    assert {o.get("container_id") for o in overrides} == {ids["wd-sec-api"]}, overrides
    assert secured.post("/config", json={"retention_days": 3}, headers=limited_admin).status_code == 403
    for name in ["wd-sec-api", "wd-sec-db"]:
        secured.delete("/thresholds/cpu_percent", params={"container_id": name}, headers=bearer(admin))


def test_the_websocket_needs_a_token_in_a_header_a_subprotocol_or_the_query(secured, binary):
    """A refused upgrade is answered before NIO's upgrader, as a route would be: 401 or 403 with SPEC §4's body,
    logged with the reason."""
    url = f"ws://127.0.0.1:{secured.port}/api/v1/monitoring/ws"
    for header, status in [({}, 401), (bearer(mint(binary, "--scope", "metrics:scrape")), 403), (bearer("not.a.token"), 401),
                           (bearer(jwt.encode(claims(exp=int(time.time()) - 10), SECRET, "HS256")), 401)]:
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(url, timeout=10, header=header)
        assert refused.value.status_code == status, header
        assert json.loads(refused.value.resp_body) == ({"error": "unauthorized", "detail": "Authentification requise"}
                                                        if status == 401 else {"error": "forbidden", "detail": "Permission insuffisante"})
        if status == 401:
            assert refused.value.resp_headers["www-authenticate"].startswith("Bearer")
    # The subprotocol and the query carry a token too, and a bad one there is refused alike.
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url, timeout=10, subprotocols=["bearer", "not.a.token"])
    assert refused.value.status_code == 401
    with pytest.raises(websocket.WebSocketBadStatusException) as refused:
        websocket.create_connection(url + "?token=not.a.token", timeout=10)
    assert refused.value.status_code == 401
    secured.daemon.wait_for(r"client=127\.0\.0\.1 .*reason=scope monitoring:read missing .*route=/api/v1/monitoring/ws .*WebSocket refused", timeout=5)
    # A client that sends the handshake and half-closes at once still reads its answer.
    with socket.create_connection(("127.0.0.1", secured.port), timeout=10) as raw:
        raw.sendall(b"GET /api/v1/monitoring/ws HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n"
                    b"Sec-WebSocket-Version: 13\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n\r\n")
        raw.shutdown(socket.SHUT_WR)
        answer = b""
        while chunk := raw.recv(4096):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 401") and answer.endswith(b'{"error":"unauthorized","detail":"Authentification requise"}'), answer
    token = mint(binary)
    for kwargs in [{"header": bearer(token)}, {"subprotocols": ["bearer", token]}, {"url": url + "?token=" + token}]:
        ws = websocket.create_connection(kwargs.pop("url", url), timeout=10, **kwargs)
        try:
            assert json.loads(ws.recv())["data"]["status"] == "connected"
            if "subprotocols" in kwargs:
                assert ws.getsubprotocol() == "bearer"
        finally:
            ws.close()
    # Without an upgrade the path says so (with a token), or asks for one.
    assert secured.get("/ws", headers=bearer(token)).status_code == 426
    # A stream lives no longer than its token: closed with 1008 once it expires.
    ws = websocket.create_connection(url, timeout=10, header=bearer(mint(binary, "--expires-in", "2")))
    opened = time.monotonic()
    try:
        while True:
            opcode, frame = ws.recv_data_frame(True)
            if opcode == websocket.ABNF.OPCODE_CLOSE:
                break
        assert int.from_bytes(frame.data[:2], "big") == 1008 and b"expir" in frame.data
        assert time.monotonic() - opened < 5
    finally:
        ws.close()


def test_minted_tokens_carry_what_was_asked(binary):
    token = mint(binary, "--scope", "monitoring:admin", "--scope", "metrics:scrape", "--container", "web", "--service", "api",
                 "--subject", "ci", "--expires-in", "120", env={"WAKEDOCK_JWT_AUDIENCE": "wakedock", "WAKEDOCK_JWT_ISSUER": "ops"})
    payload = jwt.decode(token, SECRET, algorithms=["HS256"], audience="wakedock", issuer="ops")
    assert payload["scope"] == "monitoring:admin metrics:scrape" and payload["sub"] == "ci"
    assert payload["containers"] == ["web"] and payload["services"] == ["api"]
    assert 110 <= payload["exp"] - time.time() <= 121
    refused = subprocess.run([binary, "token"], env={"WAKEDOCK_JWT_SECRET": "too-short"}, capture_output=True, text=True)
    assert refused.returncode == 78 and "too-short" not in refused.stderr
    assert refused.stderr.strip() == 'wakedock-monitor: invalid WAKEDOCK_JWT_SECRET="(9 bytes, not shown)": expected at least 32 bytes'


def test_bad_secrets_and_keys_stop_start_up_with_one_line(binary, tmp_path, start_daemon):
    short = tmp_path / "short"
    short.write_text("x" * 31 + "\n")
    cases = [
        ({"WAKEDOCK_JWT_SECRET": "short"}, "WAKEDOCK_JWT_SECRET"),
        ({"WAKEDOCK_JWT_SECRET_FILE": str(short)}, "WAKEDOCK_JWT_SECRET_FILE"),
        ({"WAKEDOCK_JWT_SECRET_FILE": str(tmp_path / "missing")}, "WAKEDOCK_JWT_SECRET_FILE"),
        ({"WAKEDOCK_JWT_PUBLIC_KEYS": str(short)}, "WAKEDOCK_JWT_PUBLIC_KEYS"),
        ({"WAKEDOCK_JWT_SECRET": SECRET, "WAKEDOCK_JWT_SECRET_FILE": str(short)}, "WAKEDOCK_JWT_SECRET_FILE"),
    ]
    for env, name in cases:
        daemon = start_daemon("--port", "0", env=env)
        assert daemon.process.wait(timeout=30) == 78, env
        daemon.stop()
        lines = [line for _, line in daemon.lines if line.startswith("wakedock-monitor:")]
        assert len(lines) == 1 and name in lines[0] and "short\n" not in lines[0], (env, lines)


def test_es256_public_keys_and_a_secret_file(binary, engine, tmp_path):
    key = ec.generate_private_key(ec.SECP256R1())
    pem = key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
    (tmp_path / "keys.pem").write_bytes(pem)
    (tmp_path / "secret").write_text(SECRET + "\n")
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_PUBLIC_KEYS": str(tmp_path / "keys.pem"),
                                    "WAKEDOCK_JWT_SECRET_FILE": str(tmp_path / "secret"), "WAKEDOCK_JWT_AUDIENCE": "wakedock"},
                           "--interval", "0.5")
    try:
        good = jwt.encode(claims(aud="wakedock"), key, "ES256")
        assert api.get("/status", headers=bearer(good)).status_code == 200
        assert api.get("/status", headers=bearer(jwt.encode(claims(aud="elsewhere"), key, "ES256"))).status_code == 401
        other = ec.generate_private_key(ec.SECP256R1())
        assert api.get("/status", headers=bearer(jwt.encode(claims(aud="wakedock"), other, "ES256"))).status_code == 401
        # The secret from the file (its newline dropped) signs HS256.
        assert api.get("/status", headers=bearer(jwt.encode(claims(aud="wakedock"), SECRET, "HS256"))).status_code == 200
        # The public key's bytes as an HMAC secret (the classic confusion) get nowhere.
        assert api.get("/status", headers=bearer(hs256(claims(aud="wakedock"), pem))).status_code == 401
    finally:
        api.daemon.stop()


def test_rate_limits_per_subject_per_address_and_on_the_websocket(binary, engine, tmp_path):
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET,
                                    "WAKEDOCK_RATE_LIMIT": "5"}, "--interval", "1")
    try:
        alice, bob = mint(binary, "--subject", "alice"), mint(binary, "--subject", "bob")
        statuses = [api.get("/status", headers=bearer(alice)) for _ in range(30)]
        limited = [r for r in statuses if r.status_code == 429]
        assert 10 <= 30 - len(limited) <= 14, [r.status_code for r in statuses]  # the burst (10), and what refilled
        assert limited[0].json() == {"error": "rate_limited", "detail": "Trop de requêtes"}
        assert 1 <= int(limited[0].headers["Retry-After"]) <= 2
        assert api.get("/status", headers=bearer(bob)).status_code == 200  # another subject, another bucket
        # Refusals count against the address: a flood of bad tokens meets the limit too.
        codes = [api.get("/status", headers=bearer("bad")).status_code for _ in range(30)]
        assert codes.count(401) <= 14 and 429 in codes, codes
        api.daemon.wait_for(r"reason=rate limit", timeout=5)
        time.sleep(2.5)  # refill
        ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=10, header=bearer(bob))
        try:
            json.loads(ws.recv())
            for _ in range(40):
                ws.send(json.dumps({"action": "ping"}))
            replies = [json.loads(ws.recv()) for _ in range(40)]
            errors = [r for r in replies if r["type"] == "error"]
            assert errors and errors[0]["data"]["message"] == "Trop de messages", replies[:3]
            assert 10 <= sum(r["type"] == "pong" for r in replies) <= 14
        finally:
            ws.close()
        refused = 0
        for _ in range(20):
            try:
                websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=10, header=bearer(bob)).close()
            except websocket.WebSocketBadStatusException as error:
                assert error.status_code == 429 and 1 <= int(error.resp_headers["retry-after"]) <= 2
                refused += 1
        assert refused >= 5, refused
    finally:
        api.daemon.stop()


def test_cors_answers_the_allowed_origin_and_refuses_the_others(binary, engine):
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET,
                                    "WAKEDOCK_CORS_ORIGINS": "https://grafana.example:3000, http://localhost:8080"}, "--interval", "1")
    try:
        url = f"http://127.0.0.1:{api.port}/api/v1/monitoring/status"
        preflight = {"Access-Control-Request-Method": "GET", "Access-Control-Request-Headers": "authorization"}
        ok = requests.options(url, headers={"Origin": "https://grafana.example:3000", **preflight}, timeout=10)
        assert ok.status_code == 204, ok.text
        assert ok.headers["Access-Control-Allow-Origin"] == "https://grafana.example:3000"
        assert "authorization" in ok.headers["Access-Control-Allow-Headers"].lower()
        refused = requests.options(url, headers={"Origin": "https://evil.example", **preflight}, timeout=10)
        assert refused.status_code == 403 and "Access-Control-Allow-Origin" not in refused.headers
        token = bearer(mint(binary))
        allowed = requests.get(url, headers={"Origin": "http://localhost:8080", **token}, timeout=10)
        assert allowed.status_code == 200 and allowed.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
        other = requests.get(url, headers={"Origin": "https://evil.example", **token}, timeout=10)
        assert other.status_code == 200 and "Access-Control-Allow-Origin" not in other.headers
        # A refusal still carries the allowed origin's header, so the page can read why.
        denied = requests.get(url, headers={"Origin": "http://localhost:8080"}, timeout=10)
        assert denied.status_code == 401 and denied.headers["Access-Control-Allow-Origin"] == "http://localhost:8080"
    finally:
        api.daemon.stop()
    bad = subprocess.run([binary, "serve", "--cors-origins", "https://x.example/path"], capture_output=True, text=True, timeout=30,
                         env={"WAKEDOCK_LOG_TARGET": "stderr"})
    assert bad.returncode == 78 and "--cors-origins" in bad.stderr


def test_the_audit_trail_has_a_line_per_request_and_files_are_owner_only(binary, engine, services, tmp_path):
    import datetime
    import os
    import stat

    storage = tmp_path / "audited"
    storage.mkdir(mode=0o755)
    storage.chmod(0o755)
    old = storage / "metrics_2020-01-01.jsonl"  # what an earlier version left, world-readable
    old.write_text("")
    old.chmod(0o644)
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET,
                                    "WAKEDOCK_METRICS_STORAGE_PATH": str(storage), "WAKEDOCK_PERSIST_INTERVAL": "0.2"},
                           "--interval", "0.2")
    alice, bob = mint(binary, "--subject", "alice", "--scope", "monitoring:admin"), mint(binary, "--subject", "bob")
    try:
        wait_discovered(api, services)
        made = [
            ("request", "alice", "GET", "/api/v1/monitoring/status", api.get("/status", headers=bearer(alice)).status_code),
            ("refused", "bob", "POST", "/api/v1/monitoring/stop", api.post("/stop", headers=bearer(bob)).status_code),
            ("refused", "-", "GET", "/api/v1/monitoring/containers", api.get("/containers").status_code),
            ("request", "alice", "PUT", "/api/v1/monitoring/thresholds/cpu_percent",
             api.put("/thresholds/cpu_percent", json={"metric_type": "cpu_percent", "warning_threshold": 71, "critical_threshold": 91},
                    headers=bearer(alice)).status_code),
            ("request", "bob", "GET", "/api/v1/monitoring/metrics/nope/latest",
             api.get("/metrics/nope/latest", headers=bearer(bob)).status_code),
        ]
        assert [m[4] for m in made] == [200, 403, 401, 200, 404]
        ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws?token={bob}", timeout=10)
        json.loads(ws.recv())
        ws.send(json.dumps({"action": "subscribe", "stream_type": "alerts"}))
        json.loads(ws.recv())
        ws.close()
        with pytest.raises(websocket.WebSocketBadStatusException) as refused:
            websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=10)
        assert refused.value.status_code == 401
        time.sleep(1.5)  # flushed at least once a second
    finally:
        assert api.daemon.stop() == 0
    day = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d")
    lines = [json.loads(line) for line in (storage / f"audit_{day}.jsonl").read_text().splitlines()]
    assert [(r["event"], r["subject"], r["method"], r["route"], r["status"]) for r in lines[:5]] == made, lines
    assert lines[5]["event"] == "subscribe" and lines[5]["subject"] == "bob" and lines[5]["stream"] == "alerts"
    assert (lines[6]["event"], lines[6]["subject"], lines[6]["method"], lines[6]["route"], lines[6]["status"]) == (
        "refused", "-", "GET", "/api/v1/monitoring/ws", 401)
    assert len(lines) == 7 and all(r["client"] == "127.0.0.1" for r in lines)
    assert not any(bob in json.dumps(r) or alice in json.dumps(r) for r in lines)  # never a token
    api.daemon.wait_for(r"event=subscribe .*subject=bob .*audit", timeout=1)
    # Owner-only, all of it: the directory, the history, the audit, the thresholds, the old file made so too.
    assert stat.S_IMODE(storage.stat().st_mode) == 0o700
    files = [p for p in storage.iterdir() if p.is_file()]
    assert {p.name.split("_")[0] for p in files} >= {"metrics", "audit", "thresholds.json"}
    modes = {p.name: oct(stat.S_IMODE(p.stat().st_mode)) for p in files}
    assert all(mode == "0o600" for mode in modes.values()), modes
    assert any("threshold" in name for name in modes), modes


def make_certificate(directory, name):
    """A self-signed certificate for 127.0.0.1, made by openssl as an operator would."""
    cert, key = directory / f"{name}.crt", directory / f"{name}.key"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes", "-days", "2",
                    "-subj", f"/CN={name}", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", str(key), "-out", str(cert)],
                   check=True, capture_output=True)
    return cert, key


def served_certificate(port):
    import ssl
    pem = ssl.get_server_certificate(("127.0.0.1", port))
    return ssl.PEM_cert_to_DER_cert(pem)


def test_tls_serves_https_and_wss_and_sighup_reloads_the_certificate(binary, engine, tmp_path):
    import shutil
    import signal
    import ssl

    first_cert, first_key = make_certificate(tmp_path, "first")
    second_cert, second_key = make_certificate(tmp_path, "second")
    live_cert, live_key = tmp_path / "live.crt", tmp_path / "live.key"
    shutil.copy(first_cert, live_cert)
    shutil.copy(first_key, live_key)
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_TLS_CERT": str(live_cert),
                                    "WAKEDOCK_TLS_KEY": str(live_key)}, "--interval", "1")
    base = f"https://127.0.0.1:{api.port}"
    try:
        r = requests.get(base + "/api/v1/monitoring/status", verify=str(first_cert), timeout=10)
        assert r.status_code == 200 and r.json()["monitoring"]["is_running"] is True
        with pytest.raises(requests.exceptions.ConnectionError):
            requests.get(f"http://127.0.0.1:{api.port}/api/v1/monitoring/status", timeout=10)
        ws = websocket.create_connection(f"wss://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=10,
                                         sslopt={"ca_certs": str(first_cert), "cert_reqs": ssl.CERT_REQUIRED})
        assert json.loads(ws.recv())["data"]["status"] == "connected"
        curl = subprocess.run(["curl", "-sS", "--cacert", str(first_cert), base + "/api/v1/monitoring/status"],
                              capture_output=True, text=True, timeout=30)
        assert curl.returncode == 0 and '"monitoring"' in curl.stdout, curl.stderr
        before = served_certificate(api.port)
        # A broken file: SIGHUP keeps the certificate in use.
        live_cert.write_text("not a certificate")
        api.daemon.process.send_signal(signal.SIGHUP)
        api.daemon.wait_for(r"TLS certificate not reloaded", timeout=10)
        assert served_certificate(api.port) == before
        # The new pair: SIGHUP serves it to new connections; the listener and the open WSS go on.
        shutil.copy(second_cert, live_cert)
        shutil.copy(second_key, live_key)
        api.daemon.process.send_signal(signal.SIGHUP)
        api.daemon.wait_for(r"TLS certificate reloaded", timeout=10)
        after = served_certificate(api.port)
        assert after != before
        assert after == ssl.PEM_cert_to_DER_cert(second_cert.read_text())
        assert requests.get(base + "/api/v1/monitoring/status", verify=str(second_cert), timeout=10).status_code == 200
        ws.send(json.dumps({"action": "ping"}))
        assert json.loads(ws.recv())["type"] == "pong"  # opened before the reload, still up
        ws.close()
        assert api.daemon.process.poll() is None
    finally:
        api.daemon.stop()
    bad = subprocess.run([binary, "serve", "--tls-cert", str(second_cert)], capture_output=True, text=True, timeout=30,
                         env={"WAKEDOCK_LOG_TARGET": "stderr"})
    assert bad.returncode == 78 and bad.stderr.strip() == "wakedock-monitor: invalid WAKEDOCK_TLS_CERT: expected WAKEDOCK_TLS_KEY with it"
    bad = subprocess.run([binary, "serve", "--tls-cert", str(second_cert), "--tls-key", str(first_key)],
                         capture_output=True, text=True, timeout=30, env={"WAKEDOCK_LOG_TARGET": "stderr"})
    assert bad.returncode == 78 and "WAKEDOCK_TLS_KEY" in bad.stderr and len(bad.stderr.strip().splitlines()) == 1


def test_rs256_from_a_jwks_document_and_a_pem(binary, engine, tmp_path):
    from cryptography.hazmat.primitives.asymmetric import rsa

    rsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    ec_key = ec.generate_private_key(ec.SECP256R1())
    jwks = {"keys": [{**json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(rsa_key.public_key())), "kid": "rsa-1", "use": "sig"},
                     {**json.loads(jwt.algorithms.ECAlgorithm.to_jwk(ec_key.public_key())), "kid": "ec-1", "use": "sig"}]}
    (tmp_path / "jwks.json").write_text(json.dumps(jwks))
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_PUBLIC_KEYS": str(tmp_path / "jwks.json"),
                                    "WAKEDOCK_JWT_ISSUER": "https://idp.example"}, "--interval", "1")
    try:
        iss = {"iss": "https://idp.example"}
        assert api.get("/status", headers=bearer(jwt.encode(claims(**iss), rsa_key, "RS256", headers={"kid": "rsa-1"}))).status_code == 200
        assert api.get("/status", headers=bearer(jwt.encode(claims(**iss), ec_key, "ES256", headers={"kid": "ec-1"}))).status_code == 200
        assert api.get("/status", headers=bearer(jwt.encode(claims(**iss), rsa_key, "RS256"))).status_code == 200  # no kid: any RS256 key
        assert api.get("/status", headers=bearer(jwt.encode(claims(iss="someone"), rsa_key, "RS256"))).status_code == 401
        other = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        assert api.get("/status", headers=bearer(jwt.encode(claims(**iss), other, "RS256", headers={"kid": "rsa-1"}))).status_code == 401
        # No secret configured: HS256 is not an algorithm this daemon takes, whatever key signed it.
        pem = rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        assert api.get("/status", headers=bearer(hs256(claims(**iss), pem))).status_code == 401
    finally:
        api.daemon.stop()
    # One RSA key as PEM works too.
    (tmp_path / "rsa.pem").write_bytes(rsa_key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_PUBLIC_KEYS": str(tmp_path / "rsa.pem")}, "--interval", "1")
    try:
        assert api.get("/status", headers=bearer(jwt.encode(claims(), rsa_key, "RS256"))).status_code == 200
        assert api.get("/status", headers=bearer(jwt.encode(claims(), ec_key, "ES256"))).status_code == 401
    finally:
        api.daemon.stop()
