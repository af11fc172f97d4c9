"""Issue 25b: calibrate's per-simulation and per-generation overhead removed, the
numbers unchanged. Each change is checked two ways: it is gone (a test that failed on
the code before), and what replaced it gives the very same numbers as what was there
(bit for bit, against the old formula kept here)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats

import sim
from sim.experiments import calibration as cal
from sim.experiments import jobs as ex
from sim.experiments.observe import _StockRecorder, observed_series, observed_summary
from sim.experiments.observed import _period, summarise_run
from sim.scenario import validate_mapping
from sim.scenario.priors import Prior, PriorSpec, priors_of
from tests.conftest import calibration_task


@pytest.fixture(scope="module")
def history():
    return sim.load_scenario("history_2021")


def _variant(history, observables: dict):
    data = ex.scenario_data(history)
    data["observables"] = {**data["observables"], **observables}     # its own one is uncertain
    return validate_mapping(data, "<history variant>")


def _all_rows(sc, seed) -> list[tuple]:
    """Every (variable, period key) the run has, and one period it does not have."""
    variables = list(sc.observables)
    series = observed_series(sc, seed(), variables)
    rows = []
    for v in variables:
        s = series[series["variable"] == sc.observables[v].series]
        rows += [(v, k) for k in dict.fromkeys(_period(s["date"], sc.observables[v].period))]
        rows.append((v, "1999-01"))
    return rows


@pytest.mark.parametrize("observables", [
    None,                                                   # the scenario's own (sum by month)
    {"a": {"series": "inflow:pressure", "aggregate": "mean", "period": "week", "scale": 3.7},
     "b": {"series": "stock:pressure", "aggregate": "last", "period": "day"},
     "c": {"series": "outflow:pressure", "aggregate": "sum", "period": "month",
           "scale": "environment.stocks.pressure.initial"}},
])
def test_the_summary_read_off_the_recorded_arrays_is_the_frames_summary(history, observables):
    """observed_summary (no tidy frame) equals summarise_run of the recorded series,
    bit for bit, whatever the aggregate, period and scale, under drawn parameters."""
    sc0 = history if observables is None else _variant(history, observables)
    data = ex.scenario_data(sc0)
    priors = priors_of(data)
    rng = np.random.default_rng(4)
    for k in range(4):
        params = {f: p.ppf(float(rng.random())) for f, p in priors.items()}
        sc = ex.apply_params(data, params)

        def seed(k=k):
            return np.random.SeedSequence(9, spawn_key=(k,))

        rows = _all_rows(sc, seed)
        want = summarise_run(observed_series(sc, seed(), list(dict.fromkeys(v for v, _ in rows))), sc, rows)
        got = observed_summary(sc, seed(), rows)
        assert np.isnan(got[-1]) and np.isnan(want[-1])
        np.testing.assert_array_equal(got, want)          # NaN where NaN, else equal floats
        assert not np.isnan(want[:-1]).all()


def test_a_calibration_simulation_builds_no_tidy_frame(history, monkeypatch):
    """Before: each simulation built the tidy frame of its stock series (1.7 ms) and
    filtered, sorted and dated it again in summarise_run (1.4 ms), 3 ms of 8."""
    task = calibration_task(history)
    _, want, error = cal._simulate(task)
    assert error == "" and not np.isnan(want).any()
    monkeypatch.setattr(_StockRecorder, "frame", lambda *a, **k: (_ for _ in ()).throw(AssertionError("frame")))
    _, got, error = cal._simulate(task)
    assert error == ""
    np.testing.assert_array_equal(got, want)


def test_an_observable_filtered_by_actor_still_fails_its_simulation_clearly(history):
    """The fast path leaves a filtered observable to the frame's path, which says why
    it has no value (a stock series has no actor)."""
    sc = _variant(history, {"x": {"series": "inflow:pressure", "actor": "poland"}})
    with pytest.raises(ValueError, match="the run has no series 'inflow:pressure'"):
        observed_summary(sc, np.random.SeedSequence(1), [("x", "2021-08")])


# ------------------------------------------------------------- the parent's ABC step
PRIORS = [dict(dist="uniform", lo=0.2, hi=3), dict(dist="loguniform", lo=1e-3, hi=10),
          dict(dist="normal", mean=1, sd=2), dict(dist="normal", mean=1, sd=2, lo=-0.5, hi=4),
          dict(dist="beta", a=2, b=5), dict(dist="beta", a=0.5, b=0.7, lo=1, hi=9),
          dict(dist="triangular", lo=0, hi=5, mode=1)]


def _runner(integer: bool):
    priors = {f"f{k}": Prior(f"f{k}", PriorSpec(**spec), integer) for k, spec in enumerate(PRIORS)}
    return cal._Runner({}, [], list(priors), priors, cal.Settings(), None, None)


@pytest.mark.parametrize("integer", [False, True])
def test_particles_become_parameters_one_quantile_call_per_field(integer, monkeypatch):
    """The parent turned each particle into parameters by one scalar quantile call per
    field and particle (3,500 SciPy calls, 0.1 s a calibration); now one call per
    field: the same values and types as the scalar calls gave."""
    runner = _runner(integer)
    u = np.random.default_rng(2).random((300, len(PRIORS)))
    u[0], u[1] = 0.0, 1.0
    want = [{f: runner.priors[f].ppf(float(x)) for f, x in zip(runner.fields, row)} for row in u]
    calls = []
    ppf = Prior.ppf
    monkeypatch.setattr(Prior, "ppf", lambda self, x: calls.append(1) or ppf(self, x))
    got = runner.params_of(u)
    assert len(calls) == len(PRIORS)
    assert got == want
    assert [[type(v) for v in p.values()] for p in got] == [[type(v) for v in p.values()] for p in want]


def _old_kernel_density(u_new, u_old, w_old, cov):
    """The mixture as it was computed before: one SciPy normal per old particle."""
    w = w_old / w_old.sum()
    dens = np.zeros(len(u_new))
    for ui, wi in zip(u_old, w):
        dens += wi * stats.multivariate_normal(mean=ui, cov=cov, allow_singular=True).pdf(u_new).reshape(-1)
    return dens


def test_the_kernel_density_is_the_scipy_mixture_bit_for_bit():
    """Random cases, including singular kernels (one parameter copied into every
    column) and a block boundary: the same floats as N SciPy normals."""
    rng = np.random.default_rng(5)
    for case in range(60):
        d, n_old, n_new = int(rng.integers(1, 9)), int(rng.integers(1, 90)), int(rng.integers(1, 90))
        u_old, u_new, w = rng.random((n_old, d)), rng.random((n_new, d)), rng.random(n_old) + 0.01
        a = rng.normal(size=(d, d)) * rng.random()
        cov = a @ a.T + 1e-10 * np.eye(d)
        if case % 4 == 0:
            cov = 2.0 * np.atleast_2d(np.cov(np.repeat(u_old[:, :1], d, axis=1).T, aweights=w, bias=True)) \
                + 1e-10 * np.eye(d)
        np.testing.assert_array_equal(cal._kernel_density(u_new, u_old, w, cov),
                                      _old_kernel_density(u_new, u_old, w, cov))
    u_old, u_new = rng.random((3000, 2)), rng.random((400, 2))    # 2,400,000 deviations: three blocks
    w, cov = rng.random(3000), np.array([[0.02, 0.004], [0.004, 0.01]])
    np.testing.assert_array_equal(cal._kernel_density(u_new, u_old, w, cov), _old_kernel_density(u_new, u_old, w, cov))


def test_the_kernel_density_decomposes_the_covariance_once(monkeypatch):
    """Before: a SciPy normal (an eigendecomposition of the same covariance) per old
    particle, 100 per generation at population 200."""
    made = []
    mvn = stats.multivariate_normal

    class Counting:
        def __call__(self, *a, **k):
            made.append(1)
            return mvn(*a, **k)

    monkeypatch.setattr(stats, "multivariate_normal", Counting())
    rng = np.random.default_rng(1)
    cal._kernel_density(rng.random((50, 3)), rng.random((40, 3)), rng.random(40), np.eye(3) * 0.01)
    assert len(made) == 1


def test_a_calibration_gives_the_same_files_on_one_and_two_workers(tmp_path):
    """Whole calibrations agree bit for bit across executors (the posterior, the
    predictive bands and every generation's particles)."""
    hist = sim.load_scenario("history_2021")
    data = "data/attempted_crossings_pl_2021.csv"
    st = dict(population=24, max_generations=2, predictive=12, seed=5)
    one = cal.calibrate(hist, data, tmp_path / "one", cal.Settings(**st))
    ex_, close = ex.make_executor(2)
    try:
        two = cal.calibrate(hist, data, tmp_path / "two", cal.Settings(**st), executor=ex_)
    finally:
        close()
    pd.testing.assert_frame_equal(one.posterior, two.posterior, check_exact=True)
    pd.testing.assert_frame_equal(one.predictive, two.predictive, check_exact=True)
    for f in sorted((tmp_path / "one" / "generations").glob("*.parquet")):
        assert f.read_bytes() == (tmp_path / "two" / "generations" / f.name).read_bytes()
