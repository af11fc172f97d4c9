"""The expected-utility (Bueno de Mesquita) protocol: exact checks, invariants,
channel and stance constraints, and the protocol comparison."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.protocols.expected_utility import ExpectedUtilityModel, run_expected_utility, weighted_mean, weighted_median
from sim.runner import with_protocol
from sim.scenario import SCENARIO_DIR

from conftest import build

ROOT = Path(__file__).resolve().parent.parent


def test_ec_emissions_round_zero_is_exact():
    """BDM 1994 Table 1 (via Scholz et al. 2011): capability x salience weighted mean
    7.389955686853767 and weighted median 7.0, on the original 4-10 scale."""
    eu = run_expected_utility(sim.load_scenario("ec_emissions"))
    r0 = eu.rounds[eu.rounds["round"] == 0].iloc[0]
    assert r0["mean"] == 7.389955686853767
    assert r0["median"] == 7.0


def test_weighted_median_and_mean_helpers():
    x = np.array([4.0, 7.0, 10.0])
    assert weighted_median(x, np.array([0.3, 0.1, 0.6])) == 10.0
    assert weighted_median(x, np.array([0.5, 0.1, 0.4])) == 4.0     # cumulative reaches half at 4
    assert weighted_mean(x, np.array([1.0, 1.0, 1.0])) == 7.0


def _every_eu_scenario():
    for f in sorted(SCENARIO_DIR.glob("*.yaml")):
        yield with_protocol(sim.load_scenario(f), "expected_utility")


@pytest.mark.parametrize("sc", list(_every_eu_scenario()), ids=lambda s: s.name)
def test_every_shipped_scenario_stops_and_stays_in_range(sc):
    """Every crisis scenario converges or reports a cycle; the EC case does neither under
    Scholz's reading (three small states chase each other for ever, as in the public
    port: see test_ec_emissions_default_never_converges) and stops at the round limit."""
    m = ExpectedUtilityModel(sc).run()
    allowed = {"round limit"} if sc.name == "ec_emissions" else {"converged", "cycle"}
    assert set(m.status.values()) <= allowed, m.status
    X0 = m.history[0]
    for X in m.history:      # positions stay within each issue's initial range
        assert (X >= X0.min(axis=0) - 1e-12).all() and (X <= X0.max(axis=0) + 1e-12).all()


def _one_issue(actors, channels=None):
    return build({
        "name": "toy", "description": "toy", "start_date": "2020-01-01", "horizon_days": 10,
        "protocol": {"name": "expected_utility"},
        "issues": {"i": {"kind": "political", "low": "l", "high": "h", "status_quo": 0.5,
                         "control": list(actors)}},
        "actors": {a: {"name": a, "capability": c, "position": {"i": x}, "salience": {"i": s}}
                   for a, (c, x, s) in actors.items()},
        "channels": channels or {"*": "political"},
    })


def test_a_lone_actor_with_all_the_capability_sets_the_outcome():
    sc = _one_issue({"big": (1.0, 0.8, 1.0), "a": (1e-9, 0.1, 1.0), "b": (1e-9, 0.3, 0.5),
                     "c": (1e-9, 0.95, 0.9)})
    f = run_expected_utility(sc).forecast.iloc[0]
    assert f["median"] == 0.8 and f["mean"] == pytest.approx(0.8, abs=1e-6)


def test_identical_actors_do_not_move():
    sc = _one_issue({"a": (0.3, 0.4, 0.7), "b": (0.3, 0.4, 0.7), "c": (0.3, 0.4, 0.7)})
    eu = run_expected_utility(sc)
    assert eu.moves.empty and (eu.positions["position"] == 0.4).all()
    assert eu.forecast.iloc[0]["status"] == "converged"


def test_no_challenge_without_a_channel():
    """The same three actors converge when all may challenge each other, and never
    move when no channel joins them."""
    actors = {"a": (0.5, 0.0, 0.9), "b": (0.3, 1.0, 0.5), "c": (0.2, 0.6, 0.8)}
    open_ = run_expected_utility(_one_issue(actors))
    closed = run_expected_utility(_one_issue(actors, {"a-b": "closed"}))
    assert not open_.moves.empty and closed.moves.empty


def test_channels_and_stances_hold_on_the_baseline():
    sc = with_protocol(sim.load_scenario("baseline"), "expected_utility")
    m = ExpectedUtilityModel(sc).run()
    carried = {(frozenset((ch.a, ch.b)), m.issue_ids[k]) for ch in m.structure.channels for k in ch.issues}
    for mv in m.moves:
        assert (frozenset((mv["actor"], mv["toward"])), mv["issue"]) in carried, mv
    k = m.issue_ids.index("russia_role")
    russia = m.actor_ids.index("russia")
    assert all(X[russia, k] == 0.0 for X in m.history)          # the denier never moves toward acknowledging
    tech = [mv for mv in m.moves if frozenset((mv["actor"], mv["toward"])) == frozenset(("poland", "belarus"))]
    assert all(sc.issues[mv["issue"]].kind == "technical" for mv in tech)


def test_run_prints_rounds_and_forecast(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "run", "ec_emissions", "--protocol",
                        "expected_utility", "--no-plots", "--out", str(tmp_path / "ec")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "7.3900" in r.stdout and "7.0000" in r.stdout and "forecast: weighted median" in r.stdout


def test_batches_refuse_the_deterministic_protocol():
    from sim.experiments.jobs import ExperimentError, make_job

    with pytest.raises(ExperimentError, match="deterministic"):
        make_job(["ec_emissions"], reps=3)


def test_compare_protocols_end_to_end(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "compare-protocols", "baseline", "--reps", "8",
                        "--workers", "1", "--out", str(tmp_path / "c")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(tmp_path / "c" / "comparison.csv")
    assert set(t["issue"]) == set(sim.load_scenario("baseline").issues)
    assert {"ao_mean", "ao_p05", "ao_p95", "eu_median", "eu_mean", "cm_mean", "cm_median", "agree"} <= set(t.columns)
    from sim.protocols.compromise import run_compromise
    cm = run_compromise(sim.load_scenario("baseline")).forecast.set_index("issue")
    assert np.allclose(t.set_index("issue").loc[cm.index, "cm_mean"], cm["mean"], atol=1e-12)
    assert (tmp_path / "c" / "comparison.png").stat().st_size > 10_000
    assert "EU median" in r.stdout and "CM mean" in r.stdout
