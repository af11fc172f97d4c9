"""A scenario judged on several facts at once (pattern-oriented modelling: Grimm et al.
2005): for each fact of a record and each protocol, the share of runs that match it.

A yes/no fact matches in a run where the outcome equals the observation; a number
matches where the run's value equals it (a count, e.g. renewals) or, for a day, lies
within ``tolerance_days`` of it (the record's facts are days and counts: the spread is
printed in whole numbers). A day that a run does not have (no shortened renewal,
no exit) does not match. The table also gives each number's median and 5-95% spread
over the runs that have it: the spread of runs, not an interval of a mean.

    python -m sim.experiments.patterns black_sea_grain data/black_sea_grain_record.yaml \\
        --protocols alternating_offers,mediation --reps 200

prints the Markdown table of the README's grain paragraph (``make grain-table``).
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import sys

import numpy as np
import pandas as pd

TOLERANCE_DAYS = 15


def _is_day(outcome: str) -> bool:
    return "day" in outcome.split(":", 1)[0]


# the acts a worked example is shown for: (outcome that marks a run, act type, label)
EXAMPLES = (("any_shortened", "renewal", "a shortened renewal"), ("n_renegotiated", "renewal", "a renegotiation"),
            ("any_exit", "exit", "an exit"), ("n_lapsed", "expiry", "a lapse"))


def rerun(scenario, row):
    """Replicate ``row`` of a job's runs table again, alone: its drawn parameters (the
    ``param:`` columns) and its seed (entropy and spawn key) give the same run."""
    import json

    from sim.experiments.jobs import apply_params
    from sim.runner import run

    params = {k[len("param:"):]: v for k, v in row.items() if k.startswith("param:") and pd.notna(v)}
    sc = apply_params(scenario.model_dump(mode="json", exclude_unset=False), params)
    seq = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=tuple(json.loads(row["seed_spawn_key"])))
    return run(sc, seed=seq, series=False)


def examples(scenario, runs: pd.DataFrame) -> list[tuple[str, int, pd.Series]]:
    """For each act of :data:`EXAMPLES`, the first run (by replicate) that has it, run
    again alone: (what, replicate, the act's row of its record, reason included)."""
    out = []
    for outcome, kind, what in EXAMPLES:
        have = runs[runs[outcome].astype(float) > 0].sort_values("replicate")
        if not len(have):
            continue
        row = have.iloc[0]
        rec = rerun(scenario, row.to_dict()).record
        acts = rec[rec["type"] == kind]
        if outcome == "any_shortened":
            acts = acts[acts["reason"].str.contains("term shortened", regex=False)]
        elif outcome == "n_renegotiated":
            acts = acts[acts["label"].str.endswith("terms changed")]
        if len(acts):
            out.append((what, int(row["replicate"]), acts.iloc[0]))
    return out


def match_table(scenario, record, protocols, reps: int = 200, seed: int = 0, executor=None,
                tolerance_days: int = TOLERANCE_DAYS, shown: dict | None = None) -> pd.DataFrame:
    """One row per fact: its label, what was observed, and for each protocol the share of
    runs matching it (and, for numbers, the median and 5-95% spread of the runs).
    ``shown``: a dict that receives, per protocol, :func:`examples` of its runs."""
    from sim.experiments.scoring import forecast
    from sim.runner import with_protocol

    rows = {o.name: {"fact": o.name, "observed": o.observed} for o in record}
    for protocol in protocols:
        sc = with_protocol(scenario, protocol)
        runs, _, _ = forecast(sc, record, reps=reps, seed=seed, executor=executor)
        n = len(runs)
        if shown is not None:
            shown[protocol] = examples(sc, runs)
        for o in record:
            col = runs[o.outcome].astype(float).to_numpy()
            have = col[~np.isnan(col)]
            if _is_day(o.outcome):
                hit = np.abs(have - o.observed) <= tolerance_days
            else:
                hit = have == o.observed
            row = rows[o.name]
            row[f"{protocol}: match"] = float(hit.sum()) / n
            boolean = runs[o.outcome].dtype == bool or str(runs[o.outcome].dtype) == "boolean"
            if not boolean and len(have):
                q05, med, q95 = np.percentile(have, [5, 50, 95])
                row[f"{protocol}: runs"] = f"{med:.0f} [{q05:.0f}, {q95:.0f}]" + ("" if len(have) == n else
                                                                                f" in {len(have)} of {n}")
            else:
                row[f"{protocol}: runs"] = ""
    return pd.DataFrame(list(rows.values()))


def markdown(table: pd.DataFrame, protocols, reps: int, tolerance_days: int = TOLERANCE_DAYS) -> str:
    head = "| fact of the record | observed | " + " | ".join(
        f"{p}: share of runs matching | {p}: median [5%, 95%] of runs" for p in protocols) + " |"
    sep = "|" + "---|" * (2 + 2 * len(protocols))
    lines = [head, sep]
    for r in table.itertuples(index=False):
        d = dict(zip(table.columns, r))
        cells = [d["fact"], f"{d['observed']:g}"]
        for p in protocols:
            cells += [f"{d[f'{p}: match']:.2f}", d[f"{p}: runs"] or "—"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    lines.append(f"{reps} runs per protocol under the priors; a day matches within ±{tolerance_days} days, "
                 "a count or a yes/no exactly; a run without the event does not match.")
    return "\n".join(lines)


def example_lines(shown: dict) -> str:
    """The worked examples as Markdown bullets: the act and its reason, from record.csv."""
    lines = []
    for protocol, acts in shown.items():
        for what, rep, act in acts:
            lines.append(f"- {protocol}, replicate {rep}, day {act['day']}: {what} ({act['label']}): "
                         f"{act['reason']}")
    return "\n".join(lines)


def main(argv=None) -> int:
    from sim.experiments.scoring import load_record
    from sim.runner import with_protocol
    from sim.scenario import load_scenario

    ap = argparse.ArgumentParser(prog="python -m sim.experiments.patterns", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("record")
    ap.add_argument("--protocols", default="alternating_offers,mediation")
    ap.add_argument("--reps", type=int, default=200)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    a = ap.parse_args(argv)
    protocols = a.protocols.split(",")
    from sim.experiments.jobs import ExperimentError
    from sim.scenario import ScenarioError

    try:
        sc, rec = load_scenario(a.scenario), load_record(a.record)
        for p in protocols:
            with_protocol(sc, p)
    except (ScenarioError, ExperimentError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)      # one line, exit 2 (the CLI's rule)
        return 2
    shown: dict = {}
    with cf.ProcessPoolExecutor(a.workers) as ex:
        table = match_table(sc, rec, protocols, a.reps, a.seed, ex, shown=shown)
    print(markdown(table, protocols, a.reps))
    print("")
    print("The first run of each protocol with a shortened renewal, a renegotiation, an exit and a lapse, "
          "run again alone "
          "(`sim.experiments.patterns.rerun`), and the reason its record.csv gives:")
    print("")
    print(example_lines(shown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
