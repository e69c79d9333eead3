"""Fuzzing the real binary (issue 10): schemathesis against the daemon's own OpenAPI document, and a WebSocket
fuzz pass of malformed frames and messages. Both from fixed seeds, both bounded in time; the daemon must be
alive and answering afterwards. (The libFuzzer targets for the C parsers and the history-line reader run from
scripts/fuzz.sh.)"""

from __future__ import annotations

import json
import os
import random
import shutil
import socket
import subprocess
import sys
import time

import pytest
import websocket

from conftest import start_api_daemon
from ws_frames import HANDSHAKE, frame

SEED = 20261126


@pytest.fixture(scope="module")
def api(binary, engine, tmp_path_factory):
    ids = {
        "wd-fuzz-web": engine.run("wd-fuzz-web", "exec sleep 100000", "--label", "com.docker.compose.service=web"),
        "wd-fuzz-db": engine.run("wd-fuzz-db", "exec sleep 100000"),
    }
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket,
           "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("metrics"))}
    daemon = start_api_daemon(binary, env, "--interval", "0.5")
    for name in ids:
        daemon.daemon.wait_for(rf"container_name={name} .*container discovered", timeout=15)
    daemon.ids = ids
    yield daemon
    daemon.daemon.stop()
    engine.remove(*ids)


def assert_alive(api, headers: dict[str, str] | None = None) -> None:
    assert api.daemon.process.poll() is None, "the daemon died:\n" + "\n".join(l for _, l in api.daemon.lines[-30:])
    assert api.get("/status", headers=headers or {}).status_code == 200
    ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=5, header=headers or {})
    assert json.loads(ws.recv())["type"] == "status_update"
    ws.send(json.dumps({"action": "ping"}))
    assert json.loads(ws.recv())["type"] == "pong"
    ws.close()


# -- schemathesis ------------------------------------------------------------------------------------------

def test_schemathesis_finds_no_server_error_and_every_answer_matches_the_schema(api, tmp_path):
    run_schemathesis(api, tmp_path, examples=os.environ.get("WAKEDOCK_SCHEMATHESIS_EXAMPLES", "25"))


SECRET = "a-fuzzing-secret-that-is-long-enough-0123456789"


@pytest.fixture(scope="module")
def secured_api(binary, engine, api, tmp_path_factory):
    """A second daemon, with authentication on (the same containers as `api`'s)."""
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET,
           "WAKEDOCK_METRICS_STORAGE_PATH": str(tmp_path_factory.mktemp("secured-metrics"))}
    daemon = start_api_daemon(binary, env, "--interval", "0.5")
    daemon.ids = api.ids
    token = subprocess.run([binary, "token", "--scope", "monitoring:admin", "--scope", "metrics:scrape"],
                           env={"WAKEDOCK_JWT_SECRET": SECRET}, capture_output=True, text=True, check=True).stdout.strip()
    daemon.headers = {"Authorization": f"Bearer {token}"}
    yield daemon
    daemon.daemon.stop()


def test_schemathesis_with_an_admin_token_finds_no_server_error(secured_api, tmp_path):
    """Issue 16: with authentication on and a token of every scope, the same checks hold (fewer examples: the
    operations are the same, the token's path through them is what is new)."""
    run_schemathesis(secured_api, tmp_path, examples="8", headers=secured_api.headers)


def run_schemathesis(api, tmp_path, examples: str, headers: dict[str, str] | None = None):
    # The console script pip put beside this Python, else the one on PATH.
    beside = os.path.join(os.path.dirname(sys.executable), "schemathesis")
    exe = beside if os.access(beside, os.X_OK) else shutil.which("schemathesis")
    assert exe, "schemathesis is missing: the README's test command installs it"
    web_id = api.ids["wd-fuzz-web"]
    # Real container references some of the time, so that the operations behind a lookup are reached too.
    config = tmp_path / "schemathesis.toml"
    config.write_text(f"""
[dictionaries.containers]
values = ["{web_id}", "{web_id[:12]}", "wd-fuzz-web", "wd-fuzz-db", "web"]

[parameters]
"path.container_id" = {{ dictionary = "containers", probability = 0.6 }}
"query.container_id" = {{ dictionary = "containers", probability = 0.5 }}
"body.container_id" = {{ dictionary = "containers", probability = 0.6 }}
"query.service_name" = {{ dictionary = "containers", probability = 0.3 }}
""")
    base = f"http://127.0.0.1:{api.port}"
    started = time.monotonic()
    header_options = [option for name, value in (headers or {}).items() for option in ("-H", f"{name}: {value}")]
    result = subprocess.run(
        [exe, "--config-file", str(config), "run", f"{base}/api/v1/openapi.json", "-u", base, *header_options,
         "-c", "not_a_server_error,response_schema_conformance,status_code_conformance,content_type_conformance",
         "-n", examples, "--seed", str(SEED), "--continue-on-failure", "--request-timeout", "10",
         "--report", "har", "--report-dir", str(tmp_path / "report")],
        capture_output=True, text=True, timeout=400)
    elapsed = time.monotonic() - started
    summary = "\n".join(result.stdout.splitlines()[-40:])
    print(f"\nschemathesis: {elapsed:.0f} s\n{summary}")
    assert result.returncode == 0, f"schemathesis found failures (HAR report in {tmp_path / 'report'}):\n{result.stdout[-6000:]}"
    assert "generated" in result.stdout
    assert_alive(api, headers)


# -- WebSocket ---------------------------------------------------------------------------------------------

def random_message(rng: random.Random) -> bytes:
    """A client message: a valid one, a mutated one, a wrong-typed one, or noise."""
    actions = ["subscribe", "unsubscribe", "ping", "pong", "", "SUBSCRIBE", None, 3, [], {}]
    streams = ["metrics", "alerts", "system_status", "", "nope", None, 1, ["metrics"], {"a": 1}]
    values = [None, True, False, 0, -1, 1e308, -1e308, 2**70, "", "x" * rng.randint(0, 3000), [], {}, [1, "a", None],
              {"container_ids": rng.choice([[], ["wd-fuzz-web"], [1], "x", None])},
              {"alert_levels": rng.choice([["critical"], ["nope"], [None], 5])},
              {"service_names": rng.choice([["web"], [[]], {}])}]
    kind = rng.random()
    if kind < 0.55:
        message = {"action": rng.choice(actions), "stream_type": rng.choice(streams)}
        for key in rng.sample(["filters", "batch", "extra", "stream_type", "action"], rng.randint(0, 3)):
            message[key] = rng.choice(values)
        return json.dumps(message).encode()
    if kind < 0.75:
        text = json.dumps({"action": "subscribe", "stream_type": "metrics", "filters": {"container_ids": ["wd-fuzz-web"]}})
        data = bytearray(text.encode())
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        return bytes(data)
    if kind < 0.9:
        return json.dumps(rng.choice(values)).encode()
    return bytes(rng.randrange(256) for _ in range(rng.randint(0, 200)))


def raw_connection(port: int) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", port), timeout=3)
    s.sendall(HANDSHAKE)
    answer = b""
    while b"\r\n\r\n" not in answer:
        chunk = s.recv(4096)
        assert chunk, "handshake refused"
        answer += chunk
    assert answer.startswith(b"HTTP/1.1 101"), answer[:100]
    return s


def drain(s: socket.socket, seconds: float) -> None:
    s.settimeout(seconds)
    try:
        while s.recv(65536):
            pass
    except (socket.timeout, ConnectionResetError, OSError):
        pass


def test_websocket_messages_fuzz(api):
    """2,000 random, mutated and wrongly typed client messages on one connection: each is answered or ignored,
    the connection stays open (SPEC §6: bad frames get an `error` message)."""
    rng = random.Random(SEED)
    ws = websocket.create_connection(f"ws://127.0.0.1:{api.port}/api/v1/monitoring/ws", timeout=5)
    ws.recv()
    for i in range(2000):
        payload = random_message(rng)
        try:
            text = payload.decode()
            ws.send(text)
        except UnicodeDecodeError:
            ws.send_binary(payload)
        if i % 100 == 99:
            ws.send(json.dumps({"action": "ping"}))
            deadline = time.monotonic() + 5
            while True:
                assert time.monotonic() < deadline, "no pong: the connection stopped answering"
                message = json.loads(ws.recv())
                if message["type"] == "pong":
                    break
    ws.close()
    assert_alive(api)


def test_websocket_frames_fuzz(api):
    """Malformed frames, one connection each: reserved opcodes and RSV bits, unmasked frames, control frames
    too long or fragmented, continuation without a start, invalid UTF-8, lengths far beyond what is sent, close
    frames with bad codes, and random byte strings. The server closes or answers; it never dies or hangs."""
    rng = random.Random(SEED)
    cases = [
        frame(0x3, b"reserved opcode"),
        frame(0xB, b"reserved control opcode"),
        frame(0x1, b'{"action":"ping"}', rsv=0x4),
        frame(0x1, b'{"action":"ping"}', masked=False),
        frame(0x9, b"p" * 200),  # a ping over 125 bytes
        frame(0x9, b"ping", fin=False),  # a fragmented control frame
        frame(0x0, b"continuation without a start"),
        frame(0x1, b"\xff\xfe\xfd invalid utf-8"),
        frame(0x1, b"{", fin=False) + frame(0x1, b"}"),  # a new message inside an unfinished one
        frame(0x1, b"short", declared_length=2**62),
        frame(0x1, b"short", declared_length=70_000),
        frame(0x8, b"\x03\xe7"),  # close with code 999
        frame(0x8, b"\x0f\xa0" + b"\xff"),  # close 4000 with an invalid UTF-8 reason
        frame(0x8, b"x"),  # a close payload of one byte
        frame(0x1, b"x" * 70_000),  # one frame over the 64 KiB message limit
        frame(0x2, bytes(range(256))),
        b"\x81",  # half a header, then silence
    ]
    for _ in range(60):
        cases.append(bytes(rng.randrange(256) for _ in range(rng.randint(1, 64))))
    for _ in range(20):
        opcode = rng.choice([0x0, 0x1, 0x2, 0x8, 0x9, 0xA, 0x5])
        cases.append(frame(opcode, random_message(rng), fin=rng.random() < 0.7, rsv=rng.choice([0, 0, 0, 1, 2, 7]),
                           masked=rng.random() < 0.9))
    for data in cases:
        s = raw_connection(api.port)
        try:
            s.sendall(data)
        except OSError:
            pass
        drain(s, 0.2)
        s.close()
    # A flood of pings and a message split into 1-byte fragments on one connection.
    s = raw_connection(api.port)
    s.sendall(b"".join(frame(0x9, b"") for _ in range(2000)))
    text = b'{"action":"ping"}'
    fragments = [frame(0x1 if i == 0 else 0x0, text[i:i + 1], fin=i == len(text) - 1) for i in range(len(text))]
    s.sendall(b"".join(fragments))
    drain(s, 0.5)
    s.close()
    assert_alive(api)
