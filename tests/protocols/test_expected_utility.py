"""The expected-utility (Bueno de Mesquita) protocol: exact checks, invariants,
channel and stance constraints, one round a day inside the day model, and the
protocol comparison."""

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import build, eu_run

import sim
from sim.analysis.compromise import weighted_mean, weighted_median
from sim.model import NegotiationModel
from sim.runner import with_protocol
from sim.scenario import SCENARIO_DIR

ROOT = Path(__file__).resolve().parents[2]


def test_ec_emissions_round_zero_is_exact():
    """BDM 1994 Table 1 (via Scholz et al. 2011): capability x salience weighted mean
    7.389955686853767 and weighted median 7.0, on the original 4-10 scale."""
    eu = eu_run("ec_emissions", rounds=1)
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
    port: see test_ec_emissions_default_never_converges) and stops at the round limit.
    Positions stay within each issue's initial range, every day of the run."""
    m = NegotiationModel(sc.model_copy(update={"horizon_days": sc.protocol.max_rounds}), rng=0).run()
    p = m.protocol
    allowed = {"round limit"} if sc.name == "ec_emissions" else {"converged", "cycle"}
    assert set(p.status.values()) <= allowed, p.status
    X0 = p.history[0]
    for X in p.history:      # positions stay within each issue's initial range
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
    f = eu_run(sc).forecast.iloc[0]
    assert f["median"] == 0.8 and f["mean"] == pytest.approx(0.8, abs=1e-6)


def test_identical_actors_do_not_move():
    sc = _one_issue({"a": (0.3, 0.4, 0.7), "b": (0.3, 0.4, 0.7), "c": (0.3, 0.4, 0.7)})
    eu = eu_run(sc)
    assert eu.moves.empty and (eu.positions["position"] == 0.4).all()
    assert eu.forecast.iloc[0]["status"] == "converged"


def test_no_challenge_without_a_channel():
    """The same three actors converge when all may challenge each other, and never
    move when no channel joins them."""
    actors = {"a": (0.5, 0.0, 0.9), "b": (0.3, 1.0, 0.5), "c": (0.2, 0.6, 0.8)}
    open_ = eu_run(_one_issue(actors))
    closed = eu_run(_one_issue(actors, {"a-b": "closed"}))
    assert not open_.moves.empty and closed.moves.empty


def test_channels_and_stances_hold_on_the_baseline():
    """Moves only along open channels carrying the issue (the channels of the day they
    happen on), Russia's denial holds every day, and the technical Poland-Belarus channel
    carries no political move."""
    sc = with_protocol(sim.load_scenario("baseline"), "expected_utility")
    m = NegotiationModel(sc, rng=3)
    seen = []
    for _ in range(sc.horizon_days):
        carried = {(frozenset((ch.a, ch.b)), m.issue_ids[k]) for ch in m.channels for k in ch.issues}
        before = len(m.protocol.moves())
        m.step()
        for mv in m.protocol.moves()[before:]:
            assert (frozenset((mv["actor"], mv["toward"])), mv["issue"]) in carried, mv
            seen.append(mv)
        assert m.actors["russia"].position[m.idx["russia_role"]] == 0.0   # the denier never moves toward acknowledging
    assert seen
    tech = [mv for mv in seen if frozenset((mv["actor"], mv["toward"])) == frozenset(("poland", "belarus"))]
    assert all(sc.issues[mv["issue"]].kind == "technical" for mv in tech)


def test_the_crisis_runs_beside_the_forecast():
    """Under expected utility the day still runs: unilateral moves and the environment go
    on (implemented values move), agreements never happen, the forecast differs from
    the implemented value, and the outcomes have the keys every protocol has."""
    ao = sim.run("baseline", seed=1, series=False)
    eu = sim.run("baseline", seed=1, series=False, protocol="expected_utility")
    assert set(ao.outcomes) == set(eu.outcomes)
    assert eu.outcomes["n_agreements"] == 0 and eu.outcomes["n_unilateral"] > 0
    assert eu.outcomes["stalemate"] is None and ao.outcomes["stalemate"] in (True, False)
    diff = [j for j in sim.load_scenario("baseline").issues
            if abs(eu.outcomes[f"forecast:{j}"] - eu.outcomes[f"final:{j}"]) > 0.05]
    assert len(diff) >= 3
    assert all(ao.outcomes[f"forecast:{j}"] == ao.outcomes[f"final:{j}"] for j in sim.load_scenario("baseline").issues)


def test_run_prints_rounds_and_forecast(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "run", "ec_emissions", "--protocol",
                        "expected_utility", "--no-plots", "--out", str(tmp_path / "ec")],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stderr
    assert "0: 7.0000 / 7.3900" in r.stdout and "1: 8.4159 / 7.4613" in r.stdout
    assert "round limit (100 rounds)" in r.stdout
    assert (tmp_path / "ec" / "moves.csv").exists() and (tmp_path / "ec" / "summary.json").exists()


def test_batches_run_the_forecast_protocols_under_the_priors():
    """A batch under a forecast protocol is a batch like any other: one row per run with a
    forecast per issue, drawn parameters recorded; the forecast moves with an uncertain
    capability (what the models weigh) and the runs reproduce."""
    from sim.experiments.jobs import batch

    sc = _one_issue({"a": (0.5, 0.0, 0.9), "b": (0.3, 1.0, 0.5), "c": (0.2, 0.6, 0.8)})
    sc = build({**sc.model_dump(mode="json", by_alias=True, exclude_none=True),
                "uncertain": {"actors.a.capability": [0.05, 1.0]}})
    for protocol in ("expected_utility", "compromise"):
        runs = batch([sc], reps=8, seed=1, protocol=protocol)
        assert (runs["status"] == "ok").all() and (runs["protocol"] == protocol).all()
        assert runs["param:actors.a.capability"].nunique() == 8
        assert runs["forecast:i"].nunique() > 1, protocol
        assert runs["n_agreements"].eq(0).all()
        again = batch([sc], reps=8, seed=1, protocol=protocol)
        assert runs["forecast:i"].tolist() == again["forecast:i"].tolist()


def test_compare_protocols_end_to_end(tmp_path):
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "compare-protocols", "baseline", "--reps", "6",
                        "--protocols", "alternating_offers,expected_utility", "--workers", "1",
                        "--out", str(tmp_path / "c")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    t = pd.read_csv(tmp_path / "c" / "comparison.csv")
    assert set(t["issue"]) == set(sim.load_scenario("baseline").issues)
    assert set(t["protocol"]) == {"alternating_offers", "expected_utility", "compromise"}   # the yardstick joins
    assert {"median", "mean", "p05", "p95", "vs_compromise", "status_quo"} <= set(t.columns)
    from sim.analysis.compromise import compromise_forecast

    cm = compromise_forecast(sim.load_scenario("baseline"))
    got = t[t["protocol"] == "compromise"].set_index("issue")["median"]
    assert all(abs(got[j] - cm[j][0]) < 1e-12 for j in cm)                # fixed inputs: the closed form
    assert (t[t["protocol"] == "compromise"]["vs_compromise"] == 0).all()
    assert (tmp_path / "c" / "comparison.png").stat().st_size > 10_000
    assert (tmp_path / "c" / "report.html").exists()
    assert "expected_utility" in r.stdout and "Distance from the compromise model" in r.stdout
    d = pd.read_csv(tmp_path / "c" / "differences.csv")
    assert set(d["kind"]) == {"distance", "difference"} and (d["low"] <= d["mean"]).all()
    assert "told apart" in (tmp_path / "c" / "comparison.md").read_text()


def test_compare_protocols_keeps_the_daily_series_when_asked(tmp_path):
    """--series is an experiment option of compare-protocols too: the runs' daily series
    of every protocol are written (series.parquet), one block per run."""
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "compare-protocols", "ec_emissions", "--reps", "2",
                        "--days", "5", "--series", "--workers", "1", "--quiet", "--no-report",
                        "--out", str(tmp_path / "c")], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    s = pd.read_parquet(tmp_path / "c" / "series.parquet")
    runs = pd.read_parquet(tmp_path / "c" / "runs.parquet")
    assert set(s["run_id"]) == set(runs["run_id"]) and (s["variable"] == "forecast").any()
