"""Ending a child process, shared by the tests and Benchmarks/compare (which has no pytest)."""

from __future__ import annotations

import subprocess


def end_process(process: subprocess.Popen, timeout: float = 10) -> None:
    """SIGTERM, then SIGKILL if it has not exited within `timeout` seconds; waits either way."""
    process.terminate()
    try:
        process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
