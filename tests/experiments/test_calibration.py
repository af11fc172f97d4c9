"""Calibration (ABC-SMC): data checks, recovery of the parameter that made a synthetic
series, a posterior narrower than the prior, resume and worker independence, and
``batch --posterior``."""

import shutil
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from sim.cli import main
from sim.experiments import jobs as ex
from sim.experiments.calibration import Settings, calibrate, load_posterior, read_data, summarise_run
from sim.experiments.jobs import ExperimentError
from sim.runner import run
from sim.scenario import load_scenario
from sim.scenario.priors import priors_of

ROOT = Path(__file__).resolve().parents[2]
TOY = ROOT / "tests" / "data" / "calib_toy.yaml"
FIELD = "environment.stocks.pressure.inflows.0.rate"
ROWS = [("arrivals", "2021-01"), ("arrivals", "2021-02")]


@pytest.fixture(scope="module")
def toy():
    return load_scenario(TOY)


def synthetic(toy, theta: float, seed: int) -> pd.DataFrame:
    """The data the model makes at inflow rate ``theta`` on ``seed``: monthly arrivals."""
    sc = ex.apply_params(ex.scenario_data(toy), {FIELD: theta})
    values = summarise_run(run(sc, seed=seed, series=True).series, sc, ROWS)
    return pd.DataFrame({"date": ["2021-01-01", "2021-02-01"], "variable": "arrivals", "value": values,
                         "source": "synthetic (the model)"})


# ------------------------------------------------------------------ data checks
@pytest.mark.parametrize("text, needle", [
    ("date,variable,value\n2021-01-01,arrivals,3\n", "missing column(s) source"),
    ("date,variable,value,source\n2021-13-01,arrivals,3,s\n", ":2: date: not a date"),
    ("date,variable,value,source\n2021-01-01,arrivals,three,s\n", ":2: value: not a number"),
    ("date,variable,value,source,x\n2021-01-01,arrivals,3,s,1\n", "unknown column(s) x"),
    ("date,variable,value,source\n2021-01-01,arrivals,3,s\n2021-01-01,arrivals,4,s\n", ":3: the same date"),
])
def test_bad_data_files_are_one_line_errors(tmp_path, text, needle):
    f = tmp_path / "d.csv"
    f.write_text(text)
    with pytest.raises(ExperimentError) as e:
        read_data(f)
    assert needle in str(e.value) and "\n" not in str(e.value)


@pytest.mark.parametrize("text, needle", [
    ("date,variable,value,source\n2021-01-01,departures,3,s\n", "departures not in scenario 'calib_toy'"),
    ("date,variable,value,source\n2021-03-01,arrivals,3,s\n", "is not wholly inside the run"),
])
def test_data_that_the_scenario_cannot_produce_is_exit_2(tmp_path, capsys, text, needle):
    f = tmp_path / "d.csv"
    f.write_text(text)
    rc = main(["calibrate", str(TOY), "--data", str(f), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    assert rc == 2 and needle in capsys.readouterr().err


# ------------------------------------------------------------------ one calibration, resumed
SMALL = Settings(population=24, alpha=0.5, max_generations=3, seed=3, predictive=8)


@pytest.fixture(scope="module")
def calibrated(toy, tmp_path_factory):
    out = tmp_path_factory.mktemp("cal") / "c"
    data = synthetic(toy, 0.02, seed=100)
    return data, out, calibrate(toy, data, out, SMALL)


def test_the_posterior_holds_the_truth_and_is_narrower_than_the_prior(calibrated):
    data, out, res = calibrated
    r = res.intervals.set_index("parameter").loc[FIELD]
    assert r.posterior_q05 <= 0.02 <= r.posterior_q95
    assert r.width_ratio < 0.5                      # prior 90%: [0.0056, 0.045]
    assert len(res.generations) == 3 and res.generations["epsilon"].is_monotonic_decreasing
    for f in ("posterior.parquet", "generations.csv", "intervals.csv", "predictive.csv",
              "posterior_predictive.png", "report.html"):
        assert (out / f).exists(), f
    assert np.isclose(res.posterior["weight"].sum(), 1.0) and len(res.posterior) == 12
    assert "Posterior-predictive check" in (out / "report.html").read_text()


def test_an_interrupted_calibration_resumes_to_the_same_posterior_on_two_workers(calibrated, toy, tmp_path):
    """Generation 2 and the outputs are removed (as if killed during generation 2); the
    resumed calibration, on 2 worker processes, writes the same posterior bit for bit."""
    data, out, res = calibrated
    copy = tmp_path / "c"
    shutil.copytree(out, copy)
    for f in [*copy.glob("generations/gen-002.*"), copy / "posterior.parquet", copy / "predictive.csv"]:
        f.unlink()
    with pytest.raises(ExperimentError, match="--resume"):
        calibrate(toy, data, copy, SMALL)
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        res2 = calibrate(toy, data, copy, SMALL, executor=pool, resume=True)
    assert res2.resumed_from == 2
    pd.testing.assert_frame_equal(res2.posterior, res.posterior, check_exact=True)
    pd.testing.assert_frame_equal(res2.predictive, res.predictive, check_exact=True)
    other = Settings(**{**SMALL.__dict__, "population": 30})
    with pytest.raises(ExperimentError, match="other data, scenario or settings"):
        calibrate(toy, data, copy, other, resume=True)


def test_batch_draws_from_the_posterior(calibrated, toy):
    _, out, res = calibrated
    post = load_posterior(out)
    job = ex.make_job([toy], reps=20, seed=0, days=3, posterior=out)
    assert job.parameters_label == f"under parameter uncertainty (posterior of {out})"
    runs = ex.execute(job).runs
    assert set(runs[f"param:{FIELD}"]) <= {v[0] for v in post.values}
    assert runs[f"param:{FIELD}"].nunique() > 1
    from sim.experiments.scoring import Observation, score

    _, totals = score(toy, [Observation(series="inflow:pressure", day=10, observed=0.02, source="s")], reps=3,
                      posterior=out)
    assert totals["parameters"].startswith("under parameter uncertainty (posterior of")


# ------------------------------------------------------------------ recovery over many cases
@pytest.mark.slow
def test_parameters_are_recovered_from_synthetic_series(toy):
    """10 synthetic cases, true inflow rates at the prior's 5%, 15%, ..., 95% quantiles,
    each series made on its own seed; population 40 (20 kept), up to 4 generations.
    Criterion: the truth inside the 90% posterior interval in >= 8 of 10 cases, and every
    posterior 90% interval under half the prior's width. About 1,000 model runs: ~45 s
    of one core."""
    prior = priors_of(toy)[FIELD]
    settings = Settings(population=40, alpha=0.5, max_generations=4, seed=0, predictive=2)
    inside, ratios = 0, []
    import tempfile

    for k in range(10):
        theta = float(prior.ppf((k + 0.5) / 10))
        with tempfile.TemporaryDirectory() as d:
            res = calibrate(toy, synthetic(toy, theta, seed=1000 + k), Path(d) / "c",
                            Settings(**{**settings.__dict__, "seed": k}))
        r = res.intervals.set_index("parameter").loc[FIELD]
        inside += r.posterior_q05 <= theta <= r.posterior_q95
        ratios.append(r.width_ratio)
    assert inside >= 8, inside
    assert max(ratios) < 0.5, ratios


def test_an_observable_naming_a_series_the_model_lacks_is_a_clear_error(tmp_path, capsys):
    """(e.g. after the environment's series are renamed): every run fails -> exit 2."""
    f = tmp_path / "toy.yaml"
    f.write_text(f"extends: {TOY}\nname: renamed\nobservables:\n  arrivals:\n    series: no_such_series\n")
    d = tmp_path / "d.csv"
    d.write_text("date,variable,value,source\n2021-01-01,arrivals,3,s\n")
    rc = main(["calibrate", str(f), "--data", str(d), "--out", str(tmp_path / "o"), "--workers", "1",
               "--population", "4", "--quiet"])
    err = capsys.readouterr().err
    assert rc == 2 and "every simulation of generation 0 failed" in err and "no_such_series" in err


# ------------------------------------------------------------------ why it stopped, how well it fits (issue 22)
SD = 0.02           # the toy simulator's noise, in units of its [0, 1] parameter


def _toy_simulate(task):
    """A stand-in for the model (the calibration machinery is real): each data row k is
    (k + 1) x theta + noise, theta the calibrated inflow rate on the toy's prior, on the
    task's own seeds."""
    out = []
    for params, key in zip(task["params"], task["keys"]):
        rng = np.random.default_rng(np.random.SeedSequence(task["entropy"], spawn_key=tuple(key)))
        theta = params[FIELD]
        out.append([(k + 1) * theta + rng.normal(0, SD * theta) for k in range(len(task["rows"]))])
    return task["task_id"], np.array(out, dtype=float), ""


def _toy_data(values):
    return pd.DataFrame({"date": ["2021-01-01", "2021-02-01"], "variable": "arrivals", "value": values,
                         "source": "synthetic"})


@pytest.fixture
def toy_sim(monkeypatch):
    import sim.experiments.calibration as cal

    monkeypatch.setattr(cal, "_simulate", _toy_simulate)


def test_the_stopping_rule_decides_and_the_cap_warns(toy, toy_sim, tmp_path, capsys):
    """D1: with the old cap of 8 generations the calibration stopped before its rule, and
    said nothing. Now it runs until the acceptance rate falls below the threshold, and a
    cap that fires first is named in the result, the report and a warning."""
    data = _toy_data([0.02, 0.04])
    res = calibrate(toy, data, tmp_path / "a", Settings(population=40, seed=1, predictive=20))
    g = res.generations
    assert res.stop_reason == "rule" and len(g) > 8
    assert g["acceptance"].iloc[-1] < 0.05 and (g["acceptance"].iloc[:-1] >= 0.05).all()
    assert not res.warnings
    html = (tmp_path / "a" / "report.html").read_text()
    assert "Stopped by its stopping rule" in html and "ess" in html
    capped = calibrate(toy, data, tmp_path / "b", Settings(population=40, seed=1, predictive=20, max_generations=4))
    assert capped.stop_reason == "cap" and len(capped.generations) == 4
    assert any("generation cap" in w for w in capped.warnings)
    assert "Stopped by the generation cap" in (tmp_path / "b" / "report.html").read_text()
    # the CLI says so on stderr, and resuming with a higher cap continues the same calibration
    import sim.experiments.calibration as cal

    f = tmp_path / "d.csv"
    data.to_csv(f, index=False)
    args = ["calibrate", str(TOY), "--data", str(f), "--out", str(tmp_path / "b"), "--workers", "1",
            "--population", "40", "--seed", "1", "--predictive", "20"]
    assert cal._simulate is _toy_simulate
    rc = main([*args, "--max-generations", "60", "--resume"])
    out = capsys.readouterr()
    assert rc == 0 and "Stopped by its stopping rule" in out.out and "ESS" in out.out
    resumed = pd.read_csv(tmp_path / "b" / "generations.csv")
    pd.testing.assert_frame_equal(resumed, res.generations.reset_index(drop=True), check_exact=True)


def test_the_target_ess_sizes_the_population():
    assert Settings(target_ess=100, alpha=0.5).population == 200
    assert Settings(target_ess=30, alpha=0.25).population == 120


def test_a_misfit_is_measured_and_called_misspecified(toy, toy_sim, tmp_path, capsys):
    """D2: data the model cannot make (the second month below the first, the toy only
    grows) is called misspecified, with the share inside the band and a p-value; data it
    made itself is not."""
    bad = calibrate(toy, _toy_data([0.03, 0.02]), tmp_path / "bad", Settings(population=40, seed=2, predictive=100))
    c = bad.check
    assert c["misspecified"] and c["inside_90"] < 2 and c["p_value"] < 0.05
    assert any("misspecified" in w for w in bad.warnings)
    assert "misspecified" in (tmp_path / "bad" / "report.html").read_text()
    assert "predictive_p" in pd.read_csv(tmp_path / "bad" / "predictive.csv").columns
    good = calibrate(toy, _toy_data([0.02, 0.04]), tmp_path / "good", Settings(population=40, seed=2,
                                                                                 predictive=100))
    assert not good.check["misspecified"] and good.check["p_value"] > 0.05
    assert "No evidence of misfit" in (tmp_path / "good" / "report.html").read_text()


@pytest.mark.slow
def test_simulation_based_calibration_ranks_are_uniform(toy, toy_sim, tmp_path):
    """Simulation-based calibration (Talts et al. 2018) over 40 synthetic cases: the true
    parameter drawn from the prior, data made by the (toy) simulator, a calibration, and
    the posterior rank of the truth, sum of the weights of particles below it. If the
    sampler is calibrated the ranks are uniform on [0, 1]: Kolmogorov-Smirnov p > 0.01,
    and each quarter holds 4 to 16 of the 40 ranks (an ABC posterior wider than the true
    one would pile ranks in the middle; a too narrow one at the ends)."""
    from scipy import stats

    prior = priors_of(toy)[FIELD]
    ranks = []
    for case in range(40):
        rng = np.random.default_rng([22, case])
        theta = float(prior.ppf(rng.random()))
        y = [(k + 1) * theta + rng.normal(0, SD * theta) for k in range(2)]
        res = calibrate(toy, _toy_data(y), tmp_path / f"c{case}", Settings(population=60, seed=case, predictive=4))
        post = res.posterior
        ranks.append(float(post.loc[post[f"param:{FIELD}"] < theta, "weight"].sum()))
    ranks = np.array(ranks)
    assert stats.kstest(ranks, "uniform").pvalue > 0.01, np.sort(ranks)
    counts = np.histogram(ranks, bins=4, range=(0, 1))[0]
    assert counts.min() >= 4 and counts.max() <= 16, counts


def test_an_out_of_sample_check_scores_the_months_it_did_not_fit(toy, toy_sim, tmp_path, capsys):
    """Item 2: fit January only, forecast February. When February continues January the
    posterior forecast beats both the prior predictive and persistence; when it does
    not, it loses to persistence: the references can be lost to."""
    from sim.experiments.outofsample import holdout

    s = Settings(population=40, seed=4, predictive=100)
    _, good = holdout(toy, _toy_data([0.02, 0.04]), "2021-02-01", tmp_path / "g", s)
    g = good.iloc[0]
    assert len(good) == 1 and str(g["date"]) == "2021-02-01" and g["inside_90"]
    assert g["skill_vs_prior_predictive"] > 0.5 and g["skill_vs_persistence"] > 0.5
    assert (tmp_path / "g" / "holdout.csv").exists()
    _, bad = holdout(toy, _toy_data([0.02, 0.015]), "2021-02-01", tmp_path / "b", s)
    assert bad.iloc[0]["skill_vs_persistence"] < 0 and not bad.iloc[0]["inside_90"]
    with pytest.raises(ExperimentError, match="needs rows before it"):
        holdout(toy, _toy_data([0.02, 0.04]), "2020-12-01", tmp_path / "e", s)
    f = tmp_path / "d.csv"
    _toy_data([0.02, 0.04]).to_csv(f, index=False)
    rc = main(["calibrate", str(TOY), "--data", str(f), "--out", str(tmp_path / "c"), "--workers", "1",
               "--population", "40", "--predictive", "50", "--fit-until", "2021-02-01"])
    out = capsys.readouterr().out
    assert rc == 0 and "out of sample (fitted before 2021-02-01)" in out and "vs persistence" in out
    rc = main(["calibrate", str(TOY), "--data", str(f), "--out", str(tmp_path / "x"), "--fit-until", "Feb"])
    assert rc == 2 and "--fit-until Feb: not a date" in capsys.readouterr().err
