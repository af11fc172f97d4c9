#!/usr/bin/env python3
"""Benchmarks of the baseline scenario: ``make bench`` (``BENCH_ARGS="--quick"`` etc.).

Every figure is labelled with exactly what was timed. Nothing is asserted: the figures
are printed (and with ``--markdown FILE`` written as the README's performance table).

1. CPU time per run, in this process (``time.process_time`` around each call; the
   garbage collector left on, as users have it). For each of N seeds (default 200), in
   an order that rotates with the seed (so drift in machine load hits every row alike):

   * bare-Mesa floor: a ``mesa.Model`` built with ``rng=np.random.default_rng(seed)``,
     5 agents whose ``act`` does nothing, ``step`` = ``agents.shuffle_do("act")``,
     ``run_for(90)``: what any 90-day, 5-agent Mesa model pays before doing anything;
   * ``sim.runner.run_outcomes(scenario, seed)``: the batch path's model run (no offer
     log, no result object, no series), the scenario at its point values;
   * one replicate as a batch worker runs it (``sim.experiments.jobs.run_chunk``'s loop
     body): ``replicate_params`` (draw the priors) + ``apply_params`` (copy and
     validate the scenario) + ``run_outcomes`` on the drawn scenario; the draw and
     validation are also shown on their own. Left out: the per-chunk set-up
     (``priors_of``, spawning the seeds; shared by 25 runs) and the row's dict;
   * ``sim.run(scenario, seed, series=False)``: one run as the Python API gives it
     (offer log and ``RunResult``, no daily series);
   * ``sim.run(scenario, seed, series=True)``: the same with the daily series.

   The seeds are the batch's: ``SeedSequence(1).spawn(N)``, each call getting a fresh
   copy of the seed's sequence. The scenario is loaded once; each row is called once
   untimed first. Reported: median and interquartile range (ms) over the N seeds; each
   ratio (to the bare floor, and series / no series) as the median [min-max] over R
   blocks of consecutive seeds (default 5), each block's ratio being a ratio of that
   block's medians, so both sides of a ratio come from the same stretch of time.

2. Batch throughput via the command line, end to end: wall time of a subprocess
   ``python run_sim.py batch baseline --reps N --workers W --quiet --out TMP`` (its
   default outputs, report.html included), W = 1 and 2, interleaved over repeats; runs/s
   = N / wall time, start-up included. Start-up on its own: the wall time of
   ``run_sim.py --help`` and of a 1-run batch at W = 1 and 2 (with W = 2 the worker
   processes are started and import the package); runs/s after start-up =
   (N - 1) / (wall(N) - wall(1 run)). The CPU time of the batch and its workers
   (``RUSAGE_CHILDREN`` difference, a sum, not a maximum) is shown too.

3. Peak memory of the batch's parent process for 1,000 and 20,000 full-horizon runs:
   the CLI is run through a small wrapper (``python -c``: ``runpy`` runs ``run_sim.py``
   as ``__main__`` in the wrapper's own process, then writes that process's peak RSS,
   ``VmHWM`` of ``/proc/self/status``, to a file; not ``ru_maxrss``, which Linux carries
   across ``exec`` from the process that started it, here the benchmark itself). By default
   with ``--workers 2`` (20,000 full runs on one worker take too long): the parent then
   schedules, gathers and writes, the runs happen in the workers, whose largest peak
   (the wrapper's ``RUSAGE_CHILDREN.ru_maxrss``) is shown separately.

4. Job kinds side by side (``benchmarks/bench_jobs.py``): each experiment kind's runs/s
   relative to ``batch`` at the same worker count (2), in this process, on one warmed-up
   process pool: batch, sweep, sensitivity, ablate, compare-protocols, score, the app's
   odds, and calibrate per simulation against a batch of its own scenario.

Options: --quick (small sizes: a smoke test, not figures to publish), --seeds N,
--blocks R, --cli-runs N, --cli-repeats K, --memory-runs A B, --memory-workers W,
--memory-days D (a proxy: runs cut to D days), --jobs-runs N, --jobs-repeats K, --jobs-only KIND...,
--skip-memory, --skip-cli, --skip-jobs, --markdown FILE.
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
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import mesa  # noqa: E402
import numpy as np  # noqa: E402

import sim  # noqa: E402
from sim.experiments import jobs as ex  # noqa: E402
from sim.runner import run_outcomes  # noqa: E402

RUN_SIM = ROOT / "run_sim.py"
ROOT_SEED = 1
DAYS = 90                      # the bare floor's days; the baseline's horizon is printed next to it


# =============================================================== figures and the table
@dataclass
class Figure:
    what: str
    how: str
    value: str
    target: str = ""


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, what: str, how: str, value: str, target: str = "") -> None:
        self.figures.append(Figure(what, how, value, target))
        print(f"  {what}: {value}" + (f"   [target {target}]" if target else ""), flush=True)

    def markdown(self, header: str) -> str:
        lines = [header, "", "| what | how measured | value | target |", "|---|---|---|---|"]
        for f in self.figures:
            cells = [c.strip().replace("|", "\\|") for c in (f.what, f.how, f.value, f.target or "—")]
            lines.append("| " + " | ".join(cells) + " |")
        return "\n".join(lines) + "\n"


def quartiles(xs: list[float]) -> tuple[float, float, float]:
    q1, q2, q3 = statistics.quantiles(xs, n=4, method="inclusive")
    return q1, q2, q3


def ms(xs: list[float]) -> str:
    q1, q2, q3 = quartiles(xs)
    return f"{q2 * 1e3:.2f} ms (IQR {q1 * 1e3:.2f}–{q3 * 1e3:.2f})"


def spread(values: list[float], fmt: str = "{:.1f}", unit: str = "×") -> str:
    med = statistics.median(values)
    if len(values) == 1:
        return f"{fmt.format(med)}{unit} (one repeat: no spread)"
    return f"{fmt.format(med)}{unit} [{fmt.format(min(values))}–{fmt.format(max(values))}]"


# =============================================================== header
def git_commit() -> str:
    try:
        head = subprocess.run(["git", "-C", str(ROOT), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "-C", str(ROOT), "status", "--porcelain", "--", "sim", "run_sim.py",
                                "scenarios"], capture_output=True, text=True, check=True).stdout.strip()
        return head + (" + uncommitted changes under sim/ or scenarios/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown (not a git checkout?)"


def load_average() -> str:
    """The 1-, 5- and 15-minute load averages: other work on the machine shows here."""
    return " / ".join(f"{x:.2f}" for x in os.getloadavg())


def header() -> str:
    load = load_average()
    return (f"diplosim {sim.__version__}, commit {git_commit()}; Python {platform.python_version()}, "
            f"Mesa {mesa.__version__}, NumPy {np.__version__}; {os.cpu_count()} cores "
            f"({platform.machine()}, {platform.system()}); load average {load} at the start")


# =============================================================== 1. CPU time per run
class _Idle(mesa.Agent):
    def act(self) -> None:
        pass


class BareModel(mesa.Model):
    """The floor: 5 agents that do nothing, shuffled and activated each step."""

    def __init__(self, seed) -> None:
        super().__init__(rng=np.random.default_rng(seed))
        for _ in range(5):
            _Idle(self)

    def step(self) -> None:
        self.agents.shuffle_do("act")


def per_run_times(n: int, blocks: int, report: Report) -> None:
    sc = sim.load_scenario("baseline")
    horizon = sc.horizon_days
    job = ex.make_job([sc], reps=1, seed=ROOT_SEED)        # the batch's chunk (scenario data, priors)
    chunk = job.chunks()[0]
    from sim.scenario.priors import priors_of

    data = chunk.scenarios[sc.name]
    priors = {} if chunk.fixed else priors_of(data)
    seeds = np.random.SeedSequence(ROOT_SEED).spawn(n)
    keys = [(s.entropy, s.spawn_key) for s in seeds]

    def fresh(i: int) -> np.random.SeedSequence:
        return np.random.SeedSequence(keys[i][0], spawn_key=keys[i][1])

    def bare(i):
        BareModel(fresh(i)).run_for(DAYS)

    def outcomes(i):
        run_outcomes(sc, seed=fresh(i))

    draw_times: list[float] = []

    def worker(i):                    # run_chunk's loop body, minus the row's dict
        seq = fresh(i)
        t = time.process_time()
        params = ex.replicate_params(chunk, seq, priors)
        scen = ex.apply_params(data, params)
        draw_times.append(time.process_time() - t)
        run_outcomes(scen, seed=seq, days=chunk.days)

    def run_plain(i):
        sim.run(sc, seed=fresh(i), series=False)

    def run_series(i):
        sim.run(sc, seed=fresh(i), series=True)

    things = {"bare": bare, "outcomes": outcomes, "worker": worker, "plain": run_plain, "series": run_series}
    names = list(things)
    for f in things.values():             # warm-up: imports, caches, first allocations
        f(0)
    draw_times.clear()
    times: dict[str, list[float]] = {k: [0.0] * n for k in names}
    draws = [0.0] * n
    t_start = time.perf_counter()
    for i in range(n):
        k = i % len(names)
        for name in names[k:] + names[:k]:
            t = time.process_time()
            things[name](i)
            times[name][i] = time.process_time() - t
        draws[i] = draw_times.pop()
    wall = time.perf_counter() - t_start

    blocks = max(1, min(blocks, n // 4))
    edges = [round(b * n / blocks) for b in range(blocks + 1)]
    spans = [range(edges[b], edges[b + 1]) for b in range(blocks)]

    def block_ratios(num: list[float], den: list[float]) -> list[float]:
        return [statistics.median(num[j] for j in s) / statistics.median(den[j] for j in s) for s in spans]

    how_time = (f"CPU time (process_time) per call, {n} seeds, the five rows interleaved; "
                "median (interquartile range)")
    how_ratio = (f"ratio of medians within each of {blocks} blocks of {n // blocks} seeds; "
                 "median [min–max] over the blocks")
    print(f"\n1. CPU time per run, in this process: {n} seeds (SeedSequence({ROOT_SEED}).spawn), "
          f"{horizon}-day baseline, rows interleaved in rotating order ({wall:.0f} s wall; "
          f"load average {load_average()} after)")
    report.add("bare-Mesa floor: 5 idle agents, shuffle_do, run_for(90)", how_time, ms(times["bare"]))
    report.add("batch path, model only: run_outcomes(baseline, seed) (no offer log, no result, no series)",
               how_time, ms(times["outcomes"]))
    report.add("batch path, one replicate as the worker runs it: replicate_params + apply_params "
               "+ run_outcomes (priors drawn)", how_time, ms(times["worker"]))
    report.add("  of which drawing the priors and validating the scenario (replicate_params + apply_params)",
               how_time, ms(draws))
    report.add("sim.run(baseline, seed, series=False) (offer log and RunResult, no daily series)",
               how_time, ms(times["plain"]))
    report.add("sim.run(baseline, seed, series=True) (with the daily series)", how_time, ms(times["series"]))
    report.add("ratio run_outcomes / bare-Mesa floor (the speed budget: new mechanisms keep it ≤ 30×)", how_ratio,
               spread(block_ratios(times["outcomes"], times["bare"])), "≤ 30×")
    report.add("ratio worker's replicate (draw + validate + run_outcomes) / bare-Mesa floor", how_ratio,
               spread(block_ratios(times["worker"], times["bare"])), "≤ 35×")
    report.add("ratio sim.run(series=False) / bare-Mesa floor", how_ratio,
               spread(block_ratios(times["plain"], times["bare"])))
    report.add("ratio sim.run(series=True) / bare-Mesa floor", how_ratio,
               spread(block_ratios(times["series"], times["bare"])))
    report.add("series overhead: sim.run(series=True) / sim.run(series=False)", how_ratio,
               spread(block_ratios(times["series"], times["plain"]), "{:.2f}"), "≤ 1.3×")
    report.add("sim.run(series=False) / run_outcomes (cost of the offer log and the result)", how_ratio,
               spread(block_ratios(times["plain"], times["outcomes"]), "{:.2f}"))


# =============================================================== 2. CLI throughput
def _cpu_children() -> float:
    r = resource.getrusage(resource.RUSAGE_CHILDREN)
    return r.ru_utime + r.ru_stime


def timed(cmd: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the process and its waited-for children)."""
    c0 = _cpu_children()
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    return wall, _cpu_children() - c0


def batch_cmd(reps: int, workers: int, out: Path, days: int | None = None) -> list[str]:
    return [sys.executable, str(RUN_SIM), "batch", "baseline", "--reps", str(reps), "--workers", str(workers),
            "--quiet", "--out", str(out), *(["--days", str(days)] if days else [])]


def cli_throughput(n: int, repeats: int, report: Report) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="diplosim-bench-"))
    try:
        counter = iter(range(10**6))

        def out() -> Path:
            return tmp / f"b{next(counter)}"

        print(f"\n2. Batch throughput via the CLI, end to end: run_sim.py batch baseline --reps {n} "
              f"--workers W --quiet --out TMP (default outputs, report.html included); wall time, "
              f"start-up included; W = 1, 2 interleaved, {repeats} repeat(s); load average {load_average()}")
        helps = [timed([sys.executable, str(RUN_SIM), "--help"])[0] for _ in range(3)]
        one = {1: [], 2: []}
        full = {1: [], 2: []}
        cpu = {1: [], 2: []}
        for r in range(max(1, repeats)):
            order = (1, 2) if r % 2 == 0 else (2, 1)
            for w in order:
                one[w].append(timed(batch_cmd(1, w, out()))[0])
            for w in order:
                wall, c = timed(batch_cmd(n, w, out()))
                full[w].append(wall)
                cpu[w].append(c)
            shutil.rmtree(tmp, ignore_errors=True)
            tmp.mkdir()

        def secs(xs):
            return spread(xs, "{:.2f}", " s")

        report.add("start-up: run_sim.py --help (interpreter + the CLI's imports)",
                   "wall time, 3 repeats: median [min–max]", secs(helps))
        for w in (1, 2):
            report.add(f"start-up: a 1-run batch, {w} worker{'s' if w > 1 else ''}",
                       f"wall time of the whole command, {len(one[w])} repeat(s)", secs(one[w]))
        thr = {}
        for w in (1, 2):
            thr[w] = [n / t for t in full[w]]
            after = [(n - 1) / (t - o) for t, o in zip(full[w], one[w]) if t > o]
            report.add(f"batch of {n:,} runs, {w} worker{'s' if w > 1 else ''}: runs/s end to end",
                       f"N / wall time of the whole command (start-up included), {len(full[w])} repeat(s)",
                       spread(thr[w], "{:.1f}", " runs/s"))
            report.add(f"batch of {n:,} runs, {w} worker{'s' if w > 1 else ''}: runs/s after start-up",
                       "(N - 1) / (wall(N runs) - wall(1-run batch)), paired by repeat",
                       spread(after, "{:.1f}", " runs/s") if after else
                       "n/a (the N-run batch took no longer than the 1-run batch: N too small, or the "
                       "machine busy)")
            report.add(f"batch of {n:,} runs, {w} worker{'s' if w > 1 else ''}: CPU time per run",
                       "CPU time of the command and its workers, start-up included (RUSAGE_CHILDREN difference) / N",
                       spread([c / n * 1e3 for c in cpu[w]], "{:.1f}", " ms"))
        eff = [b / (2 * a) for a, b in zip(thr[1], thr[2])]
        report.add("parallel efficiency at 2 workers, end to end",
                   "runs/s with 2 workers / (2 × runs/s with 1 worker), start-up included, paired by repeat",
                   spread([e * 100 for e in eff], "{:.0f}", "%"))
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# =============================================================== 3. peak memory of the parent
WRAPPER = r"""
import resource, runpy, sys
report, argv = sys.argv[1], sys.argv[2:]
sys.argv = argv
code = 0
try:
    runpy.run_path(argv[0], run_name="__main__")
except SystemExit as exc:
    code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
finally:
    # VmHWM: this process image's own peak (ru_maxrss survives exec on Linux, so it would
    # report the benchmark's own peak when the job section ran first and made it large)
    try:
        own = next(int(line.split()[1]) for line in open("/proc/self/status") if line.startswith("VmHWM:"))
    except (OSError, StopIteration):
        own = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    kids = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    with open(report, "w") as fh:
        fh.write(f"{own} {kids}\n")
sys.exit(code)
"""


def parent_peak(runs: int, workers: int, tmp: Path, days: int | None = None) -> tuple[float, float, float]:
    """(parent's peak RSS MiB, largest worker's peak RSS MiB, wall s) of one CLI batch."""
    rep = tmp / f"rss-{runs}.txt"
    cmd = [sys.executable, "-c", WRAPPER, str(rep), *batch_cmd(runs, workers, tmp / f"m{runs}", days)[1:]]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - t0
    own, kids = (int(x) for x in rep.read_text().split())
    return own / 1024, kids / 1024, wall          # ru_maxrss is in KiB on Linux


def memory(sizes: list[int], workers: int, report: Report, days: int | None = None) -> None:
    tmp = Path(tempfile.mkdtemp(prefix="diplosim-bench-"))
    horizon = f"--days {days}: a proxy, runs cut to {days} days" if days else "full horizon"
    try:
        print(f"\n3. Peak memory of the batch's parent process: run_sim.py batch baseline --reps N "
              f"--workers {workers} --quiet ({horizon}), run through runpy in a wrapper that "
              f"reports its own peak RSS (VmHWM); load average {load_average()}")
        if workers > 1:
            print(f"   with --workers {workers}: the parent schedules, gathers and writes; the runs are in "
                  "the workers (their largest peak shown apart)")
        peaks = []
        for n in sizes:
            own, kids, wall = parent_peak(n, workers, tmp, days)
            peaks.append(own)
            how = (f"peak RSS of the parent (VmHWM, read at its exit), --workers {workers}, "
                   f"{f'runs cut to {days} days (--days, a proxy)' if days else 'full-horizon runs'}, "
                   f"default outputs; the batch took {wall:.0f} s wall")
            report.add(f"peak RSS of the batch's parent process, {n:,} runs", how, f"{own:.0f} MiB")
            if workers > 1:
                report.add(f"  largest worker's peak RSS, {n:,} runs",
                           "the wrapper's RUSAGE_CHILDREN.ru_maxrss (the maximum over its worker processes)",
                           f"{kids:.0f} MiB")
            shutil.rmtree(tmp / f"m{n}", ignore_errors=True)
        if len(sizes) == 2:
            report.add(f"growth of the parent's peak RSS from {sizes[0]:,} to {sizes[1]:,} runs",
                       "difference of the two rows above", f"{peaks[1] - peaks[0]:+.0f} MiB", "within 50 MiB")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# =============================================================== main
def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true",
                    help="small sizes (a smoke test, not figures to publish)")
    ap.add_argument("--seeds", type=int, help="seeds for the per-run CPU times (default 200; quick 40)")
    ap.add_argument("--blocks", type=int, default=5, help="blocks of seeds for the ratios' spread (default 5)")
    ap.add_argument("--cli-runs", type=int, help="runs of the CLI batch (default 2000; quick 200)")
    ap.add_argument("--cli-repeats", type=int, help="repeats of the CLI batches (default 3; quick 1)")
    ap.add_argument("--memory-runs", type=int, nargs=2, metavar=("A", "B"),
                    help="runs of the two memory batches (default 1000 20000; quick 100 500)")
    ap.add_argument("--memory-workers", type=int, default=2,
                    help="--workers of the memory batches (default 2)")
    ap.add_argument("--memory-days", type=int,
                    help="--days of the memory batches: a proxy that cuts each run short (default: the full "
                         "horizon)")
    ap.add_argument("--skip-cli", action="store_true", help="no CLI throughput rows")
    ap.add_argument("--jobs-runs", type=int, help="runs of each job kind (default 600; quick 60)")
    ap.add_argument("--jobs-repeats", type=int, help="repeats of the job kinds (default 3; quick 1)")
    ap.add_argument("--jobs-only", nargs="+", metavar="KIND",
                    help="time only these job kinds (with their reference batch), e.g. calibrate")
    ap.add_argument("--skip-jobs", action="store_true", help="no job-kind rows")
    ap.add_argument("--skip-memory", action="store_true", help="no peak-memory rows")
    ap.add_argument("--markdown", type=Path, metavar="FILE",
                    help="also write the figures as a Markdown table (for README, Performance)")
    a = ap.parse_args()
    seeds = a.seeds or (40 if a.quick else 200)
    cli_runs = a.cli_runs or (200 if a.quick else 2000)
    cli_repeats = a.cli_repeats or (1 if a.quick else 3)
    mem = a.memory_runs or ([100, 500] if a.quick else [1000, 20000])
    if a.markdown:                   # fail now, not after half an hour of measuring
        try:
            a.markdown.parent.mkdir(parents=True, exist_ok=True)
            a.markdown.touch()
        except OSError as exc:
            ap.error(f"--markdown {a.markdown}: cannot write there ({exc.strerror or exc})")

    head = header()
    print(head + ("\n--quick: small sizes, a smoke test (not figures to publish)" if a.quick else ""))
    report = Report()
    per_run_times(seeds, a.blocks, report)
    if not a.skip_cli:
        cli_throughput(cli_runs, cli_repeats, report)
    if not a.skip_jobs:
        from bench_jobs import job_kinds

        job_kinds(a.jobs_runs or (60 if a.quick else 600), a.jobs_repeats or (1 if a.quick else 3), 2, report,
                  a.jobs_only)
    if not a.skip_memory:
        memory(mem, a.memory_workers, report, a.memory_days)
    end_load = load_average()
    print(f"\nload average at the end: {end_load}")
    if a.markdown:
        text = report.markdown(f"`make bench` (`benchmarks/bench_run.py{' --quick' if a.quick else ''}`): "
                               f"{head}; load average {end_load} at the end.")
        a.markdown.write_text(text, encoding="utf-8")
        print(f"wrote {a.markdown}")


if __name__ == "__main__":
    main()
