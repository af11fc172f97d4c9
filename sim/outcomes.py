"""The outcomes of a run, once: name, label, unit, definition, and how each is summed
up over runs. The command line's summaries, ``table``, the reports, ablation,
sensitivity and the app all read this module, so a number has one name and one meaning
wherever it is printed.

Over runs, a yes/no outcome is the share of runs with a 95% Wilson interval; a number
is the median with the 5-95% range of the runs (the spread to expect, not the interval
of a mean, which a few runs make meaningless: "46.0 [-246.2, 338.2]"). A difference
between scenarios on common random numbers is the mean paired difference with its
Student-t 95% interval.

The day of the first agreement has one definition: ``days_to_first_agreement``, the
day of the run's first agreement, a run without one counting as day H + 1 (H its
horizon), so that "no deal" is neither dropped nor averaged away. The raw column
``time_to_first_agreement`` of ``runs.parquet`` (empty without a deal) is read as that
outcome wherever an outcome is asked for by name.

Imports nothing heavy: the command line's ``--help`` stays light.
"""

from __future__ import annotations

import math
from dataclasses import dataclass


@dataclass(frozen=True)
class Outcome:
    name: str
    label: str              # short, for column heads and axes
    unit: str               # "share of runs", "day", "moves", "level-days", ...
    definition: str         # one sentence: what a run's value is
    kind: str               # "share" (yes/no per run) or "number"
    good: int = 0           # +1 more is better for the crisis, -1 less is, 0 neither

    @property
    def over_runs(self) -> str:
        """How the outcome is summed up over runs."""
        return ("share of runs [95% Wilson interval]" if self.kind == "share"
                else "median [5-95% of runs]")


_FIXED = [
    Outcome("any_agreement", "P(any agreement)", "share of runs", "the run has at least one agreement", "share", 1),
    Outcome("any_political", "P(political agreement)", "share of runs",
            "the run has at least one agreement on a political issue", "share", 1),
    Outcome("any_technical", "P(technical agreement)", "share of runs",
            "the run has at least one agreement on a technical issue", "share", 1),
    Outcome("days_to_first_agreement", "day of first agreement (no deal = H + 1)", "day",
            "the day of the run's first agreement; a run without one counts as day H + 1 (H: the run's horizon)",
            "number", -1),
    Outcome("n_unilateral", "unilateral moves", "moves", "moves an actor made alone on what it controls", "number"),
    Outcome("n_agreements", "agreements", "agreements", "agreements signed in the run (renewals included)",
            "number"),
    Outcome("stalemate", "P(stalemate)", "share of runs",
            "no agreement in the last W days (stalemate_window, 30 by default) while the first stock stays above "
            "its resolved level and has not eased by a tenth; empty where the protocol makes no agreements",
            "share", -1),
    Outcome("pressure_cumulative", "cumulative pressure", "pressure-days", "the pressure summed over the days",
            "number", -1),
    Outcome("pressure_peak", "peak pressure", "level (0-1)", "the highest pressure of the run", "number", -1),
    Outcome("sanctions_final", "final sanctions level", "level (0-1)", "the sanctions level at the end", "number"),
]
OUTCOMES: dict[str, Outcome] = {o.name: o for o in _FIXED}
ALIASES = {"time_to_first_agreement": "days_to_first_agreement"}
#: the families of runs.parquet columns whose outcomes :func:`get` builds from their names
FAMILIES = ("stock_cumulative", "stock_peak", "stock_final", "final", "agreed", "pair")
STALEMATE = OUTCOMES["stalemate"].definition


def get(name: str, names: dict | None = None) -> Outcome:
    """The outcome ``name`` (an alias is read as what it stands for); the outcomes of a
    scenario's own environment, issues and pairs (``stock_cumulative:pressure``,
    ``final:sanctions``, ``agreed:routes``, ``pair:poland-belarus``) are built from
    their names; ``names`` maps actor ids to names for the pairs."""
    name = ALIASES.get(name, name)
    if name in OUTCOMES:
        return OUTCOMES[name]
    kind, _, rest = str(name).partition(":")
    words = rest.replace("_", " ")
    if kind == "stock_cumulative":
        return Outcome(name, f"cumulative {words} (level-days)", "level-days",
                       f"the level of the stock '{rest}' summed over the days", "number", -1)
    if kind in ("stock_peak", "stock_final"):
        what = "highest" if kind == "stock_peak" else "final"
        return Outcome(name, f"{kind[6:]} {words}", "level (0-1)", f"the {what} level of the stock '{rest}'",
                       "number", -1)
    if kind == "final":
        return Outcome(name, f"final {words}", "issue value (0-1)", f"the implemented value of '{rest}' at the end",
                       "number")
    if kind == "agreed":
        return Outcome(name, f"P(agreement on {words})", "share of runs",
                       f"the run has an agreement that settles '{rest}'", "share", 1)
    if kind == "pair":
        return Outcome(name, f"P({pair_words(rest, names)} agreement)", "share of runs",
                       f"the run has an agreement between {pair_words(rest, names)}", "share", 1)
    return Outcome(name, str(name).replace("_", " "), "", "a column of runs.parquet", "number")


def is_outcome_column(column: str) -> bool:
    """Whether a column of runs.parquet holds an outcome this module names (a fixed one,
    an alias, or one of :data:`FAMILIES`): the columns a report reads."""
    column = str(column)
    return column in OUTCOMES or column in ALIASES or column.partition(":")[0] in FAMILIES


def pair_words(pair: str, names: dict | None = None) -> str:
    """``poland-belarus`` -> ``Poland–Belarus`` (ids may hold a dash)."""
    names = names or {}
    for a in sorted(names, key=len, reverse=True):
        if pair.startswith(a + "-") and pair[len(a) + 1:] in names:
            return f"{names[a]}\u2013{names[pair[len(a) + 1:]]}"
    return pair


def values(runs, name: str, horizon) -> "object":
    """A run's value of the outcome, as floats (yes/no as 0/1; no first agreement as
    H + 1; a pair's count of agreements as whether it had one). ``horizon``: a number,
    or a mapping scenario -> horizon for a table of several scenarios."""
    import pandas as pd

    name = ALIASES.get(name, name)
    if name == "days_to_first_agreement":
        raw = runs["days_to_first_agreement"] if "days_to_first_agreement" in runs else runs["time_to_first_agreement"]
        if isinstance(horizon, dict):
            h = runs["scenario"].map(horizon).astype(float)
        else:
            h = pd.Series(float(horizon), index=runs.index)
        return raw.astype(float).fillna(h + 1.0)
    col = runs[name]
    if name.startswith("pair:"):
        return (col.fillna(0).astype(float) > 0).astype(float)
    if str(col.dtype) == "boolean" or col.dtype == bool:
        return col.astype("Float64").astype(float)
    return pd.to_numeric(col, errors="coerce").astype(float)


def summary(v) -> tuple[float, float, float, int]:
    """(estimate, low, high, n) over runs for the values ``v`` of one outcome (NaN
    dropped): share and Wilson interval for 0/1 values, else median and 5-95% range."""
    import numpy as np

    from sim.experiments.stats import wilson_interval

    x = np.asarray(v, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return math.nan, math.nan, math.nan, 0
    if set(np.unique(x)) <= {0.0, 1.0}:
        k = int(x.sum())
        lo, hi = wilson_interval(k, len(x))
        return k / len(x), lo, hi, len(x)
    lo, med, hi = np.percentile(x, [5, 50, 95])
    return float(med), float(lo), float(hi), len(x)


def describe(name: str, v, digits: int = 3) -> str:
    """``0.45 [0.31, 0.60]`` (a share) or ``38 [12, 91]`` (a median and range) or a
    word when there is nothing to sum up: never ``[nan, nan]``."""
    est, lo, hi, n = summary(v)
    if n == 0:
        return "n/a (no run with a value)"
    o = get(name)
    if o.kind == "share" or name.startswith(("pair:", "agreed:", "any_")):
        return f"{est:.2f} [{lo:.2f}, {hi:.2f}]"
    if n == 1:
        return f"{est:.{digits}g} (one run)"
    return f"{est:.{digits}g} [{lo:.{digits}g}, {hi:.{digits}g}]"


def moving_first(per_run: dict) -> list[str]:
    """Outcome names, those that vary across the runs first (in the order given), then
    those with one value in every run (for instance P(political agreement) when no run
    has one): a headline shows the outcome that moves. ``per_run``: name -> its values
    over the runs (or the effects of an ablation)."""
    import numpy as np

    def varies(v):
        x = np.asarray(v, dtype=float)
        x = x[~np.isnan(x)]
        return len(x) > 1 and float(np.ptp(x)) > 0

    names = list(per_run)
    moving = {n for n in names if varies(per_run[n])}
    return [n for n in names if n in moving] + [n for n in names if n not in moving]
