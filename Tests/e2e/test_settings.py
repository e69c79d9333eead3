"""A bad setting stops start-up with one line that names it; --help documents every variable."""

from __future__ import annotations

import pytest

from conftest import run_binary

BAD = [
    ({"WAKEDOCK_METRICS_INTERVAL": "abc"}, [], "WAKEDOCK_METRICS_INTERVAL", "abc"),
    ({"WAKEDOCK_METRICS_INTERVAL": "-1"}, [], "WAKEDOCK_METRICS_INTERVAL", "-1"),
    ({"WAKEDOCK_METRICS_INTERVAL": "0"}, [], "WAKEDOCK_METRICS_INTERVAL", "0"),
    ({}, ["--interval", "nan"], "--interval", "nan"),
    ({"WAKEDOCK_METRICS_RETENTION_DAYS": "1.5"}, [], "WAKEDOCK_METRICS_RETENTION_DAYS", "1.5"),
    ({"WAKEDOCK_PORT": "70000"}, [], "WAKEDOCK_PORT", "70000"),
    ({"WAKEDOCK_WS_MAX_CLIENTS": "0"}, [], "WAKEDOCK_WS_MAX_CLIENTS", "0"),
    ({"WAKEDOCK_METRICS_STORAGE_PATH": "relative/dir"}, [], "WAKEDOCK_METRICS_STORAGE_PATH", "relative/dir"),
    ({"WAKEDOCK_CPU_WARNING_THRESHOLD": "95"}, [], "WAKEDOCK_CPU_WARNING_THRESHOLD", "95"),
    ({"WAKEDOCK_LOG_LEVEL": "loud"}, [], "WAKEDOCK_LOG_LEVEL", "loud"),
    ({"DOCKER_HOST": "tcp://10.0.0.1:2375"}, [], "DOCKER_HOST", "tcp://10.0.0.1:2375"),
    ({"WAKEDOCK_LOG_TARGET": "syslog"}, [], "WAKEDOCK_LOG_TARGET", "syslog"),
    ({}, ["--log-target", "file"], "--log-target", "file"),
    ({"WAKEDOCK_METRICS_MAX_FILE_BYTES": "100"}, [], "WAKEDOCK_METRICS_MAX_FILE_BYTES", "100"),
    ({"WAKEDOCK_ALERT_COOLDOWN": "-5"}, [], "WAKEDOCK_ALERT_COOLDOWN", "-5"),
    ({"WAKEDOCK_ALERT_HYSTERESIS": "1.5"}, [], "WAKEDOCK_ALERT_HYSTERESIS", "1.5"),
    ({"WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD": "900000000"}, [], "WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD", "900000000"),
    ({"WAKEDOCK_WEBHOOK_URLS": "http://ok.example/x,nope"}, [], "WAKEDOCK_WEBHOOK_URLS", "nope"),
]


@pytest.mark.parametrize("env,args,name,value", BAD, ids=[b[2] + "=" + b[3] for b in BAD])
def test_bad_setting_refuses_to_start_with_one_clear_line(binary, env, args, name, value):
    result = run_binary(binary, "serve", *args, env=env, timeout=20)
    assert result.returncode == 78, (result.returncode, result.stderr)
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert name in lines[0] and value in lines[0], lines[0]


def test_a_flag_beats_its_variable(binary):
    # The variable is bad but the flag overrides it, so start-up proceeds to the flag's own bad value.
    result = run_binary(binary, "serve", "--port", "99999", env={"WAKEDOCK_PORT": "abc"}, timeout=20)
    assert result.returncode == 78
    assert "--port" in result.stderr and "99999" in result.stderr


def test_help_documents_every_variable(binary):
    result = run_binary(binary, "serve", "--help")
    assert result.returncode == 0
    for variable in [
        "WAKEDOCK_METRICS_INTERVAL", "WAKEDOCK_METRICS_RETENTION_DAYS", "WAKEDOCK_METRICS_STORAGE_PATH",
        "WAKEDOCK_WS_MAX_CLIENTS", "WAKEDOCK_WS_PING_INTERVAL", "WAKEDOCK_WS_CLIENT_TIMEOUT",
        "WAKEDOCK_CPU_WARNING_THRESHOLD", "WAKEDOCK_CPU_CRITICAL_THRESHOLD", "WAKEDOCK_MEMORY_WARNING_THRESHOLD",
        "WAKEDOCK_MEMORY_CRITICAL_THRESHOLD", "WAKEDOCK_HOST", "WAKEDOCK_PORT", "WAKEDOCK_DOCKER_SOCKET",
        "WAKEDOCK_CGROUP_ROOT", "WAKEDOCK_PROC_ROOT", "WAKEDOCK_PERSIST_INTERVAL", "WAKEDOCK_LOG_LEVEL",
        "WAKEDOCK_LOG_TARGET", "WAKEDOCK_METRICS_MAX_FILE_BYTES", "WAKEDOCK_ALERT_COOLDOWN", "WAKEDOCK_ALERT_HYSTERESIS",
        "WAKEDOCK_WEBHOOK_URLS", "WAKEDOCK_NETWORK_RX_WARNING_THRESHOLD", "WAKEDOCK_NETWORK_TX_CRITICAL_THRESHOLD",
    ]:
        assert variable in result.stdout, f"--help does not mention {variable}"


def test_stats_rejects_a_bad_sample_interval(binary):
    result = run_binary(binary, "stats", "--sample-interval", "-3")
    assert result.returncode != 0
    assert "--sample-interval" in result.stderr


def test_readme_configuration_table_is_the_settings_table(binary):
    """Each setting is declared once (SettingSpec.all): the README's table is what `settings` prints from it."""
    from pathlib import Path

    result = run_binary(binary, "settings")
    assert result.returncode == 0, result.stderr
    table = result.stdout.strip()
    readme = (Path(__file__).resolve().parents[2] / "README.md").read_text()
    assert table in readme, "README's configuration table differs from `wakedock-monitor settings`: paste its output"
    assert table.count("\n") + 1 >= 2 + 31  # header, rule, one row per setting


@pytest.mark.parametrize("args", [["--interval=abc"], ["--interval", "abc"]])
def test_a_flag_takes_its_value_either_way(binary, args):
    result = run_binary(binary, "serve", *args, timeout=20)
    assert result.returncode == 78
    assert "--interval" in result.stderr and "abc" in result.stderr


@pytest.mark.parametrize("args", [["--no-such-setting", "1"], ["--interval"], ["stats", "--port", "1"]])
def test_unknown_or_incomplete_flags_are_usage_errors(binary, args):
    command = [] if args[0] == "stats" else ["serve"]
    result = run_binary(binary, *command, *args, timeout=20)
    assert result.returncode == 64, (result.returncode, result.stderr)
    assert "Usage" in result.stderr
