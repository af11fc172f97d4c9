"""Figures checked by their matplotlib objects, and self-contained HTML reports."""

import html
import json
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402
from matplotlib.collections import LineCollection, PathCollection, PolyCollection  # noqa: E402

import sim  # noqa: E402
from sim.viz import plots  # noqa: E402
from sim.viz.labels import fmt  # noqa: E402
from sim.viz.report import write_report  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
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
    names = {" ".join(t.get_text().split()) for t in ax.texts}       # long names wrap onto two lines
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
    widths = {round(b.get_width(), 6) for b in panels[0].patches}      # horizontal bars
    assert widths <= {round(x, 6) for x in [i / 8 for i in range(9)]}    # shares of 8 runs
    # pairs: only those that agreed in some run, each with a bar per scenario
    agreed = [c for c in runs.columns if c.startswith("pair:") and (runs[c].fillna(0) > 0).any()]
    assert len(panels[2].patches) == len(SCEN) * min(15, len(agreed))
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
    first = runs["time_to_first_agreement"].min()
    assert first > 2 and first - 1 <= ax.get_xlim()[0] < first      # starts where the data start, not at 0
    plt.close(ax.figure)
    ax = plots.plot_final_values(runs)
    n_issues = len([c for c in runs.columns if c.startswith("final:")])
    dots = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(dots) == len(SCEN) * n_issues and not ax.patches       # one strip per scenario and issue, no boxes
    assert sum(len(c.get_offsets()) for c in dots) == len(runs) * n_issues   # every run is a dot
    plt.close(ax.figure)


def test_scenarios_never_wear_an_actors_colour(batch_dir):
    assert not {c.lower() for c in plots.SCENARIO_PALETTE} & {c.lower() for c in plots.PALETTE}
    fig = plots.plot_agreement_probability(pd.read_parquet(batch_dir / "runs.parquet"))
    used = {matplotlib.colors.to_hex(p.get_facecolor()).lower() for p in fig.axes[0].patches}
    assert used == {c.lower() for c in plots.SCENARIO_PALETTE[:len(SCEN)]}
    plt.close(fig)


def test_sweep_line_heatmap_and_lhs_scatter():
    one = sim.sweep("baseline", ["environment.urgency=0.01:0.05:3"], reps=2, days=20)
    ax = plots.plot_sweep(one)
    assert len(ax.get_lines()[0].get_xdata()) == 3 and "urgency" in ax.get_xlabel()
    plt.close(ax.figure)
    two = sim.sweep("baseline", ["environment.urgency=0.01:0.05:3", "blame.audience_cost=0:2:2"], reps=1, days=20)
    ax = plots.plot_sweep(two)
    # columns sort the varied fields: x = blame.audience_cost (2 values), y = environment.urgency (3)
    assert ax.images[0].get_array().shape == (3, 2)
    assert ax.get_xlabel() == "blame.audience_cost" and ax.get_ylabel() == "environment.urgency"
    plt.close(ax.figure)
    lhs = sim.sweep("baseline", ["environment.urgency=0.01:0.05", "blame.audience_cost=0:2"], reps=1, days=20,
                    design="lhs", samples=12)
    ax = plots.plot_sweep(lhs)
    assert not ax.images                                               # not a sparse categorical heatmap
    pts = [c for c in ax.collections if isinstance(c, PathCollection)]
    assert len(pts) == 1 and len(pts[0].get_offsets()) == 12          # one dot per design point
    assert len(set(pts[0].get_offsets()[:, 0])) == 12
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


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("run") / "run"
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "run", "baseline", "--seed", "1", "--out", str(out),
                        "--quiet"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    return out


def test_run_report_is_self_contained_with_figures_and_quotes(run_dir):
    out = run_dir
    c = _check(out / "report.html")
    assert len(c.imgs) == 5                       # positions, crisis, blame, beliefs, channels
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
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "plot", str(batch_dir)],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    assert {p.name for p in batch_dir.glob("*.png")} == {"agreement.png", "pressure.png", "first_agreement.png",
                                                          "final_values.png"}


def test_report_of_a_folder_without_results(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "report", str(tmp_path)],
                       capture_output=True, text=True)
    assert r.returncode == 2 and "holds no results" in r.stderr and "Traceback" not in r.stderr


# ---------------------------------------------------------------- reports: the answer first
def _cli(*args):
    """The CLI's main() in this process (no interpreter start-up); returns what it printed."""
    import contextlib
    import io

    from sim.cli import main

    buf = io.StringIO()
    with contextlib.redirect_stdout(buf):
        assert main([str(a) for a in args]) == 0
    return buf.getvalue()


def _words(text: str) -> str:
    """The page without its embedded images (base64 may spell anything)."""
    import re

    return re.sub(r'src="data:[^"]*"', "", text)


def _raw_missing(text: str) -> list:
    """Raw None / NaN printed in the page (missing values read as an en dash)."""
    import re

    return re.findall(r"\b(?:None|nan|NaN)\b", _words(text))


def _headline(text: str) -> str:
    """The headline section: what the reader sees before any figure."""
    a = text.index('<section class="headline">')
    return text[a:text.index("</section>", a)]


def test_batch_headline_has_scenarios_as_columns_with_paired_differences(batch_dir):
    text = write_report(batch_dir).read_text(encoding="utf-8")
    head = _headline(text)
    assert text.index("</section>") < text.index('<figure id="fig-')
    row = head.split("<tr>")[1]                                    # the header row: baseline first
    assert [row.index(f"<code>{n}</code>") for n in SCEN] == sorted(row.index(f"<code>{n}</code>") for n in SCEN)
    runs = pd.read_parquet(batch_dir / "runs.parquet")
    share = runs.groupby("scenario")["any_political"].mean()
    pol = next(r for r in head.split("<tr>") if r.startswith("<td>P(political agreement)"))
    cells = pol.split('<td class="num">')[1:]
    for n, cell in zip(SCEN, cells):
        assert cell.startswith(f"{share[n] * 100:.0f}% ")           # the estimate, as a percentage
    # the paired difference from the baseline: same replicates, so it is the difference of the shares
    diff = (share["poland_political_talks"] - share["baseline"]) * 100
    assert f"\u0394 {diff:+.1f} pp" in cells[1] and "\u0394" not in cells[0]
    assert not _raw_missing(text)
    # the other scenarios show what they change, not the whole stance table again
    quote = html.escape(sim.load_scenario("baseline").stances["poland_technical_only_belarus"].quote)
    assert text.count(quote) == 2                                  # the baseline's table + "Stances removed"
    assert "Stances removed" in text and 'href="summary.csv"' in text
    assert "<td>0</td><td>" not in text                            # no per-point summary table inlined


@pytest.fixture(scope="module")
def ablation_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("abl") / "a"
    _cli("ablate", "baseline", "--reps", "3", "--days", "60", "--workers", "1", "--quiet", "--out", out)
    return out


def test_ablation_report_leads_with_the_effects_and_their_quotes(ablation_dir):
    text = (ablation_dir / "report.html").read_text(encoding="utf-8")
    eff = pd.read_csv(ablation_dir / "ablation.csv")
    n = eff["variant"].nunique()
    title = text[text.index("<h1>"):text.index("</h1>")]
    assert f"{n} variants" in title and "~" not in title          # no internal variant names
    head = _headline(text)
    assert head.count("<tr>") == 1 + 10                            # the header and the ten largest
    top = eff[eff["rank"] == 1].iloc[0]
    # the article's quote, or (a stance of the record) the mark that it has none
    assert (html.escape(top["quote"]) if isinstance(top["quote"], str) else "(no quote)") in head
    assert text.count("<h3>") == 1                                 # the stance table once, not once per variant
    assert "The other" in text and "<details>" in text
    fig = plots.plot_ablation(eff)
    assert f"of {n} variants" in fig._suptitle.get_text()
    # colour says good vs bad for the outcome (more deals: good), grey where the CI covers 0
    shown = plots.ablation_outcomes(eff)
    assert shown[0] == "any_agreement" or shown[0] in {o for o in eff["outcome"] if (
        (eff.loc[eff["outcome"] == o, "ci_low"] > 0) | (eff.loc[eff["outcome"] == o, "ci_high"] < 0)).any()}
    ax = fig.axes[0]
    assert " ".join(ax.get_xlabel().split()).startswith(      # a long label is wrapped
        "change in " + eff.loc[eff["outcome"] == shown[0], "outcome_label"].iloc[0])
    pol = eff[eff["outcome"] == shown[0]].set_index("variant")
    order = eff.drop_duplicates("variant").sort_values("rank")["variant"].tolist()[:10]
    bars = sorted(ax.patches, key=lambda p: -p.get_y())            # rank 1 sits at the top
    for v, bar in zip(order, bars):
        r = pol.loc[v]
        sign = plots.good_direction(shown[0])          # more deals is better, more pressure worse
        want = plots.NEUTRAL if not sign or r["ci_low"] <= 0 <= r["ci_high"] else \
            (plots.GOOD if r["effect"] * sign > 0 else plots.BAD)
        assert matplotlib.colors.to_hex(bar.get_facecolor()) == want.lower(), v
    plt.close(fig)


@pytest.fixture(scope="module")
def sensitivity_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("sens") / "s"
    # two factors that act within 40 days (since the EU's threat and promise, Minsk's
    # curbing of the flow no longer hangs on the urgency of the crisis)
    _cli("sensitivity", "baseline", "--vary", "actors.belarus.exposure.pressure=0.05:0.3",
         "--vary", "commitments.price=0:0.3", "--n", "8", "--days", "40", "--workers", "1", "--quiet",
         "--out", out)
    return out


def test_sensitivity_report_tabulates_the_indices(sensitivity_dir):
    text = (sensitivity_dir / "report.html").read_text(encoding="utf-8")
    head = _headline(text)
    assert "Belarus: cost of border pressure" in head and "price of backing down" in head
    table = pd.read_csv(sensitivity_dir / "sensitivity.csv")
    st = table[(table["index"] == "ST") & table["value"].notna()].sort_values("value").iloc[-1]

    def two(x):
        return f"{x:.2f}".replace("-0.00", "0.00")
    assert f"ST {two(st['value'])} <small>[{two(st['ci_low'])}, {two(st['ci_high'])}]</small>" in head
    assert "-0.00" not in head
    assert len(text) < 200_000 and "<td>0</td><td>" not in text   # no per-sample table
    assert 'href="summary.csv"' in text


def test_run_report_tells_the_story_first_and_reads_unilateral_moves(run_dir, tmp_path):
    import shutil

    out = shutil.copytree(run_dir, tmp_path / "run")
    text = (out / "report.html").read_text(encoding="utf-8")
    head = _headline(text)
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    ag = pd.read_csv(out / "agreements.csv")
    rec = pd.read_csv(out / "record.csv")
    moves = rec[rec["type"] == "unilateral"]
    n_ag, n_mv = len(ag), len(moves)
    assert (f"{n_ag} agreement{'' if n_ag == 1 else 's'}, {n_mv} unilateral move{'' if n_mv == 1 else 's'}"
            in head)
    assert head.count("acts alone") == n_mv and head.count(" agree [") == n_ag
    days = [int(d) for d in re.findall(r"<li>Day (\d+)", head)]
    assert days == sorted(days) and len(days) == n_ag + n_mv + len(s["events"])    # the story, in day order
    assert "0 = migrants channelled to the border" in head         # issue names say what 0 and 1 mean
    assert not _raw_missing(text)
    # read defensively: without record.csv, a `type` column of the agreements marks a move
    (out / "record.csv").unlink()
    move = pd.DataFrame([{"day": 12, "date": "2021-12-05", "party_a": "belarus", "party_b": "belarus",
                          "changes": "migrant_flow 0.10->0.30", "type": "unilateral"}])
    pd.concat([ag.assign(type="agreement"), move]).to_csv(out / "agreements.csv", index=False)
    head = _headline(write_report(out).read_text(encoding="utf-8"))
    assert "1 unilateral move" in head and "<b>Belarus</b> acts alone: migrant_flow 0.10 \u2192 0.30" in head


def test_expected_utility_and_comparison_folders_get_a_report_and_figures(tmp_path):
    """A run under expected utility is a run: its report has the story, the forecast
    beside the compromise model, and the trajectories figure; a comparison folder gets
    its table and its one figure."""
    eu = tmp_path / "eu"
    _cli("run", "ec_emissions", "--protocol", "expected_utility", "--out", eu, "--quiet")
    text = (eu / "report.html").read_text(encoding="utf-8")
    assert "Run of ec_emissions" in text and "forecast (expected utility)" in text and "round limit" in text
    _check(eu / "report.html")
    (eu / "trajectories.png").unlink()
    printed = _cli("plot", eu)
    assert (eu / "trajectories.png").exists() and "trajectories.png" in printed
    cmp_ = tmp_path / "cmp"
    _cli("compare-protocols", "baseline", "--reps", "2", "--workers", "1", "--quiet", "--out", cmp_)
    c = _check(cmp_ / "report.html")
    html_ = (cmp_ / "report.html").read_text(encoding="utf-8")
    assert len(c.imgs) == 1 and "Issue by issue" in html_ and "|\u0394 compromise|" in html_
    (cmp_ / "comparison.png").unlink()
    _cli("plot", cmp_)
    assert (cmp_ / "comparison.png").exists()
    _cli("report", cmp_)


def test_a_compromise_model_run_reports_its_forecast(tmp_path):
    out = tmp_path / "cm"
    _cli("run", "baseline", "--protocol", "compromise", "--out", out, "--quiet")
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "forecast (compromise)" in text and "closed form" in text
    s = json.loads((out / "summary.json").read_text())
    assert s["protocol"] == "compromise"
    f = s["issues"][0]
    assert f["forecast"] == f["cm_mean"] and f"<td class=\"num\">{fmt(f['forecast'])}</td>" in text
    assert "trajectories.png" not in _cli("plot", out)             # nothing moves: no trajectory
