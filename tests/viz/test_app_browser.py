"""The app in a real browser: `solara run app.py` driven by headless Chromium (Debian's
`chromium`, through Playwright's Python API pointed at that executable).

Load the page, pick a scenario, toggle a stance, reset, run to the end, read the log
(it must be the log of the same run made here without the browser), see the beliefs'
charts, start and cancel the odds, run the grain scenario (trust in delivery), and save
screenshots before and after. Nothing may reach the network: the
browser aborts and records every request that is not to the app, and the server's
outbound HTTP(S) goes to a local proxy that records and refuses it (the test fails on
any).

Slow (40-50 s, most of it starting the Solara server and the first page load on
the 2-core machine): marked ``browser``; ``pytest -m "not browser"`` leaves it out
locally, CI always runs it. Without Chromium or Playwright it is skipped, and the
test session ends with a banner saying so and how to enable it.

Screenshots: before (page loaded), after the run, after the odds (app.png), and the
grain scenario run to the end (app_grain.png: its trust-in-delivery chart).
``DIPLOSIM_SCREENSHOTS=docs pytest tests/viz/test_app_browser.py`` also writes app.png to
docs/ (the README shows it).
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import socketserver
import subprocess
import threading
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = os.environ.get("DIPLOSIM_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
HOW = ("install it with `sudo apt-get install -y chromium` (Debian/Ubuntu; .ci/run does this) "
       "and `pip install -e '.[dev]'` (Playwright's Python API; never `playwright install`), "
       "or point DIPLOSIM_CHROMIUM at a Chromium executable")
SKIP_TAG = "BROWSER TEST SKIPPED"

try:
    from playwright.sync_api import expect, sync_playwright
except ImportError:  # pragma: no cover - depends on the machine
    pytest.skip(f"{SKIP_TAG}: Playwright is not installed; {HOW}", allow_module_level=True)
if not CHROMIUM:  # pragma: no cover - depends on the machine
    pytest.skip(f"{SKIP_TAG}: no Chromium executable found; {HOW}", allow_module_level=True)

pytestmark = pytest.mark.browser

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
STANCE = "poland_blames_belarus"      # a stance that acts in the baseline (docs/ODD.md)
QUOTE = "Belarus was described as the"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class _RecordingProxy(socketserver.ThreadingTCPServer):
    """An HTTP(S) proxy that forwards nothing: it records each request's first line
    (``CONNECT host:443 ...`` or ``GET http://...``) and answers 403."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self):
        self.seen: list[str] = []

        class Handler(socketserver.StreamRequestHandler):
            def handle(handler):
                line = handler.rfile.readline(2048).decode("latin-1").strip()
                if line:
                    self.seen.append(line)
                handler.wfile.write(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")

        super().__init__(("127.0.0.1", 0), Handler)


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    port = _free_port()
    log = tmp_path_factory.mktemp("server") / "solara.log"
    proxy = _RecordingProxy()
    threading.Thread(target=proxy.serve_forever, daemon=True).start()
    purl = f"http://127.0.0.1:{proxy.server_address[1]}"
    # every outbound HTTP(S) request of the server goes to the recording proxy and fails
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False",
           "HTTP_PROXY": purl, "HTTPS_PROXY": purl, "http_proxy": purl, "https_proxy": purl,
           "ALL_PROXY": purl, "NO_PROXY": "", "no_proxy": "", "PYTHONPATH": str(ROOT)}
    # what users run: `make app` itself (production mode, offline), on a free port
    with open(log, "w") as out:
        proc = subprocess.Popen(["make", "-s", "app", "HOST=127.0.0.1", f"PORT={port}", "APP_ARGS=--no-open"],
                                cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 120
    try:
        while True:
            try:
                with urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5) as r:
                    if r.status == 200:
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.time() > deadline:
                pytest.fail(f"the Solara server did not start:\n{log.read_text()[-3000:]}")
            time.sleep(0.5)
        yield url, log, proxy
    finally:
        proxy.shutdown()
        # make and the server it started: the process group of this test's own Popen
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)


def _shot(page, tmp_path, name, publish=False):
    path = tmp_path / name
    page.screenshot(path=str(path), full_page=True)
    extra = os.environ.get("DIPLOSIM_SCREENSHOTS")
    if extra and publish:
        Path(extra).mkdir(parents=True, exist_ok=True)
        shutil.copy(path, Path(extra) / name)
    return path


def test_the_app_in_chromium(server, tmp_path):
    from sim.viz import live

    url, log, proxy = server
    outside: list[str] = []
    with sync_playwright() as p:
        ctx = p.chromium.launch_persistent_context(
            str(tmp_path / "profile"), executable_path=CHROMIUM, headless=True, args=FLAGS,
            viewport={"width": 1500, "height": 1500})
        try:
            page = ctx.new_page()

            def route(r):
                if r.request.url.startswith(url):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()
            page.route("**/*", route)
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)

            # load
            page.goto(url)
            expect(page.get_by_text("Run to the end")).to_be_visible()
            expect(page.get_by_text("Day 0 of 90")).to_be_visible()
            assert page.locator("svg.chart-network").count() == 1
            before = _shot(page, tmp_path, "app_before.png")

            # pick a scenario: its own controls appear; then back to the baseline
            page.get_by_label("Scenario").first.click(force=True)
            page.get_by_role("option", name="russia_engages").click()
            expect(page.get_by_text("russia: guarantor", exact=False)).to_be_visible()
            expect(page.get_by_text("Russia drops its denial", exact=False)).to_be_visible()
            page.get_by_label("Scenario").first.click(force=True)
            page.get_by_role("option", name="baseline", exact=True).click()
            expect(page.get_by_text(QUOTE, exact=False)).to_be_visible()

            # toggle Poland's blame of Minsk ("the 'performer'") off, apply, run to the end
            page.get_by_text(QUOTE, exact=False).click()
            page.get_by_role("button", name="Reset").click()
            expect(page.get_by_text(f"stances off: {STANCE}", exact=False)).to_be_visible()
            page.get_by_role("button", name="Run to the end").click()
            expect(page.get_by_text("Day 90 of 90")).to_be_visible()

            # the log is the log of the same run, made here without the browser
            expected = live.LiveModel("baseline", seed=str(live.DEFAULT_SEED),
                                      **{f"{live.STANCE_KEY}{STANCE}": False})
            while expected.running:
                expected.step()
            lines = page.locator(".log-line").all_inner_texts()
            assert lines == live.log_lines(expected)[::-1]      # newest on top
            assert lines                                    # something happened in 90 days
            # the beliefs: the threats' credibility drawn, one line on trust (no delivery terms)
            assert page.locator("svg.chart-beliefs").count() == 1
            assert page.locator("svg.chart-resolve").count() == 1
            assert page.locator("svg.chart-trust").count() == 0
            expect(page.get_by_text("nothing here is carried out over time", exact=False)).to_be_visible()
            after = _shot(page, tmp_path, "app_after_run.png")

            # the odds: a small batch runs to the end and shows both sides and the change
            page.get_by_label("Runs per side").click(force=True)
            page.get_by_role("option", name="10", exact=True).click()
            page.get_by_role("button", name="Run odds (20 runs)").click()
            table = page.locator(".odds-table table")
            expect(table).to_be_visible()
            heads = table.locator("th").all_inner_texts()
            assert heads == ["outcome", live.UNCHANGED, live.CURRENT, f"{live.CHANGE} (paired)"]
            expect(table.get_by_text("P(political agreement)")).to_be_visible()
            table.scroll_into_view_if_needed()
            odds = _shot(page, tmp_path, "app.png", publish=True)

            # a larger one shows progress and can be cancelled
            page.get_by_label("Runs per side").click(force=True)
            page.get_by_role("option", name="200", exact=True).click()
            page.get_by_role("button", name="Run odds (400 runs)").click()
            expect(page.locator(".odds-progress")).to_be_visible()
            page.get_by_role("button", name="Cancel").click()
            expect(page.get_by_text("Cancelled: no odds computed.")).to_be_visible()

            # the grain deal: trust in delivery drawn once reviewed, one line on threats
            page.get_by_label("Scenario").first.click(force=True)
            page.get_by_role("option", name="black_sea_grain").click()
            expect(page.get_by_text("no gradual term of an agreement has been reviewed yet",
                                    exact=False)).to_be_visible()
            page.get_by_role("button", name="Run to the end").click()
            expect(page.locator("svg.chart-trust")).to_be_visible()
            assert page.locator("svg.chart-resolve").count() == 0
            expect(page.get_by_text("none in this scenario", exact=False)).to_be_visible()
            grain = _shot(page, tmp_path, "app_grain.png")
        finally:
            ctx.close()
    assert min(f.stat().st_size for f in (before, after, odds, grain)) > 10_000
    assert outside == [], f"the page tried to reach the network: {outside}"
    assert proxy.seen == [], f"the server tried to reach the network: {proxy.seen}"
    server_log = log.read_text()
    assert "Could not load URL" not in server_log, server_log[-2000:]
