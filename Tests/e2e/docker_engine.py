"""A real Docker engine for the end-to-end tests, started by hand in its own temporary folders.

Facts this relies on are in shared/RECIPES.md: Debian's docker.io (dockerd 20.10), no registry (the image is
imported from busybox-static), containers run with --init so they stop at once, and a clean tear-down
(containers, dockerd, its two mounts, docker0) that also survives an earlier run that was interrupted.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import tempfile
import time
import urllib.parse
from pathlib import Path

IMAGE = "local/busybox"


class EngineError(RuntimeError):
    pass


def _run(cmd, check=True, **kw):
    return subprocess.run(cmd, check=check, capture_output=True, text=True, **kw)


def _ping(socket_path: str) -> bool:
    result = _run(
        ["curl", "-s", "--max-time", "1", "--unix-socket", socket_path, "http://localhost/_ping"], check=False
    )
    return result.stdout.strip() == "OK"


def _umount_under(root: str) -> None:
    """Unmounts whatever an earlier dockerd left mounted below root (netns, overlay layers)."""
    with open("/proc/self/mounts") as f:
        points = [line.split()[1] for line in f if line.split()[1].startswith(root)]
    for point in sorted(points, key=len, reverse=True):
        _run(["umount", "-l", point], check=False)


class DockerClient:
    """The docker CLI aimed at one engine (`host` as DOCKER_HOST: unix://… or tcp://…)."""

    def __init__(self, host: str, scratch: Path | None = None) -> None:
        self.env = dict(os.environ, DOCKER_HOST=host)
        # Where import_busybox builds its root filesystem.
        self.scratch = scratch or Path(tempfile.mkdtemp(prefix="wd-docker-client-"))

    def docker(self, *args: str, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        result = subprocess.run(
            ["docker", *args], env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if check and result.returncode != 0:
            raise EngineError(f"docker {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
        return result

    def import_busybox(self) -> None:
        """Builds local/busybox from busybox-static: a rootfs with /bin/busybox and a link per applet."""
        if self.docker("image", "inspect", IMAGE, check=False).returncode == 0:
            return
        busybox = shutil.which("busybox")
        if busybox is None:
            raise EngineError("busybox is not installed: run the README's test command (it installs busybox-static)")
        rootfs = self.scratch / "rootfs"
        (rootfs / "bin").mkdir(parents=True, exist_ok=True)
        (rootfs / "tmp").mkdir(exist_ok=True)
        shutil.copy(busybox, rootfs / "bin" / "busybox")
        applets = _run([busybox, "--list"]).stdout.split()
        for applet in applets:
            if applet != "busybox" and not (rootfs / "bin" / applet).exists():
                os.symlink("busybox", rootfs / "bin" / applet)
        tar = subprocess.Popen(["tar", "-C", str(rootfs), "-c", "."], stdout=subprocess.PIPE)
        result = subprocess.run(
            ["docker", "import", "-c", 'CMD ["/bin/sh"]', "-c", "ENV PATH=/bin", "-", IMAGE],
            stdin=tar.stdout, env=self.env, capture_output=True, text=True,
        )
        tar.wait()
        if result.returncode != 0:
            raise EngineError(f"docker import failed: {result.stderr}")

    def run(self, name: str, script: str, *options: str) -> str:
        """Starts a detached container running `sh -c script` under --init; returns its full id."""
        out = self.docker("run", "-d", "--init", "--name", name, *options, IMAGE, "sh", "-c", script).stdout
        return out.strip().splitlines()[-1]

    def remove(self, *names: str) -> None:
        if names:
            self.docker("rm", "-f", *names, check=False)

    def pid(self, name: str) -> int:
        return int(self.docker("inspect", "-f", "{{.State.Pid}}", name).stdout.strip())

    def stats_no_stream(self) -> dict[str, dict]:
        """`docker stats --no-stream` as {name: row} (the Engine's own figures, taken its own slow way)."""
        out = self.docker("stats", "--no-stream", "--format", "{{json .}}", timeout=60).stdout
        rows = [json.loads(line) for line in out.splitlines() if line.strip()]
        return {row["Name"]: row for row in rows}


class DockerEngine(DockerClient):
    """A dockerd of the tests' own, in temporary folders, and the client aimed at it."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="wd-docker-"))
        self.data = self.root / "data"
        self.exec_root = self.root / "exec"
        self.pidfile = self.root / "docker.pid"
        self.socket = str(self.root / "docker.sock")
        self.log_path = self.root / "dockerd.log"
        self.process: subprocess.Popen | None = None
        super().__init__(f"unix://{self.socket}", scratch=self.root)

    # -- lifecycle -----------------------------------------------------------------------------------------

    def start(self) -> None:
        if shutil.which("dockerd") is None:
            raise EngineError("dockerd is not installed: run the README's test command (it installs docker.io)")
        others = _run(["pgrep", "-x", "dockerd"], check=False).stdout.split()
        if others and self.process is None:
            raise EngineError(
                f"another dockerd is running (pid {', '.join(others)}); stop it first, the tests need docker0"
            )
        if self.process is None:
            self._clean_stale_bridge()
        if os.path.exists(self.socket):
            os.unlink(self.socket)
        log = open(self.log_path, "ab")
        self.process = subprocess.Popen(
            [
                "dockerd",
                "--data-root", str(self.data),
                "--exec-root", str(self.exec_root),
                "--pidfile", str(self.pidfile),
                "-H", f"unix://{self.socket}",
                "--storage-driver", "overlay2",
                "--iptables=false", "--ip-forward=false", "--ip-masq=false",
            ],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise EngineError(f"dockerd exited with {self.process.returncode}:\n{self.log_tail()}")
            if _ping(self.socket):
                return
            time.sleep(0.1)
        raise EngineError(f"dockerd did not answer /_ping within 30 s:\n{self.log_tail()}")

    def stop(self, sig=signal.SIGTERM) -> None:
        """Stops dockerd (SIGTERM stops its containers first) and waits for it."""
        if self.process is None:
            return
        if self.process.poll() is None:
            self.process.send_signal(sig)
            try:
                self.process.wait(timeout=40)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.process = None

    def restart(self) -> None:
        self.stop()
        self.start()

    def teardown(self) -> None:
        if self.process is not None and self.process.poll() is None:
            ids = self.docker("ps", "-aq", check=False).stdout.split()
            if ids:
                self.docker("rm", "-f", *ids, check=False)
        self.stop()
        _umount_under(str(self.root))
        self._clean_stale_bridge()
        shutil.rmtree(self.root, ignore_errors=True)

    def _clean_stale_bridge(self) -> None:
        if _run(["ip", "link", "show", "docker0"], check=False).returncode == 0:
            _run(["ip", "link", "del", "docker0"], check=False)

    def log_tail(self, lines: int = 30) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no dockerd log)"

    def api(self, path: str) -> object:
        result = _run(["curl", "-s", "--max-time", "10", "--unix-socket", self.socket, "http://localhost" + path])
        return json.loads(result.stdout)


_UNITS = {
    "B": 1, "KiB": 1024, "MiB": 1024**2, "GiB": 1024**3, "TiB": 1024**4,
    "kB": 1000, "KB": 1000, "MB": 1000**2, "GB": 1000**3, "TB": 1000**4,
}


def parse_size(text: str) -> float:
    """'144.3MiB' → bytes; docker stats prints 4 significant digits (binary) or 3 (decimal)."""
    text = text.strip()
    for unit in sorted(_UNITS, key=len, reverse=True):
        if text.endswith(unit):
            return float(text[: -len(unit)]) * _UNITS[unit]
    return float(text)


def parse_pair(text: str) -> tuple[float, float]:
    left, right = text.split("/")
    return parse_size(left), parse_size(right)
