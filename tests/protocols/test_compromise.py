"""The compromise model (Thomson et al. 2006): exact arithmetic, the EC inputs, the
yardstick beside every protocol's forecast, the CLI and its error for an issue nobody
cares about."""

from pathlib import Path

import pytest
import yaml
from conftest import build, eu_run

import sim
from sim.analysis.compromise import compromise_forecast
from sim.cli import main
from sim.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]


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
    mean, median = compromise_forecast(_three())["i"]
    assert mean == pytest.approx(0.65625, abs=1e-15) and median == 1.0
    res = sim.run(_three(), seed=0)
    assert res.outcomes["forecast:i"] == mean                     # compromise_forecast: mean (default)
    assert res.issues.iloc[0]["forecast_status"] == "closed form"
    med = sim.run(_three().model_copy(update={"protocol": _three().protocol.model_copy(
        update={"compromise_forecast": "median"})}), seed=0)
    assert med.outcomes["forecast:i"] == 1.0


def test_salience_above_one_is_clipped_as_in_expected_utility():
    sc = _three(saliences=(1.0, 0.5, 3.0))          # c's salience counts as 1: w = (0.2, 0.15, 0.5)
    assert compromise_forecast(sc)["i"][0] == pytest.approx((0.075 + 0.5) / 0.85, abs=1e-15)


def test_ec_emissions_matches_bdm_table_1_and_the_eu_round_zero():
    """BDM (1994) Table 1 inputs: weighted mean 7.389955686853767, weighted median 7.0,
    the expected-utility model's round 0 exactly."""
    sc = sim.load_scenario("ec_emissions")
    cm = eu_run(sc, rounds=1, protocol="compromise").forecast.iloc[0]
    eu = eu_run(sc, rounds=1)
    mean, median = compromise_forecast(sc)["emission_year"]
    assert 4 + 6 * mean == 7.389955686853767 and 4 + 6 * median == 7.0
    assert cm["median"] == 4 + 6 * mean                # the protocol's forecast: the weighted mean
    r0 = eu.rounds[eu.rounds["round"] == 0].iloc[0]
    assert (r0["mean"], r0["median"]) == (7.389955686853767, 7.0)


@pytest.mark.parametrize("name", sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml")))
def test_every_protocol_reports_the_yardstick(name):
    """Every run's issues table carries the compromise model's mean and median, equal to
    the closed form of the scenario it ran, whatever the protocol."""
    sc = sim.load_scenario(name)
    cm = compromise_forecast(sc)
    for protocol in ("alternating_offers", "expected_utility", "compromise"):
        res = sim.run(sc, seed=0, days=3, series=False, protocol=protocol)
        t = res.issues.set_index("issue")
        for j, (mean, median) in cm.items():
            assert t.loc[j, "cm_mean"] == mean and t.loc[j, "cm_median"] == median, (protocol, j)


def test_cli_run_prints_the_forecast(tmp_path, capsys):
    rc = main(["run", "ec_emissions", "--protocol", "compromise", "--out", str(tmp_path / "cm")])
    out = capsys.readouterr().out
    assert rc == 0
    assert "7.3900  closed form" in out and "7.3900    7.0000" in out      # forecast, CM mean and median
    assert (tmp_path / "cm" / "summary.json").exists() and (tmp_path / "cm" / "report.html").exists()


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
