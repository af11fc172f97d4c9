"""Public blame between actors (docs/ODD.md 7.10).

b_ik in [0, 1] is actor i's public blame of actor k. It starts at the level its
``blames`` stances set (b0), and each day

    b(d+1) = clip(b(d) + eta * H(d) - rho * (b(d) - b0) + jumps(d), 0, 1)

where H_ik(d) is the harm k did to i that day (moves of issues k is responsible for
that take them away from i's ideal, weighted by i's salience, and the rise of a stock
i is exposed to, charged to those whose issues keep it filling), eta the escalation
gain and rho the decay toward the public level. Jumps: an agreement removes
``agreement_relief`` between its parties; a breach adds ``breach_blame`` from the
wronged party; a denier pressed on its role adds ``denial_blame``.

Blame acts in three places: the audience cost of conceding to a blamed counterpart
(alternating offers, 7.5), the licence to harm a blamed actor by unilateral moves
(7.11), and the downgrade of a political channel to technical while either side's
blame of the other is at or above ``channel_threshold`` (7.3).
"""

from __future__ import annotations

import numpy as np

_max = np.maximum.reduce


class Blame:
    def __init__(self, model):
        self.model = model
        self.params = model.spec.blame
        n = len(model.actor_ids)
        self.b0 = np.zeros((n, n))
        self.b = np.zeros((n, n))
        # harm of the day, cell by cell: Python lists (a NumPy scalar += is 3x slower),
        # added to b in :meth:`update` in the same order as before
        self.harm = [[0.0] * n for _ in range(n)]
        self._harmed = False
        self._relax: np.ndarray | None = None
        self._exposed: dict[str, list[tuple[str, int, float]]] = {}

    def reset_public(self, stances) -> None:
        """Set the public (day-0) level from the ``blames`` stances; when stances change
        by event, current blame moves by the change of that level."""
        aidx = self.model.aidx
        b0 = np.zeros_like(self.b0)
        for st in stances:
            x = st.initial_blame()
            if x:
                b0[aidx[x[0]], aidx[x[1]]] = x[2]
        self.b = np.clip(self.b + b0 - self.b0, 0.0, 1.0)
        self.b0 = b0

    def register_change(self, j: int, old: float, new: float, responsible, exclude=()) -> None:
        """Harm done to each other actor by a move of issue j, charged to ``responsible``."""
        m = self.model
        resp = [m.aidx[r] for r in responsible]
        if not resp:
            return
        harm = self.harm
        rule = m.rules[j]
        # under a weighted rule each controller moves its own share: co-controllers are not
        # harmed by one another's moves (their stake is in their own share)
        shared = rule.controllers if rule.rule == "weighted" else ()
        for a, actor in m.actors.items():
            if a in exclude or a in responsible or a in shared:
                continue
            loss = actor.w[j] * (abs(new - actor.ideal[j]) - abs(old - actor.ideal[j]))
            if loss > 0:
                i = m.aidx[a]
                row = harm[i]
                for k in resp:              # one scalar add per cell (a fancy-index += is 20x slower)
                    row[k] += loss
                self._harmed = True

    def charge_stock_rise(self, stock: str, rise: float) -> None:
        """The rise of a stock harms each exposed actor; the harm is charged to the
        controllers of the issues that keep it filling, by their share of the inflow."""
        m = self.model
        if rise <= 0:
            return
        exposed = self._exposed.get(stock)
        if exposed is None:         # (actor, index, exposure) of the actors the stock costs
            exposed = self._exposed[stock] = [(a, m.aidx[a], actor.exposure.get(stock, 0.0))
                                              for a, actor in m.actors.items() if actor.exposure.get(stock, 0.0) > 0]
        harm = self.harm
        for j, share in m.env.responsible(stock, m.x):
            ctrl = m.rules[j].controllers
            resp = [m.aidx[c] for c in ctrl]
            for a, i, e in exposed:
                if a not in ctrl:
                    v = e * rise * share / len(resp)
                    row = harm[i]
                    for k in resp:          # one scalar add per cell (a fancy-index += is 20x slower)
                        row[k] += v
                    self._harmed = True

    def add(self, who: str, toward: str, amount: float) -> None:
        m = self.model
        i, k = m.aidx[who], m.aidx[toward]
        self.b[i, k] = min(1.0, max(0.0, self.b[i, k] + amount))

    def update(self) -> None:
        p = self.params
        b = self.b
        relax = self._relax
        if relax is None or relax.shape != b.shape:
            relax = self._relax = np.empty_like(b)
        np.subtract(b, self.b0, out=relax)          # relax = decay (b - b0), in a kept buffer
        np.multiply(p.decay, relax, out=relax)
        if self._harmed:
            b += p.escalation_gain * np.array(self.harm)
            n = len(self.harm)
            self.harm = [[0.0] * n for _ in range(n)]
            self._harmed = False
        b -= relax
        # np.clip(b, 0, 1) as its two ufuncs (np.clip's Python layers cost more than the
        # arithmetic on a small matrix); 0.0 first, as clip keeps the bound when equal
        np.maximum(0.0, b, out=b)       # the diagonal stays 0: no actor harms or blames itself
        np.minimum(b, 1.0, out=b)

    def hostile_pairs(self) -> frozenset:
        """Pairs (as frozensets) whose blame of each other is at or above the threshold."""
        thr = self.params.channel_threshold
        if _max(self.b, axis=None) < thr:       # b.max() without its Python layer
            return frozenset()
        ids = self.model.actor_ids
        hot = np.argwhere(self.b >= thr)
        return frozenset(frozenset((ids[i], ids[k])) for i, k in hot if i != k)
