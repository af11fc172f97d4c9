"""The headline table of several scenarios (the README's), from one batch.

Yes/no outcomes: the share of runs with a 95% Wilson interval (the interval of the
probability estimate; under priors the probability itself integrates over the unknown
parameters). Numbers: the median over runs with the 5-95% range of the runs (the spread
a reader should expect, parameters and noise together), not the interval of a mean.
The table's caption names the mode (priors, posterior or fixed) and the replications.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.stats import mean_interval

DEFAULT_OUTCOMES = ["any_political", "any_agreement", "days_to_first_agreement", "n_unilateral"]
"""Plus, by default, each stock's cumulative level (``stock_cumulative:STOCK``). Labels
and definitions: :mod:`sim.outcomes` (``time_to_first_agreement`` is read as
``days_to_first_agreement``: a run without a deal counts as day H + 1)."""


def _outcomes(runs: pd.DataFrame, outcomes: list[str] | None) -> list[str]:
    from sim.outcomes import ALIASES

    if not outcomes:
        return [*DEFAULT_OUTCOMES, *(c for c in runs.columns if c.startswith("stock_cumulative:"))]
    out = [ALIASES.get(o, o) for o in outcomes]
    for o in out:
        if o not in runs.columns and not (o == "days_to_first_agreement" and "time_to_first_agreement" in runs):
            raise KeyError(o)
    return list(dict.fromkeys(out))


def headline_table(runs: pd.DataFrame, outcomes: list[str] | None = None,
                   horizons: dict[str, int] | None = None) -> pd.DataFrame:
    """One row per scenario (in order of appearance) and outcome: kind, estimate, low,
    high, n. ``horizons``: scenario -> H, for the day of the first agreement (no deal =
    H + 1; default: the latest first agreement seen + 1)."""
    from sim.outcomes import get, summary, values

    outcomes = _outcomes(runs, outcomes)
    ok = runs[runs["status"] == "ok"]
    if horizons is None:
        last = pd.to_numeric(ok.get("time_to_first_agreement", pd.Series(dtype=float)), errors="coerce").max()
        horizons = {s: int(last) if last == last else 0 for s in runs["scenario"].unique()}
    rows = []
    for scen in dict.fromkeys(runs["scenario"]):
        g = ok[ok["scenario"] == scen]
        for col in outcomes:
            est, lo, hi, n = summary(values(g, col, horizons.get(scen, 0)))
            rows.append({"scenario": scen, "outcome": col, "kind": "share" if get(col).kind == "share" else "median",
                         "estimate": est, "low": lo, "high": hi, "n": n})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, caption: str) -> str:
    """The table as Markdown, scenarios as rows, with ``caption`` above it."""
    from sim.outcomes import get

    outcomes = list(dict.fromkeys(table["outcome"]))
    head = [get(o).label for o in outcomes]
    lines = [caption, "", "| scenario | " + " | ".join(head) + " |", "|---" * (len(outcomes) + 1) + "|"]
    for scen, g in table.groupby("scenario", sort=False):
        g = g.set_index("outcome")
        cells = []
        for o in outcomes:
            r = g.loc[o]
            if r["n"] == 0:
                cells.append("-")
            elif r["kind"] == "share":
                cells.append(f"{r['estimate']:.2f} [{r['low']:.2f}, {r['high']:.2f}]")
            else:
                cells.append(f"{r['estimate']:.3g} [{r['low']:.3g}, {r['high']:.3g}]")
        lines.append(f"| `{scen}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def caption(job, n_runs_per_scenario: int) -> str:
    return (f"{n_runs_per_scenario} replications per scenario, {job.parameters_label}, root seed {job.seed}. "
            "Yes/no outcomes: share of runs [95% Wilson interval of the share, which shrinks with more "
            "replications]; numbers: median [5-95% of runs: their spread, which does not]; a run without an "
            "agreement counts its first agreement as day H + 1 (H: the horizon).")


def paired_table(runs: pd.DataFrame, horizons: dict[str, int], outcomes: list[str] | None = None) -> pd.DataFrame:
    """Each scenario after the first against the first, replicate by replicate: the
    scenarios of one job share their random streams and, under priors, their parameter
    draws (common random numbers), so the difference of replicate r is paired. One row
    per scenario and outcome: the mean paired difference with its Student-t 95%
    interval, and whether the interval excludes 0. A first agreement that never came
    counts as day H + 1 (H the scenario's horizon), so "no deal" is not dropped."""
    from sim.outcomes import values as outcome_values

    outcomes = _outcomes(runs, outcomes)
    ok = runs[runs["status"] == "ok"]
    names = list(dict.fromkeys(runs["scenario"]))
    if len(names) < 2:
        return pd.DataFrame(columns=["scenario", "against", "outcome", "effect", "low", "high", "n", "differs"])

    def values(name):
        g = ok[ok["scenario"] == name].set_index("replicate")
        return {col: outcome_values(g, col, horizons.get(name, np.nan)) for col in outcomes}

    base = values(names[0])
    rows = []
    for name in names[1:]:
        var = values(name)
        for col in outcomes:
            common = base[col].index.intersection(var[col].index)
            d = (var[col].loc[common] - base[col].loc[common]).to_numpy(dtype=float)
            d = d[~np.isnan(d)]
            m, lo, hi = mean_interval(d) if len(d) > 1 else (np.nan, np.nan, np.nan)
            rows.append({"scenario": name, "against": names[0], "outcome": col, "effect": m, "low": lo,
                         "high": hi, "n": len(d), "differs": bool(lo > 0 or hi < 0)})
    return pd.DataFrame(rows)


def paired_markdown(table: pd.DataFrame) -> str:
    """The paired differences as Markdown; an interval that excludes 0 is in bold."""
    if table.empty:
        return ""
    from sim.outcomes import get

    outcomes = list(dict.fromkeys(table["outcome"]))
    base = table["against"].iloc[0]
    lines = [f"Each scenario minus `{base}`, replicate by replicate (common random numbers): mean paired "
             "difference [95% interval of the mean, which shrinks with more replications: not the spread of "
             "the runs]; **bold** where the interval excludes 0.", "",
             "| scenario | " + " | ".join(get(o).label for o in outcomes) + " |",
             "|---" * (len(outcomes) + 1) + "|"]
    for scen, g in table.groupby("scenario", sort=False):
        g = g.set_index("outcome")
        cells = []
        for o in outcomes:
            r = g.loc[o]
            if not r["n"] > 1:
                cells.append("-")
                continue
            cell = f"{r['effect']:+.3g} [{r['low']:+.3g}, {r['high']:+.3g}]"
            cells.append(f"**{cell}**" if r["differs"] else cell)
        lines.append(f"| `{scen}` | " + " | ".join(cells) + " |")
    return "\n".join(lines)
