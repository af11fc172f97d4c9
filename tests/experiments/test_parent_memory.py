"""Issue 25b: the batch parent's memory. The parent joins the parts' Arrow tables a
few dozen at a time and converts them to pandas column by column; it does not also
make one contiguous copy of the whole table (at 20,000 runs that copy was 25 MiB of a
+66 MiB growth of read_parts' peak, measured with VmRSS; now +38 MiB)."""

from __future__ import annotations

import math
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pytest

from sim.experiments import jobs as ex
from sim.experiments import sinks
from sim.experiments.design import Vary
from sim.experiments.worker import run_chunk
from sim.scenario import validate_mapping
from tests.conftest import mirror_trade


@pytest.fixture(scope="module")
def short():
    return validate_mapping(mirror_trade(name="short", horizon_days=6), "<short>")


def test_the_joined_parts_are_not_copied_into_one_contiguous_table(tmp_path, short, monkeypatch):
    job = ex.make_job([short], reps=70, seed=4, chunk_size=1)      # 70 parts: three batches of at most 32
    clean = ex.execute(job).runs
    sink = sinks.DirSink(tmp_path / "q", job, None, False)     # the parts as a job writes them, before the merge
    try:
        for c in job.chunks():
            sink.write(*run_chunk(c))
    finally:
        sink.close()
    parts = sorted((tmp_path / "q").glob("parts/runs-*.parquet"))
    assert len(parts) == 70
    sizes = []
    real = pa.concat_tables

    class Counted:                 # a joined table whose contiguous copies are counted
        def __init__(self, table):
            self.table = table

        def combine_chunks(self, *a, **k):
            sizes.append(self.table.num_rows)
            return self.table.combine_chunks(*a, **k)

        def __getattr__(self, name):
            return getattr(self.table, name)

    monkeypatch.setattr(pa, "concat_tables", lambda *a, **k: Counted(real(*a, **k)))
    runs = sinks.read_parts(parts)
    assert len(sizes) == math.ceil(70 / sinks._JOIN)            # one per batch of parts, none for the whole
    assert max(sizes) < len(runs)
    pd.testing.assert_frame_equal(runs, clean, check_exact=True)


# ------------------------------------------------------------------ the report's read (issue 25)
def _whole_ok_runs(folder, params=False):
    """The report's read as it was: every column of runs.parquet, then the ok runs."""
    runs = pd.read_parquet(Path(folder) / "runs.parquet")
    return runs[runs["status"] == "ok"]


@pytest.mark.parametrize("varies", [None, [Vary("protocol.deadline_days", 20, 40, 2)]], ids=["batch", "sweep"])
def test_the_report_reads_only_the_columns_it_shows_and_draws_the_same_page(tmp_path, monkeypatch, varies):
    from sim.viz.report import experiments, figures, reading, write_report

    scen = ["baseline"] if varies else ["baseline", "russia_engages"]
    out = tmp_path / "x"
    ex.execute(ex.make_job(scen, reps=4, seed=3, varies=varies, design="grid" if varies else "batch", days=25),
               out=out)
    whole = pd.read_parquet(out / "runs.parquet")
    read = reading._ok_runs(out, params=bool(varies))
    assert len(read) == int((whole["status"] == "ok").sum()) > 0
    assert set(read.columns) < set(whole.columns)
    assert len(read.columns) < len(whole.columns) / 3          # 31 of 184 for the baseline
    left = {c.split(":")[0] for c in set(whole.columns) - set(read.columns)}
    assert {"utility", "blame_received", "seed_entropy", "forecast"} <= left
    assert any(c.startswith("param:") for c in read.columns) == bool(varies)
    page = write_report(out).read_bytes()
    for module in (reading, experiments, figures):
        monkeypatch.setattr(module, "_ok_runs", _whole_ok_runs)
    assert write_report(out).read_bytes() == page              # the same report as from the whole table


def test_the_batch_command_lets_go_of_the_whole_runs_table_before_its_report(tmp_path, monkeypatch):
    import gc

    import sim.cli.experiments as cli_experiments
    from sim.cli import main

    held = []
    real = cli_experiments.report

    def report(args):
        gc.collect()
        held.extend(o for o in gc.get_objects() if isinstance(o, pd.DataFrame) and "seed_entropy" in o.columns)
        return real(args)

    monkeypatch.setattr(cli_experiments, "report", report)
    assert main(["batch", "baseline", "--reps", "3", "--days", "10", "--workers", "1", "--quiet",
                 "--out", str(tmp_path / "b")]) == 0
    assert (tmp_path / "b" / "report.html").exists()
    assert held == []           # no table with every column alive while the report reads its own
