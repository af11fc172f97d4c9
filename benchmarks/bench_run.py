#!/usr/bin/env python3
"""Benchmarks of the baseline scenario (run on demand: ``make bench``; prints figures).

1. time per run: median over many runs, without and with the daily series;
2. throughput of a batch (default 2,000 runs) with 1 and 2 worker processes, and the
   parallel efficiency (throughput with 2 / (2 x throughput with 1));
3. peak memory (max RSS) of the batch process for 1,000 vs 20,000 runs (in-process,
   so the batch process is the only process; short runs, since memory depends on the
   number of rows, not on the days per run).

Nothing here is asserted: the figures are printed for the README's performance section.
Options: --quick (smaller sizes, for a smoke test), --skip-memory.
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.experiments import jobs as ex  # noqa: E402
from sim.runner import run_outcomes  # noqa: E402


def time_per_run(n: int) -> tuple[float, float]:
    sc = sim.load_scenario("baseline")
    run_outcomes(sc, 0)                                   # warm-up (imports, caches)
    plain, series = [], []
    for s in range(n):
        t = time.perf_counter()
        run_outcomes(sc, s)
        plain.append(time.perf_counter() - t)
    for s in range(max(10, n // 5)):
        t = time.perf_counter()
        sim.run(sc, seed=s, series=True)
        series.append(time.perf_counter() - t)
    return statistics.median(plain), statistics.median(series)


def throughput(runs: int, workers: int) -> float:
    job = ex.make_job(["baseline"], reps=runs, seed=1)
    executor, close = ex.make_executor(workers)
    try:
        if workers > 1:   # start the pool's processes before timing
            list(executor.map(abs, range(workers * 4)))
        t = time.perf_counter()
        ex.execute(job, executor)
        return runs / (time.perf_counter() - t)
    finally:
        close()


def peak_memory_mb(runs: int, days: int) -> float:
    out = Path(tempfile.mkdtemp(prefix="diplosim-bench-"))
    try:
        cmd = [sys.executable, str(ROOT / "run_sim.py"), "batch", "baseline", "--reps", str(runs),
               "--days", str(days), "--workers", "1", "--quiet", "--out", str(out / "b")]
        before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        subprocess.run(cmd, check=True)
        after = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
        # ru_maxrss of waited-for children is the largest child's peak (KiB on Linux);
        # run the smaller batch first so a later, larger one is what moves it.
        return max(after, before) / 1024
    finally:
        shutil.rmtree(out, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="small sizes (a smoke test, not the figures)")
    ap.add_argument("--skip-memory", action="store_true")
    a = ap.parse_args()
    n_time, n_batch, mem = (20, 200, (200, 1000)) if a.quick else (200, 2000, (1000, 20000))

    print(f"diplosim {sim.__version__} - Python {platform.python_version()} - {os.cpu_count()} cores")
    plain, series = time_per_run(n_time)
    print(f"time per 90-day baseline run (median of {n_time}): {plain * 1e3:.1f} ms without series, "
          f"{series * 1e3:.1f} ms with daily series   [target <= 10 ms without series]")

    t1 = throughput(n_batch, 1)
    t2 = throughput(n_batch, 2)
    print(f"batch of {n_batch} runs: {t1:.1f} runs/s with 1 worker, {t2:.1f} runs/s with 2 workers; "
          f"parallel efficiency {t2 / (2 * t1):.0%}   [target >= 85%]")

    if not a.skip_memory:
        small = peak_memory_mb(mem[0], days=10)
        large = peak_memory_mb(mem[1], days=10)
        print(f"peak memory of the batch process: {small:.0f} MB for {mem[0]} runs, {large:.0f} MB for "
              f"{mem[1]} runs (+{large - small:.0f} MB)   [target: within 50 MB]")


if __name__ == "__main__":
    main()
