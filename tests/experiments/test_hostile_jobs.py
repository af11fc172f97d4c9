"""Hostile experiment conditions (issue 12): reordered resume, damaged parts, a crash in
the final merge, a killed worker, a full disk, two writers, huge jobs, a closed pipe,
names that point outside --out. Nothing is lost, nothing is wrong, nothing escapes."""

import json
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

from sim.cli import main
from sim.experiments import jobs as ex
from sim.experiments import sinks
from sim.scenario import load_scenario, validate_mapping
from tests.conftest import mirror_trade

ROOT = Path(__file__).resolve().parents[2]
DAYS = 12


@pytest.fixture(scope="module")
def two():
    """Two small scenarios that differ (a deal is possible in one only)."""
    a = validate_mapping(mirror_trade(name="alpha", horizon_days=DAYS), "<a>")
    b = validate_mapping(mirror_trade(name="beta", horizon_days=DAYS, channels={"a-b": "closed"}), "<b>")
    return a, b


def _job(scenarios, reps=6, **kw):
    return ex.make_job(scenarios, reps, seed=3, chunk_size=2, **kw)


class _Stop(Exception):
    pass


def _partial(job, out, after=2):
    """Run ``job`` into ``out`` and stop it after ``after`` chunks (as a kill would)."""
    def progress(done, total):
        if done >= after * job.chunk_size:
            raise _Stop
    with pytest.raises(_Stop):
        ex.execute(job, out=out, progress=progress)


def _same_runs(a: pd.DataFrame, b: pd.DataFrame):
    cols = [c for c in a.columns if c not in ("traceback",)]
    pd.testing.assert_frame_equal(a[cols].reset_index(drop=True), b[cols].reset_index(drop=True))


@pytest.fixture(scope="module")
def clean(two):
    return ex.execute(_job(list(two))).runs


# ------------------------------------------------------------- item 1: order matters
def test_resume_with_the_scenarios_in_another_order_is_refused(tmp_path, two):
    out = tmp_path / "b"
    _partial(_job(list(two)), out)
    with pytest.raises(ex.ExperimentError, match="order"):
        ex.execute(_job(list(reversed(two))), out=out, resume=True)


def test_resume_in_the_same_order_never_repeats_or_skips_a_run(tmp_path, two, clean):
    out = tmp_path / "b"
    _partial(_job(list(two)), out)
    res = ex.execute(_job(list(two)), out=out, resume=True)
    assert res.skipped == 4 and res.redone == []
    assert res.runs["run_id"].tolist() == list(range(12))
    _same_runs(res.runs, clean)
    _same_runs(pd.read_parquet(out / "runs.parquet"), clean)


# ------------------------------------------------------------- item 3: parts and merge
def test_parts_are_recorded_with_checksum_and_rows(tmp_path, two):
    out = tmp_path / "b"
    _partial(_job(list(two)), out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "running"
    assert set(m["parts"]) == {p.name for p in (out / "parts").glob("runs-*.parquet")}
    for name, rec in m["parts"].items():
        assert rec["rows"] == len(pd.read_parquet(out / "parts" / name))
        assert rec["sha256"] == ex._sha256(out / "parts" / name)


@pytest.mark.parametrize("damage", ["truncate", "flip", "unrecorded"])
def test_a_damaged_part_is_redone_on_resume_and_said(tmp_path, two, clean, damage):
    out = tmp_path / "b"
    _partial(_job(list(two)), out)
    part = sorted((out / "parts").glob("runs-*.parquet"))[0]
    if damage == "truncate":
        part.write_bytes(part.read_bytes()[:50])
    elif damage == "flip":
        raw = bytearray(part.read_bytes())
        raw[len(raw) // 2] ^= 0xFF
        part.write_bytes(bytes(raw))
    else:                                   # killed between the part's rename and the manifest
        m = json.loads((out / "manifest.json").read_text())
        del m["parts"][part.name]
        (out / "manifest.json").write_text(json.dumps(m))
    res = ex.execute(_job(list(two)), out=out, resume=True)
    assert len(res.redone) == 1 and part.name in res.redone[0]
    assert res.skipped == 2
    _same_runs(res.runs, clean)


def test_the_cli_says_which_part_it_redid(tmp_path, capsys):
    f = tmp_path / "alpha.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(name="alpha", horizon_days=DAYS)))
    out = tmp_path / "b"
    args = ["batch", str(f), "--reps", "60", "--workers", "1", "--out", str(out), "--quiet", "--no-report"]
    assert main(args) == 0
    # make it an interrupted job again: a part back in place, damaged, and the status running
    m = json.loads((out / "manifest.json").read_text())
    (out / "parts").mkdir()
    (out / "parts" / "runs-000001.parquet").write_bytes(b"PAR1 not really")
    m.update(status="running", parts={"runs-000001.parquet": {"sha256": "0" * 64, "rows": 25}})
    (out / "manifest.json").write_text(json.dumps(m))
    capsys.readouterr()
    assert main([*args, "--resume"]) == 0
    err = capsys.readouterr().err
    assert "note: parts/runs-000001.parquet: damaged" in err and "computed again" in err
    assert len(pd.read_parquet(out / "runs.parquet")) == 60


def test_a_crash_in_the_final_merge_leaves_no_running_manifest_and_resumes(tmp_path, two, clean, monkeypatch):
    out = tmp_path / "b"
    real = ex.atomic_write

    def failing(path, text):
        if Path(path).name == "summary.csv":
            raise KeyboardInterrupt        # stopped between runs.parquet and summary.csv
        return real(path, text)
    monkeypatch.setattr(sinks, "atomic_write", failing)   # the folder sink writes it (issue 23: jobs.py split)
    with pytest.raises(KeyboardInterrupt):
        ex.execute(_job(list(two)), out=out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "merging" and "complete only once" in m["note"]
    from sim.viz.report import ReportError, kind_of
    with pytest.raises(ReportError, match="unfinished"):
        kind_of(out)
    monkeypatch.setattr(sinks, "atomic_write", real)
    res = ex.execute(_job(list(two)), out=out, resume=True)
    assert res.skipped == 12
    assert json.loads((out / "manifest.json").read_text())["status"] == "complete"
    _same_runs(pd.read_parquet(out / "runs.parquet"), clean)


def test_a_damaged_final_table_is_refused_on_resume(tmp_path, two):
    out = tmp_path / "b"
    ex.execute(_job(list(two)), out=out)
    (out / "runs.parquet").write_bytes(b"garbage")
    with pytest.raises(ex.ExperimentError, match="damaged"):
        ex.execute(_job(list(two)), out=out, resume=True)


# ------------------------------------------------------------- item 4: outputs stay in --out
@pytest.mark.parametrize("name", ["../../x", "/an/absolute/path", ".."])
def test_no_output_path_leaves_its_folder(tmp_path, name):
    with pytest.raises(ex.ExperimentError, match="outside"):
        ex.inside(tmp_path / "out", name)
    assert ex.inside(tmp_path / "out", "compare-baseline") == tmp_path / "out" / "compare-baseline"


@pytest.mark.parametrize("extra", [[], ["--protocol", "expected_utility"]])
def test_a_hostile_name_writes_nothing_outside_out(tmp_path, monkeypatch, capsys, extra):
    work = tmp_path / "a" / "b"
    work.mkdir(parents=True)
    monkeypatch.chdir(work)
    f = work / "evil.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(name="../../escaped", horizon_days=DAYS)))
    assert main(["run", str(f), "--no-plots", "--quiet", *extra]) == 2
    assert "name" in capsys.readouterr().err
    assert not (tmp_path / "escaped").exists() and not (tmp_path / "escaped-expected_utility").exists()
    assert main(["compare-protocols", str(f), "--reps", "2", "--workers", "1", "--quiet"]) == 2
    assert sorted(p.name for p in tmp_path.rglob("*")) == ["a", "b", "evil.yaml"]


# ------------------------------------------------------------- item 10: a worker killed
def test_a_killed_worker_stops_the_job_with_a_resume_hint_and_resume_finishes(tmp_path, two, clean):
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    out = tmp_path / "b"
    job = _job(list(two))
    pool = ProcessPoolExecutor(1, mp_context=mp.get_context("spawn"))

    def progress(done, total):
        if done:                                    # after the first chunk: kill -9 the worker
            for pid in list(pool._processes):
                os.kill(pid, signal.SIGKILL)
    try:
        with pytest.raises(ex.JobStopped, match="worker process died.*--resume"):
            ex.execute(job, pool, out=out, progress=progress, max_in_flight=1)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
    res = ex.execute(job, out=out, resume=True)
    _same_runs(res.runs, clean)


@pytest.mark.slow
def test_a_killed_dask_worker_stops_the_job_with_a_resume_hint(tmp_path, two, clean):
    """The same on a Dask cluster: Dask reports a task whose worker died as KilledWorker
    (here at once: allowed-failures 0); the job stops with the resume hint (CLI exit 4)
    and --resume finishes it on the process pool."""
    dask = pytest.importorskip("dask")
    distributed = pytest.importorskip("dask.distributed")
    out = tmp_path / "b"
    job = _job(list(two))
    with dask.config.set({"distributed.scheduler.allowed-failures": 0}):
        cluster = distributed.LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                                           dashboard_address=None)
        client = distributed.Client(cluster)
        try:
            pids = list(client.run(os.getpid).values())

            def progress(done, total):
                if done:                            # after the first chunk: kill -9 the worker
                    for pid in pids:
                        os.kill(pid, signal.SIGKILL)
            executor = client.get_executor(pure=False)
            with pytest.raises(ex.JobStopped, match="worker process died.*--resume"):
                ex.execute(job, executor, out=out, progress=progress, max_in_flight=1)
        finally:
            client.close()
            cluster.close()
    res = ex.execute(job, out=out, resume=True)
    _same_runs(res.runs, clean)


# ------------------------------------------------------------- item 11: disk full
def test_disk_full_names_the_file_exits_4_and_resume_finishes(tmp_path, monkeypatch, capsys):
    import pyarrow.parquet as pq

    f = tmp_path / "alpha.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(name="alpha", horizon_days=DAYS)))
    out = tmp_path / "b"
    args = ["batch", str(f), "--reps", "60", "--workers", "1", "--out", str(out), "--quiet", "--no-report"]
    real, calls = pq.write_table, []

    def full(*a, **kw):
        calls.append(1)
        if len(calls) >= 2:                     # pyarrow's own wording, errno and filename unset
            raise OSError("Error writing bytes to file. Detail: [errno 28] No space left on device")
        return real(*a, **kw)
    monkeypatch.setattr(pq, "write_table", full)
    assert main(args) == 4
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "None" not in err
    assert re.search(f"cannot write {re.escape(str(out / 'parts'))}/runs-00000[0-2].parquet", err)
    assert "No space left" in err and "--resume" in err
    assert not list((out / "parts").glob(".*tmp"))          # nothing half-written left
    monkeypatch.setattr(pq, "write_table", real)
    assert main([*args, "--resume"]) == 0
    clean = ex.execute(ex.make_job([load_scenario(f)], 60, seed=0)).runs
    _same_runs(pd.read_parquet(out / "runs.parquet"), clean)


def test_a_failed_write_in_run_is_not_called_bad_input(tmp_path, capsys, monkeypatch):
    import errno

    import sim.results

    def full(path, text):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), str(path))
    monkeypatch.setattr(sim.results, "atomic_write", full)
    f = tmp_path / "alpha.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(name="alpha", horizon_days=DAYS)))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--no-plots", "--quiet"]) == 4
    err = capsys.readouterr().err
    assert f"No space left on device ({tmp_path / 'r' / 'summary.json'})" in err and "None" not in err


# ------------------------------------------------------------- item 12: one writer per --out
def test_a_second_writer_on_the_same_out_is_refused(tmp_path, two):
    out = tmp_path / "b"
    _partial(_job(list(two)), out)
    # holds the lock as a running job does (flock belongs to the open file, so a second
    # open in this process conflicts exactly as another process's would)
    first = ex.DirSink(out, _job(list(two)), None, resume=True)
    try:
        with pytest.raises(ex.ExperimentError, match=f"in use by another process \\(pid {os.getpid()}\\)"):
            ex.execute(_job(list(two)), out=out, resume=True)
    finally:
        first.close()
    assert len(ex.execute(_job(list(two)), out=out, resume=True).runs) == 12     # released


# ------------------------------------------------------------- item 13: limits
def test_days_beyond_the_limit_are_refused_by_batch(tmp_path, capsys):
    assert main(["batch", "baseline", "--days", "100000", "--out", str(tmp_path / "b"), "--quiet"]) == 2
    assert "--days 100000: must be between 1 and 3650" in capsys.readouterr().err
    assert not (tmp_path / "b").exists()


def test_a_huge_sweep_is_refused_unless_confirmed(tmp_path, capsys):
    args = ["sweep", "baseline", "--vary", "blame.decay=0:1:400", "--vary", "blame.audience_cost=0:3:250",
            "--reps", "1", "--out", str(tmp_path / "s"), "--quiet"]
    assert main(args) == 2
    err = capsys.readouterr().err
    assert "100,000 design points" in err and "--yes" in err
    job = ex.make_job(["baseline"], 1, varies=[ex.Vary.parse("blame.decay=0:1:400"),
                                              ex.Vary.parse("blame.audience_cost=0:3:250")], design="grid", yes=True)
    assert len(job.points) == 100_000               # --yes lifts the limit (nothing is run here)


def test_too_many_runs_or_sensitivity_points_are_refused(tmp_path, capsys):
    assert main(["batch", "baseline", "russia_engages", "--reps", "100001", "--out", str(tmp_path / "b")]) == 2
    assert "200,002 runs" in capsys.readouterr().err
    assert main(["sensitivity", "baseline", "--n", "1048576", "--out", str(tmp_path / "s")]) == 2
    assert "design points" in capsys.readouterr().err


# ------------------------------------------------------------- item 16: a closed pipe
def test_a_closed_stdout_pipe_ends_quietly(tmp_path):
    p = subprocess.Popen([sys.executable, str(ROOT / "run_sim.py"), "seeds"], cwd=ROOT,
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    p.stdout.close()                            # `| head` that has read enough
    err = p.stderr.read().decode()
    assert p.wait(timeout=60) == 141
    assert err == ""


# ================================================================ issue 26 (third audit)
TOY = ROOT / "tests" / "data" / "calib_toy.yaml"


def _toy2(tmp_path):
    """The calibration toy with two uncertain fields (np.cov then depends on the layout)."""
    data = yaml.safe_load(TOY.read_text(encoding="utf-8"))
    data["uncertain"]["environment.stocks.pressure.outflows.0.rate"] = [0.005, 0.02]
    p = tmp_path / "toy2.yaml"
    p.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return load_scenario(p)


def _toy_data():
    return pd.DataFrame({"date": ["2021-01-01", "2021-02-01"], "variable": "arrivals", "value": [300.0, 420.0],
                         "source": "test"})


# ---------------------------------------------------------------- item 6: score and calibrate input
@pytest.fixture(scope="module")
def scored_runs():
    from sim.experiments.jobs import execute, make_job

    sc = validate_mapping(mirror_trade(horizon_days=DAYS), "<m>")
    return sc, execute(make_job([sc], 3, seed=1, fixed=True)).runs


@pytest.mark.parametrize("column", ["status", "scenario", "error", "seed_spawn_key", "protocol"])
def test_score_refuses_a_text_outcome_with_one_line(scored_runs, column):
    from sim.experiments.scoring import Observation, evaluate

    sc, runs = scored_runs
    with pytest.raises(ex.ExperimentError) as e:
        evaluate(sc, [Observation(outcome=column, observed=1, source="s")], runs, None)
    assert column in str(e.value) and "\n" not in str(e.value)


def test_score_refuses_a_reference_outside_0_1_on_a_yes_no_outcome(scored_runs):
    from sim.experiments.scoring import Observation, evaluate

    sc, runs = scored_runs
    with pytest.raises(ex.ExperimentError, match="between 0 and 1"):
        evaluate(sc, [Observation(outcome="any_agreement", observed=1, reference=7, source="s")], runs, None)
    table, _ = evaluate(sc, [Observation(outcome="any_agreement", observed=1, reference=0.5, source="s")], runs, None)
    assert table["reference"].iloc[0] == 0.5


@pytest.mark.parametrize("content,needle", [
    (b"- {outcome: any_agreement, observed: 1, source: caf\xe9}\n", "not UTF-8"),
    (b"- " + b"[" * 20000 + b"]" * 20000 + b"\n", "nested more than"),
    (b"- {outcome: a, observed: 1, source: s}\n" + b"# pad\n" * 400_000, "larger than"),
    (b"- {outcome: a, observed: 1, source: s}\n" * 1500, "at most 1,000"),
    (b"- {outcome: a, observed: 1, source: \x01}\n", "control character"),
])
def test_a_hostile_record_is_one_line_quickly(tmp_path, content, needle):
    import time

    from sim.experiments.scoring import load_record

    f = tmp_path / "rec.yaml"
    f.write_bytes(content)
    t0 = time.perf_counter()
    with pytest.raises(ex.ExperimentError) as e:
        load_record(f)
    assert needle in str(e.value) and "\n" not in str(e.value)
    assert time.perf_counter() - t0 < 5.0


@pytest.mark.parametrize("option", ["--record", "--data"])
def test_a_fifo_as_record_or_data_is_refused_at_once(tmp_path, capsys, option):
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo)
    cmd = (["score", str(TOY), "--record", str(fifo), "--reps", "2", "--workers", "1", "--quiet"]
           if option == "--record" else
           ["calibrate", str(TOY), "--data", str(fifo), "--out", str(tmp_path / "o"), "--workers", "1", "--quiet"])
    r = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *cmd], capture_output=True, text=True, timeout=60)
    assert r.returncode == 2 and "FIFO" in r.stderr and len(r.stderr.strip().splitlines()) == 1, r.stderr


@pytest.mark.parametrize("text,needle", [
    ("date,variable,value,source\n2021-01-01,arrivals,1e308,s\n", "beyond"),
    ("date,variable,value,source\n2021-01-01,arrivals,-1e308,s\n", "beyond"),
    ("date,variable,value,source\n" + "2021-01-01,arrivals,1,s\n" * 10_001, "at most 10,000"),
])
def test_calibration_data_out_of_bounds_is_one_line(tmp_path, text, needle):
    from sim.experiments.calibration import read_data

    f = tmp_path / "d.csv"
    f.write_text(text)
    with pytest.raises(ex.ExperimentError) as e:
        read_data(f)
    assert needle in str(e.value) and "\n" not in str(e.value)


def test_a_huge_calibration_csv_is_refused_before_it_is_read(tmp_path):
    from sim.experiments.calibration import MAX_DATA_BYTES, read_data

    f = tmp_path / "d.csv"
    with open(f, "wb") as fh:
        fh.write(b"date,variable,value,source\n")
        fh.truncate(MAX_DATA_BYTES + 1)
    with pytest.raises(ex.ExperimentError, match="larger than"):
        read_data(f)


# ---------------------------------------------------------------- item 7: calibration resume and lock
@pytest.fixture(scope="module")
def toy2_full(tmp_path_factory):
    from sim.experiments.calibration import Settings, calibrate

    tmp = tmp_path_factory.mktemp("toy2")
    sc = _toy2(tmp)
    s = Settings(population=80, alpha=0.5, max_generations=6, min_acceptance=0.0, seed=5, predictive=4)
    return sc, s, tmp / "full", calibrate(sc, _toy_data(), tmp / "full", s)


@pytest.mark.parametrize("kept", [1, 3, pytest.param(2, marks=pytest.mark.slow),
                                  pytest.param(4, marks=pytest.mark.slow), pytest.param(5, marks=pytest.mark.slow)])
def test_calibration_resumed_after_any_generation_is_bit_identical(tmp_path, toy2_full, kept):
    """Killed after generation kept - 1: the resumed posterior equals the uninterrupted
    one bit for bit (the reloaded particles were column-major, and np.cov's rounding
    depends on the layout: generations 0 and 2 differed by 1e-17 and more)."""
    import shutil

    from sim.experiments.calibration import calibrate

    sc, s, full_out, full = toy2_full
    assert len(full.generations) == 6
    cut = tmp_path / "cut"
    shutil.copytree(full_out, cut)
    for f in cut.glob("generations/gen-*"):
        if int(f.name[4:7]) >= kept:
            f.unlink()
    for f in ("posterior.parquet", "predictive.csv"):
        (cut / f).unlink()
    res = calibrate(sc, _toy_data(), cut, s, resume=True)
    assert res.resumed_from == kept
    pd.testing.assert_frame_equal(res.posterior, full.posterior, check_exact=True)


def test_two_calibrations_on_one_out_cannot_both_run(tmp_path):
    from sim.experiments.calibration import Settings, calibrate

    out = tmp_path / "c"
    holder = ex.FolderLock(out)         # as a running calibration holds it
    try:
        with pytest.raises(ex.ExperimentError, match=f"in use by another process \\(pid {os.getpid()}\\)"):
            calibrate(load_scenario(TOY), _toy_data(), out, Settings(population=8, max_generations=1, predictive=2))
    finally:
        holder.release()
    assert not (out / "state.json").exists()


# ---------------------------------------------------------------- item 9: small
def test_a_refused_out_keeps_no_lock_file(tmp_path, two):
    busy = tmp_path / "busy"
    busy.mkdir()
    (busy / "notes.txt").write_text("mine")
    with pytest.raises(ex.ExperimentError, match="not empty"):
        ex.execute(_job(list(two)), out=busy)
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]
    from sim.experiments.calibration import Settings, calibrate

    with pytest.raises(ex.ExperimentError, match="not empty"):
        calibrate(load_scenario(TOY), _toy_data(), busy, Settings(population=8, max_generations=1, predictive=2))
    assert sorted(p.name for p in busy.iterdir()) == ["notes.txt"]


def test_run_refuses_an_out_folder_of_other_files(tmp_path, capsys):
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(horizon_days=DAYS)))
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "thesis.tex").write_text("mine")
    assert main(["run", str(f), "--out", str(mine), "--no-plots", "--quiet"]) == 2
    assert "holds files a run does not write (thesis.tex)" in capsys.readouterr().err
    assert sorted(p.name for p in mine.iterdir()) == ["thesis.tex"]
    again = tmp_path / "again"
    assert main(["run", str(f), "--out", str(again), "--quiet", "--no-plots"]) == 0
    assert main(["run", str(f), "--out", str(again), "--quiet", "--no-plots"]) == 0   # a previous run's: rewritten


def test_sigterm_says_how_to_resume_and_exits_143(tmp_path):
    import time

    f = tmp_path / "alpha.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(name="alpha", horizon_days=60)))
    out = tmp_path / "b"
    cmd = [sys.executable, str(ROOT / "run_sim.py"), "batch", str(f), "--reps", "4000", "--workers", "1",
           "--out", str(out), "--quiet", "--no-report"]
    p = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while not list((out / "parts").glob("runs-*.parquet")) and time.time() < deadline:
        time.sleep(0.2)
    p.send_signal(signal.SIGTERM)
    _, err = p.communicate(timeout=60)
    assert p.returncode == 143
    assert "terminated" in err and "--resume" in err and "Traceback" not in err


def test_disk_full_in_run_and_calibrate_names_the_file(tmp_path, monkeypatch, capsys):
    import errno

    import sim.results

    class Full:
        def __enter__(self):
            return self

        def __exit__(self, *a):
            return False

        def write(self, text):          # what a full disk does: ENOSPC from write(), no file name
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    data = tmp_path / "d.csv"
    _toy_data().to_csv(data, index=False)
    monkeypatch.setattr(sim.results.os, "fdopen", lambda *a, **k: Full())
    f = tmp_path / "m.yaml"
    f.write_text(yaml.safe_dump(mirror_trade(horizon_days=DAYS)))
    assert main(["run", str(f), "--out", str(tmp_path / "r"), "--no-plots", "--quiet"]) == 4
    err = capsys.readouterr().err
    assert re.search(r"No space left on device \(.*/r/\w+\.(json|csv)\)", err), err
    assert main(["calibrate", str(TOY), "--data", str(data), "--out", str(tmp_path / "c"), "--workers", "1",
                 "--quiet", "--population", "8", "--max-generations", "1", "--predictive", "2"]) == 4
    err = capsys.readouterr().err
    assert re.search(r"No space left on device \(.*/c/state\.json\).*--resume", err), err


def test_a_stale_series_temp_file_is_removed_on_resume(tmp_path, two):
    out = tmp_path / "b"
    _partial(_job(list(two), series=True), out)
    stale = out / ".series.parquet.abc123.tmp"
    stale.write_bytes(b"half a merge")
    ex.execute(_job(list(two), series=True), out=out, resume=True)
    assert not stale.exists()
