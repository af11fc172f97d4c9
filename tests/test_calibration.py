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

ROOT = Path(__file__).resolve().parent.parent
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
