"""Issue 25: runs packed into chunks by cost whatever the design, one part per chunk,
the manifest appended to (not rewritten per part), the parts read once with pyarrow."""

from __future__ import annotations

import json
import math

import numpy as np
import pandas as pd
import pytest

from sim.experiments import jobs as ex
from sim.experiments import sinks
from sim.scenario import validate_mapping
from tests.conftest import calibration_task, mirror_trade

DAYS = 8


@pytest.fixture(scope="module")
def short():
    return validate_mapping(mirror_trade(name="short", horizon_days=DAYS), "<short>")


@pytest.fixture(scope="module")
def long():
    return validate_mapping(mirror_trade(name="long", horizon_days=2 * DAYS), "<long>")


def _field(sc) -> str:
    data = ex.scenario_data(sc)
    for name, actor in data["actors"].items():
        for key, value in (actor.get("tactic") or {}).items():
            if isinstance(value, float):
                return f"actors.{name}.tactic.{key}"
    raise AssertionError("no float field to vary in the test scenario")


def _sweep_job(sc, samples=40, reps=1, chunk_size=5):
    f = _field(sc)
    data = ex.scenario_data(sc)
    value = ex._get(data, f)
    return ex.make_job([sc], reps, seed=2, varies=[ex.Vary(f, value * 0.5, value)], design="lhs",
                       samples=samples, chunk_size=chunk_size)


def test_a_design_of_many_points_is_packed_into_few_chunks(short):
    """Before: one chunk (one part file, one manifest rewrite) per design point."""
    job = _sweep_job(short, samples=40, reps=1, chunk_size=5)
    chunks = job.chunks()
    assert len(chunks) == math.ceil(40 / 5)
    assert [len(c.runs) for c in chunks] == [5] * 8
    # consecutive run ids, in run order: point by point
    assert [c.first_run_id for c in chunks] == list(range(0, 40, 5))
    assert [p for c in chunks for _, p, _ in c.runs] == list(range(40))


def test_chunks_hold_equal_cost_so_a_cheaper_scenario_packs_more_runs(short, long):
    job = ex.make_job([long, short], reps=12, seed=1, chunk_size=3)
    sizes = {}
    for c in job.chunks():
        names = {r[0] for r in c.runs}
        if len(names) == 1:
            sizes.setdefault(names.pop(), set()).add(len(c.runs))
    assert 3 in sizes["long"] and 6 in sizes["short"]          # twice the days: half the runs
    assert sum(len(c.runs) for c in job.chunks()) == job.n_runs


def test_results_do_not_depend_on_how_runs_are_packed(short):
    """A chunk spanning design points gives each run the same result as a chunk of one."""
    packed = ex.execute(_sweep_job(short, samples=12, reps=2, chunk_size=7)).runs
    alone = ex.execute(_sweep_job(short, samples=12, reps=2, chunk_size=1)).runs
    pd.testing.assert_frame_equal(packed, alone)


def test_each_part_is_appended_to_the_manifest_not_rewritten(tmp_path, short, monkeypatch):
    """Before: the whole manifest (every scenario's data) was rewritten after each part."""
    rewrites = []
    real = ex.atomic_write

    def counting(path, text):
        if str(path).endswith("manifest.json"):
            rewrites.append(json.loads(text)["status"])
        return real(path, text)
    monkeypatch.setattr(sinks, "atomic_write", counting)
    seen = []
    out = tmp_path / "s"

    def progress(done, total):          # after each part: the manifest is whole JSON with it
        if done and (out / "manifest.json").exists():
            m = json.loads((out / "manifest.json").read_text())
            seen.append(len(m.get("parts", {})))
    job = _sweep_job(short, samples=20, reps=1, chunk_size=4)
    ex.execute(job, out=out, progress=progress)
    assert rewrites == ["running", "merging", "complete"]
    assert seen[:len(job.chunks())] == list(range(1, len(job.chunks()) + 1))


def test_the_parent_reads_parts_with_pyarrow_once_not_through_pandas(tmp_path, short, monkeypatch):
    job = _sweep_job(short, samples=20, reps=1, chunk_size=4)
    clean = ex.execute(job).runs
    calls = []
    real = pd.read_parquet
    monkeypatch.setattr(pd, "read_parquet", lambda *a, **k: calls.append(a) or real(*a, **k))
    res = ex.execute(job, out=tmp_path / "p")
    assert calls == []
    pd.testing.assert_frame_equal(res.runs, clean)
    pd.testing.assert_frame_equal(real(tmp_path / "p" / "runs.parquet"), clean)


def test_rows_already_in_run_order_are_not_sorted_or_copied(short):
    runs = ex.execute(ex.make_job([short], reps=6, seed=1, chunk_size=2)).runs
    assert ex._order(runs) is runs
    shuffled = runs.sample(frac=1, random_state=0)
    pd.testing.assert_frame_equal(ex._order(shuffled), runs)


# ------------------------------------------------------------- calibrate's generations
@pytest.fixture(scope="module")
def history():
    import sim

    return sim.load_scenario("history_2021")


def test_calibration_records_only_its_observed_stock_series(history):
    """The observed series alone are the very numbers of the full daily series."""
    import numpy as np

    from sim.experiments.observe import observed_series
    from sim.runner import run

    variables = list(history.observables)
    names = {history.observables[v].series for v in variables}
    for k in range(3):
        seq = np.random.SeedSequence(11, spawn_key=(k,))
        full = run(history, seed=np.random.SeedSequence(11, spawn_key=(k,)), series=True).series
        full = full[full["variable"].isin(names)].reset_index(drop=True)
        mine = observed_series(history, seq, variables)
        pd.testing.assert_frame_equal(mine[full.columns], full, check_dtype=False)


def test_a_calibration_simulation_does_not_build_the_whole_daily_series(history, monkeypatch):
    """Before: each simulation ran sim.run(series=True) and built every series' table."""
    import sim.runner
    from sim.experiments import calibration as cal

    task = calibration_task(history)
    _, want, error = cal._simulate(task)
    assert error == "" and not np.isnan(want).any()
    monkeypatch.setattr(sim.runner, "run", lambda *a, **k: (_ for _ in ()).throw(AssertionError("full run")))
    _, got, error = cal._simulate(task)
    assert error == ""
    assert (got == want).all()


def test_a_generation_is_cut_into_equal_chunks_at_least_four_per_worker():
    from sim.experiments.calibration import generation_chunks

    class Pool:
        _max_workers = 2
    chunks = generation_chunks(100, Pool())
    assert [i for c in chunks for i in c] == list(range(100))
    assert len(chunks) >= 8 and len({len(c) for c in chunks[:-1]}) == 1
    assert len(generation_chunks(1000, Pool())[0]) == ex.CHUNK_SIZE


# ------------------------------------------------------------- the parent's summary
def test_the_summary_of_many_points_asks_scipy_once_per_distinct_interval(short, monkeypatch):
    """Before: one binomtest per design point and yes/no outcome (most of a Sobol'
    job's time in the parent)."""
    import scipy.stats

    from sim.experiments import stats

    runs = ex.execute(_sweep_job(short, samples=30, reps=1, chunk_size=10)).runs
    stats._wilson.cache_clear()
    calls = []
    real = scipy.stats.binomtest
    monkeypatch.setattr(scipy.stats, "binomtest", lambda k, n, *a, **kw: calls.append((k, n)) or real(k, n, *a, **kw))
    s = ex.summarise(runs)
    n_bool = (s["statistic"] == "proportion").sum()
    assert n_bool >= 30 and len(calls) <= 2            # (0, 1) and (1, 1): one replicate a point


def test_summary_intervals_are_scipys():
    import scipy.stats

    runs = ex.execute(ex.make_job(["baseline"], reps=8, seed=4, days=15, chunk_size=5)).runs
    s = ex.summarise(runs)
    for _, row in s[s["statistic"] == "proportion"].head(3).iterrows():
        k = round(row["estimate"] * row["n"])
        ci = scipy.stats.binomtest(k, int(row["n"])).proportion_ci(method="wilson")
        assert (row["ci_low"], row["ci_high"]) == (ci.low, ci.high)
    means = s[(s["statistic"] == "mean") & s["ci_low"].notna() & (s["ci_low"] < s["ci_high"])]
    assert len(means)
    for _, row in means.head(3).iterrows():
        x = runs[row["outcome"]].dropna().to_numpy(float)
        se = x.std(ddof=1) / np.sqrt(len(x))
        lo, hi = scipy.stats.t.interval(0.95, len(x) - 1, loc=x.mean(), scale=se)
        assert (row["ci_low"], row["ci_high"]) == (lo, hi)


def test_a_big_runs_table_is_written_a_slice_at_a_time_and_reads_back_the_same(tmp_path, short, monkeypatch):
    monkeypatch.setattr(sinks, "_SLICE", 3)
    monkeypatch.setattr(sinks, "_JOIN", 2)
    job = ex.make_job([short], reps=11, seed=6, chunk_size=2)
    res = ex.execute(job, out=tmp_path / "big")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "big" / "runs.parquet"), res.runs)
    pd.testing.assert_frame_equal(res.runs, ex.execute(job).runs)


def test_replicates_share_the_chunks_data_without_changing_it():
    """apply_params copies only the paths it sets: the chunk's scenario data (and the
    history embedded in it) must come out of a chunk's runs exactly as it went in."""
    import copy

    import sim
    from sim.experiments import jobs as ex
    from sim.experiments.worker import run_chunk

    job = ex.make_job([sim.load_scenario("baseline")], reps=4, seed=5, days=5)
    chunk = job.chunks()[0]
    before = copy.deepcopy(chunk.scenarios)
    _, rows, _ = run_chunk(chunk)
    assert [r["status"] for r in rows] == ["ok"] * len(rows)
    assert len({r[next(k for k in r if k.startswith("param:"))] for r in rows}) > 1     # draws differ
    assert chunk.scenarios == before


def test_a_yes_no_set_by_a_parameter_is_still_refused_with_the_usual_message():
    import pytest

    import sim
    from sim.experiments.design import apply_params, scenario_data
    from sim.scenario import ScenarioError

    data = scenario_data(sim.load_scenario("baseline"))
    with pytest.raises(ScenarioError, match="is a yes/no"):
        apply_params(data, {"actors.poland.capability": True})
    with pytest.raises(ScenarioError, match="is a yes/no"):
        apply_params(data, {"starts_from.scenario.actors.poland.capability": True})
    assert isinstance(apply_params(data, {"actors.poland.capability": 0.5}), sim.Scenario)
