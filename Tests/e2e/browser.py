"""A real headless Chromium (Debian's), driven over the DevTools protocol: navigate, evaluate, emulate a
viewport or a colour scheme, take screenshots, and record what the page logged and requested."""

from __future__ import annotations

import base64
import itertools
import json
import shutil
import subprocess
import tempfile
import time

import requests
import websocket

from processes import end_process


class BrowserError(RuntimeError):
    pass


class Browser:
    def __init__(self, port: int) -> None:
        exe = shutil.which("chromium")
        if exe is None:
            raise BrowserError("chromium is not installed: the README's test command installs it")
        self.profile = tempfile.mkdtemp(prefix="wd-chromium-")
        self.process = subprocess.Popen(
            [exe, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run", "--no-default-browser-check",
             "--disable-extensions", "--disable-background-networking", "--disable-sync", "--disable-component-update",
             "--disable-default-apps", "--metrics-recording-only", "--remote-allow-origins=*",
             f"--remote-debugging-port={port}", f"--user-data-dir={self.profile}", "about:blank"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
        deadline = time.monotonic() + 30
        page = None
        while time.monotonic() < deadline and page is None:
            try:
                targets = requests.get(f"http://127.0.0.1:{port}/json/list", timeout=2).json()
                page = next((t for t in targets if t.get("type") == "page"), None)
            except (requests.ConnectionError, ValueError):
                pass
            time.sleep(0.2)
        if page is None:
            self.close()
            raise BrowserError("Chromium's DevTools endpoint never answered")
        self.socket = websocket.create_connection(page["webSocketDebuggerUrl"], timeout=30, suppress_origin=True)
        self.ids = itertools.count(1)
        self.events: list[dict] = []
        for domain in ("Page", "Runtime", "Log", "Network"):
            self.call(f"{domain}.enable")

    def call(self, method: str, **params) -> dict:
        message_id = next(self.ids)
        self.socket.send(json.dumps({"id": message_id, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv())
            if message.get("id") == message_id:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def pump(self, seconds: float) -> None:
        """Collects events for a while (the page keeps running meanwhile)."""
        deadline = time.monotonic() + seconds
        while time.monotonic() < deadline:
            self.evaluate("0")
            time.sleep(0.05)

    def navigate(self, url: str) -> None:
        seen = len(self.events)
        self.call("Page.navigate", url=url)
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            if any(e.get("method") == "Page.loadEventFired" for e in self.events[seen:]):
                return
            self.pump(0.1)
        raise BrowserError(f"{url} never finished loading")

    def press_tab(self) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            self.call("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9)

    def allow_downloads(self, directory: str) -> None:
        self.call("Page.setDownloadBehavior", behavior="allow", downloadPath=directory)

    def evaluate(self, expression: str):
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def wait_for(self, expression: str, timeout: float = 10):
        """The expression's value once it is truthy."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.evaluate(expression)
            if value or time.monotonic() > deadline:
                return value
            time.sleep(0.1)

    def viewport(self, width: int, height: int, mobile: bool = False, scheme: str = "light") -> None:
        self.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=mobile)
        self.call("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": scheme}])

    def screenshot(self, path: str) -> None:
        data = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=False)["data"]
        with open(path, "wb") as out:
            out.write(base64.b64decode(data))

    def errors(self, network: bool = True) -> list[str]:
        """Console errors, uncaught exceptions and browser-logged errors so far; `network=False` leaves out
        the browser's note of an HTTP error status (an answer the page asked for and handles)."""
        out = []
        for e in self.events:
            method, params = e.get("method"), e.get("params", {})
            if method == "Runtime.exceptionThrown":
                out.append(json.dumps(params.get("exceptionDetails", {}))[:500])
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                out.append(json.dumps(params.get("args", []))[:500])
            elif method == "Log.entryAdded" and params.get("entry", {}).get("level") == "error":
                if network or params["entry"].get("source") != "network":
                    out.append(params["entry"].get("text", "")[:500])
        return out

    def requested_urls(self) -> list[str]:
        """Every URL the page asked for: documents, scripts, fetches and WebSockets."""
        urls = []
        for e in self.events:
            if e.get("method") == "Network.requestWillBeSent":
                urls.append(e["params"]["request"]["url"])
            elif e.get("method") == "Network.webSocketCreated":
                urls.append(e["params"]["url"])
        return urls

    def close(self) -> None:
        try:
            self.socket.close()
        except Exception:  # noqa: BLE001 — closing what may never have opened
            pass
        end_process(self.process)
        shutil.rmtree(self.profile, ignore_errors=True)
