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
