"""Interval estimates for experiment summaries and tests (via SciPy)."""

from __future__ import annotations

import functools
import math

import numpy as np


def wilson_interval(successes: int, n: int, confidence: float = 0.95) -> tuple[float, float]:
    """Wilson score interval for a proportion (Wilson 1927); (nan, nan) if n == 0.
    Remembered by (successes, n, confidence): a design of many points with a few
    replicates each asks for the same few intervals over and over."""
    if n == 0:
        return math.nan, math.nan
    return _wilson(int(successes), int(n), float(confidence))


@functools.lru_cache(maxsize=4096)
def _wilson(successes: int, n: int, confidence: float) -> tuple[float, float]:
    from scipy import stats

    ci = stats.binomtest(successes, n).proportion_ci(confidence_level=confidence, method="wilson")
    return float(ci.low), float(ci.high)


@functools.lru_cache(maxsize=4096)
def _t_quantiles(confidence: float, df: int) -> tuple[float, float]:
    """The standard Student-t quantiles bounding ``confidence`` (SciPy's ``t.interval``
    with loc 0 and scale 1)."""
    from scipy import stats

    lo, hi = stats.t.interval(confidence, df)
    return float(lo), float(hi)


def mean_interval(values, confidence: float = 0.95) -> tuple[float, float, float]:
    """Mean and Student-t interval of the mean, NaNs dropped; a constant sample gets a
    zero-width interval, a single value (nan, nan) bounds. The bounds are SciPy's
    ``t.interval(confidence, n - 1, loc=mean, scale=se)``, computed as it does
    (standard quantile * scale + loc) from quantiles remembered by (confidence, n)."""
    v = np.asarray(values, dtype=float)
    v = v[~np.isnan(v)]
    if len(v) == 0:
        return math.nan, math.nan, math.nan
    if len(v) == 1:                 # a design point of one run: NumPy's mean of one value is
        return 0.0 + float(v[0]), math.nan, math.nan      # 0.0 + it (-0.0 becomes 0.0)
    m = float(v.mean())
    se = float(v.std(ddof=1)) / math.sqrt(len(v))
    if se == 0.0:
        return m, m, m
    q_lo, q_hi = _t_quantiles(float(confidence), len(v) - 1)
    return m, float(q_lo * se + m), float(q_hi * se + m)
