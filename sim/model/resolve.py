"""Beliefs about resolve: how seriously an actor takes what it has said (docs/ODD.md 7.20).

Each actor i holds, for each other actor k, a distribution over rho_k, the factor by
which k's stated prices (the audience cost of backing down from a stance, a threat or
a promise: :func:`sim.model.commitments.price`) are what k really weighs, on a grid of
``beliefs.grid`` points on [0, ``beliefs.resolve_high``] (prior uniform: a stated price
may be bluster, rho < 1, or understated, rho > 1). The truth is rho = 1: every actor acts
on its stated prices; others learn that only from what it does (Fearon 1995, 1997:
resolve is private, revealed by costly acts).

**Use.** A threat or promise aimed at i is weighed by i (its anticipated relief, its
unilateral decision, its gain from keeping an agreement: :func:`sim.model.threats.at_stake`)
at the probability i believes it will be carried out,
P_i(credible) = P_i(rho_k : N_m + rho_k pi >= 0), with N_m the maker's own value of
carrying out (preferences are public, 7.2) and pi its price; before, a credible threat
counted in full and an incredible one not at all.

**Updates** (Bayes' rule on the grid, likelihoods floored at ``beliefs.noise``), by every
other actor, on public acts of k:

| act of k | likelihood L(rho) |
|---|---|
| carries out a threat or keeps a promise (N_m, pi) | 1 if N_m + rho pi >= 0, else eps |
| backs down from a threat or breaks a promise (N_m, pi) | 1 if N_m + rho pi < 0, else eps |
| breaks a stated commitment (gain G from breaking, price pi) | 1 if rho pi < G, else eps |

``beliefs.resolve: false`` (or ``beliefs.enabled: false``) gives every actor the truth
(rho = 1): a threat counts in full iff credible, as before.
"""

from __future__ import annotations

import numpy as np

from sim.model.numeric import seq_sum


class Resolve:
    """p[i, k, :]: actor i's distribution over actor k's resolve rho_k, on ``grid``."""

    def __init__(self, model):
        spec = model.spec.beliefs
        self.model = model
        self.enabled = spec.enabled and spec.resolve
        self.eps = spec.noise
        n = len(model.actor_ids)
        self.grid = np.linspace(0.0, spec.resolve_high, spec.grid)
        self.p = np.full((n, n, spec.grid), 1.0 / spec.grid)
        self.n_seen = np.zeros((n, n), dtype=int)
        self.version = 0
        self._p: dict = {}

    # ------------------------------------------------------------ reading
    def credibility(self, i: str, k: str, net: float, price: float) -> float:
        """i's probability that k carries out a move worth ``net`` to k when backing down
        costs it ``price``: P_i(net + rho_k price >= 0)."""
        if not self.enabled:
            return 1.0 if net + price >= 0.0 else 0.0
        key = (i, k, net, price, self.version)
        got = self._p.get(key)
        if got is None:
            a, b = self.model.aidx[i], self.model.aidx[k]
            if len(self._p) > 4096:      # net values move with the crisis day by day: keep the cache bounded
                self._p.clear()
            got = self._p[key] = seq_sum(self.p[a, b] * (net + self.grid * price >= 0.0))
        return got

    def mean(self, i: str, k: str) -> float:
        a, b = self.model.aidx[i], self.model.aidx[k]
        return seq_sum(self.p[a, b] * self.grid)

    # ------------------------------------------------------------ updating
    def _seen(self, k: str, holds: np.ndarray) -> None:
        """Every other actor sees k act; ``holds``: where on the grid the act is consistent."""
        if not self.enabled:
            return
        like = np.where(holds, 1.0, self.eps)
        b = self.model.aidx[k]
        for a in range(self.p.shape[0]):
            if a == b:
                continue
            post = self.p[a, b] * like
            self.p[a, b] = post / seq_sum(post)
            self.n_seen[a, b] += 1
        self.version += 1
        self._p.clear()

    def carried_out(self, k: str, net: float, price: float) -> None:
        self._seen(k, net + self.grid * price >= 0.0)

    def backed_down(self, k: str, net: float, price: float) -> None:
        self._seen(k, net + self.grid * price < 0.0)

    def broke(self, k: str, gain: float, price: float) -> None:
        self._seen(k, self.grid * price < gain)
