"""Headless Chromium (Debian's ``chromium``) driven over the Chrome DevTools Protocol, for the
tests that look at the hub's pages in a real browser.

Chromium is started with the flags for a closed network and a fresh profile. The protocol's
websocket is spoken by the small client below (standard library only), so the tests need no extra
package. :func:`screenshot` saves a PNG and a copy under ``HUBKIT_SCREENSHOT_DIR`` (or the temp
dir) for people to look at.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import shutil
import socket
import struct
import subprocess
import tempfile
import time
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any, Iterator

import pytest

CHROMIUM = Path(os.environ.get("HUBKIT_CHROMIUM") or shutil.which("chromium") or "chromium")
# Where a copy of each screenshot goes for people to look at (kept out of pytest's tmp dirs).
SCREENSHOT_DIR = Path(os.environ.get("HUBKIT_SCREENSHOT_DIR", tempfile.gettempdir()))
CLOSED_NETWORK_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                        "--disable-background-networking", "--disable-component-update", "--disable-sync"]

needs_chromium = pytest.mark.skipif(not CHROMIUM.exists(), reason="Debian's chromium is not installed (or set "
                                                                 "HUBKIT_CHROMIUM) (apt-get install -y chromium)")


class DevTools:
    """A Chrome DevTools Protocol session over one websocket (RFC 6455, text frames, client-masked)."""

    def __init__(self, ws_url: str, timeout: float = 60.0):
        url = urllib.parse.urlparse(ws_url)
        self.sock = socket.create_connection((url.hostname, url.port), timeout=timeout)
        key = base64.b64encode(os.urandom(16)).decode()
        self.sock.sendall((f"GET {url.path} HTTP/1.1\r\nHost: {url.hostname}:{url.port}\r\nUpgrade: websocket\r\n"
                           f"Connection: Upgrade\r\nSec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n\r\n").encode())
        head = b""
        while b"\r\n\r\n" not in head:
            head += self._exact(1)
        assert head.split(b"\r\n")[0].split(b" ")[1] == b"101", head
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def _exact(self, n: int) -> bytes:
        data = b""
        while len(data) < n:
            chunk = self.sock.recv(n - len(data))
            if not chunk:
                raise ConnectionError("DevTools closed the websocket")
            data += chunk
        return data

    def _send(self, text: str, opcode: int = 0x1) -> None:
        payload = text.encode()
        n = len(payload)
        length = bytes([0x80 | n]) if n < 126 else (bytes([0x80 | 126]) + struct.pack(">H", n) if n < 65536
                                                     else bytes([0x80 | 127]) + struct.pack(">Q", n))
        mask = os.urandom(4)
        masked = bytes(b ^ mask[i % 4] for i, b in enumerate(payload))
        self.sock.sendall(bytes([0x80 | opcode]) + length + mask + masked)

    def _message(self) -> dict[str, Any]:
        parts = []
        while True:
            first, second = self._exact(2)
            n = second & 0x7F
            if n == 126:
                n = struct.unpack(">H", self._exact(2))[0]
            elif n == 127:
                n = struct.unpack(">Q", self._exact(8))[0]
            data = self._exact(n)  # the server does not mask its frames
            opcode = first & 0x0F
            if opcode == 0x8:
                raise ConnectionError("DevTools closed the websocket")
            if opcode == 0x9:
                self._send(data.decode(errors="replace"), opcode=0xA)
                continue
            parts.append(data)
            if first & 0x80:
                return json.loads(b"".join(parts))

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        self._send(json.dumps({"id": self.next_id, "method": method, "params": params}))
        while True:
            message = self._message()
            if message.get("id") == self.next_id:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def wait_event(self, method: str) -> dict[str, Any]:
        while True:
            found = [e for e in self.events if e.get("method") == method]
            if found:
                return found[0]
            self.events.append(self._message())

    def js(self, expression: str) -> Any:
        result = self.call("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise RuntimeError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click(self, selector: str) -> None:
        """A real mouse click (pressed + released) at the centre of the element."""
        box = self.js(f"(() => {{ const el = document.querySelector({json.dumps(selector)}); el.scrollIntoView();"
                      "const r = el.getBoundingClientRect(); return [r.x + r.width / 2, r.y + r.height / 2]; })()")
        for kind in ("mousePressed", "mouseReleased"):
            self.call("Input.dispatchMouseEvent", type=kind, x=box[0], y=box[1], button="left", clickCount=1)


@contextlib.contextmanager
def chromium(scratch: Path) -> Iterator[DevTools]:
    """Debian's chromium, headless, with a fresh profile; yields a DevTools session on its blank page."""
    profile = scratch / "chromium-profile"
    profile.mkdir()
    log = open(scratch / "chromium.log", "wb")
    process = subprocess.Popen([str(CHROMIUM), *CLOSED_NETWORK_FLAGS, f"--user-data-dir={profile}",
                                "--remote-debugging-port=0", "about:blank"], stdout=log, stderr=subprocess.STDOUT)
    try:
        port_file = profile / "DevToolsActivePort"
        deadline = time.monotonic() + 60
        while not (port_file.is_file() and port_file.read_text().strip()) and time.monotonic() < deadline:
            assert process.poll() is None, (scratch / "chromium.log").read_text()
            time.sleep(0.1)
        port = int(port_file.read_text().split()[0])
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/json/list", timeout=30) as response:
            pages = [t for t in json.load(response) if t["type"] == "page"]
        session = DevTools(pages[0]["webSocketDebuggerUrl"])
        yield session
        session.sock.close()
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()


def open_page(page: DevTools, url: str, width: int = 1280, height: int = 720) -> None:
    """Navigate to ``url`` at a fixed viewport, with network events recorded, and wait for load."""
    page.call("Network.enable")
    page.call("Page.enable")
    page.call("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1, mobile=False)
    page.call("Page.navigate", url=url)
    page.wait_event("Page.loadEventFired")


def requested_urls(page: DevTools) -> list[str]:
    return [e["params"]["request"]["url"] for e in page.events if e.get("method") == "Network.requestWillBeSent"]


def wait_for(page: DevTools, expression: str, timeout: float = 30.0) -> Any:
    """Poll a JavaScript expression until it is truthy (the page fills itself asynchronously)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.js(expression)
        if value or time.monotonic() > deadline:
            assert value, f"timed out waiting for {expression}"
            return value
        time.sleep(0.1)


def screenshot(page: DevTools, path: Path) -> Path:
    """The whole page as a PNG at ``path``; a copy of the same name goes to ``SCREENSHOT_DIR``."""
    shot = base64.b64decode(page.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)["data"])
    path.write_bytes(shot)
    SCREENSHOT_DIR.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, SCREENSHOT_DIR / path.name)
    return path
