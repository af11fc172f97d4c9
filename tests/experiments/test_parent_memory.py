"""Issue 25b: the batch parent's memory. The parent joins the parts' Arrow tables a
few dozen at a time and converts them to pandas column by column; it does not also
make one contiguous copy of the whole table (at 20,000 runs that copy was 25 MiB of a
+66 MiB growth of read_parts' peak, measured with VmRSS; now +38 MiB)."""

from __future__ import annotations

import math

import pandas as pd
import pyarrow as pa
import pytest

from sim.experiments import jobs as ex
from sim.experiments import sinks
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
