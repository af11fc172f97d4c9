"""One definition per number: the outcome registry (sim/outcomes.py) read by the batch
summary, the table and the report; no interval printed as [nan, nan] or below the
outcome's floor; the outcome that moves shown first."""

import re

import numpy as np
import pandas as pd

from sim import outcomes
from sim.cli import main

H = 30                                  # --days of the small batches below


def _run(capsys, *args) -> str:
    code = main([str(a) for a in args])
    assert code == 0, capsys.readouterr().err
    return capsys.readouterr().out


def test_the_day_of_the_first_agreement_has_one_definition_everywhere(tmp_path, capsys):
    # before: the batch summary averaged the runs with a deal (48.6), the table took
    # their median (38), the report averaged with no deal as day 91 (74.0)
    out = tmp_path / "t"
    _run(capsys, "table", "black_sea_grain", "--reps", 8, "--days", H, "--workers", 1, "--quiet", "--out", out)
    text = (out / "table.md").read_text(encoding="utf-8")
    runs = pd.read_parquet(out / "runs.parquet")
    day = runs["time_to_first_agreement"].astype(float).fillna(H + 1)
    assert runs["time_to_first_agreement"].isna().any()           # some run without a deal: the case that differs
    med, lo, hi = np.median(day), *np.percentile(day, [5, 95])
    want = f"{med:.3g} [{lo:.3g}, {hi:.3g}]"
    assert "day of first agreement (no deal = H + 1)" in text and want in text
    report = (out / "report.html").read_text(encoding="utf-8")
    assert "day of first agreement (no deal = H + 1)" in report
    assert f"{med:.3g} <small>[{lo:.3g}, {hi:.3g}]</small>" in report
    batch = tmp_path / "b"
    text = _run(capsys, "batch", "black_sea_grain", "--reps", 8, "--days", H, "--workers", 1, "--no-report",
                "--out", batch)
    line = next(x for x in text.splitlines() if "day of first agreement" in x)
    assert line.split("H + 1)")[1].strip() == want


def test_no_interval_is_nan_or_below_the_floor_with_two_runs(tmp_path, capsys):
    # a t-interval of two runs printed "46.0 [-246.2, 338.2]"; one run "[nan, nan]"
    out = tmp_path / "b"
    text = _run(capsys, "batch", "baseline", "--reps", 2, "--days", H, "--workers", 1, "--out", out)
    report = (out / "report.html").read_text(encoding="utf-8")
    head = report[report.index('<section class="headline">'):report.index("</section>")]
    text = text.split("Wrote:")[0]
    for t in (text, head):
        assert "nan" not in t.lower().replace("nan)", "")
        assert not re.search(r"\[-\d", t.split("Δ")[0]), t       # counts, days, levels never below 0
    assert "Stalemate: no agreement in the last W days" in text   # defined where it is printed


def test_the_registry_defines_every_headline_outcome():
    for name in ("any_agreement", "any_political", "days_to_first_agreement", "n_unilateral", "stalemate",
                 "stock_cumulative:pressure", "pair:poland-belarus", "final:sanctions"):
        o = outcomes.get(name, {"poland": "Poland", "belarus": "Belarus"})
        assert o.label and o.definition and o.over_runs
    assert outcomes.get("time_to_first_agreement") is outcomes.get("days_to_first_agreement")
    assert outcomes.get("pair:poland-belarus", {"poland": "Poland", "belarus": "Belarus"}).label == \
        "P(Poland\u2013Belarus agreement)"
    assert outcomes.describe("n_unilateral", [3.0]) == "3 (one run)"
    assert outcomes.describe("n_unilateral", [np.nan]) == "n/a (no run with a value)"
    assert outcomes.moving_first({"any_political": [0, 0, 0], "any_agreement": [0, 1, 1],
                                  "n_unilateral": [2, 2, 3]}) == ["any_agreement", "n_unilateral", "any_political"]


def test_the_ablation_puts_an_outcome_that_moves_first(tmp_path, capsys):
    # before: P(political agreement), 0 in every run, was the first panel and column
    from sim.viz.plots import ablation_outcomes

    out = tmp_path / "a"
    _run(capsys, "ablate", "baseline", "--reps", 4, "--days", 40, "--workers", 1, "--quiet", "--out", out)
    eff = pd.read_csv(out / "ablation.csv")
    pol = eff[eff["outcome"] == "any_political"]
    assert (pol["effect"].fillna(0) == 0).all()                   # the outcome that does not move
    shown = ablation_outcomes(eff)
    assert shown[0] != "any_political"
    moved = eff.assign(m=(eff["ci_low"] > 0) | (eff["ci_high"] < 0)).groupby("outcome")["m"].any()
    assert moved[shown[0]] or not moved[shown].any()
    report = (out / "report.html").read_text(encoding="utf-8")
    head = report[report.index('<section class="headline">'):report.index("</section>")]
    first_col = re.findall(r"<th>change in ([^<]*)</th>", head)[0]
    assert first_col == eff.loc[eff["outcome"] == shown[0], "outcome_label"].iloc[0].replace("&", "&amp;")


def test_a_sweep_names_its_points_by_the_varied_fields_only(tmp_path, capsys):
    # before: each point by replicate 0's draws of the 12 fields it did not vary
    out = tmp_path / "s"
    text = _run(capsys, "sweep", "baseline", "--vary", "commitments.price=0:0.2:2", "--reps", 2, "--days", H,
                "--workers", 1, "--out", out)
    report = (out / "report.html").read_text(encoding="utf-8")
    every = report[report.index("<summary>Every design point"):]
    header = every[every.index("<tr>"):every.index("</tr>")]
    assert "price of backing down" in header and "exposure" not in header and "deadline" not in header
    assert "commitments.price=0 " in text or "commitments.price=0\n" in text or "commitments.price=0  (" in text
    assert "tactic.e=" not in text
    assert 'id="fig-sweep"' in report
