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
from sim.scenario import load_scenario, validate_mapping
from tests.conftest import mirror_trade

ROOT = Path(__file__).resolve().parent.parent
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
    monkeypatch.setattr(ex, "atomic_write", failing)
    with pytest.raises(KeyboardInterrupt):
        ex.execute(_job(list(two)), out=out)
    m = json.loads((out / "manifest.json").read_text())
    assert m["status"] == "merging" and "complete only once" in m["note"]
    from sim.viz.report import ReportError, kind_of
    with pytest.raises(ReportError, match="unfinished"):
        kind_of(out)
    monkeypatch.setattr(ex, "atomic_write", real)
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
