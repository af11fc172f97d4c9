"""The headline table: shares with Wilson intervals, medians with the 5-95% range of
runs, a caption naming the parameter mode."""

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments.stats import wilson_interval
from sim.experiments.table import headline_table, markdown


def test_shares_and_medians_on_a_known_table():
    runs = pd.DataFrame({"scenario": ["a"] * 4 + ["b"] * 4, "status": "ok",
                         "any_political": pd.array([True, False, False, False, True, True, True, None],
                                                   dtype="boolean"),
                         "pair:x-y": [0, 1, 2, np.nan, 0, 0, 0, 0],
                         "stock_cumulative:p": [1.0, 2.0, 3.0, 4.0, 10.0, 10.0, 10.0, 10.0]})
    t = headline_table(runs, ["any_political", "pair:x-y", "stock_cumulative:p"]).set_index(["scenario", "outcome"])
    a = t.loc[("a", "any_political")]
    assert a.estimate == 0.25 and (a.low, a.high) == pytest.approx(wilson_interval(1, 4))
    assert t.loc[("b", "any_political")].n == 3                      # a missing value is left out
    assert t.loc[("a", "pair:x-y")].estimate == 0.5                  # agreements > 0 in 2 of 4 runs
    p = t.loc[("a", "stock_cumulative:p")]
    assert (p.estimate, p.low, p.high) == pytest.approx((2.5, np.percentile([1, 2, 3, 4], 5), 3.85))
    md = markdown(headline_table(runs, ["any_political"]), "CAPTION")
    assert md.splitlines()[0] == "CAPTION" and "| `a` | 0.25 [" in md


def test_cli_table_names_the_mode(tmp_path, capsys):
    assert main(["table", "baseline", "--reps", "2", "--days", "5", "--workers", "1", "--out", str(tmp_path / "t"),
                 "--no-report"]) == 0
    out = capsys.readouterr().out
    assert "2 replications per scenario, under parameter uncertainty (priors)" in out
    assert (tmp_path / "t" / "table.md").read_text().startswith("2 replications")


def test_every_table_says_whether_an_interval_is_of_a_mean_or_the_spread_of_runs():
    """D7: an interval of a mean shrinks with more replications; the spread of runs does
    not. summary.csv names which its interval is and gives the runs' 5-95% beside it; the
    batch report's headline shows the spread of runs for numbers, and says so; the
    captions of the scenario table and the paired table say which is which."""
    from sim.experiments import jobs as ex
    from sim.experiments.table import caption, paired_markdown, paired_table
    from sim.viz.report import batch_headline

    rng = np.random.default_rng(0)
    days = rng.normal(30, 10, 400)
    runs = pd.DataFrame({"run_id": range(400), "scenario": "s", "point": 0, "replicate": range(400),
                         "seed_entropy": "0", "seed_spawn_key": "[0]", "status": "ok", "error": "",
                         "deal": pd.array(rng.random(400) < 0.3, dtype="boolean"), "days": days})
    s = ex.summarise(runs).set_index("outcome")
    assert "interval of the mean" in s.loc["days", "interval"] and "shrinks" in s.loc["days", "interval"]
    assert "of the proportion" in s.loc["deal", "interval"]
    # the mean's interval is narrow (sd / sqrt(400) ~ 0.5); the runs spread over ~33 days
    assert s.loc["days", "ci_high"] - s.loc["days", "ci_low"] < 3
    assert s.loc["days", "runs_p95"] - s.loc["days", "runs_p05"] == pytest.approx(
        np.percentile(days, 95) - np.percentile(days, 5))
    job = type("J", (), {"parameters_label": "under parameter uncertainty (priors)", "seed": 0})()
    assert "5-95% of runs: their spread" in caption(job, 100) and "shrinks" in caption(job, 100)
    two = pd.concat([runs, runs.assign(scenario="t", days=days + 1)], ignore_index=True)
    md = paired_markdown(paired_table(two, {"s": 90, "t": 90}, ["days"]))
    assert "interval of the mean" in md and "not the spread" in md
    # the batch report's headline: numbers as median [5-95% of runs], not mean [t interval]
    hl = pd.DataFrame({"scenario": "s", "point": 0, "replicate": range(400), "status": "ok",
                       "any_political": pd.array(rng.random(400) < 0.1, dtype="boolean"),
                       "any_agreement": pd.array(rng.random(400) < 0.8, dtype="boolean"),
                       "time_to_first_agreement": days, "n_unilateral": np.round(days / 3)})
    html, _ = batch_headline(hl, {"s": {"name": "s", "horizon_days": 90}})
    from sim.viz.labels import num

    lo, med, hi = np.percentile(np.round(days / 3), [5, 50, 95])
    assert f"{num(med)} <small>[{num(lo)}, {num(hi)}]</small>" in html
