"""Scoring against a record: the scores by hand, a record drawn from the model beats a
perturbed one, record errors, the CLI."""

import json
import math
from pathlib import Path

import numpy as np
import pytest

from sim.cli import main
from sim.experiments.jobs import ExperimentError, execute, make_job
from sim.experiments.scoring import Observation, brier, crps_ensemble, crps_fair, evaluate, forecast, load_record, skill
from sim.scenario import load_scenario

ROOT = Path(__file__).resolve().parents[2]
DAYS = 20                  # a short baseline: the event of day 9 fires, runs stay quick


# ------------------------------------------------------------------ the scores by hand
def test_brier_by_hand():
    assert brier(0.7, 1) == pytest.approx(0.09)
    assert brier(0.7, 0) == pytest.approx(0.49)
    assert brier(1.0, 1) == 0.0


def test_crps_of_an_ensemble_by_hand():
    # members 1, 2, 3 and y = 2: mean|X - y| = 2/3; the 9 pairs' |X - X'| sum to 8
    # -> CRPS = 2/3 - 8/18 = 2/9
    assert crps_ensemble([1, 2, 3], 2) == pytest.approx(2 / 9)
    # one member: the absolute error
    assert crps_ensemble([5.0], 2.0) == pytest.approx(3.0)
    # members 0 and 1, y = 0: mean|X - y| = 1/2; pairs 0,1,1,0 -> mean 1/2 -> CRPS = 1/2 - 1/4
    assert crps_ensemble([1.0, 0.0], 0.0) == pytest.approx(0.25)
    # the O(N log N) form equals the O(N^2) definition
    x = np.random.default_rng(0).normal(size=57)
    direct = np.mean(np.abs(x - 0.3)) - 0.5 * np.mean(np.abs(x[:, None] - x[None, :]))
    assert crps_ensemble(x, 0.3) == pytest.approx(direct, abs=1e-12)


def test_skill_against_the_reference():
    assert skill(0.25, 1.0) == pytest.approx(0.75)
    assert skill(2.0, 1.0) == pytest.approx(-1.0)
    assert math.isnan(skill(0.1, 0.0))                   # nothing to beat


# ------------------------------------------------------------------ a record from the model
@pytest.fixture(scope="module")
def short_baseline():
    return load_scenario("baseline", overrides={"horizon_days": DAYS})


QUANTITIES = [Observation(outcome="stock_final:pressure", observed=0, source="model", reference=0.5),
              Observation(series="stock:pressure", day=10, observed=0, source="model"),
              Observation(outcome="any_technical", observed=0, source="model")]


def _truths(sc, n):
    """``n`` runs of the model on seeds the forecast does not use (root seed 999)."""
    job = make_job([sc], n, seed=999, series=True)
    res = execute(job)
    return res.runs, res.runs.attrs["series"]


def _record_from(runs, series, k, shift):
    """The record of truth run k; ``shift`` moves numbers by that much and flips yes/no."""
    row = runs.iloc[k]
    s = series[(series.run_id == row.run_id) & (series.variable == "stock:pressure") & (series.day == 10)]
    flip = (lambda b: 1 - b) if shift else (lambda b: b)
    return [Observation(outcome="stock_final:pressure", observed=row["stock_final:pressure"] + shift, source="m",
                        reference=0.5),
            Observation(series="stock:pressure", day=10, observed=float(s.value.iloc[0]) + shift, source="m"),
            Observation(outcome="any_technical", observed=flip(float(row.any_technical)), source="m")]


def test_a_record_drawn_from_the_model_scores_better_than_a_perturbed_one(short_baseline):
    """Over 40 truth runs drawn from the model, mean score per observation: the model's
    own forecast beats the same forecast shifted by 0.3 (pressure is on [0, 1]) or with
    the yes/no flipped (a proper score rewards the true distribution). Shifting the truth
    instead, as this test once did, is no test of propriety: the day-20 pressure is
    two-peaked since the EU's threat and promise, and a shifted low truth lands in the
    high peak."""
    sc = short_baseline
    runs, series, job = forecast(sc, QUANTITIES, reps=40, seed=1)
    truth_runs, truth_series = _truths(sc, 40)
    p = float(runs["any_technical"].astype(float).mean())
    # the wrong forecast: the same ensemble with its numbers shifted by 0.3 and its yes/no
    # flipped, scored against the same truths (a proper score prefers the right one)
    wrong_runs = runs.copy()
    wrong_runs["stock_final:pressure"] = wrong_runs["stock_final:pressure"].astype(float) + 0.3
    wrong_runs["any_technical"] = ~wrong_runs["any_technical"].astype(bool)
    wrong_series = series.copy()
    on = wrong_series["variable"] == "stock:pressure"
    wrong_series.loc[on, "value"] = wrong_series.loc[on, "value"] + 0.3
    own, perturbed = [], []
    for k in range(40):
        record = _record_from(truth_runs, truth_series, k, 0.0)
        for (r, s_), acc in (((runs, series), own), ((wrong_runs, wrong_series), perturbed)):
            table, _ = evaluate(sc, record, r, s_)
            acc.append(table["score"].to_numpy())
    own, perturbed = np.mean(own, axis=0), np.mean(perturbed, axis=0)
    assert own[0] < perturbed[0] and own[1] < perturbed[1]           # CRPS of the two numbers
    if abs(p - 0.5) > 0.15:     # a flipped yes/no is only detectably worse away from p = 1/2
        assert own[2] < perturbed[2]
    assert own.sum() < perturbed.sum()


def test_scores_table_has_the_forecast_interval_and_reference(short_baseline):
    runs, series, job = forecast(short_baseline, QUANTITIES, reps=30, seed=2)
    table, totals = evaluate(short_baseline, QUANTITIES, runs, series, job.parameters_label)
    r = table.set_index("observation")
    pf = runs["stock_final:pressure"].to_numpy(float)
    r0 = r.loc["stock_final:pressure"]
    assert r0["median"] == pytest.approx(np.median(pf))
    assert r0["q05"] == pytest.approx(np.percentile(pf, 5))
    assert r0["score"] == pytest.approx(crps_ensemble(pf, 0.0))
    assert r0["reference_score"] == pytest.approx(0.5)
    # the series' naive reference is its day-0 value: the level the history left (median over runs)
    day0 = series[(series["variable"] == "stock:pressure") & (series["day"] == 0)]["value"]
    assert r.loc["stock:pressure@day10", "reference"] == pytest.approx(float(np.median(day0)))
    assert day0.nunique() > 1
    assert r.loc["any_technical", "forecast"] == pytest.approx(runs["any_technical"].astype(float).mean())
    assert r.loc["any_technical", "reference"] == 0.5           # even odds: no base rate in the record
    assert totals["parameters"] == "under parameter uncertainty (priors)"


# ------------------------------------------------------------------ records and the CLI
@pytest.mark.parametrize("text, needle", [
    ("- {outcome: x, observed: 1}\n", "observation 0 source"),
    ("- {outcome: x, series: y, day: 2, observed: 1, source: s}\n", "exactly one of 'outcome' or 'series'"),
    ("- {series: pressure, observed: 1, source: s}\n", "needs 'day'"),
    ("[]\n", "non-empty list"),
    ("- {outcome: x, observed: 1, source: s, foo: 2}\n", "observation 0 foo"),
])
def test_bad_records_are_one_line_errors_naming_the_entry(tmp_path, text, needle):
    f = tmp_path / "r.yaml"
    f.write_text(text)
    with pytest.raises(ExperimentError) as e:
        load_record(f)
    assert needle in str(e.value) and str(f) in str(e.value) and "\n" not in str(e.value)


def test_cli_score_prints_a_table_or_json_and_exits_0(tmp_path, capsys):
    args = ["score", "baseline", "--record", str(ROOT / "tests" / "data" / "record_example.yaml"),
            "--reps", "4", "--workers", "1", "--quiet"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "under parameter uncertainty (priors)" in out and "CRPS" in out and "Brier" in out
    assert main([*args, "--json"]) == 0
    doc = json.loads(capsys.readouterr().out)
    assert doc["totals"]["n_observations"] == len(load_record(ROOT / "tests" / "data" / "record_example.yaml"))
    assert {o["kind"] for o in doc["observations"]} == {"binary", "continuous"}


def test_cli_score_unknown_outcome_is_exit_2(tmp_path, capsys):
    f = tmp_path / "r.yaml"
    f.write_text("- {outcome: no_such_column, observed: 1, source: s}\n")
    assert main(["score", "baseline", "--record", str(f), "--reps", "2", "--workers", "1", "--quiet"]) == 2
    assert "no outcome 'no_such_column'" in capsys.readouterr().err


def test_an_outcome_a_protocol_does_not_define_is_a_clear_error(tmp_path):
    """stalemate is not defined under a protocol that makes no agreements: scoring it is
    bad input with a message, not a traceback; a forecast: observation gets the status
    quo as its naive reference."""
    import subprocess
    import sys

    rec = tmp_path / "rec.yaml"
    rec.write_text("- {outcome: stalemate, observed: 1, source: test}\n")
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "score", "black_sea_grain", "--record", str(rec),
                        "--reps", "3", "--workers", "1", "--quiet", "--protocol", "expected_utility"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 2 and "has no value in any run" in r.stderr and "Traceback" not in r.stderr
    rec.write_text("- {outcome: 'forecast:corridor', observed: 1, source: test}\n")
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), "score", "black_sea_grain", "--record", str(rec),
                        "--reps", "3", "--workers", "1", "--quiet", "--protocol", "expected_utility", "--json"],
                       capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, r.stderr
    import json

    obs = json.loads(r.stdout)["observations"][0]
    assert obs["reference"] == 0.0 and "day-0 value" in obs["reference_note"]


# ------------------------------------------------------------------ a reference that can be lost to (issue 22)
def _runs(p_yes: float, numbers, n=20):
    import pandas as pd

    k = int(round(p_yes * n))
    return pd.DataFrame({"run_id": range(n), "any_technical": pd.array([True] * k + [False] * (n - k),
                                                                       dtype="boolean"),
                         "stock_peak:pressure": np.resize(np.asarray(numbers, float), n)})


def test_skill_can_be_negative_for_a_yes_no_outcome_and_brier_and_crps_stay_apart():
    """D6: against p = 0 the skill of a forecast of an event that happened was never
    negative (1 - (1 - p)^2 >= 0) and undefined when it did not happen; and the "mean
    skill" averaged Brier and CRPS skills. A forecast of 10% for what happened now loses
    to the reference, a forecast of 90% beats it, and the totals give a Brier skill and a
    CRPS skill from the summed scores."""
    sc = load_scenario("baseline")
    rec = [Observation(outcome="any_technical", observed=1, source="s"),
           Observation(outcome="stock_peak:pressure", observed=0.6, reference=0.5, source="s")]
    bad, bt = evaluate(sc, rec, _runs(0.1, [0.1, 0.2, 0.3]), None)
    good, gt = evaluate(sc, rec, _runs(0.9, [0.55, 0.6, 0.65]), None)
    assert bad.loc[0, "skill"] < 0 < good.loc[0, "skill"]
    assert bad.loc[0, "skill"] == pytest.approx(1 - 0.81 / 0.25)
    none_happened = evaluate(sc, [Observation(outcome="any_technical", observed=0, source="s")],
                             _runs(0.1, [0.0]), None)[0]
    assert none_happened.loc[0, "skill"] == pytest.approx(1 - 0.01 / 0.25)      # defined, not NaN
    assert "mean_skill" not in gt
    assert gt["brier_skill"] == pytest.approx(good.loc[0, "skill"])
    assert gt["crps_skill"] == pytest.approx(1 - good.loc[1, "score"] / 0.1)
    assert bt["crps_skill"] < 0 < gt["crps_skill"]


def test_with_a_posterior_the_reference_is_the_prior_predictive():
    sc = load_scenario("baseline")
    rec = [Observation(outcome="any_technical", observed=1, source="s"),
           Observation(outcome="stock_peak:pressure", observed=0.6, source="s")]
    prior = _runs(0.5, [0.2, 0.9])
    post = _runs(0.8, [0.5, 0.6, 0.7])
    t, totals = evaluate(sc, rec, post, None, reference_runs=prior)
    assert t.loc[0, "reference"] == 0.5 and t.loc[0, "reference_score"] == pytest.approx(0.25)
    assert t.loc[1, "reference_score"] == pytest.approx(crps_ensemble(prior["stock_peak:pressure"], 0.6))
    assert "prior predictive" in t.loc[1, "reference_note"] and totals["reference"] == "the prior predictive"
    assert totals["brier_skill"] > 0 and totals["crps_skill"] > 0


def test_fair_crps_by_hand():
    x = np.array([0.0, 1.0])
    # mean|X - 0.5| = 0.5; the one distinct pair differs by 1: fair = 0.5 - 2 / (2 * 2 * 1) = 0
    assert crps_fair(x, 0.5) == pytest.approx(0.0)
    assert crps_ensemble(x, 0.5) == pytest.approx(0.25)
    rng = np.random.default_rng(0)
    big = rng.normal(size=4000)
    assert crps_fair(big, 0.3) == pytest.approx(crps_ensemble(big, 0.3), abs=1e-3)


# ------------------------------------------------------------------ PIT and reliability (issue 22 item 5)
def test_pit_is_uniform_when_the_observation_comes_from_the_forecast():
    """Over 3,000 cases with ties (members rounded to a tenth), the PIT of an observation
    drawn from the members' own distribution passes a KS test of uniformity (p > 0.001),
    and that of an ensemble half as wide as the truth piles up at the ends (a U: more
    than 40% outside [0.1, 0.9], 20% if calibrated)."""
    from scipy import stats

    from sim.experiments.scoring import pit

    rng = np.random.default_rng(11)
    good, narrow = [], []
    for _ in range(3000):
        members = np.round(rng.normal(size=20), 1)
        y = round(float(rng.normal()), 1)
        good.append(pit(members, y, rng))
        narrow.append(pit(0.5 * members, float(rng.normal()), rng))
    assert stats.kstest(good, "uniform").pvalue > 0.001
    narrow = np.array(narrow)
    assert ((narrow < 0.1) | (narrow > 0.9)).mean() > 0.4
    assert pit([], 1.0, rng) != pit([], 1.0, rng)            # NaN without members


def test_score_draws_pit_and_reliability_with_enough_observations(short_baseline, tmp_path):
    """A record with 12 numeric and 10 yes/no observations gets a figure with both
    panels, whose text the figure checker passes; the example record (4 numeric, 2
    yes/no) gets none, and the CLI says why in one line."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from sim.experiments import scoring
    from sim.viz.figcheck import text_problems

    runs, series = _truths(short_baseline, 1)
    truth = series[series["variable"] == "stock:pressure"].set_index("day")["value"]
    record = [Observation(series="stock:pressure", day=d, observed=float(truth[d]), source="model")
              for d in range(1, 13)]
    record += [Observation(outcome="any_technical", observed=float(bool(runs["any_technical"].iloc[0])),
                           source="model", label=f"any_technical #{n}") for n in range(10)]
    fr, fs, job = forecast(short_baseline, record, reps=20, seed=2)
    table, _ = evaluate(short_baseline, record, fr, fs, job.parameters_label)
    assert table.loc[table["kind"] == "continuous", "pit"].between(0, 1).all()
    assert table.loc[table["kind"] == "binary", "pit"].isna().all()
    shown = []
    orig = plt.Figure.savefig

    def keep(fig, *a, **k):
        shown.append(text_problems(fig))
        return orig(fig, *a, **k)

    plt.Figure.savefig = keep
    try:
        out = scoring.save_calibration_figure(table, tmp_path / "cal.png", "baseline")
    finally:
        plt.Figure.savefig = orig
    assert out is not None and out.stat().st_size > 0 and shown == [[]]
    assert scoring.save_calibration_figure(table.iloc[:5], tmp_path / "none.png") is None
    assert not (tmp_path / "none.png").exists()


def test_score_figure_says_why_there_is_none(tmp_path, capsys):
    assert main(["score", "baseline", "--record", str(Path(__file__).parents[1] / "data" / "record_example.yaml"),
                 "--reps", "4", "--workers", "1", "--quiet", "--figure", str(tmp_path / "f.png")]) == 0
    err = capsys.readouterr().err
    assert "No figure (PIT histogram: 4 numeric observations (needs 10)" in err
    assert not (tmp_path / "f.png").exists()
