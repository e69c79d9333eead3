"""Runs commands inside a qemu guest through the QEMU guest agent (qemu-ga, Debian's qemu-guest-agent),
reached on a virtio serial port that qemu exposes on the host as a unix socket.

The protocol is JSON, one object a line: `guest-sync` with a fresh id first (a restarted agent may have stale
answers queued), then `guest-exec` with captured output, polled with `guest-exec-status` until it has exited.
"""

from __future__ import annotations

import base64
import itertools
import json
import socket
import time
from dataclasses import dataclass


class GuestAgentError(RuntimeError):
    pass


@dataclass
class GuestResult:
    exitcode: int | None  # None when a signal ended it
    stdout: str
    stderr: str

    @property
    def ok(self) -> bool:
        return self.exitcode == 0


class GuestAgent:
    _ids = itertools.count(int(time.time()) % 100000 * 1000)

    def __init__(self, socket_path: str) -> None:
        self.socket_path = socket_path

    def _request(self, sock: socket.socket, reader, command: str, arguments: dict | None = None) -> object:
        message = {"execute": command}
        if arguments is not None:
            message["arguments"] = arguments
        sock.sendall(json.dumps(message).encode() + b"\n")
        while True:
            line = reader.readline()
            if not line:
                raise GuestAgentError(f"the guest agent closed the connection during {command}")
            line = line.strip(b"\xff \r\n")
            if not line:
                continue
            answer = json.loads(line)
            if "error" in answer:
                raise GuestAgentError(f"{command}: {answer['error']}")
            return answer.get("return")

    def _session(self, timeout: float):
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        sock.connect(self.socket_path)
        reader = sock.makefile("rb")
        sync_id = next(self._ids)
        sock.sendall(json.dumps({"execute": "guest-sync", "arguments": {"id": sync_id}}).encode() + b"\n")
        # Skip whatever an earlier, interrupted exchange left queued until our own sync id comes back.
        while True:
            line = reader.readline()
            if not line:
                raise GuestAgentError("the guest agent closed the connection during guest-sync")
            try:
                if json.loads(line.strip(b"\xff \r\n") or b"{}").get("return") == sync_id:
                    return sock, reader
            except ValueError:
                continue

    def ping(self, timeout: float = 3) -> bool:
        try:
            sock, reader = self._session(timeout)
        except (OSError, GuestAgentError, ValueError):
            return False
        with sock:
            return True

    def wait_until_up(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.ping():
                return
            time.sleep(1)
        raise GuestAgentError(f"the guest agent did not answer within {timeout:.0f} s")

    def run(self, script: str, timeout: float = 60) -> GuestResult:
        """Runs `sh -c script` as root in the guest and waits for it; the guest's `timeout` ends it if we give up."""
        sock, reader = self._session(timeout=15)
        with sock:
            pid = self._request(sock, reader, "guest-exec", {
                "path": "/usr/bin/timeout", "arg": [str(int(timeout) + 1), "/bin/sh", "-c", script], "capture-output": True})["pid"]
            deadline = time.monotonic() + timeout
            while True:
                status = self._request(sock, reader, "guest-exec-status", {"pid": pid})
                if status.get("exited"):
                    break
                if time.monotonic() > deadline:
                    raise GuestAgentError(f"`{script}` did not finish within {timeout} s in the guest")
                time.sleep(0.2)
        decode = lambda key: base64.b64decode(status.get(key, "")).decode(errors="replace")  # noqa: E731
        return GuestResult(status.get("exitcode"), decode("out-data"), decode("err-data"))

    def check(self, script: str, timeout: float = 60) -> str:
        result = self.run(script, timeout)
        if not result.ok:
            raise GuestAgentError(f"`{script}` exited {result.exitcode} in the guest:\n{result.stderr}{result.stdout}")
        return result.stdout
