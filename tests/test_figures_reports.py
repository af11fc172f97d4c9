"""Figures checked by their matplotlib objects, and self-contained HTML reports."""

import html
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PolyCollection  # noqa: E402

import sim  # noqa: E402
from sim.viz import plots  # noqa: E402
from sim.viz.report import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parent.parent
SCEN = ["baseline", "poland_political_talks", "russia_engages"]


@pytest.fixture(scope="module")
def res():
    return sim.run("eu_direct_channel", seed=1)       # a deal in every run


@pytest.fixture(scope="module")
def batch_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("batch") / "b"
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "batch", *SCEN, "--reps", "8", "--series",
                        "--workers", "1", "--quiet", "--out", str(out)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_channel_network(res):
    ax = plots.plot_channels(res)
    edges = [c for c in ax.collections if isinstance(c, LineCollection)]
    closed = [k for k, v in res.spec["channels"].items() if v == "closed"]
    assert len(edges) == len(res.channels_end) + len(closed)
    gold = [c for c in edges if tuple(c.get_colors()[0][:3]) == matplotlib.colors.to_rgb("gold")]
    assert len(gold) == len({frozenset((a.party_a, a.party_b)) for a in res.agreements.itertuples()}) >= 1
    names = {t.get_text() for t in ax.texts}
    assert set(res.actor_labels.values()) <= names
    plt.close(ax.figure)


def test_blame_heatmaps(res):
    fig = plots.plot_blame(res)
    heat = [ax for ax in fig.axes if ax.images]
    assert len(heat) == 2
    start = heat[0].images[0].get_array()
    i, k = list(res.actor_labels).index("poland"), list(res.actor_labels).index("russia")
    assert start[i, k] == 0.8                       # "director": the stance's weight at day 0
    n = len(res.actor_labels)
    assert len(heat[0].texts) == n * (n - 1)
    plt.close(fig)


def test_agreement_probability(batch_dir):
    runs = pd.read_parquet(batch_dir / "runs.parquet")
    fig = plots.plot_agreement_probability(runs)
    panels = fig.axes[:3]
    issues = [c for c in runs.columns if c.startswith("agreed:")]
    assert len(panels[1].containers) >= len(SCEN)
    bars = [p for p in panels[1].patches]
    assert len(bars) == len(SCEN) * len(issues)
    heights = {round(b.get_height(), 6) for b in panels[0].patches}
    assert heights <= {round(x, 6) for x in [i / 8 for i in range(9)]}   # shares of 8 runs
    assert "most likely" in fig._suptitle.get_text()
    plt.close(fig)


def test_pressure_band_ecdf_final_values(batch_dir):
    runs = pd.read_parquet(batch_dir / "runs.parquet")
    series = pd.read_parquet(batch_dir / "series.parquet")
    ax = plots.plot_pressure_band(series, runs)
    assert len(ax.get_lines()) == len(SCEN)
    assert len([c for c in ax.collections if isinstance(c, PolyCollection)]) == len(SCEN)
    plt.close(ax.figure)
    ax = plots.plot_first_agreement_ecdf(runs)
    assert len(ax.get_lines()) == len(SCEN) and all("with a deal" in t.get_text() for t in ax.get_legend().get_texts())
    plt.close(ax.figure)
    ax = plots.plot_final_values(runs)
    n_issues = len([c for c in runs.columns if c.startswith("final:")])
    assert len([p for p in ax.patches]) == len(SCEN) * n_issues
    plt.close(ax.figure)


def test_sweep_line_and_heatmap():
    one = sim.sweep("baseline", ["environment.stocks.pressure.inflows.0.rate=0.01:0.05:3"], reps=2, days=20)
    ax = plots.plot_sweep(one)
    assert len(ax.get_lines()[0].get_xdata()) == 3 and "inflows.0.rate" in ax.get_xlabel()
    plt.close(ax.figure)
    two = sim.sweep("baseline", ["environment.stocks.pressure.inflows.0.rate=0.01:0.05:3", "blame.audience_cost=0:2:2"], reps=1, days=20)
    ax = plots.plot_sweep(two)
    # columns sort the varied fields: x = blame.audience_cost (2 values), y = the inflow rate (3)
    assert ax.images[0].get_array().shape == (3, 2)
    assert ax.get_xlabel() == "blame.audience_cost" and ax.get_ylabel() == "environment.stocks.pressure.inflows.0.rate"
    plt.close(ax.figure)


class _Checker(HTMLParser):
    VOID = {"meta", "img", "br", "hr", "link", "input"}

    def __init__(self):
        super().__init__()
        self.stack, self.imgs, self.external, self.errors = [], [], [], []

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "img":
            self.imgs.append(a.get("src", ""))
        for k in ("src", "href"):
            if a.get(k, "").startswith(("http:", "https:", "//")):
                self.external.append(a[k])
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack.pop() != tag:
            self.errors.append(tag)


def _check(path: Path) -> _Checker:
    text = path.read_text(encoding="utf-8")
    assert text.startswith("<!DOCTYPE html>")
    c = _Checker()
    c.feed(text)
    assert not c.errors and not c.stack, (c.errors, c.stack)          # well-formed
    assert not c.external                                              # opens with no request
    assert all(s.startswith("data:image/png;base64,") for s in c.imgs)
    return c


def test_run_report_is_self_contained_with_figures_and_quotes(tmp_path):
    out = tmp_path / "run"
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "run", "baseline", "--seed", "1", "--out", str(out),
                        "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    c = _check(out / "report.html")
    assert len(c.imgs) == 4                       # positions, crisis, blame, channels
    text = (out / "report.html").read_text(encoding="utf-8")
    for st in sim.load_scenario("baseline").stances.values():
        assert html.escape(st.quote) in text
    assert "run_sim.py run baseline --seed 1" in text


def test_batch_report_leads_with_the_headline_comparison(batch_dir):
    path = write_report(batch_dir)
    c = _check(path)
    text = path.read_text(encoding="utf-8")
    first = text.index('<figure id="fig-')
    assert text[first:].startswith('<figure id="fig-agreement"')
    assert len(c.imgs) == 4              # agreement, pressure, first agreement, final values
    for name in ("baseline", "poland_political_talks", "russia_engages"):
        assert f"<h3>{name}</h3>" in text


def test_plot_redraws_from_saved_files(batch_dir):
    for f in batch_dir.glob("*.png"):
        f.unlink()
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "plot", str(batch_dir)], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in batch_dir.glob("*.png")} == {"agreement.png", "pressure.png", "first_agreement.png",
                                                          "final_values.png"}


def test_report_of_a_folder_without_results(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "report", str(tmp_path)], capture_output=True, text=True)
    assert r.returncode == 2 and "holds no results" in r.stderr and "Traceback" not in r.stderr
