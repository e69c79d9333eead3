"""The dashboard (issue 14, first step) in a real headless Chromium against the real daemon and real
containers: it loads with no console error and asks nothing of any other host, connects by itself, shows the
containers by name under their compose service and the daemon's status, updates in place within two ticks,
fits a phone's width, and is captured at both sizes in both colour schemes (artefacts in
$WAKEDOCK_ARTIFACTS, default /tmp/wakedock-artifacts)."""

from __future__ import annotations

import os
import time
from urllib.parse import urlparse

import pytest

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
    import json
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
