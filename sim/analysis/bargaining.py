"""A bargaining benchmark for every agreement (docs/ODD.md 7.14), computed after the run: how far the deal is
from the Pareto frontier of its channel, and from the Nash bargaining solution.

At the moment of an agreement on a channel between a and b, with the channel's carried
issues C, today's values x, the box [L, U] of packages both parties could sign (their
stances and the issues' decision rules), and each party's valuation

    g_i(p) = sum_{j in C} w_ij (|x_j - z_ij| - |p_j - z_ij|) + c_ij (p_j - x_j)

(utility gain plus the crisis cost the package averts: the same value the parties
bargain with), the **utility set** is {(g_a(p), g_b(p)) : p in [L, U]} with free
disposal. The **disagreement point** is no deal, (0, 0): today's state, whose crisis
cost goes on (the c terms price it). Both valuations are separable and concave, so the
set is convex and its frontier is a polyline: start at a's best package (ties broken
toward b), then take every issue's efficient segments in decreasing order of the rate
at which b gains per unit a gives up (the frontier of a sum of separable concave
problems is the Minkowski sum of the per-issue frontiers). From it:

* ``pareto_gap`` = max{t : (g_a(deal) + t, g_b(deal) + t) is in the utility set}: how
  much both parties could still have gained together (0 on the frontier);
* the **Nash bargaining solution** (Nash 1950): the frontier point that maximises
  g_a g_b with both at least 0; ``nash_share`` = g_a(deal) g_b(deal) / (its Nash
  product) (1 at the Nash solution), and ``nash_distance`` the Euclidean distance from
  the deal to it in (g_a, g_b).

Guarantor costs are not part of g_i here (a guarantor's cost of delivering is a price
of the channel, not of the package); the benchmark is computed after the run, from the
terms stored with each agreement, so it costs a batch nothing.

A deal of more than two signatories (a mediator's text, :class:`MultiSpace`) has no
polyline frontier: its Pareto gap is a linear programme (HiGHS) over the utility set
lifted to a polytope, reported to 9 decimals (:func:`benchmark_multi`; tested against
the exact two-party answer); its N-player Nash solution is not computed.
"""

from __future__ import annotations

import math

from sim.model.deal_space import MultiSpace, Space
from sim.protocols.boa import gain

__all__ = ["MultiSpace", "Space", "benchmark", "benchmark_multi", "frontier", "nash", "pareto_gap", "value"]


def value(prefs, x, p) -> float:
    """g_i(p) over the carried issues: the parties' own :func:`sim.protocols.boa.gain`."""
    z, w, c = prefs
    return gain(w, z, x, p, c)


def _f(prefs, j, x, v) -> float:
    """Issue j's term of g_i at value v (the frontier is built issue by issue)."""
    z, w, c = prefs
    return w[j] * (abs(x[j] - z[j]) - abs(v - z[j])) + c[j] * (v - x[j])


def frontier(space: Space) -> list[tuple[float, float]]:
    """The Pareto frontier of the utility set: vertices (g_a, g_b) from a's best point
    to b's, g_a falling and g_b rising along it."""
    a, b, x = space.prefs_a, space.prefs_b, space.x
    start_a = start_b = 0.0
    segments = []                                       # (rate, -dg_a, dg_b)
    for j, (lo, hi) in enumerate(zip(space.lo, space.hi)):
        pts = sorted({lo, hi, *(v for v in (a[0][j], b[0][j]) if lo < v < hi)})
        vals = [(_f(a, j, x, v), _f(b, j, x, v)) for v in pts]
        # a's best breakpoint (ties toward b), then b's best (ties toward a)
        ia = max(range(len(pts)), key=lambda k: (vals[k][0], vals[k][1]))
        ib = max(range(len(pts)), key=lambda k: (vals[k][1], vals[k][0]))
        start_a += vals[ia][0]
        start_b += vals[ia][1]
        step = 1 if ib > ia else -1
        for k in range(ia, ib, step):
            give = vals[k][0] - vals[k + step][0]       # what a gives up (>= 0)
            get = vals[k + step][1] - vals[k][1]        # what b gains
            if get <= 1e-15:
                continue
            segments.append((math.inf if give <= 1e-15 else get / give, max(give, 0.0), get))
    segments.sort(key=lambda s: -s[0])
    out = [(start_a, start_b)]
    ua, ub = start_a, start_b
    for _rate, give, get in segments:
        ua, ub = ua - give, ub + get
        out.append((ua, ub))
    return out


def _upper(poly, ua: float) -> float:
    """The largest g_b reachable with g_a >= ua (-inf beyond a's best)."""
    if ua > poly[0][0] + 1e-12:
        return -math.inf
    if ua <= poly[-1][0]:
        return poly[-1][1]
    for (a0, b0), (a1, b1) in zip(poly, poly[1:]):
        if a1 <= ua <= a0:
            return b0 if a0 == a1 else b0 + (b1 - b0) * (a0 - ua) / (a0 - a1)
    return poly[0][1]


def pareto_gap(poly, da: float, db: float) -> float:
    """max t such that (da + t, db + t) is in the utility set (negative if the point
    lies outside it, which a signed deal never should)."""
    def h(t):
        return _upper(poly, da + t) - (db + t)

    lo, hi = -10.0, poly[0][0] - da
    if h(hi) >= 0:
        return hi
    if h(lo) < 0:
        return lo
    for _ in range(200):
        mid = 0.5 * (lo + hi)
        if h(mid) >= 0:
            lo = mid
        else:
            hi = mid
        if hi - lo < 1e-13:
            break
    return lo


def nash(poly) -> tuple[float, float] | None:
    """The frontier point maximising g_a g_b with g_a, g_b >= 0, or None if no frontier
    point gives both at least the disagreement value."""
    best, arg = -1.0, None
    for (a0, b0), (a1, b1) in zip(poly, poly[1:] or [poly[0]]):
        da, db = a1 - a0, b1 - b0
        cands = [0.0, 1.0]
        if da * db != 0:
            cands.append(-(a0 * db + b0 * da) / (2 * da * db))
        for s in cands:
            if 0.0 <= s <= 1.0:
                ua, ub = a0 + s * da, b0 + s * db
                if ua >= -1e-12 and ub >= -1e-12 and ua * ub > best:
                    best, arg = ua * ub, (ua, ub)
    return arg


def benchmark(space: Space) -> dict[str, float]:
    """The deal's values and its distance from the frontier and the Nash solution."""
    poly = frontier(space)
    da, db = value(space.prefs_a, space.x, space.deal), value(space.prefs_b, space.x, space.deal)
    n = nash(poly)
    gap = pareto_gap(poly, da, db)
    out = {"deal_value_a": da, "deal_value_b": db, "pareto_gap": 0.0 if abs(gap) < 1e-12 else gap,
           "nash_value_a": math.nan, "nash_value_b": math.nan, "nash_share": math.nan,
           "nash_distance": math.nan}
    if n is not None:
        out.update(nash_value_a=n[0], nash_value_b=n[1], nash_distance=math.hypot(da - n[0], db - n[1]),
                   nash_share=(da * db) / (n[0] * n[1]) if n[0] * n[1] > 0 else math.nan)
    return out


# ---------------------------------------------------------------------- many parties
def _lifted(space: MultiSpace):
    """The utility set of N separable concave valuations as a polytope in (p, e) over the
    issues whose box has room (``free``; the others are fixed at their one value): e_ij >=
    |p_j - z_ij| linearised (and e_ij <= 1), so u_i(p, e) = K_i + sum_j (c_ij p_j - w_ij
    e_ij) is linear (and equals g_i(p) where e is tight). Returns (K, U, A, b, bounds,
    free): u = K + U y, A y <= b, for y = (p_free, e)."""
    import numpy as np

    free = [j for j in range(len(space.x)) if space.hi[j] - space.lo[j] > 1e-12]
    n, N = len(free), len(space.prefs)
    x = space.x
    K = np.array([sum(w[j] * abs(x[j] - z[j]) - c[j] * x[j] for j in free)
                  + sum(_f((z, w, c), j, x, space.lo[j]) for j in range(len(x)) if j not in free)
                  for z, w, c in space.prefs])
    U = np.zeros((N, n + N * n))
    A, b = [], []
    for i, (z, w, c) in enumerate(space.prefs):
        for q, j in enumerate(free):
            U[i, q] = c[j]
            U[i, n + i * n + q] = -w[j]
            for sign in (1.0, -1.0):                      # sign (p_j - z_ij) <= e_ij
                row = np.zeros(n + N * n)
                row[q], row[n + i * n + q] = sign, -1.0
                A.append(row)
                b.append(sign * z[j])
    bounds = [(space.lo[j], space.hi[j]) for j in free] + [(0.0, 1.0)] * (N * n)   # |p - z| <= 1
    return K, U, np.array(A, dtype=float).reshape(len(A), n + N * n), np.array(b, dtype=float), bounds, free


def _max_min(space: MultiSpace, floor):
    """max t such that every u_i >= floor_i + t in the utility set (a linear programme,
    HiGHS): (t, y at the optimum)."""
    import numpy as np
    from scipy.optimize import linprog

    K, U, A, b, bounds, free = _lifted(space)
    N, m = U.shape
    if not free:                                # one package: the box is a point
        return float(np.min(K - np.asarray(floor, dtype=float))), np.zeros(0)
    # variables (y, t): maximise t s.t. -U y + t <= K - floor, A y <= b
    A_ub = np.vstack([np.hstack([-U, np.ones((N, 1))]), np.hstack([A, np.zeros((len(A), 1))])])
    b_ub = np.concatenate([K - np.asarray(floor, dtype=float), b])
    cost = np.zeros(m + 1)
    cost[-1] = -1.0
    res = linprog(cost, A_ub=A_ub, b_ub=b_ub, bounds=[*bounds, (None, None)], method="highs")
    if res.status != 0:
        return -math.inf, None
    return float(res.x[-1]), res.x[:-1]       # (t, y) with y over the free issues


def benchmark_multi(space: MultiSpace) -> dict[str, float]:
    """:func:`benchmark` for a deal of N signatories. The Pareto gap is exact: max t such
    that every signatory could have had t more (a linear programme, HiGHS, reported to 9
    decimals). The Nash solution is the exact two-party one when N = 2; for N >= 3 it is
    not computed (NaN): maximising a product of N piecewise-linear valuations needs a
    solver we could not make reliable (SciPy's trust-constr missed the optimum by up to
    87% of the product on generated problems; docs/ODD.md 7.14)."""
    if len(space.prefs) == 2:
        b = benchmark(Space(space.prefs[0], space.prefs[1], space.x, space.lo, space.hi, space.deal))
        return {k: b[k] for k in ("pareto_gap", "nash_value_a", "nash_value_b", "nash_share", "nash_distance")}
    d = [value(pr, space.x, space.deal) for pr in space.prefs]
    gap, _ = _max_min(space, d)
    return {"pareto_gap": 0.0 if abs(gap) < 1e-9 else round(gap, 9), "nash_value_a": math.nan,
            "nash_value_b": math.nan, "nash_share": math.nan, "nash_distance": math.nan}
