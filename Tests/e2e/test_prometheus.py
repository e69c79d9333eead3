"""GET /metrics (issue 15): the containers' newest figures under cAdvisor's names, checked by promtool (text
format), by the Prometheus client library's OpenMetrics parser, against our own JSON figures, and scraped
every second by a real Prometheus from two daemons (two "hosts", told apart by a relabelled `host` label) with
the recording rules and the Grafana dashboard of packaging/ — whose every query must answer with data."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import tempfile
import time
from datetime import datetime

import pytest
import requests
from prometheus_client.openmetrics.parser import text_string_to_metric_families as parse_openmetrics
from prometheus_client.parser import text_string_to_metric_families as parse_text

from conftest import REPO, end_process, free_port, start_api_daemon, wait_discovered
from docker_engine import IMAGE

BURNER, IDLE = "wd-prom-burn", "wd-prom-idle"


@pytest.fixture(scope="module")
def api(engine, binary):
    # Half a core, so that its CPU figure is steady enough to compare with Prometheus' rate().
    engine.run(BURNER, "while :; do :; done", "--cpus", "0.5",
               "--label", "com.docker.compose.service=burner", "--label", "com.docker.compose.project=promtest")
    engine.run(IDLE, "exec sleep 100000")
    daemon = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--interval", "0.5")
    try:
        wait_discovered(daemon, [BURNER, IDLE])
        time.sleep(1.5)
        yield daemon
    finally:
        daemon.daemon.stop()
        engine.remove(BURNER, IDLE)


@pytest.fixture(scope="module")
def api2(engine, binary, api):
    """A second daemon watching the same engine: the second "host" of the multi-host checks."""
    daemon = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--interval", "0.5")
    try:
        wait_discovered(daemon, [BURNER])
        yield daemon
    finally:
        daemon.daemon.stop()


def scrape(api, openmetrics=False):
    headers = {"Accept": "application/openmetrics-text; version=1.0.0"} if openmetrics else {}
    r = requests.get(f"http://127.0.0.1:{api.port}/metrics", headers=headers, timeout=10)
    assert r.status_code == 200
    return r


def epoch(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339.replace("Z", "+00:00")).timestamp()


def series(text, name, container, parse=parse_text):
    """{metric sample name: (value, timestamp)} of one container."""
    out = {}
    for family in parse(text):
        for s in family.samples:
            if s.labels.get("name") == container and (name is None or s.name == name):
                out[s.name] = (s.value, s.timestamp)
    return out


def test_text_format_passes_promtool(api):
    r = scrape(api)
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4")
    check = subprocess.run(["promtool", "check", "metrics"], input=r.text, capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    assert 'name="wd-prom-burn"' in r.text


def test_openmetrics_is_served_when_asked_and_parses_strictly(api):
    r = scrape(api, openmetrics=True)
    assert r.headers["content-type"].startswith("application/openmetrics-text; version=1.0.0")
    assert r.text.endswith("# EOF\n")
    families = {f.name: f for f in parse_openmetrics(r.text)}
    assert families["container_cpu_usage_seconds"].type == "counter"
    assert families["container_memory_working_set_bytes"].type == "gauge"
    assert any(s.labels["name"] == BURNER for s in families["container_cpu_usage_seconds"].samples)


def health(text):
    """{(sample name, frozenset of labels): value} of the daemon's own `wakedock_` series."""
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in parse_text(text) if family.name.startswith("wakedock_") for s in family.samples}


def test_the_daemons_own_health_is_exposed_and_is_what_statistics_reports(api):
    base = f"http://127.0.0.1:{api.port}/api/v1/monitoring"
    for _ in range(3):
        assert requests.get(f"{base}/status", timeout=10).status_code == 200
    assert requests.get(f"{base}/metrics/no-such-container/latest", timeout=10).status_code == 404
    before = requests.get(f"{base}/statistics", timeout=10).json()
    text = scrape(api).text
    after = requests.get(f"{base}/statistics", timeout=10).json()
    ours = health(text)
    value = lambda name, **labels: ours.get((name, frozenset(labels.items())))
    # The tick is a real histogram (cumulative buckets up to +Inf, then _sum and _count).
    ticks = value("wakedock_tick_duration_seconds_count")
    assert ticks == value("wakedock_tick_duration_seconds_bucket", le="+Inf") and ticks > 0
    assert value("wakedock_containers_monitored") >= 2
    # One set of counters: what /statistics reported just before and just after the scrape brackets it.
    b, a = before["collector"], after["collector"]
    assert b["ticks"] <= ticks <= a["ticks"]
    assert b["samples_collected"] <= value("wakedock_samples_total") <= a["samples_collected"]
    assert b["read_errors"] <= value("wakedock_read_errors_total") <= a["read_errors"]
    assert before["performance"]["requests"] <= sum(
        v for (name, _), v in ours.items() if name == "wakedock_http_requests_total") <= after["performance"]["requests"]
    assert before["alerts"]["raised"] <= value("wakedock_alerts_raised_total") <= after["alerts"]["raised"]
    assert (before["websocket"]["messages_sent"] <= value("wakedock_websocket_messages_sent_total")
            <= after["websocket"]["messages_sent"])
    assert 0 < a["p99_tick_ms"] <= a["max_tick_ms"] == pytest.approx(value("wakedock_tick_max_duration_seconds") * 1e3)
    # Requests by route pattern (a bounded label set: the path's container is not in it), method and status.
    assert value("wakedock_http_requests_total", route="/api/v1/monitoring/status", method="GET", status="200") >= 3
    assert value("wakedock_http_requests_total", route="/api/v1/monitoring/metrics/{container_id}/latest",
                 method="GET", status="404") >= 1
    assert value("wakedock_store_lines_total", kind="samples") is not None
    # OpenMetrics names a counter family without `_total`, and the strict parser accepts the whole page.
    families = {f.name: f for f in parse_openmetrics(scrape(api, openmetrics=True).text)}
    assert families["wakedock_samples"].type == "counter"
    assert families["wakedock_tick_duration_seconds"].type == "histogram"


def test_labels_and_values_are_cadvisors_and_agree_with_our_json(api, engine):
    burner_id = engine.docker("inspect", "-f", "{{.Id}}", BURNER).stdout.strip()
    # The exposition and the JSON read the same ring: compare them at the same tick.
    for _ in range(20):
        text = scrape(api).text
        latest = requests.get(f"http://127.0.0.1:{api.port}/api/v1/monitoring/metrics/latest", timeout=10).json()
        ours = next(s for s in latest["samples"] if s["container_name"] == BURNER)
        exposed = series(text, None, BURNER)
        if abs(float(exposed["container_last_seen"][1]) - epoch(ours["timestamp"])) < 1e-3:
            break
    else:
        pytest.fail("the JSON and the exposition never showed the same tick")
    labels = next(s.labels for f in parse_text(text) for s in f.samples if s.labels.get("name") == BURNER)
    assert labels == {
        "container_label_com_docker_compose_project": "promtest", "container_label_com_docker_compose_service": "burner",
        "id": labels["id"], "image": IMAGE, "name": BURNER,
    }
    assert labels["id"].endswith(burner_id) or burner_id in labels["id"], labels["id"]
    assert exposed["container_cpu_usage_seconds_total"][0] == pytest.approx(ours["cpu_usage"] / 1e9, abs=1e-9)
    assert exposed["container_memory_working_set_bytes"][0] == ours["memory_usage"]
    # Usage counts the page cache the working set leaves out, as cAdvisor's does.
    assert exposed["container_memory_usage_bytes"][0] == ours["memory_usage_raw"] >= ours["memory_usage"]
    assert exposed["container_spec_memory_limit_bytes"][0] == ours["memory_limit"]
    assert exposed["container_network_receive_bytes_total"][0] == ours["network_rx_bytes"]
    assert exposed["container_network_transmit_bytes_total"][0] == ours["network_tx_bytes"]
    assert exposed["container_processes"][0] == ours["pids"]
    assert exposed["container_fs_reads_bytes_total"][0] == ours["block_read_bytes"]


@pytest.fixture(scope="module")
def prometheus(api, api2):
    """A real Prometheus scraping both daemons every second, each target's address as its `host` label, with
    packaging/prometheus/wakedock-rules.yml evaluated every second."""
    if shutil.which("prometheus") is None:
        pytest.fail("prometheus is not installed: the README's test command installs it")
    root = tempfile.mkdtemp(prefix="wd-prometheus-")
    port = free_port()
    shutil.copy(REPO / "packaging" / "prometheus" / "wakedock-rules.yml", f"{root}/wakedock-rules.yml")
    with open(f"{root}/prometheus.yml", "w") as config:
        config.write(
            "global: {scrape_interval: 1s, evaluation_interval: 1s}\n"
            "rule_files: [wakedock-rules.yml]\n"
            "scrape_configs: [{job_name: wakedock, static_configs: "
            f"[{{targets: ['127.0.0.1:{api.port}', '127.0.0.1:{api2.port}']}}], "
            "relabel_configs: [{source_labels: [__address__], target_label: host}]}]\n")
    process = subprocess.Popen(
        ["prometheus", f"--config.file={root}/prometheus.yml", f"--storage.tsdb.path={root}/data",
         f"--web.listen-address=127.0.0.1:{port}"],
        stdout=subprocess.DEVNULL, stderr=open(f"{root}/prometheus.log", "w"), start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                if requests.get(base + "/-/ready", timeout=2).status_code == 200:
                    break
            except requests.ConnectionError:
                pass
            time.sleep(0.2)
        else:
            pytest.fail("Prometheus never became ready:\n" + open(f"{root}/prometheus.log").read()[-3000:])
        yield base
    finally:
        end_process(process)
        shutil.rmtree(root, ignore_errors=True)


def query(base, expression, at=None):
    params = {"query": expression} if at is None else {"query": expression, "time": at}
    r = requests.get(base + "/api/v1/query", params=params, timeout=10).json()
    assert r["status"] == "success", (expression, r)
    return r["data"]["result"]


def eventually(base, expression, timeout=30):
    """The query's result once it has one (a rule needs an evaluation, a rate two scrapes)."""
    deadline = time.monotonic() + timeout
    while True:
        result = query(base, expression)
        if result or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


def test_a_real_prometheus_scrapes_it_and_its_rate_agrees_with_our_cpu_percent(prometheus, api):
    # One host's series: both daemons are scraped, and which answers first in a result is not fixed.
    host = f"127.0.0.1:{api.port}"
    counter = f'container_cpu_usage_seconds_total{{name="{BURNER}", host="{host}"}}'
    # A rate over a window the series does not fill yet is extrapolated low (by half an interval at each end:
    # 8 s of samples in a 10 s window read 0.8 of the rate), so wait until Prometheus has held the series for
    # longer than the window. Its own samples' times say so (each is its tick's time, not the scrape's, so the
    # rate is taken at the newest sample's time: at the scrape's, the window's end would lack half a second).
    deadline = time.monotonic() + 60
    rate = raw = None
    while time.monotonic() < deadline:
        raw = query(prometheus, f"{counter}[30s]")
        if raw and float(raw[0]["values"][0][0]) <= time.time() - 12:
            newest = raw[0]["values"][-1][0]
            rate = float(query(prometheus, f"rate({counter}[10s]) * 100", at=newest)[0]["value"][1])
            break
        time.sleep(0.5)
    if rate is None:
        targets = requests.get(prometheus + "/api/v1/targets", timeout=10).json()["data"]["activeTargets"]
        pytest.fail(f"Prometheus never had a CPU rate for the burner: samples={raw}, targets=" + json.dumps(
            [(t["scrapeUrl"], t["health"], t["lastError"], t["lastScrapeDuration"]) for t in targets]))
    ours = [s["cpu_percent"] for s in requests.get(
        f"http://127.0.0.1:{api.port}/api/v1/monitoring/metrics", params={"container_id": BURNER, "hours": 0.003},
        timeout=10).json()]
    mean = sum(ours) / len(ours)
    print(f"\nPrometheus rate × 100: {rate:.1f} %, our cpu_percent over the same seconds: {mean:.1f} %")
    assert math.isclose(rate, mean, abs_tol=5), (rate, mean)
    memory = query(prometheus, f'container_memory_working_set_bytes{{name="{BURNER}", host="{host}"}}')
    assert memory and float(memory[0]["value"][1]) > 0


def test_a_removed_container_is_gone_from_the_next_scrape(api, engine):
    assert f'name="{IDLE}"' in scrape(api).text
    engine.remove(IDLE)
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and f'name="{IDLE}"' in scrape(api).text:
        time.sleep(0.2)
    assert f'name="{IDLE}"' not in scrape(api).text


def test_two_hosts_are_told_apart_and_add_up(prometheus, api, api2):
    hosts = eventually(prometheus, "count by (host) (container_last_seen)")
    deadline = time.monotonic() + 30
    while len(hosts) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
        hosts = query(prometheus, "count by (host) (container_last_seen)")
    assert {h["metric"]["host"] for h in hosts} == {f"127.0.0.1:{api.port}", f"127.0.0.1:{api2.port}"}
    one = float(eventually(prometheus, f'container_spec_memory_limit_bytes{{name="{BURNER}", host="127.0.0.1:{api.port}"}}')[0]["value"][1])
    both = float(query(prometheus, f'sum(container_spec_memory_limit_bytes{{name="{BURNER}"}})')[0]["value"][1])
    assert both == 2 * one


def test_the_recording_rules_check_and_record(prometheus):
    rules = REPO / "packaging" / "prometheus" / "wakedock-rules.yml"
    check = subprocess.run(["promtool", "check", "rules", str(rules)], capture_output=True, text=True, timeout=30)
    assert check.returncode == 0, check.stdout + check.stderr
    config = subprocess.run(["promtool", "check", "config", str(rules.parent / "prometheus.yml")],
                            capture_output=True, text=True, timeout=30)
    assert config.returncode == 0, config.stdout + config.stderr
    recorded = [line.split("record:")[1].strip() for line in rules.read_text().splitlines() if "record:" in line]
    assert len(recorded) >= 6
    for name in recorded:
        assert eventually(prometheus, name), f"the rule {name} recorded nothing"
    # Over a minute's window with seconds of data, rate() extrapolates low: only its presence is checked here
    # (test_a_real_prometheus_… checks the same expression's value over a window the data fills).
    burner = eventually(prometheus, f'container:cpu_percent:rate1m{{name="{BURNER}"}}')
    assert float(burner[0]["value"][1]) > 0, burner


def grafana_queries(dashboard):
    """Every PromQL query of the dashboard (panels and variables), its variables set to match everything."""
    def concrete(expression):
        for variable in ("$host", "$service", "$container"):
            expression = expression.replace(variable, ".*")
        return expression.replace("$__rate_interval", "5s")
    panels = [(panel["title"], concrete(target["expr"])) for panel in dashboard["panels"] for target in panel["targets"]]
    variables = [(v["name"], concrete(v["query"]["query"])) for v in dashboard["templating"]["list"] if v["type"] == "query"]
    return panels, variables


def test_every_query_of_the_grafana_dashboard_returns_data(prometheus):
    dashboard = json.loads((REPO / "packaging" / "grafana" / "wakedock.json").read_text())
    panels, variables = grafana_queries(dashboard)
    assert len(panels) >= 10
    for title, expression in panels:
        assert eventually(prometheus, expression), f"panel {title!r}: no data for {expression}"
    for name, expression in variables:
        # label_values(selector, label) is Grafana's: the series API answers it.
        selector, label = expression[len("label_values("):-1].rsplit(",", 1)
        values = requests.get(f"{prometheus}/api/v1/label/{label.strip()}/values", params={"match[]": selector},
                              timeout=10).json()["data"]
        assert values, f"variable {name}: no values for {expression}"
