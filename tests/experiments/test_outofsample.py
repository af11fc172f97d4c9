"""The out-of-sample table (``make holdout-table``): each cut the record supports is fitted
and scored; a cut after the record's end is named as not made, not skipped silently; bad
input is one line and exit 2."""

from pathlib import Path

import pandas as pd

from sim.experiments import outofsample
from sim.experiments.calibration import Settings
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "data" / "calib_toy.yaml"


def test_cuts_after_the_record_are_named_and_the_rest_scored(tmp_path):
    data = tmp_path / "d.csv"
    data.write_text("date,variable,value,source\n2021-01-01,arrivals,10,x\n2021-02-01,arrivals,14,x\n")
    settings = Settings(population=8, predictive=8, max_generations=2)
    table, notes = outofsample.checks(load_scenario(TOY), data, ["2021-02-01", "2021-03-01"], tmp_path / "o",
                                      settings)
    assert list(table["fitted_months"]) == ["Jan 2021"] and pd.Timestamp(table["date"].iloc[0]).month == 2
    assert len(notes) == 1 and "no row from 2021-03-01 on" in notes[0]
    text = outofsample.markdown(table, notes, settings)
    assert "| Jan 2021 | Feb 2021 | 14 |" in text and "Not made: fit before 2021-03-01" in text
    assert "population 8" in text


def test_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert outofsample.main(["nosuch_scenario", str(tmp_path / "x.csv"), "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("error:")
