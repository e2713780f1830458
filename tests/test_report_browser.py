"""``report.html`` in a real browser: headless Chromium renders it, every image loads,
the screenshot is not blank, and the page asks for nothing beyond ``file:`` and ``data:``.

Chromium is driven over the DevTools protocol on a pipe (``--remote-debugging-pipe``:
NUL-terminated JSON on file descriptors 3 and 4), so the test needs no websocket
library and no port. ``Runtime.evaluate`` runs outside the page's Content-Security-
Policy, so the report is checked exactly as written (it carries no script itself).

Chromium is Debian's ``chromium`` package; ``.ci/run`` installs it when missing.
Without it this test fails (it does not skip), so CI cannot pass unchecked; set
``LONGCOT_CHROMIUM`` to another Chromium-family binary.
"""

from __future__ import annotations

import base64
import contextlib
import io
import json
import os
import select
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from matplotlib.image import imread

from analyze_fixtures import make_eval, make_sample, make_sft
from longcot.analyze import write_report

WIDTH, HEIGHT = 1280, 2000


def chromium_binary() -> str:
    """The browser to use; fails with the install command when there is none."""
    env = os.environ.get("LONGCOT_CHROMIUM")
    for name in [env] if env else ["chromium", "chromium-browser", "google-chrome"]:
        found = shutil.which(name)
        if found:
            return found
    raise AssertionError(
        "headless Chromium is needed for the report's browser check and was not found: "
        "apt-get install -y chromium (or set LONGCOT_CHROMIUM to a Chromium binary)"
    )


# Chromium reads the protocol from fd 3 and writes to fd 4. This launcher moves the two
# pipe ends there (through copies above 9, so neither overwrites the other when one of
# them already is 3 or 4) and then becomes Chromium.
_ONTO_3_AND_4 = """
import fcntl, os, sys
r, w = (fcntl.fcntl(int(fd), fcntl.F_DUPFD, 10) for fd in sys.argv[1:3])
os.dup2(r, 3)
os.dup2(w, 4)
os.execv(sys.argv[3], sys.argv[3:])
"""


class DevTools:
    """A minimal DevTools-protocol client over Chromium's debugging pipe."""

    def __init__(self, binary: str, profile: Path) -> None:
        cmd_r, self._cmd_w = os.pipe()  # we write commands; Chromium reads fd 3
        self._out_r, out_w = os.pipe()  # Chromium writes replies on fd 4
        flags = [
            "--headless",
            "--no-sandbox",  # CI containers run as root
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
            "--disable-extensions",
            "--hide-scrollbars",
            f"--user-data-dir={profile}",
            f"--window-size={WIDTH},{HEIGHT}",
            "--remote-debugging-pipe",
            "about:blank",
        ]
        self.proc = subprocess.Popen(
            [sys.executable, "-c", _ONTO_3_AND_4, str(cmd_r), str(out_w), binary, *flags],
            pass_fds=(cmd_r, out_w),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        os.close(cmd_r)
        os.close(out_w)
        self._buf = b""
        self._id = 0
        self.events: list[dict] = []

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError("Chromium did not answer in time")
            ready, _, _ = select.select([self._out_r], [], [], left)
            if ready:
                chunk = os.read(self._out_r, 1 << 20)
                if not chunk:
                    err = self.proc.stderr.read().decode(errors="replace")[-2000:]
                    raise AssertionError(f"Chromium closed the pipe; its stderr:\n{err}")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def call(self, method: str, session: str | None = None, timeout: float = 30, **params):
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params}
        if session:
            msg["sessionId"] = session
        os.write(self._cmd_w, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._id:
                if "error" in reply:
                    raise AssertionError(f"{method}: {reply['error']}")
                return reply["result"]
            self.events.append(reply)

    def wait_event(self, method: str, timeout: float = 30) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for i, e in enumerate(self.events):
                if e.get("method") == method:
                    return self.events.pop(i)
            self.events.append(self._read_message(deadline))

    def close(self) -> None:
        with contextlib.suppress(AssertionError, OSError):  # it may already be gone
            self.call("Browser.close", timeout=5)
        try:
            self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        os.close(self._cmd_w)
        os.close(self._out_r)


def render(html: Path, profile: Path) -> tuple[list[dict], np.ndarray, list[str]]:
    """Load ``html`` and return its images' load state, a screenshot (RGB array) and every
    URL the page requested."""
    browser = DevTools(chromium_binary(), profile)
    try:
        target = browser.call("Target.createTarget", url="about:blank")["targetId"]
        session = browser.call("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        browser.call("Page.enable", session)
        browser.call("Network.enable", session)
        browser.call(
            "Emulation.setDeviceMetricsOverride",
            session,
            width=WIDTH,
            height=HEIGHT,
            deviceScaleFactor=1,
            mobile=False,
        )
        nav = browser.call("Page.navigate", session, url=html.resolve().as_uri())
        assert "errorText" not in nav, nav
        browser.wait_event("Page.loadEventFired")
        images = browser.call(
            "Runtime.evaluate",
            session,
            returnByValue=True,
            expression="Array.from(document.images, i => ({src: i.src.slice(0, 22), "
            "complete: i.complete, width: i.naturalWidth, height: i.naturalHeight}))",
        )["result"]["value"]
        shot = browser.call("Page.captureScreenshot", session, format="png")["data"]
        urls = [
            e["params"]["request"]["url"]
            for e in browser.events
            if e.get("method") == "Network.requestWillBeSent"
        ]
    finally:
        browser.close()
    pixels = imread(io.BytesIO(base64.b64decode(shot)), format="png")[..., :3]
    return images, pixels, urls


def test_report_renders_in_headless_chromium(tmp_path):
    # SFT, evaluation and sampling folders: seven figures, tables of every kind. (RL's
    # figures are drawn by the same code; test_report_write checks they are embedded.)
    runs = [
        make_sft(tmp_path / "sft-long", tokens=1200, accuracy=0.5),
        make_eval(tmp_path / "base-eval"),
        make_sample(tmp_path / "sample-long"),
    ]
    report = write_report(runs, tmp_path / "report")
    assert len(report.figures) >= 5
    images, pixels, urls = render(report.html, tmp_path / "profile")

    assert len(images) == len(report.figures)
    for img in images:
        assert img["src"] == "data:image/png;base64,"
        assert img["complete"] and img["width"] > 0 and img["height"] > 0, img
    # Not blank: a white page has zero variance; text, tables and figures give plenty.
    assert pixels.shape[:2] == (HEIGHT, WIDTH)
    grey = pixels.mean(axis=2)
    assert grey.std() > 0.05, grey.std()
    assert (grey < 0.9).mean() > 0.02  # > 2 % of pixels are ink, not background
    # Self-contained: the page itself, then only embedded data.
    assert urls, "no request was recorded"
    assert all(u.startswith(("file:", "data:")) for u in urls), urls
