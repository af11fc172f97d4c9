#!/usr/bin/env python3
"""Machine instructions per baseline run (``run_outcomes``), counted by valgrind's
callgrind: a measure of a speed change that the shared machine's timings cannot
resolve (they move ±5% between runs).

    .venv/bin/python benchmarks/count_instructions.py [CHECKOUT ...] [--runs 10]

Each CHECKOUT (default: this repository) is a folder holding the ``sim`` package, e.g.
a ``git worktree`` of an older commit, so two versions are compared on the same seeds.
Per checkout, the interpreter runs the baseline on seeds 1..N after seed 0 and, apart,
seed 0 alone; the difference of the two counts over N is the instructions of one run
(start-up, imports and the first run cancel). String hashing is fixed
(``PYTHONHASHSEED=0``), BLAS and OpenMP get one thread (their workers' spinning is
counted) and address-space randomisation is off (``setarch -R``): before, two counts of
the same code differed by up to 2% a run; now they agree to 0.1 M of 245 M. Needs
``valgrind`` (Debian: apt install valgrind); about 70 s per checkout for N = 10, the
two checkouts in parallel.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SCRIPT = """
import sys
sys.path.insert(0, sys.argv[1])
import sim
from sim.runner import run_outcomes
sc = sim.load_scenario("baseline")
for s in range(int(sys.argv[2])):
    run_outcomes(sc, s)
"""


# the same string hashes, and no BLAS/OpenMP worker threads (their spinning is counted too)
FIXED_ENV = {"PYTHONHASHSEED": "0", "OPENBLAS_NUM_THREADS": "1", "OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


def instructions(checkout: Path, seeds: int) -> int:
    """Instructions of one interpreter that runs the baseline on ``seeds`` seeds."""
    # address-space randomisation off (setarch -R): with it, id()-keyed caches and the
    # allocator's layout moved the count by 2% between two runs of the same code
    fixed = ["setarch", platform.machine(), "-R"] if shutil.which("setarch") else []
    out = subprocess.run([*fixed, "valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null", sys.executable,
                          "-c", SCRIPT, str(checkout), str(seeds)], capture_output=True, text=True, check=True,
                         env={**os.environ, **FIXED_ENV})
    m = re.search(r"Collected : (\d+)", out.stderr)
    if m is None:
        raise SystemExit(f"valgrind printed no count for {checkout}:\n{out.stderr[-2000:]}")
    return int(m.group(1))


def per_run(checkout: Path, runs: int) -> float:
    return (instructions(checkout, runs + 1) - instructions(checkout, 1)) / runs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("checkouts", nargs="*", type=Path, default=[ROOT],
                    help="folders holding the sim package (default: this repository)")
    ap.add_argument("--runs", type=int, default=10, help="seeds counted per checkout (default 10)")
    a = ap.parse_args()
    if shutil.which("valgrind") is None:
        raise SystemExit("valgrind is not installed (Debian: apt install valgrind)")
    bad = [str(c) for c in a.checkouts if not (c / "sim" / "__init__.py").exists()]
    if bad:
        raise SystemExit(f"no sim package in: {', '.join(bad)}")
    with ThreadPoolExecutor(max_workers=2) as pool:
        counts = list(pool.map(lambda c: per_run(c.resolve(), a.runs), a.checkouts))
    first = counts[0]
    for c, n in zip(a.checkouts, counts):
        rel = f"  ({n / first - 1:+.1%} against the first)" if c is not a.checkouts[0] else ""
        print(f"{c}: {n / 1e6:.1f} M instructions a baseline run (seeds 1-{a.runs}){rel}")


if __name__ == "__main__":
    main()
