"""Experiments: seeds, executors, streaming to disk, resume, faults, summaries."""

import json
import math
import os
import signal
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.experiments import jobs as ex
from sim.experiments.stats import mean_interval, wilson_interval

ROOT = Path(__file__).resolve().parents[2]
SHORT = 30          # days per run: enough for the dynamics, quick for tests


def cli(*args, **kw):
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600, **kw)


def _sorted(df):
    return df.sort_values("run_id").reset_index(drop=True)


# ------------------------------------------------------------------ seeds and executors
@pytest.fixture(scope="module")
def job():
    return ex.make_job(["baseline", "russia_engages"], reps=12, seed=5, days=SHORT, chunk_size=5)


@pytest.fixture(scope="module")
def inprocess(job):
    return ex.execute(job).runs


def test_replicates_use_spawned_streams_common_to_scenarios(inprocess):
    children = np.random.SeedSequence(5).spawn(12)
    for row in inprocess.itertuples():
        assert row.seed_entropy == str(children[row.replicate].entropy)
        assert json.loads(row.seed_spawn_key) == list(children[row.replicate].spawn_key)
    assert inprocess["run_id"].is_unique and len(inprocess) == 24
    a = inprocess[inprocess.scenario == "baseline"].set_index("replicate")["seed_spawn_key"]
    b = inprocess[inprocess.scenario == "russia_engages"].set_index("replicate")["seed_spawn_key"]
    assert (a == b).all()                       # common random numbers across scenarios


def test_two_worker_processes_give_identical_runs(job, inprocess):
    import multiprocessing as mp

    with ProcessPoolExecutor(max_workers=2, mp_context=mp.get_context("spawn")) as pool:
        runs = ex.execute(job, pool).runs
    pd.testing.assert_frame_equal(_sorted(runs), _sorted(inprocess), check_exact=True)


@pytest.mark.slow
def test_embedded_dask_cluster_gives_identical_runs(job, inprocess):
    pytest.importorskip("dask.distributed")   # a dev dependency: always present under make test
    executor, close = ex.make_executor(workers=2, dask="local")
    try:
        runs = ex.execute(job, executor).runs
    finally:
        close()
    pd.testing.assert_frame_equal(_sorted(runs), _sorted(inprocess), check_exact=True)


def test_a_recorded_seed_reruns_alone(inprocess):
    row = inprocess.iloc[17]
    params = {k[6:]: row[k] for k in row.index if k.startswith("param:")}
    assert params                         # drawn from the scenario's priors and recorded
    sc = ex.apply_params(ex.scenario_data(sim.load_scenario(row["scenario"])), params)
    res_short = sim.run(sc, seed=np.random.SeedSequence(int(row["seed_entropy"]),
                                                        spawn_key=tuple(json.loads(row["seed_spawn_key"]))),
                        days=SHORT, series=False)
    res = ex.rerun(row, days=SHORT)
    for k, v in res_short.outcomes.items():
        for got in (row[k], res.outcomes[k]):
            assert (got == v) or (isinstance(v, float) and math.isnan(v) and pd.isna(got)), k


# ------------------------------------------------------------------ files, resume, faults
def test_batch_writes_tables_and_manifest(tmp_path):
    r = cli("batch", "baseline", "poland_political_talks", "--reps", 6, "--days", SHORT, "--out", tmp_path / "b",
            "--workers", 1, "--series", "--quiet")
    assert r.returncode == 0, r.stderr
    out = tmp_path / "b"
    runs = pd.read_parquet(out / "runs.parquet")
    assert len(runs) == 12 and set(runs.scenario) == {"baseline", "poland_political_talks"}
    series = pd.read_parquet(out / "series.parquet")
    assert set(series.run_id) == set(runs.run_id)
    assert (series.groupby("run_id").day.max() == SHORT).all()
    summary = pd.read_csv(out / "summary.csv")
    row = summary[(summary.scenario == "baseline") & (summary.outcome == "any_agreement")].iloc[0]
    assert row.statistic == "proportion" and row.n == 6
    manifest = json.loads((out / "manifest.json").read_text())
    assert manifest["status"] == "complete" and manifest["root_seed"] == 0
    assert manifest["job"]["scenarios"]["baseline"]["actors"]["poland"]["capability"] == 0.25
    assert manifest["version"] == sim.__version__ and manifest["command"][1] == "batch"
    assert not (out / "parts").exists() and not list(out.glob(".*tmp"))


def _children(pid):
    out = subprocess.run(["pgrep", "-P", str(pid)], capture_output=True, text=True).stdout
    return [int(x) for x in out.split()]


def _alive(pid):
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    state = Path(f"/proc/{pid}/stat").read_text().split()[2] if Path(f"/proc/{pid}/stat").exists() else "X"
    return state not in ("Z", "X")


@pytest.mark.slow          # ~1 min of wall time: `make test-all` (CI) runs it, `make test` does not
def test_kill_minus_9_then_resume_equals_an_uninterrupted_batch(tmp_path):
    """Killed mid-way with 2 worker processes, resumed with 1, equal to an
    uninterrupted run: no finished chunk lost or repeated, no orphaned worker left."""
    args = ["batch", "baseline", "--reps", 400, "--days", SHORT, "--seed", 3, "--quiet"]
    killed = tmp_path / "killed"
    proc = subprocess.Popen([sys.executable, str(ROOT / "run_sim.py"), *map(str, args), "--out", killed,
                             "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and len(list((killed / "parts").glob("runs-*.parquet"))) < 3:
        time.sleep(0.05)
    workers = [c for c in _children(proc.pid)]
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    time.sleep(2.0)
    assert workers and not any(_alive(w) for w in workers), "orphaned workers kept running"
    args += ["--workers", 1]
    parts = list((killed / "parts").glob("runs-*.parquet"))
    assert 3 <= len(parts) < 16, "the batch was not interrupted midway"
    done_before = sum(len(pd.read_parquet(p)) for p in parts)

    again = cli(*args, "--out", killed)                          # without --resume: refused
    assert again.returncode == 2 and "--resume" in again.stderr

    r = cli(*args, "--out", killed, "--resume")
    assert r.returncode == 0, r.stderr
    full = tmp_path / "full"
    r = cli(*args, "--out", full)
    assert r.returncode == 0, r.stderr
    a = pd.read_parquet(killed / "runs.parquet")
    b = pd.read_parquet(full / "runs.parquet")
    assert a["run_id"].is_unique and len(a) == 400 and done_before < 400
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    pd.testing.assert_frame_equal(pd.read_csv(killed / "summary.csv"), pd.read_csv(full / "summary.csv"))


def test_resume_with_a_different_command_is_refused(tmp_path):
    out = tmp_path / "r"
    assert cli("batch", "baseline", "--reps", 3, "--days", 5, "--out", out, "--quiet", "--workers", 1).returncode == 0
    r = cli("batch", "baseline", "--reps", 4, "--days", 5, "--out", out, "--resume", "--quiet")
    assert r.returncode == 2 and "different experiment" in r.stderr and "Traceback" not in r.stderr


def test_a_failing_run_is_recorded_and_the_batch_goes_on(monkeypatch):
    import sim.runner

    real = sim.runner.run_outcomes

    def flaky(sc, seed, days=None):
        if seed.spawn_key == (2,):
            raise RuntimeError("model blew up")
        return real(sc, seed, days)

    monkeypatch.setattr(sim.runner, "run_outcomes", flaky)
    job = ex.make_job(["baseline"], reps=5, seed=0, days=5)
    res = ex.execute(job)
    assert res.n_failed == 1 and len(res.runs) == 5
    bad = res.runs[res.runs.status == "failed"].iloc[0]
    assert bad.replicate == 2 and bad.error == "RuntimeError: model blew up"
    assert bad.seed_spawn_key == "[2]"
    s = res.summary[res.summary.outcome == "any_agreement"].iloc[0]
    assert s.n == 4 and s.n_failed == 1


def test_design_points_that_fail_validation_fail_their_runs_and_exit_3(tmp_path):
    """Each bound is valid alone, but a 10-day horizon with the event on day 15 is not:
    those runs fail with the reason, the others complete, the exit code is 3."""
    out = tmp_path / "s"
    r = cli("sweep", "sanctions_escalation", "--vary", "horizon_days=10:20:2", "--vary", "events.0.day=5:15:2",
            "--reps", 2, "--out", out, "--workers", 1)
    assert r.returncode == 3, r.stderr
    assert "2 of 8 runs failed" in r.stderr and "Traceback" not in r.stderr
    runs = pd.read_parquet(out / "runs.parquet")
    failed = runs[runs.status == "failed"]
    assert len(failed) == 2
    assert (failed["param:horizon_days"] == 10).all() and (failed["param:events.0.day"] == 15).all()
    assert failed.error.str.contains("after the horizon").all()
    summary = pd.read_csv(out / "summary.csv")
    assert summary.groupby("point").n_failed.max().sum() == 2


# ------------------------------------------------------------------ sweeps and bad input
def test_grid_sweep_crosses_the_steps():
    runs = ex.sweep("baseline", ["actors.belarus.tactic.e=0.2:0.6:3", "protocol.cooldown_days=3:9:2"],
                    reps=2, days=SHORT)
    assert len(runs) == 3 * 2 * 2
    assert sorted(runs["param:actors.belarus.tactic.e"].unique()) == pytest.approx([0.2, 0.4, 0.6])
    assert sorted(runs["param:protocol.cooldown_days"].unique()) == [3, 9]
    assert runs["param:protocol.cooldown_days"].dtype.kind == "i"


def test_lhs_sweep_covers_each_stratum():
    runs = ex.sweep("baseline", ["environment.stocks.pressure.inflows.0.rate=0.01:0.05"], design="lhs", samples=8,
                    reps=1, days=5)
    vals = np.sort(runs["param:environment.stocks.pressure.inflows.0.rate"].to_numpy())
    strata = np.floor((vals - 0.01) / 0.04 * 8).astype(int)
    assert list(strata) == list(range(8))          # one point per eighth of the range


def test_a_sweep_parameter_changes_the_outcome():
    runs = ex.sweep("baseline", ["environment.stocks.pressure.inflows.0.rate=0.005:0.05:2"], reps=10, days=90)
    by = runs.groupby("param:environment.stocks.pressure.inflows.0.rate")["stock_cumulative:pressure"].mean()
    assert by.iloc[1] > by.iloc[0] + 5


@pytest.mark.parametrize("vary,needle", [
    ("actors.poland.tactik.e=0:1", "no field 'tactik'"),
    ("actors.poland.name=0:1", "not a number"),
    ("actors.poland.tactic.k=0.5:1.5", "1.5 is not allowed"),
    ("environment.stocks.pressure.inflows.0.rate=0.5", "expected FIELD=LO:HI"),
    ("environment.stocks.pressure.inflows.0.rate=0.3:0.1", "need LO < HI"),
    ("environment.stocks.pressure.inflows.0.rate=0.1:0.3:1", "STEPS must be"),
])
def test_bad_vary_is_a_clear_error_with_exit_2(tmp_path, vary, needle):
    r = cli("sweep", "baseline", "--vary", vary, "--reps", 2, "--out", tmp_path / "s")
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr and not (tmp_path / "s").exists()


def test_lhs_needs_samples(tmp_path):
    r = cli("sweep", "baseline", "--vary", "environment.stocks.pressure.inflows.0.rate=0.01:0.05", "--design", "lhs",
            "--out", tmp_path / "s")
    assert r.returncode == 2 and "--samples" in r.stderr


def test_out_holding_other_files_is_refused(tmp_path):
    (tmp_path / "x.txt").write_text("mine")
    r = cli("batch", "baseline", "--reps", 2, "--out", tmp_path)
    assert r.returncode == 2 and "not empty" in r.stderr


# ------------------------------------------------------------------ summaries
def test_summary_intervals_on_a_known_case():
    runs = pd.DataFrame({
        "run_id": range(20), "scenario": "s", "point": 0, "replicate": range(20),
        "seed_entropy": "0", "seed_spawn_key": "[0]", "status": "ok", "error": "",
        "deal": pd.array([True] * 7 + [False] * 13, dtype="boolean"),
        "days": np.r_[np.arange(10.0), np.arange(10.0)],
    })
    s = ex.summarise(runs).set_index("outcome")
    assert s.loc["deal", "estimate"] == 0.35
    # Wilson 95% for 7/20 (Newcombe 1998 method 3): 0.1812 to 0.5671
    assert s.loc["deal", "ci_low"] == pytest.approx(0.18119, abs=1e-5)
    assert s.loc["deal", "ci_high"] == pytest.approx(0.56715, abs=1e-5)
    # mean 4.5, sd 2.9469 (n=20), t(19, 0.975) = 2.0930: 4.5 +- 1.3792
    assert s.loc["days", "estimate"] == 4.5
    assert s.loc["days", "ci_low"] == pytest.approx(4.5 - 2.093024 * np.std(runs.days, ddof=1) / np.sqrt(20))
    assert s.loc["deal", "statistic"] == "proportion" and s.loc["days", "statistic"] == "mean"


def test_interval_helpers_edge_cases():
    assert wilson_interval(0, 10)[0] == 0.0
    assert math.isnan(wilson_interval(0, 0)[0])
    assert mean_interval([2.0, 2.0, 2.0]) == (2.0, 2.0, 2.0)
    # one value (a design point of one run): its mean is NumPy's mean of it, bit for bit
    for v in (-0.0, 0.1, 1 / 3, -7.25e-300, 1e308, 5e-324):
        m, lo, hi = mean_interval([v, math.nan])
        assert m == float(np.mean([v])) and math.copysign(1, m) == math.copysign(1, float(np.mean([v])))
        assert math.isnan(lo) and math.isnan(hi)


def test_resume_of_a_finished_job_runs_nothing_again(tmp_path, monkeypatch):
    job = ex.make_job(["baseline"], reps=4, days=5)
    first = ex.execute(job, out=tmp_path / "d")
    calls = []
    monkeypatch.setattr(ex, "run_chunk", lambda c: calls.append(c) or (_ for _ in ()).throw(AssertionError))
    again = ex.execute(job, out=tmp_path / "d", resume=True)
    assert calls == [] and again.skipped == 4
    pd.testing.assert_frame_equal(first.runs, again.runs)


@pytest.mark.slow
def test_cli_sends_runs_to_a_dask_scheduler_address(tmp_path):
    """--dask ADDRESS: the CLI connects to a running scheduler (here a LocalCluster
    started by the test) and gets the same table as an in-process batch."""
    distributed = pytest.importorskip("dask.distributed")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster:
        r = cli("batch", "baseline", "--reps", 6, "--days", 10, "--dask", cluster.scheduler_address,
                "--out", tmp_path / "d", "--quiet")
    assert r.returncode == 0, r.stderr
    local = cli("batch", "baseline", "--reps", 6, "--days", 10, "--workers", 1, "--out", tmp_path / "l", "--quiet")
    assert local.returncode == 0
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "d" / "runs.parquet"),
                                  pd.read_parquet(tmp_path / "l" / "runs.parquet"), check_exact=True)


@pytest.mark.slow
def test_unreachable_dask_scheduler_is_a_clear_error(tmp_path):
    pytest.importorskip("dask.distributed")
    r = cli("batch", "baseline", "--reps", 2, "--dask", "tcp://127.0.0.1:9", "--out", tmp_path / "x")
    assert r.returncode == 2 and "cannot reach the scheduler" in r.stderr and "Traceback" not in r.stderr
