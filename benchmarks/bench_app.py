#!/usr/bin/env python3
"""How long one step of the interactive app takes to redraw (``make bench-app``).

1. server side: the page rendered with Solara's test renderer, the Step button clicked
   for every day of the baseline; each click's time covers the model's day, every
   panel rebuilt and every changed widget updated (what goes to the browser). For
   comparison, the same page with the six day panels passed to SolaraViz as six
   ``components=`` (each one re-renders the page on its own after a step); and the
   app's page while the odds batch runs in its background thread.
2. in the browser (``--browser``, needs Debian's chromium and Playwright): the real
   page served by ``solara run app.py``; the time, measured inside the page, from
   clicking Step to the next animation frame after the new day is shown, which adds
   the websocket round trip and the browser's work.

The target is under 200 ms per step on the 2-core reference machine. Nothing here is
asserted: the figures are printed for the README. Options: --days N, --browser.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import ipyvuetify as v  # noqa: E402
import solara  # noqa: E402
from mesa.visualization import SolaraViz  # noqa: E402

import app  # noqa: E402
from sim.viz import app_components as ac  # noqa: E402
from sim.viz import live  # noqa: E402


def summary(ms: list[float]) -> str:
    q = statistics.quantiles(ms, n=20)
    return f"median {statistics.median(ms):6.1f} ms   p95 {q[-1]:6.1f} ms   max {max(ms):6.1f} ms   (n={len(ms)})"


def clicks(page_element, days: int, odds: bool = False) -> list[float]:
    box, rc = solara.render(solara.AppLayout(children=[page_element]), handle_error=False)
    step = rc.find(v.Btn, children=["Step"]).widget
    if odds:        # start the odds batch (200 runs a side), step while it runs
        sel = rc.find(v.Select, label="Runs per side").widget
        sel.v_model = "200"
        rc.find(v.Btn, children=["Run odds (400 runs)"]).widget.click()
        time.sleep(1.0)
    out = []
    for _ in range(days):
        t = time.perf_counter()
        step.click()
        out.append(1000 * (time.perf_counter() - t))
    if odds:
        rc.find(v.Btn, children=["Cancel"]).widget.click()
        time.sleep(2.0)     # let the batch's thread stop before the page closes
    rc.close()
    return out


@solara.component
def SeparatePage():
    """The same panels, each its own SolaraViz component (the layout we did not keep)."""
    model = solara.use_memo(lambda: live.LiveModel(scenario_name="baseline"), [])
    SolaraViz(model, components=[ac.Status, ac.EventLog, *ac.DAY_PANELS],
              model_params=live.model_params("baseline"))


def model_only(days: int) -> list[float]:
    m = live.LiveModel("baseline")
    out = []
    for _ in range(days):
        t = time.perf_counter()
        m.step()
        out.append(1000 * (time.perf_counter() - t))
    return out


def panels_only(days: int) -> list[float]:
    m = live.LiveModel("baseline")
    out = []
    for _ in range(days):
        m.step()
        t = time.perf_counter()
        for panel in ac.DAY_PANELS:
            panel(m)
        live.status(m), live.log_lines(m)
        out.append(1000 * (time.perf_counter() - t))
    return out


# Timed inside the page (no Playwright round trips): click Step, resolve at the first
# animation frame after the status panel shows the new day.
STEP_JS = """(d) => new Promise(resolve => {
  const target = `Day ${d} of 90`;
  const shown = () => [...document.querySelectorAll('strong')].some(s => s.textContent === target);
  const btn = [...document.querySelectorAll('button')].find(b => b.textContent.trim().toLowerCase() === 'step');
  const t0 = performance.now();
  const obs = new MutationObserver(() => {
    if (shown()) { obs.disconnect(); requestAnimationFrame(() => resolve(performance.now() - t0)); }
  });
  obs.observe(document.body, {subtree: true, childList: true, characterData: true});
  btn.click();
})"""


def in_browser(days: int) -> list[float] | None:
    chromium = os.environ.get("DIPLOSIM_CHROMIUM") or shutil.which("chromium")
    try:
        from playwright.sync_api import expect, sync_playwright
    except ImportError:
        chromium = None
    if not chromium:
        print("  (skipped: needs chromium and Playwright)")
        return None
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "SOLARA_TELEMETRY_MIXPANEL_ENABLE": "False", "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen([sys.executable, "-m", "solara", "run", "app.py", "--host", "127.0.0.1",
                             "--port", str(port), "--no-open", "--production", "--no-check-version"], cwd=ROOT, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}/"
    try:
        for _ in range(240):
            try:
                urllib.request.build_opener(urllib.request.ProxyHandler({})).open(url, timeout=5)
                break
            except OSError:
                time.sleep(0.5)
        with sync_playwright() as p:
            b = p.chromium.launch(executable_path=chromium, headless=True,
                                  args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                                        "--disable-background-networking", "--disable-component-update",
                                        "--disable-sync"])
            page = b.new_page(viewport={"width": 1500, "height": 1200})
            page.route("**/*", lambda r: r.continue_() if r.request.url.startswith(url) else r.abort())
            page.set_default_timeout(60_000)
            expect.set_options(timeout=60_000)
            page.goto(url)
            expect(page.get_by_text("Day 0 of 90")).to_be_visible()
            page.get_by_text("Day 0 of 90").wait_for()
            out = []
            for d in range(1, days + 1):
                out.append(page.evaluate(STEP_JS, d))
            b.close()
        return out
    finally:
        proc.terminate()
        proc.wait(timeout=15)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--days", type=int, default=90)
    ap.add_argument("--browser", action="store_true")
    args = ap.parse_args()
    print(f"Python {platform.python_version()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    print("model day alone:              ", summary(model_only(args.days)))
    print("panels built (SVG, log) alone:", summary(panels_only(args.days)))
    print("one step, the app's page:     ", summary(clicks(app.Page(), args.days)))
    print("one step, six components=:    ", summary(clicks(SeparatePage(), args.days)))
    print("one step, odds batch running: ", summary(clicks(app.Page(), args.days, odds=True)))
    if args.browser:
        ms = in_browser(args.days)
        if ms:
            print("one step, Chromium, click->shown:", summary(ms))


if __name__ == "__main__":
    main()
