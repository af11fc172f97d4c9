#!/usr/bin/env python3
"""Where a baseline run's time goes: cProfile over N batch-path runs (``run_outcomes``),
each part's cumulative time as a share of the whole (run on demand; prints a table).

    .venv/bin/python benchmarks/profile_run.py [--runs 60] [--markdown FILE]

cProfile adds a per-call overhead, so call-heavy parts look heavier than they are; the
shares are a map of the run, the absolute times are `make bench`'s.
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sim  # noqa: E402
from sim.runner import run_outcomes  # noqa: E402

# (label, file suffix, function name): cumulative time of each, as a share of the runs
PARTS = [
    ("the actors' turns (Mesa shuffle_do over Actor.act)", "mesa/agentset.py", "shuffle_do"),
    ("  negotiation turn (AlternatingOffers.act)", "protocols/alternating_offers.py", "act"),
    ("    best package and stake per channel (_best)", "protocols/alternating_offers.py", "_best"),
    ("    making offers (_make_offer, logrolling bidder)", "protocols/alternating_offers.py", "_make_offer"),
    ("    acceptance (_accepts)", "protocols/alternating_offers.py", "_accepts"),
    ("  unilateral moves (act_alone)", "model/unilateral.py", "act_alone"),
    ("anticipated relief (Environment.relief_values)", "model/environment.py", "relief_values"),
    ("stocks' daily update (Environment.update)", "model/environment.py", "update"),
    ("blame: harm of stock rises (charge_stock_rise)", "model/blame.py", "charge_stock_rise"),
    ("blame: daily update (Blame.update)", "model/blame.py", "update"),
    ("blame: public demands (public_demands)", "model/model.py", "public_demands"),
    ("channels and rules rebuilt (_rebuild)", "model/model.py", "_rebuild"),
    ("crisis cost per actor (Actor.crisis_cost)", "model/agents.py", "crisis_cost"),
    ("model set-up (NegotiationModel.__init__)", "model/model.py", "__init__"),
    ("outcomes (compute_outcomes)", "sim/results.py", "compute_outcomes"),
]


def _without_parts(sc, runs: int) -> list[tuple[str, float]]:
    """CPU time of run_outcomes (median over ``runs`` seeds) for the whole day, without the
    negotiation turns, and without them and the unilateral moves (monkeypatched off: a
    diagnostic of what the rest of the day costs, not a model anyone should run)."""
    import statistics
    import time

    from sim.model import agents
    from sim.protocols.alternating_offers import AlternatingOffers

    def median_ms():
        for s in range(3):
            run_outcomes(sc, s)
        times = []
        for s in range(runs):
            t = time.process_time()
            run_outcomes(sc, s)
            times.append(time.process_time() - t)
        return 1000 * statistics.median(times)

    act, alone = AlternatingOffers.act, agents.act_alone
    out = [("the whole day", median_ms())]
    try:
        AlternatingOffers.act = lambda self, actor: None
        out.append(("without the negotiation turns", median_ms()))
        agents.act_alone = lambda model, actor: None
        out.append(("without negotiation turns and unilateral moves", median_ms()))
    finally:
        AlternatingOffers.act, agents.act_alone = act, alone
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--runs", type=int, default=60)
    ap.add_argument("--markdown", type=Path, metavar="FILE")
    a = ap.parse_args()
    sc = sim.load_scenario("baseline")
    run_outcomes(sc, 0)
    prof = cProfile.Profile()
    prof.enable()
    for s in range(a.runs):
        run_outcomes(sc, s)
    prof.disable()
    stats = pstats.Stats(prof).stats
    total = sum(v[2] for v in stats.values())          # total internal time = the whole
    rows = []
    for label, suffix, name in PARTS:
        cum = sum(v[3] for (f, _line, fn), v in stats.items() if f.endswith(suffix) and fn == name)
        rows.append((label, cum / total))
    print(f"cProfile over {a.runs} baseline runs (run_outcomes); share of the profiled time:")
    for label, share in rows:
        print(f"  {label:<58} {share:6.1%}")
    floors = _without_parts(sc, a.runs)
    print("CPU time per run (ms, median of the runs) with parts of the day switched off (the runs then differ:")
    print("the figures bound what the rest of the day costs, they are not the parts' shares):")
    for label, ms in floors:
        print(f"  {label:<58} {ms:6.2f}")
    if a.markdown:
        a.markdown.parent.mkdir(parents=True, exist_ok=True)
        lines = [f"`benchmarks/profile_run.py --runs {a.runs}` (cProfile, share of the profiled time of "
                 "`run_outcomes` on the baseline; cProfile inflates call-heavy parts):", "",
                 "| part of the run | share |", "|---|---|"]
        lines += [f"| {label.strip()} | {share:.0%} |" for label, share in rows]
        lines += ["", "CPU time per run with parts of the day switched off (median over the runs; the runs then "
                  "differ, so these bound what the rest of the day costs):", "", "| run | ms |", "|---|---|"]
        lines += [f"| {label} | {ms:.2f} |" for label, ms in floors]
        a.markdown.write_text("\n".join(lines) + "\n", encoding="utf-8")
        print(f"wrote {a.markdown}")


if __name__ == "__main__":
    main()
