"""The compromise model (Thomson et al. 2006): exact arithmetic, the EC inputs, the
result's shape, the CLI and its error for an issue nobody cares about."""

from pathlib import Path

import pytest
import yaml
from conftest import build

import sim
from sim.cli import main
from sim.protocols.compromise import CompromiseModel, run_compromise
from sim.protocols.expected_utility import run_expected_utility

ROOT = Path(__file__).resolve().parent.parent


def _three(saliences=(1.0, 0.5, 0.9)):
    return build({
        "name": "toy", "description": "toy", "start_date": "2020-01-01", "horizon_days": 10,
        "protocol": {"name": "compromise"},
        "issues": {"i": {"kind": "political", "low": "l", "high": "h", "status_quo": 0.5,
                         "control": ["a", "b", "c"], "scale": [0, 100]}},
        "actors": {a: {"name": a, "capability": c, "position": {"i": x}, "salience": {"i": s}}
                   for a, c, x, s in zip("abc", (0.2, 0.3, 0.5), (0.0, 0.5, 1.0), saliences)},
        "channels": {"*": "political"},
    })


def test_weighted_mean_and_median_by_hand():
    """w = c s = (0.2, 0.15, 0.45): mean = (0.15*0.5 + 0.45*1)/0.8 = 0.65625; cumulative
    weights 0.2, 0.35, 0.8 first reach half (0.4) at x = 1; reported on the 0-100 scale."""
    f = run_compromise(_three()).forecast.iloc[0]
    assert f["mean_01"] == pytest.approx(0.65625, abs=1e-15) and f["mean"] == pytest.approx(65.625, abs=1e-12)
    assert f["median_01"] == 1.0 and f["median"] == 100.0


def test_salience_above_one_is_clipped_as_in_expected_utility():
    sc = _three(saliences=(1.0, 0.5, 3.0))          # c's salience counts as 1: w = (0.2, 0.15, 0.5)
    assert CompromiseModel(sc).forecast("i")[1] == pytest.approx((0.075 + 0.5) / 0.85, abs=1e-15)


def test_ec_emissions_matches_bdm_table_1_and_the_eu_round_zero():
    """BDM (1994) Table 1 inputs: weighted mean 7.389955686853767, weighted median 7.0,
    the expected-utility model's round 0 exactly."""
    sc = sim.load_scenario("ec_emissions")
    cm, eu = run_compromise(sc), run_expected_utility(sc, max_rounds=1)
    f = cm.forecast.iloc[0]
    assert f["mean"] == 7.389955686853767 and f["median"] == 7.0
    r0 = eu.rounds[eu.rounds["round"] == 0].iloc[0]
    assert (r0["mean"], r0["median"]) == (f["mean"], f["median"])


def test_same_shape_as_the_expected_utility_result():
    sc = sim.load_scenario("baseline")
    cm, eu = run_compromise(sc), run_expected_utility(sc, max_rounds=2)
    for name in ("rounds", "positions", "forecast"):
        assert list(getattr(cm, name).columns) == list(getattr(eu, name).columns), name
    assert list(cm.forecast["issue"]) == list(sc.issues) and cm.moves.empty
    assert (cm.forecast["status"] == "closed form").all()


def test_cli_run_prints_the_forecast(tmp_path, capsys):
    rc = main(["run", "ec_emissions", "--protocol", "compromise", "--out", str(tmp_path / "cm")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "weighted mean 7.3900 (weighted-median variant 7.0000)" in out
    assert (tmp_path / "cm" / "forecast.csv").exists()


def test_cli_names_the_issue_nobody_cares_about(tmp_path, capsys):
    data = yaml.safe_load((ROOT / "scenarios" / "ec_emissions.yaml").read_text())
    data["issues"]["other"] = dict(data["issues"]["emission_year"], scale=None)
    for a in data["actors"].values():
        a["position"]["other"] = 0.5
        a["salience"]["other"] = 0.0
    f = tmp_path / "zero.yaml"
    f.write_text(yaml.safe_dump(data))
    rc = main(["run", str(f), "--protocol", "compromise", "--out", str(tmp_path / "o")])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 2        # "error: invalid scenario" + the fault
    assert "actors.*.salience.other" in err and "every actor's salience on this issue is 0" in err
