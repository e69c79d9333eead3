"""The dashboard (issue 14, first step) in a real headless Chromium against the real daemon and real
containers: it loads with no console error and asks nothing of any other host, connects by itself, shows the
containers by name under their compose service and the daemon's status, updates in place within two ticks,
fits a phone's width, and is captured at both sizes in both colour schemes (artefacts in
$WAKEDOCK_ARTIFACTS, default /tmp/wakedock-artifacts)."""

from __future__ import annotations

import glob
import json
import os
import tempfile
import time
from urllib.parse import urlparse

import pytest
import requests

from browser import Browser
from conftest import free_port, start_api_daemon, wait_discovered

ARTIFACTS = os.environ.get("WAKEDOCK_ARTIFACTS", "/tmp/wakedock-artifacts")
CONTAINERS = {
    "wd-dash-web": ("shop", "web", "exec sleep 100000"),
    "wd-dash-api": ("shop", "web", "exec sleep 100000"),
    "wd-dash-db": ("shop", "db", "exec sleep 100000"),
    "wd-dash-burn": ("batch", "worker", "while :; do :; done"),
}


@pytest.fixture(scope="module")
def page(engine, binary):
    for name, (project, service, script) in CONTAINERS.items():
        options = ["--label", f"com.docker.compose.project={project}", "--label", f"com.docker.compose.service={service}"]
        if name == "wd-dash-burn":
            options += ["--cpus", "0.3"]
        engine.run(name, script, *options)
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--interval", "0.5")
    browser = None
    try:
        wait_discovered(api, CONTAINERS)
        browser = Browser(free_port())
        browser.viewport(1280, 800)
        browser.navigate(f"http://127.0.0.1:{api.port}/")
        yield browser, api
    finally:
        if browser is not None:
            browser.close()
        api.daemon.stop()
        engine.remove(*CONTAINERS)


def test_it_loads_connects_and_asks_nothing_of_other_hosts(page):
    browser, api = page
    assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'"), "never connected"
    assert browser.wait_for("document.getElementById('status-running').textContent === 'en cours'")
    assert browser.evaluate("document.getElementById('status-interval').textContent") == "0.5 s"
    assert browser.wait_for("document.getElementById('status-p99').textContent.endsWith(' ms')")
    browser.pump(1)
    assert browser.errors() == []
    hosts = {urlparse(url).netloc for url in browser.requested_urls()}
    assert hosts == {f"127.0.0.1:{api.port}"}, hosts


def test_containers_appear_by_name_under_their_service(page):
    browser, _ = page
    expression = """JSON.stringify([...document.querySelectorAll('.group')].map(g =>
        [g.dataset.service, [...g.querySelectorAll('.name')].map(n => n.textContent)]))"""
    assert browser.wait_for(f"JSON.parse({expression}).flatMap(g => g[1]).length === {len(CONTAINERS)}")
    groups = dict((service, names) for service, names in json.loads(browser.evaluate(expression)))
    assert groups == {"web": ["wd-dash-api", "wd-dash-web"], "db": ["wd-dash-db"], "worker": ["wd-dash-burn"]}


def test_a_value_changes_within_two_ticks(page):
    browser, _ = page
    cpu = "[...document.querySelectorAll('.card')].find(c => c.querySelector('.name').textContent === 'wd-dash-burn').querySelector('.cpu').textContent"
    first = browser.wait_for(cpu)
    started = time.monotonic()
    changed = browser.wait_for(f"{cpu} !== {first!r}", timeout=1.0)
    assert changed, f"the burner's CPU stayed {first} for two ticks"
    print(f"\nburner CPU {first} → {browser.evaluate(cpu)} after {time.monotonic() - started:.2f} s")


def test_phone_width_has_no_horizontal_scroll_and_screenshots(page):
    browser, _ = page
    os.makedirs(ARTIFACTS, exist_ok=True)
    for (width, height, mobile), scheme in [((1280, 800, False), "light"), ((1280, 800, False), "dark"),
                                            ((390, 844, True), "light"), ((390, 844, True), "dark")]:
        browser.viewport(width, height, mobile=mobile, scheme=scheme)
        browser.pump(0.6)
        assert browser.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (width, scheme)
        browser.screenshot(os.path.join(ARTIFACTS, f"dashboard-{width}x{height}-{scheme}.png"))
    assert browser.errors() == []


def test_stop_and_start_from_the_page_change_the_status(page):
    browser, api = page
    assert browser.wait_for("!document.getElementById('toggle-collection').disabled")
    browser.evaluate("document.getElementById('toggle-collection').click()")
    assert browser.wait_for("document.getElementById('status-running').textContent === 'arrêtée'")
    assert api.get("/status").json()["monitoring"]["is_running"] is False
    browser.evaluate("document.getElementById('toggle-collection').click()")
    assert browser.wait_for("document.getElementById('status-running').textContent === 'en cours'")
    assert api.get("/status").json()["monitoring"]["is_running"] is True


def submit_threshold(browser, metric, scope, target, warning, critical):
    browser.evaluate(f"""(() => {{
        document.getElementById('threshold-metric').value = {metric!r};
        const scope = document.getElementById('threshold-scope');
        scope.value = {scope!r};
        scope.dispatchEvent(new Event('change'));
        document.getElementById('threshold-target').value = {target!r};
        document.getElementById('threshold-warning').value = {warning!r};
        document.getElementById('threshold-critical').value = {critical!r};
        document.getElementById('threshold-message').textContent = '';
        document.getElementById('threshold-form').requestSubmit();
    }})()""")
    return browser.wait_for("document.getElementById('threshold-message').textContent")


def test_a_threshold_edited_in_the_page_is_what_the_api_returns_and_a_bad_one_shows_why(page):
    browser, api = page
    said = submit_threshold(browser, "cpu_percent", "service", "web", "55", "77")
    assert said == "Seuil cpu_percent mis à jour avec succès", said
    overrides = api.get("/thresholds").json()["overrides"]
    assert {"metric_type": "cpu_percent", "service_name": "web", "warning": 55, "critical": 77} \
        .items() <= next(o for o in overrides if o.get("service_name") == "web").items()
    assert browser.wait_for("document.getElementById('threshold-table').textContent.includes('service web')")
    before = api.get("/thresholds").json()
    said = submit_threshold(browser, "memory_percent", "global", "", "90", "80")
    detail = requests.put(api.url("/thresholds/memory_percent"), timeout=10, json={
        "metric_type": "memory_percent", "warning_threshold": 90, "critical_threshold": 80}).json()["detail"]
    assert said == detail and browser.evaluate("document.getElementById('threshold-message').className") == "message error"
    assert api.get("/thresholds").json() == before


def visible_names(browser):
    return browser.evaluate("[...document.querySelectorAll('.card')].filter(c => !c.hidden && !c.closest('.group').hidden)"
                            ".map(c => c.querySelector('.name').textContent).sort()")


def test_the_export_downloads_what_is_shown(page):
    browser, _ = page
    browser.evaluate("(() => { const f = document.getElementById('filter'); f.value = 'web';"
                     " f.dispatchEvent(new Event('input')); })()")
    shown = visible_names(browser)
    assert shown == ["wd-dash-api", "wd-dash-web"], shown
    directory = tempfile.mkdtemp(prefix="wd-downloads-")
    browser.allow_downloads(directory)
    browser.evaluate("document.getElementById('export').click()")
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and not glob.glob(os.path.join(directory, "*.json")):
        time.sleep(0.1)
    files = glob.glob(os.path.join(directory, "*.json"))
    assert files, "nothing was downloaded"
    document = json.loads(open(files[0]).read())
    assert sorted(c["latest"]["container_name"] for c in document["containers"]) == shown
    assert document["filter"]["text"] == "web"


def test_filters_are_kept_in_the_url_across_a_reload(page):
    browser, api = page
    # (Not "db": container ids are hexadecimal, and the filter matches ids too.)
    browser.evaluate("(() => { const f = document.getElementById('filter'); f.value = 'dash-db';"
                     " f.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate("location.search") == "?q=dash-db"
    assert visible_names(browser) == ["wd-dash-db"]
    browser.navigate(f"http://127.0.0.1:{api.port}/?q=dash-db")
    assert browser.wait_for("document.querySelectorAll('.card').length === 4")
    assert browser.evaluate("document.getElementById('filter').value") == "dash-db"
    assert visible_names(browser) == ["wd-dash-db"]
    browser.evaluate("(() => { const f = document.getElementById('filter'); f.value = '';"
                     " f.dispatchEvent(new Event('input')); })()")
    assert browser.evaluate("location.search") == ""


def test_the_1h_chart_has_points_from_before_the_page_was_opened_and_goes_on_live(page):
    browser, api = page
    # Two whole 12-second steps of history before the page opens (the daemon collects every 0.5 s).
    ticks = api.get("/statistics").json()["collector"]["ticks"]
    time.sleep(max(0.0, 26 - ticks * 0.5))
    opened = time.time() * 1000
    browser.navigate(f"http://127.0.0.1:{api.port}/?chart=c:wd-dash-burn&metric=cpu_percent&window=3600")
    assert browser.wait_for("!window.wakedock.chartState().loading && "
                            "(window.wakedock.chartState().series['wd-dash-burn'] || []).length >= 2")
    chart = browser.evaluate("JSON.stringify(window.wakedock.chartState())")
    points = json.loads(chart)["series"]["wd-dash-burn"]
    before = [p for p in points if p["t"] + 12_000 <= opened]
    assert before and sum(p["n"] for p in before) >= 20, points  # whole steps of samples from the REST history
    assert all(0 <= p["v"] <= 100 for p in points)
    assert browser.evaluate("document.getElementById('history-subject').value") == "c:wd-dash-burn"
    # The canvas has a line on it, and says what it shows.
    painted = browser.evaluate("""(() => { const c = document.getElementById('history-chart');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < d.length; i += 4) if (d[i] > 0) n += 1; return n; })()""")
    assert painted > 500, painted
    assert "wd-dash-burn" in browser.evaluate("document.getElementById('history-chart').getAttribute('aria-label')")
    # Live samples extend it: the newest step gathers samples (or a new step starts).
    newest = points[-1]
    assert browser.wait_for(f"""(() => {{ const p = window.wakedock.chartState().series['wd-dash-burn'];
        const last = p[p.length - 1]; return last.t > {newest["t"]} || last.n > {newest["n"]}; }})()""", timeout=5)
    # The burner over 5 minutes, captured (steps of a second).
    browser.evaluate("""(() => { const w = document.getElementById('history-window'); w.value = '300';
        w.dispatchEvent(new Event('change')); })()""")
    assert browser.wait_for("!window.wakedock.chartState().loading && window.wakedock.chartState().window === 300 && "
                            "(window.wakedock.chartState().series['wd-dash-burn'] || []).length >= 20")
    os.makedirs(ARTIFACTS, exist_ok=True)
    browser.viewport(1280, 800)
    browser.evaluate("document.getElementById('history-title').scrollIntoView()")
    browser.pump(0.6)
    browser.screenshot(os.path.join(ARTIFACTS, "dashboard-chart-1280x800.png"))
    # A whole service: one line per container; the choice is in the URL.
    browser.evaluate("""(() => { const s = document.getElementById('history-subject'); s.value = 's:web';
        s.dispatchEvent(new Event('change')); })()""")
    assert browser.wait_for("Object.keys(window.wakedock.chartState().series).sort().join() === 'wd-dash-api,wd-dash-web'")
    assert browser.evaluate("location.search") == "?chart=s%3Aweb&metric=cpu_percent&window=300"
    # A made-up window or metric in a shared link falls back to the defaults, without a script error.
    browser.navigate(f"http://127.0.0.1:{api.port}/?chart=c:wd-dash-burn&metric=__proto__&window=constructor")
    assert browser.wait_for("!window.wakedock.chartState().loading && "
                            "(window.wakedock.chartState().series['wd-dash-burn'] || []).length >= 1")
    fallback = json.loads(browser.evaluate("JSON.stringify(window.wakedock.chartState())"))
    assert (fallback["window"], fallback["metric"]) == (3600, "cpu_percent")
    browser.navigate(f"http://127.0.0.1:{api.port}/")
    # (The threshold test's refusal is a network error on record by now: that answer is expected.)
    assert browser.errors(network=False) == []


def test_alerts_arrive_are_listed_as_active_and_filter_by_level(page):
    browser, api = page
    for container, metric, level, value in [("wd-dash-web", "cpu_percent", "critical", 97),
                                            ("wd-dash-db", "memory_percent", "warning", 85)]:
        r = api.post("/test/alert", json={"container_id": container, "metric_type": metric, "level": level, "value": value})
        assert r.status_code == 200, r.text
    recent = "[...document.querySelectorAll('#alerts li')].filter(li => !li.hidden).map(li => li.dataset.level + ' ' + li.querySelector('.who').textContent)"
    active = "[...document.querySelectorAll('#active-alerts li[data-level]')].filter(li => !li.hidden).map(li => li.textContent)"
    assert browser.wait_for(f"{recent}.length >= 2"), "the alerts never reached the page"
    assert {"critical wd-dash-web", "warning wd-dash-db"} <= set(browser.evaluate(recent))
    assert browser.evaluate(active) == ["wd-dash-webcpu_percent — critique", "wd-dash-dbmemory_percent — avertissement"]
    assert browser.evaluate("document.querySelector('#alerts li.critical span:last-child').textContent") \
        == "CPU critique: 97.0% (seuil: 90%)"
    browser.evaluate("(() => { const s = document.getElementById('alert-level'); s.value = 'critical';"
                     " s.dispatchEvent(new Event('change')); })()")
    assert set(browser.evaluate(recent)) == {"critical wd-dash-web"}
    assert browser.evaluate(active) == ["wd-dash-webcpu_percent — critique"]
    browser.evaluate("(() => { const s = document.getElementById('alert-level'); s.value = '';"
                     " s.dispatchEvent(new Event('change')); })()")
    assert len(browser.evaluate(active)) == 2


def test_the_keyboard_reaches_every_control(page):
    browser, _ = page
    controls = {"filter", "service-filter", "toggle-collection", "export", "export-jsonl", "threshold-metric",
                "threshold-scope", "threshold-warning", "threshold-critical", "alert-level"}
    browser.evaluate("document.activeElement && document.activeElement.blur()")
    reached = []
    for _ in range(40):
        browser.press_tab()
        reached.append(browser.evaluate("document.activeElement.id || document.activeElement.textContent"))
    assert controls <= set(reached), controls - set(reached)
    assert "Enregistrer" in reached
    labelled = browser.evaluate("[...document.querySelectorAll('input, select')].every(e => e.closest('label'))")
    assert labelled, "every field sits in its label"
    # The refused threshold's 400 is the one HTTP error the page met (and showed); no script error at all.
    assert browser.errors(network=False) == []



def test_a_threshold_crossed_by_the_burner_shows_an_alert_within_two_ticks(page):
    """A real crossing, not a test alert: the burner (about 30 % of a core) against a per-container CPU
    threshold of 5/10 %. The alert reaches the page within two ticks (0.5 s each) of the threshold being set."""
    browser, api = page
    burner_alert = ("[...document.querySelectorAll('#alerts li')].some(li => li.dataset.level === 'critical' && "
                    "li.querySelector('.who').textContent === 'wd-dash-burn')")
    assert browser.evaluate(burner_alert) is False
    try:
        r = api.put("/thresholds/cpu_percent", json={"metric_type": "cpu_percent", "warning_threshold": 5,
                                                     "critical_threshold": 10, "enabled": True,
                                                     "container_id": "wd-dash-burn"})
        assert r.status_code == 200, r.text
        set_at = time.monotonic()
        assert browser.wait_for(burner_alert, timeout=3), "no alert for the burner in the page"
        elapsed = time.monotonic() - set_at
        print(f"\nthreshold set → alert in the page: {elapsed * 1000:.0f} ms")
        # Two ticks, plus the harness' own polling (0.1 s) and a loaded machine's slack.
        assert elapsed <= 2 * 0.5 + 0.3, f"{elapsed:.2f} s"
        assert browser.wait_for("[...document.querySelectorAll('#active-alerts li[data-level]')]"
                                ".some(li => li.textContent.startsWith('wd-dash-burn'))")
    finally:
        api.delete("/thresholds/cpu_percent", params={"container_id": "wd-dash-burn"})
