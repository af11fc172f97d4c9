"""Beliefs about the counterparts' bottom lines (docs/ODD.md 7.18).

Nobody knows another actor's reservation value r_k (the least a deal must be worth to
it). Each actor i holds, for every other actor k, a discrete distribution over a grid
of candidate values r in [0, r_max] (``beliefs.grid`` points), starting from a prior:
uniform over the range the scenario's ``uncertain:`` block gives for
``actors.k.reservation`` (the analyst's uncertainty is the actors' too), else uniform over
[0, ``beliefs.prior_high``]. It is updated by Bayes' rule from what i sees on a channel
with k, the value v of a package to k being known to i (preferences are public):

* k **rejects** i's offer worth v to k:  L(r) = 1 if r > v, else rho
  (``beliefs.tactical``: the chance that k rejects an offer it would have been
  willing to sign, holding out for more - AC_next rejects whatever is below its target);
* k **accepts** an offer worth v:         L(r) = 1 if r <= v, else eps;
* k **offers** a package worth v to itself (an offer or a counter-offer):
                                          L(r) = 1 if r <= v, else eps
  (nobody proposes what it would not sign);

with eps = ``beliefs.noise`` (observations can mislead: no value is ever ruled out, so a
belief stays a proper distribution whatever it sees). Posterior = prior x L, normalised
(Zeng & Sycara 1998, "Bayesian learning in negotiation"; the grid is their hypothesis
set). With nothing observed the belief is the prior.

**Use.** i's *believed floor* of k is the ``beliefs.quantile`` quantile of its belief.
Under alternating offers an offer (or counter-offer) is made only if i believes a zone of
agreement exists: the package on i's log-rolling path that gives k the believed floor
leaves i at least its own reservation (else i makes no offer on that channel and the
record says so the first day it happens; when k's true floor would have allowed one, the
act is marked a deal missed by a wrong belief). How much i concedes is still set by its
concession tactic (capping it at the believed floor was tried and rejected: ODD 7.18).
The review of commitments (7.15) values each channel with the believed floor, not the
truth. Acceptance is unchanged: an actor knows its own values. Delay and breakdown then
come from what actors do not know (Fearon 1995).
"""

from __future__ import annotations

import numpy as np

from sim.model.numeric import seq_sum


class Beliefs:
    """p[i, k, :]: actor i's distribution over actor k's reservation, on ``grid``."""

    def __init__(self, model):
        spec = model.spec.beliefs
        self.model = model
        self.spec = spec
        self.enabled = spec.enabled
        ids = model.actor_ids
        n = len(ids)
        unc = model.spec.uncertain or {}
        highs = [spec.prior_high]
        ranges = {}
        for k in ids:
            got = unc.get(f"actors.{k}.reservation")
            lo_hi = _range(got)
            if lo_hi is not None:
                ranges[k] = lo_hi
                highs.append(lo_hi[1])
        self.grid = np.linspace(0.0, max(highs), spec.grid)
        self.prior = np.empty((n, spec.grid))
        for c, k in enumerate(ids):
            lo, hi = ranges.get(k, (0.0, spec.prior_high))
            w = ((self.grid >= lo - 1e-12) & (self.grid <= hi + 1e-12)).astype(float)
            if w.sum() == 0:                 # a range between two grid points: the nearest one
                w[int(np.argmin(np.abs(self.grid - (lo + hi) / 2)))] = 1.0
            self.prior[c] = w / w.sum()
        self.p = np.broadcast_to(self.prior, (n, n, spec.grid)).copy()
        self._prior_means = np.array([seq_sum(self.prior[k] * self.grid) for k in range(n)])
        self.n_seen = np.zeros((n, n), dtype=int)
        self._floor: dict = {}

    # ------------------------------------------------------------ updating
    def _update(self, i: str, k: str, like: np.ndarray) -> None:
        a, b = self.model.aidx[i], self.model.aidx[k]
        post = self.p[a, b] * like
        s = seq_sum(post)                        # a fixed order of summation: the same bits on every CPU
        self.p[a, b] = post / s                  # s > 0: every likelihood is >= min(rho, eps) > 0
        self.n_seen[a, b] += 1
        self._floor.pop((a, b), None)

    def rejected(self, i: str, k: str, v: float) -> None:
        """k rejected i's offer worth ``v`` to k."""
        if self.enabled:
            self._update(i, k, np.where(self.grid > v + 1e-12, 1.0, self.spec.tactical))

    def accepted(self, i: str, k: str, v: float) -> None:
        """k accepted a package worth ``v`` to k."""
        if self.enabled:
            self._update(i, k, np.where(self.grid <= v + 1e-12, 1.0, self.spec.noise))

    def offered(self, i: str, k: str, v: float) -> None:
        """k offered i a package worth ``v`` to k."""
        if self.enabled:
            self._update(i, k, np.where(self.grid <= v + 1e-12, 1.0, self.spec.noise))

    # ------------------------------------------------------------ reading
    def floor(self, i: str, k: str) -> float:
        """i's believed floor of k: the ``quantile`` of its belief (k's true reservation,
        floored at 0, when beliefs are off)."""
        if not self.enabled:
            return max(self.model.actors[k].reservation_value(), 0.0)
        a, b = self.model.aidx[i], self.model.aidx[k]
        got = self._floor.get((a, b))
        if got is None:
            c = np.cumsum(self.p[a, b])          # cumsum adds left to right: no reordering
            n = int(np.searchsorted(c, self.spec.quantile - 1e-12))
            got = self._floor[(a, b)] = max(float(self.grid[min(n, len(self.grid) - 1)]), 0.0)
        return got

    def mean(self, i: str, k: str) -> float:
        a, b = self.model.aidx[i], self.model.aidx[k]
        return seq_sum(self.p[a, b] * self.grid)

    def means(self) -> np.ndarray:
        """Every actor's mean belief about every other's reservation (the daily series)."""
        n = self.p.shape[0]
        out = np.tile(self._prior_means, (n, 1))          # a belief nothing moved is its prior
        for i, k in zip(*np.nonzero(self.n_seen)):
            out[i, k] = seq_sum(self.p[i, k] * self.grid)
        return out


def _range(prior) -> tuple[float, float] | None:
    """(lo, hi) of a prior (:class:`sim.scenario.priors.PriorSpec`, or [lo, hi]); None if
    it has no bounded range (a normal prior without lo/hi)."""
    if prior is None:
        return None
    if isinstance(prior, (list, tuple)) and len(prior) == 2:
        return float(prior[0]), float(prior[1])
    lo, hi = getattr(prior, "lo", None), getattr(prior, "hi", None)
    if lo is not None and hi is not None:
        return float(lo), float(hi)
    return None
