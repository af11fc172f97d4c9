"""The parts an actor is composed of, in the BOA architecture of GENIUS / NegMAS:
a **B**idding strategy (what to offer), an **O**pponent model (what the other side
wants) and an **A**cceptance condition (when to say yes), plus the concession tactic
the bidding strategy follows. Each part is a small class, swappable on its own.

Notation (docs/ODD.md, Submodels): ``x`` the implemented values, ``C`` the issues a
channel carries, ``[L, U]`` the values both parties' stances allow on them, ``w_i``
and ``z_i`` actor i's normalised saliences and ideal points.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def gain(w, ideal, x, p, relief=None) -> float:
    """Value of package ``p`` over the current values ``x``, on the carried issues:

    g(p) = sum_j w_j (|x_j - z_j| - |p_j - z_j|) + sum_j c_j (p_j - x_j)

    The first sum is the linear-additive utility gain; the second the crisis cost the
    package averts (``relief`` c, see :meth:`sim.model.NegotiationModel.relief`).
    Arguments are equal-length sequences over the carried issues (pure Python: the
    vectors have a handful of entries, where NumPy's per-call cost dominates).
    """
    g = 0.0
    if relief is None:
        for wn, z, xn, pn in zip(w, ideal, x, p):
            g += wn * (abs(xn - z) - abs(pn - z))
    else:
        for wn, z, xn, pn, c in zip(w, ideal, x, p, relief):
            g += wn * (abs(xn - z) - abs(pn - z))
            g += c * (pn - xn)
    return float(g)


def best_values(ideal, w, relief, lo, hi) -> list[float]:
    """Per issue, the value in [lo, hi] that maximises -w|p - z| + c p (concave,
    piecewise linear: the maximum is at z clipped, or at a bound when |c| > w).
    Ties go to the first of (z clipped, lo, hi)."""
    return best_and_gain(ideal, w, relief, lo, hi, lo)[0]      # one implementation (its gain unused here)


def best_and_gain(ideal, w, relief, lo, hi, x) -> tuple[list[float], float]:
    """:func:`best_values` and its :func:`gain` over ``x`` in one pass (the negotiator
    asks for both for every actor and channel each day); the same numbers, bit for bit:
    each issue's value is chosen as in :func:`best_values` and the gain is added up in
    :func:`gain`'s order."""
    out = []
    g = 0.0
    for z, wn, c, a, b, xn in zip(ideal, w, relief, lo, hi, x):
        v = a if a > z else z
        if b < v:
            v = b
        best = -wn * abs(v - z) + c * v
        val = -wn * abs(a - z) + c * a
        if val > best:
            v, best = a, val
        val = -wn * abs(b - z) + c * b
        if val > best:
            v = b
        v = float(v)
        out.append(v)
        g += wn * (abs(xn - z) - abs(v - z))
        g += c * (v - xn)
    return out, float(g)


def concession_segments(own, opp, p, q) -> list[tuple]:
    """The log-rolling path from the actor's package ``p`` to the counterpart's ``q``
    (Raiffa 1982): each issue's path splits into segments at the two ideal points;
    on a segment a unit of movement costs the actor ``loss`` and gives the counterpart
    ``gets``. Returns (gets/loss, issue, length, loss, direction, gets) tuples,
    best ratio first; segments that give the counterpart nothing end an issue's path.
    ``own`` / ``opp`` are (ideal, w, relief) over the carried issues."""
    z, w, c = own
    zk, wk, ck = opp
    segments = []
    for j, (pj, qj, zj, zkj) in enumerate(zip(p, q, z, zk)):
        if qj == pj:
            continue
        s = 1.0 if qj > pj else -1.0
        low, high = (pj, qj) if pj < qj else (qj, pj)
        pts = {pj, qj}
        if low < zj < high:
            pts.add(zj)
        if low < zkj < high:
            pts.add(zkj)
        points = sorted(pts, reverse=s < 0)
        wj, cj, wkj, ckj = w[j], c[j], wk[j], ck[j]
        for a, b in zip(points, points[1:]):
            mid = 0.5 * (a + b)
            d = mid - zj
            loss = s * (wj * (1.0 if d > 0 else (-1.0 if d < 0 else 0.0)) - cj)
            d = mid - zkj
            gets = s * (-wkj * (1.0 if d > 0 else (-1.0 if d < 0 else 0.0)) + ckj)
            if gets <= 0:
                break
            ratio = float("inf") if loss <= 0 else gets / loss
            segments.append((ratio, j, abs(b - a), loss, s, gets))
    segments.sort(key=lambda t: -t[0])
    return segments


def concede_until(own, opp, x, p, q, floor_opp: float) -> tuple[list[float], float] | None:
    """Walk the log-rolling path from ``p`` toward ``q`` until the counterpart's gain
    over the current values ``x`` reaches ``floor_opp``: the package the actor can get
    that the counterpart still accepts, and what the actor gives up on the way from
    ``p``; None if even ``q``'s end of the path leaves the counterpart below its floor."""
    zk, wk, ck = opp
    need = floor_opp - gain(wk, zk, x, p, ck)
    out = list(p)
    given = 0.0
    done = set()
    for _ratio, j, length, loss, s, gets in concession_segments(own, opp, p, q):
        if need <= 1e-12:
            break
        if j in done:
            continue
        d = min(length, need / gets)
        out[j] += s * d
        need -= gets * d
        given += loss * d
        if d < length:
            done.add(j)
    if need > 1e-9:
        return None
    return out, given


# ---------------------------------------------------------------------- tactic
@dataclass(frozen=True)
class TimeDependentTactic:
    """Time-dependent concession (Faratin, Sierra & Jennings 1998; GENIUS's
    TimeDependentAgent): target(t) = Pmin + (Pmax - Pmin)(1 - f(t)),
    f(t) = k + (1 - k) t^(1/e). e < 1 is Boulware (holds out until late),
    e = 1 linear, e > 1 Conceder (gives ground early).
    """

    e: float = 1.0
    k: float = 0.0
    name = "time_dependent"

    def f(self, t: float) -> float:
        memo = self.__dict__.get("_memo")
        if memo is not None and memo[0] == t:        # the clock moves once a day
            return memo[1]
        tc = min(max(t, 0.0), 1.0)
        v = self.k + (1.0 - self.k) * tc ** (1.0 / self.e)
        object.__setattr__(self, "_memo", (t, v))
        return v

    def target(self, t: float, pmin: float, pmax: float) -> float:
        if pmax <= pmin:
            return pmax
        return pmin + (pmax - pmin) * (1.0 - self.f(t))


# ---------------------------------------------------------------------- opponent
class PublicPositions:
    """Opponent model: the counterpart's stated ideal points and saliences are taken
    as its true preferences (complete information: in this crisis the parties'
    positions are public). Swappable for a learning model."""

    name = "public_positions"

    def preferences(self, opponent) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(ideal points, saliences, crisis relief) of the opponent, all issues."""
        return opponent.ideal, opponent.w, opponent.model.relief(opponent)


# ---------------------------------------------------------------------- bidding
class LogRollingBidder:
    """Package offers that reach the actor's own target while giving the counterpart
    as much as possible (log-rolling, Raiffa 1982).

    Start from the actor's best package b and move issues toward the counterpart's
    best package q. Each issue's path b -> q splits into segments at the two kinks
    (own and counterpart's ideal); on a segment a unit of movement costs the actor
    l = own loss rate and gives the counterpart r = its gain rate. Concede segment by
    segment in decreasing order of r / l until the budget (own gain given up) is
    spent. Both valuations are concave, so the ratio falls along each path and this
    greedy order yields a Pareto-efficient package for the target.
    """

    name = "logrolling"

    def offer(self, own, opp, lo, hi, budget: float, own_best=None, opp_best=None) -> list[float]:
        """``own`` / ``opp`` are (ideal, w, relief) over the carried issues; their best
        packages on the box may be passed in when the caller already has them."""
        z, w, c = own
        p = list(own_best) if own_best is not None else best_values(z, w, c, lo, hi)
        q = opp_best if opp_best is not None else best_values(*opp, lo, hi)
        segments = concession_segments(own, opp, p, q)
        done = set()
        for _ratio, j, length, loss, s, _gets in segments:
            if j in done:
                continue
            if loss <= 0:
                p[j] += s * length
                continue
            d = min(length, budget / loss)
            p[j] += s * d
            budget -= d * loss
            if d < length:
                done.add(j)  # later segments of this issue come after this one
            if budget <= 1e-12:
                break
        return p


# ---------------------------------------------------------------------- acceptance
class ACNext:
    """AC_next (Baarslag et al. 2014): accept an offer if it is worth at least what the
    actor would itself offer next, and at least its reservation value; never accept
    an offer outside the actor's stances' bounds or one that moves nothing."""

    name = "ac_next"

    def accepts(self, value: float, next_target: float, reservation: float,
                within_bounds: bool, moves: bool) -> bool:
        return within_bounds and moves and value >= next_target and value >= reservation


BIDDERS = {"logrolling": LogRollingBidder}
ACCEPTANCE = {"ac_next": ACNext}
OPPONENT_MODELS = {"public_positions": PublicPositions}
