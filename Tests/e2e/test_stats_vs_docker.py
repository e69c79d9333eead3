"""`wakedock-monitor stats` against `docker stats --no-stream` for the same containers at the same moment."""

from __future__ import annotations

import json
import threading
import time

import pytest

from conftest import run_binary
from fleet import CONTAINERS, assert_stats_agree, start_fleet


@pytest.fixture(scope="module")
def fleet(engine):
    ids = start_fleet(engine)
    yield ids
    engine.remove(*CONTAINERS)


def ours(binary, engine, *args):
    result = run_binary(binary, "stats", "--format", "json", *args, env={"WAKEDOCK_DOCKER_SOCKET": engine.socket})
    assert result.returncode == 0, result.stderr
    return {row["container_name"]: row for row in map(json.loads, result.stdout.splitlines())}


def test_stats_agrees_with_docker_stats(binary, engine, fleet):
    # docker stats takes ~2 s; run ours in the middle of it so both see the same moment.
    theirs_holder: dict = {}
    thread = threading.Thread(target=lambda: theirs_holder.update(engine.stats_no_stream()))
    thread.start()
    time.sleep(0.8)
    mine = ours(binary, engine)
    thread.join()
    theirs = theirs_holder
    after = ours(binary, engine)

    assert_stats_agree(mine, theirs, after, fleet)


def test_table_and_filters(binary, engine, fleet):
    env = {"WAKEDOCK_DOCKER_SOCKET": engine.socket}
    table = run_binary(binary, "stats", env=env)
    assert table.returncode == 0, table.stderr
    lines = table.stdout.splitlines()
    assert lines[0].split()[:3] == ["CONTAINER", "ID", "NAME"]
    assert any(line.split()[1] == "wd-holder" and "MiB" in line for line in lines[1:])

    assert set(ours(binary, engine, "--filter", "service=web")) == {"wd-web"}
    assert set(ours(binary, engine, "--filter", "wd-limited")) == {"wd-limited"}
    assert set(ours(binary, engine, "--filter", "name=nope")) == set()
    prefix = fleet["wd-nonet"][:6]
    assert set(ours(binary, engine, "--filter", f"id={prefix}")) == {"wd-nonet"}
