"""Summaries of a runs table: headline outcomes, and each outcome's estimate and interval
per scenario and design point (``summary.csv``)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.experiments.stats import mean_interval, wilson_interval

HEADLINE = ["any_political", "any_agreement", "days_to_first_agreement", "n_unilateral"]
"""The headline outcomes every scenario has (labels and definitions: :mod:`sim.outcomes`);
:func:`headline_labels` adds those of the scenario's own environment and issues
(cumulative level of each stock, final value of each issue)."""


def headline_labels(columns) -> dict[str, str]:
    """Headline outcome -> label, for the columns of a runs table."""
    from sim.outcomes import get

    names = [*HEADLINE, *(c for c in columns if c.startswith("stock_cumulative:")),
             *(c for c in columns if c.startswith("final:"))]
    return {k: get(k).label for k in names}


def headline(runs: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The headline outcomes of each run as numbers (yes/no as 0/1; a run without any
    agreement counts its first agreement at ``horizon + 1``: :mod:`sim.outcomes`), plus
    ``pair:`` columns as 0/1 (an agreement between the pair or not). Used by ablation,
    sensitivity and the reports."""
    from sim.outcomes import values

    out = pd.DataFrame({c: runs[c] for c in ("scenario", "point", "replicate") if c in runs})
    for k in headline_labels(runs.columns):
        out[k] = values(runs, k, horizon)
    for p in sorted(c for c in runs.columns if c.startswith("pair:")):
        out[p] = values(runs, p, horizon)
    return out


def design_columns(runs: pd.DataFrame) -> list[str]:
    """The ``param:`` columns set by design points (a sweep's varied fields): constant
    within each scenario and point, varying across points. Drawn parameters vary
    within a point; a batch has one point."""
    params = [c for c in runs.columns if c.startswith("param:")]
    if not params or "point" not in runs or runs["point"].nunique() < 2:
        return []
    by = runs.groupby(["scenario", "point"])
    out = [c for c in params if (by[c].nunique(dropna=False) <= 1).all() and runs[c].nunique() > 1]
    mirror = "param:starts_from.scenario."      # a continuation's history copy of a varied field is not another
    return [c for c in out if not (c.startswith(mirror) and f"param:{c[len(mirror):]}" in out)]


def summarise(runs: pd.DataFrame, design: list[str] | None = None) -> pd.DataFrame:
    """Per scenario and design point, each outcome's estimate and 95% interval: a
    proportion (Wilson interval) for yes/no outcomes, a mean (normal interval) for
    numbers. Failed runs are left out and counted in ``n_failed``. ``design`` names the
    ``param:`` columns set by the design point (default: those constant within every
    point); the others were drawn per replicate and are summarised like outcomes."""
    if not len(runs):
        return pd.DataFrame(columns=["scenario", "point", "outcome", "statistic", "n", "n_failed",
                                     "estimate", "ci_low", "ci_high", "interval", "runs_p05", "runs_p95"])
    skip = {"run_id", "scenario", "protocol", "point", "replicate", "seed_entropy", "seed_spawn_key", "status",
            "error", "traceback"}
    if design is None:
        design = design_columns(runs)
    params = [c for c in runs.columns if c in design]
    kinds, arrays = _outcome_arrays(runs, skip | set(params))
    ok = (runs["status"] == "ok").to_numpy()
    firsts = {p: runs[p].to_numpy() for p in params}
    groups = runs.groupby(["scenario", "point"], sort=True).indices
    rows = []
    for scen, point in sorted(groups):
        idx = groups[(scen, point)]
        good = idx[ok[idx]]
        base = {"scenario": scen, "point": int(point), **{p: firsts[p][idx[0]] for p in params}}
        base["n_failed"] = len(idx) - len(good)
        for col, kind in kinds.items():
            x = arrays[col][good]
            rows.append(_summary_row(base, col, kind, x[~np.isnan(x)]))
    return pd.DataFrame(rows)


def _outcome_arrays(runs: pd.DataFrame, skip: set) -> tuple[dict[str, str], dict[str, np.ndarray]]:
    """Each outcome column's statistic (``proportion`` for yes/no, ``mean`` for numbers)
    and its values as floats (missing as NaN), taken out of the frame once."""
    kinds, arrays = {}, {}
    for col in runs.columns:
        if col in skip:
            continue
        s = runs[col]
        if str(s.dtype) == "boolean" or s.dtype == bool:
            kinds[col] = "proportion"
            arrays[col] = s.astype("Float64").to_numpy(dtype=float, na_value=np.nan)
        elif pd.api.types.is_numeric_dtype(s):
            kinds[col] = "mean"
            arrays[col] = s.to_numpy(dtype=float, na_value=np.nan)
    return kinds, arrays


def _summary_row(base: dict, col: str, kind: str, x: np.ndarray) -> dict:
    """One row of the summary: outcome ``col`` of one scenario and point, from its
    finished runs' values ``x`` (no NaN)."""
    n_failed = base["n_failed"]
    base = {k: v for k, v in base.items() if k != "n_failed"}
    if kind == "proportion":
        k, n = int(x.sum()), len(x)
        lo, hi = wilson_interval(k, n)
        return {**base, "outcome": col, "statistic": "proportion", "n": n, "n_failed": n_failed,
                "estimate": k / n if n else math.nan, "ci_low": lo, "ci_high": hi,
                "interval": INTERVAL_OF["proportion"], "runs_p05": math.nan, "runs_p95": math.nan}
    m, lo, hi = mean_interval(x)
    if len(x) > 1:
        p05, p95 = np.percentile(x, [5, 95])
    else:                           # one run (a design point with one replicate): its value, or none
        p05 = p95 = float(x[0]) if len(x) else math.nan
    return {**base, "outcome": col, "statistic": "mean", "n": len(x), "n_failed": n_failed, "estimate": m,
            "ci_low": lo, "ci_high": hi, "interval": INTERVAL_OF["mean"], "runs_p05": float(p05),
            "runs_p95": float(p95)}


INTERVAL_OF = {"proportion": "95% Wilson interval of the proportion (shrinks with more replications)",
               "mean": "95% Student-t interval of the mean (shrinks with more replications); "
                       "runs_p05-runs_p95: the spread of the runs"}
"""What ``summary.csv``'s ``ci_low``/``ci_high`` are, row by row (issue 22: an interval of a
mean is not the spread of outcomes)."""


def _summary(runs: pd.DataFrame, job) -> pd.DataFrame:
    """The job's summary, with the parameter mode it was made under in ``parameters``."""
    fields = sorted({f"param:{k}" for p in job.points for k in p})
    s = summarise(runs, fields)
    s.insert(min(2, len(s.columns)), "parameters", job.parameters_label)
    return s
