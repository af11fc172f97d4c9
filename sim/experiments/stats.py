"""Interval estimates for experiment summaries and tests (via SciPy)."""

from __future__ import annotations

import math

import numpy as np


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927); (nan, nan) if n == 0."""
    if n == 0:
        return math.nan, math.nan
    from scipy import stats

    ci = stats.binomtest(int(successes), int(n)).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of the mean, NaNs dropped; a constant sample gets a
    zero-width interval, a single value (nan, nan) bounds."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    m = float(v.mean())
    if len(v) < 2:
        return m, math.nan, math.nan
    se = float(v.std(ddof=1)) / math.sqrt(len(v))
    if se == 0.0:
        return m, m, m
    from scipy import stats

    lo, hi = stats.t.interval(confidence, len(v) - 1, loc=m, scale=se)
    return m, float(lo), float(hi)
