"""The dashboard against a daemon that wants tokens (issue 16), in a real headless Chromium: the page asks for a
token, keeps it in the tab, and then works — the stream connects (token as the WebSocket subprotocol), the
containers and the history chart load, collection stops and starts with an admin token — and a limited
token shows only its containers. Screenshot of the prompt in $WAKEDOCK_ARTIFACTS."""

from __future__ import annotations

import os
import subprocess

import pytest

from browser import Browser
from conftest import free_port, start_api_daemon, wait_discovered

ARTIFACTS = os.environ.get("WAKEDOCK_ARTIFACTS", "/tmp/wakedock-artifacts")
SECRET = "a-dashboard-secret-long-enough-for-hs256-0123"
CONTAINERS = {"wd-dauth-web": "web", "wd-dauth-db": "db"}


def mint(binary, *args):
    out = subprocess.run([binary, "token", *args], env={"WAKEDOCK_JWT_SECRET": SECRET}, capture_output=True, text=True, timeout=30)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip()


@pytest.fixture(scope="module")
def daemon(engine, binary):
    for name, service in CONTAINERS.items():
        engine.run(name, "exec sleep 100000", "--label", f"com.docker.compose.service={service}")
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket, "WAKEDOCK_JWT_SECRET": SECRET}, "--interval", "0.5")
    try:
        wait_discovered(api, CONTAINERS)
        yield api
    finally:
        api.daemon.stop()
        engine.remove(*CONTAINERS)


def open_page(api):
    browser = Browser(free_port())
    browser.viewport(1280, 800)
    browser.navigate(f"http://127.0.0.1:{api.port}/")
    return browser


def enter(browser, token):
    browser.evaluate(f"document.getElementById('token-input').value = {token!r};"
                     "document.getElementById('token-form').requestSubmit(); 1")


def cards(browser):
    return browser.evaluate("[...document.querySelectorAll('#groups .name')].map((e) => e.textContent).sort()")


def test_the_page_asks_for_a_token_then_works(daemon, binary):
    browser = open_page(daemon)
    try:
        assert browser.wait_for("document.getElementById('token-dialog').open")
        os.makedirs(ARTIFACTS, exist_ok=True)
        browser.screenshot(os.path.join(ARTIFACTS, "dashboard-token-prompt.png"))
        # A wrong token: the dialog comes back and says so.
        enter(browser, "not.a.token")
        assert browser.wait_for("document.getElementById('token-dialog').open && "
                                "document.getElementById('token-message').textContent.includes('refusé')")
        enter(browser, mint(binary, "--scope", "monitoring:admin"))
        assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'", timeout=15)
        assert browser.wait_for("document.querySelectorAll('#groups .name').length >= 2", timeout=10)
        assert set(CONTAINERS) <= set(cards(browser))
        assert browser.evaluate("sessionStorage.getItem('wakedock.token') !== null")
        # The thresholds came through the API with the token.
        assert browser.wait_for("document.getElementById('threshold-table').tBodies[0].rows.length >= 2", timeout=10)
        assert browser.evaluate("document.getElementById('threshold-message').textContent") == ""
        browser.evaluate("document.getElementById('toggle-collection').click(); 1")
        assert browser.wait_for("document.getElementById('status-running').textContent.toLowerCase().includes('arr')", timeout=10)
        browser.evaluate("document.getElementById('toggle-collection').click(); 1")
        assert browser.wait_for("!document.getElementById('status-running').textContent.toLowerCase().includes('arr')", timeout=10)
        # No script error; the only failed loads are the 401s that asked for the token (and the refused upgrade).
        assert not browser.errors(network=False), browser.errors(network=False)
    finally:
        browser.close()


def test_a_token_limited_to_a_service_shows_only_it(daemon, binary):
    browser = open_page(daemon)
    try:
        assert browser.wait_for("document.getElementById('token-dialog').open")
        enter(browser, mint(binary, "--scope", "monitoring:read", "--service", "web"))
        assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'", timeout=15)
        assert browser.wait_for("document.querySelectorAll('#groups .name').length >= 1", timeout=10)
        browser.pump(1.5)
        assert cards(browser) == ["wd-dauth-web"]
    finally:
        browser.close()


def test_a_token_left_in_the_tab_does_not_stop_a_daemon_without_authentication(engine, binary):
    """The page offers the `bearer` subprotocol whenever it holds a token; a daemon without authentication
    chooses it all the same (a browser fails a handshake whose server chooses none of the offered ones)."""
    api = start_api_daemon(binary, {"WAKEDOCK_DOCKER_SOCKET": engine.socket}, "--interval", "0.5")
    browser = None
    try:
        browser = open_page(api)
        assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'", timeout=15)
        browser.evaluate("sessionStorage.setItem('wakedock.token', 'left-over.from.another.daemon'); location.reload(); 1")
        browser.pump(1)
        assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'", timeout=15)
        assert not browser.evaluate("document.getElementById('token-dialog').open")
    finally:
        if browser is not None:
            browser.close()
        api.daemon.stop()


def test_a_token_without_reading_asks_again_and_a_blank_entry_is_refused(daemon, binary):
    browser = open_page(daemon)
    try:
        assert browser.wait_for("document.getElementById('token-dialog').open")
        enter(browser, "   ")
        assert browser.wait_for("document.getElementById('token-message').textContent.includes('vide')")
        enter(browser, mint(binary, "--scope", "metrics:scrape"))
        assert browser.wait_for("document.getElementById('token-dialog').open && "
                                "document.getElementById('token-message').textContent.includes('lire')")
        # Escape does not leave the page without a way in.
        browser.evaluate("document.getElementById('token-dialog').dispatchEvent(new Event('cancel', {cancelable: true})); 1")
        assert browser.evaluate("document.getElementById('token-dialog').open")
        enter(browser, mint(binary, "--scope", "monitoring:read"))
        assert browser.wait_for("document.getElementById('connection').dataset.state === 'open'", timeout=15)
    finally:
        browser.close()
