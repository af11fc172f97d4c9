#!/usr/bin/env python3
"""Job kinds side by side: each experiment's runs/s relative to ``batch``, same workers.

Part of ``make bench`` (``benchmarks/bench_run.py`` calls :func:`job_kinds`); run alone
with ``.venv/bin/python benchmarks/bench_jobs.py [--runs N] [--repeats K] [--workers W]``.

What is timed: the wall time of the Python API call of each job kind, in this process,
on one process pool of W workers (default 2) started and warmed up once before any
timing (so worker start-up is in no row), no output folder (in memory), except
``calibrate`` which always writes its folder (a temporary one). Every kind runs about
the same number of runs N (default 600) of the baseline, so it is the job machinery
that differs, not the model:

* ``batch``: ``batch(baseline, reps=N)``, the reference;
* ``sweep``: one field varied, Latin hypercube of N points, 1 replicate each;
* ``sensitivity``: Sobol', ``n`` the power of 2 that gives about N runs, 1 replicate a point;
* ``ablate``: base + its variants, N / (variants + 1) replicates each;
* ``compare-protocols``: alternating offers and mediation, N / 2 replicates each (the
  protocols' own run costs differ: its ratio is also shown per CPU second);
* ``score``: the example record's forecasts (daily series kept), N replicates;
* ``app odds``: the app's odds batch (current settings vs. as written, LHS points);
* ``calibrate`` (per simulation): ABC-SMC on ``history_2021`` and its data as a user runs
  it (population N / 3, until the sampler's stopping rule, the posterior predictive),
  compared with ``batch(history_2021, reps=N)`` (a scenario of the same cost: the same
  scenario), since calibration needs each run's daily series.

The kinds are interleaved, in an order rotating with the repeat. Reported: runs/s, and
the ratio to ``batch``'s runs/s of the same repeat (median [min–max] over repeats).
Also the CPU time per run (the workers' and this process's, from ``RUSAGE_SELF`` and
the pool workers' own ``process_time``), so a kind whose runs cost more is told apart
from one whose machinery costs more.
"""

from __future__ import annotations

import argparse
import math
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

TARGET = "≥ 0.85× batch"


def _cpu_self() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def _worker_cpu() -> float:
    return time.process_time()


def _pool_cpu(executor, workers: int) -> float:
    """The pool workers' CPU seconds so far (a sum; one probe per worker, best effort)."""
    import concurrent.futures as cf

    futs = [executor.submit(_worker_probe) for _ in range(4 * workers)]
    seen = {}
    for f in cf.as_completed(futs):
        pid, cpu = f.result()
        seen[pid] = max(cpu, seen.get(pid, 0.0))
    return sum(seen.values())


def _worker_probe():
    import os

    time.sleep(0.05)          # so each worker takes one probe
    return os.getpid(), time.process_time()


def kinds(n: int, tmp: Path):
    """name -> (callable(executor) -> runs done, what it is)."""
    import sim
    from sim.experiments import ablation, calibration, compare, scoring, sensitivity
    from sim.experiments import jobs as ex
    from sim.viz import live

    base = sim.load_scenario("baseline")
    hist = sim.load_scenario("history_2021")
    field = "actors.poland.tactic.e"
    n_sobol_vars = len(sensitivity.default_varies(base))
    sobol_n = 2 ** max(1, round(math.log2(max(2, n / (n_sobol_vars + 2)))))
    n_variants = len(ablation.variants(base))
    record = scoring.load_record(ROOT / "tests" / "data" / "record_example.yaml")
    counter = iter(range(10**6))

    def batch(e):
        return len(ex.batch(base, reps=n, seed=1, executor=e))

    def sweep(e):
        return len(ex.sweep(base, [f"{field}=0.2:2"], reps=1, design="lhs", samples=n, seed=1, executor=e))

    def sens(e):
        return len(sensitivity.run_sensitivity(base, method="sobol", n=sobol_n, seed=1, executor=e)[2].runs)

    def ablate(e):
        return len(ablation.run_ablation(base, reps=max(1, n // (n_variants + 1)), seed=1, executor=e)[1].runs)

    def comp(e):
        return len(compare.compare_protocols(base, ["alternating_offers", "mediation"], reps=n // 2, seed=1,
                                             executor=e)[2].runs)

    def score(e):
        scoring.forecast(base, record, reps=n, seed=1, executor=e)
        return n

    def odds(e):
        s = live.Settings(scenario="baseline")
        pts = max(1, n // 10)
        live.run_odds(s, points=pts, reps=5, seed=1, executor=e)
        return 2 * 5 * pts

    def hist_batch(e):
        return len(ex.batch(hist, reps=n, seed=1, executor=e))

    pop = max(20, n // 3)       # n = 600: the default population of 200

    def calib(e):
        out = tmp / f"cal{next(counter)}"
        # as a user runs it: the sampler's own stopping rule (history_2021 stops at generation
        # 24, 2,600 simulations at population 200), so the per-simulation rate includes every
        # generation's barrier and the fixed costs weigh what they weigh in real use
        st = calibration.Settings(population=pop, predictive=pop, seed=1)
        res = calibration.calibrate(hist, ROOT / "data" / "attempted_crossings_pl_2021.csv", out, st, executor=e)
        shutil.rmtree(out, ignore_errors=True)
        return int(res.generations["simulations"].sum()) + st.predictive

    return {
        "batch": (batch, f"batch(baseline, reps={n})"),
        "sweep": (sweep, f"sweep(baseline, {field}, lhs, {n} points × 1 replicate)"),
        "sensitivity": (sens, f"run_sensitivity(baseline, sobol, n={sobol_n}, {n_sobol_vars} fields, 1 replicate)"),
        "ablate": (ablate, f"run_ablation(baseline, {n_variants} variants + base, {max(1, n // (n_variants + 1))} "
                           "replicates)"),
        "compare-protocols": (comp, f"compare_protocols(baseline, alternating_offers + mediation, {n // 2} reps)"),
        "score": (score, f"scoring.forecast(baseline, tests/data/record_example.yaml, reps={n}) (daily series)"),
        "app odds": (odds, f"live.run_odds(baseline, {max(1, n // 10)} LHS points × 5 reps × 2 sides)"),
        "batch history_2021": (hist_batch, f"batch(history_2021, reps={n}) (calibrate's reference)"),
        "calibrate": (calib, f"calibrate(history_2021, population {pop}, until its stopping rule, predictive "
                             f"{pop}) per simulation"),
    }


def job_kinds(n: int, repeats: int, workers: int, report, only: list[str] | None = None) -> None:
    from sim.experiments import jobs as ex

    tmp = Path(tempfile.mkdtemp(prefix="diplosim-bench-jobs-"))
    executor, close = ex.make_executor(workers)
    try:
        table = kinds(n, tmp)
        unknown = sorted(set(only or ()) - set(table))
        if unknown:
            raise SystemExit(f"unknown job kind(s): {', '.join(unknown)} (kinds: {', '.join(table)})")
        refs = {"batch history_2021"} if only and set(only) <= {"calibrate"} else {"batch", "batch history_2021"}
        names = [k for k in table if not only or k in only or k in refs]
        print(f"\n4. Job kinds side by side, {workers} workers, about {n} runs each, {repeats} repeat(s), "
              "one process pool started and warmed up once (no start-up in any row); in memory, no output "
              "folder (calibrate: a temporary one)", flush=True)
        ex.batch("baseline", reps=2 * workers, seed=99, executor=executor)        # warm-up: imports in workers
        rate = {k: [] for k in names}
        cpu = {k: [] for k in names}
        for r in range(repeats):
            k0 = r % len(names)
            for name in names[k0:] + names[:k0]:
                fn = table[name][0]
                c0, p0 = _cpu_self(), _pool_cpu(executor, workers) if workers > 1 else 0.0
                t0 = time.perf_counter()
                done = fn(executor)
                wall = time.perf_counter() - t0
                c1, p1 = _cpu_self(), _pool_cpu(executor, workers) if workers > 1 else 0.0
                rate[name].append(done / wall)
                cpu[name].append(((c1 - c0) + (p1 - p0)) / done * 1e3)
                print(f"   {name}: {done} runs in {wall:.1f} s ({done / wall:.1f} runs/s)", flush=True)
        how = (f"runs (simulations) / wall time of the API call, {workers} workers, {repeats} repeat(s): "
               "median [min–max]")
        for name in names:
            ref = "batch history_2021" if name == "calibrate" else "batch"
            med = statistics.median(rate[name])
            lo, hi = min(rate[name]), max(rate[name])
            report.add(f"{name}: {table[name][1]}", how, f"{med:.1f} runs/s [{lo:.1f}–{hi:.1f}]; "
                       f"CPU {statistics.median(cpu[name]):.1f} ms a run (parent + workers)")
            if name not in ("batch", "batch history_2021") and ref in rate:
                ratios = [a / b for a, b in zip(rate[name], rate[ref])]
                target = TARGET if name in ("sensitivity", "ablate", "compare-protocols", "calibrate") else ""
                report.add(f"  {name} runs/s / {ref} runs/s", f"ratio within each repeat, {workers} workers; "
                           "median [min–max]", _spread(ratios), target)
    finally:
        close()
        shutil.rmtree(tmp, ignore_errors=True)


def _spread(xs: list[float]) -> str:
    med = statistics.median(xs)
    return f"{med:.2f}×" + (f" [{min(xs):.2f}–{max(xs):.2f}]" if len(xs) > 1 else " (one repeat)")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=600)
    ap.add_argument("--repeats", type=int, default=2)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--only", nargs="*", help="kinds to time (with their reference batch)")
    a = ap.parse_args()
    from bench_run import Report

    job_kinds(a.runs, a.repeats, a.workers, Report(), a.only)


if __name__ == "__main__":
    main()
