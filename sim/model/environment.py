"""The crisis environment: named stocks with flows driven by issues, and the costs they
charge actors by exposure (a small system-dynamics model; Sterman 2000, ch. 6).

For each stock s, each day d:

    in_s(d)  = sum_f rate_f * D_f(x) * eps_s(d),     eps_s ~ LogNormal(-sigma^2/2, sigma)
    out_s(d) = sum_g rate_g * D_g(x) * S_s(d)
    S_s(d+1) = clip(S_s(d) + in_s(d) - out_s(d), 0, 1)

where D_f(x) = prod_{j in driven_by(f)} (x_j if sign +1 else 1 - x_j) (1 if empty).
Actor i's daily cost is c_i = sum_s e_is S_s + sum_{j in cost issues} e_ij x_j.

Anticipated relief (what a unit rise of issue j saves actor i per day, used in every
valuation of a move): actors expect a move to shift each stock by its effect on the
net flow over ``anticipation_days`` (tau), bounded by what is there to shift:

    r_ij = sum_s e_is * clip(-tau * d(in_s - out_s)/dx_j, -(1 - S_s), S_s) - e_ij [j a cost issue]

Nothing here names a country or a crisis: stocks, flows and costs come from the
scenario's ``environment:`` block; a scenario without one has no crisis.
"""

from __future__ import annotations

import math

import numpy as np


class Stock:
    """One stock: its level, today's flows, and its history (day 0 first)."""

    def __init__(self, name: str, spec, idx: dict[str, int]):
        self.name = name
        self.spec = spec
        self.level = float(spec.initial)
        self.inflow = 0.0
        self.outflow = 0.0
        self.peak = self.level
        self.cumulative = 0.0
        self.history = [self.level]
        # flows as (rate, ((issue index, sign), ...)) for speed
        self.inflows = [(f.rate, tuple((idx[j], s) for j, s in f.driven_by.items())) for f in spec.inflows]
        self.outflows = [(f.rate, tuple((idx[j], s) for j, s in f.driven_by.items())) for f in spec.outflows]
        self._slope_terms: dict[int, list[tuple]] = {}

    @staticmethod
    def _drive(terms, x) -> float:
        d = 1.0
        for j, s in terms:
            d *= x[j] if s > 0 else 1.0 - x[j]
        return d

    def flows(self, x) -> tuple[float, float]:
        """Expected inflow (without noise) and outflow at implemented values ``x``."""
        fin = sum(rate * self._drive(t, x) for rate, t in self.inflows)
        fout = sum(rate * self._drive(t, x) for rate, t in self.outflows) * self.level
        return fin, fout

    def slope(self, x, j: int) -> float:
        """d(net flow)/dx_j at ``x`` (inflows at their expected value). ``x``: any
        sequence indexable by issue (a list of floats is fastest)."""
        terms = self._slope_terms.get(j)
        if terms is None:
            terms = self._slope_terms[j] = self._terms_of(j)
        total = 0.0
        level = self.level
        for outflow, rate, rest_terms, sign in terms:
            rest = self._drive(rest_terms, x)
            total += (-level if outflow else 1.0) * rate * rest * sign
        return total

    def _terms_of(self, j: int) -> list[tuple]:
        """The flows' terms in x_j, in the order :meth:`slope` adds them: (outflow?,
        rate, the other drivers, the sign of x_j's drive)."""
        out = []
        for flows, outflow in ((self.inflows, False), (self.outflows, True)):
            for rate, terms in flows:
                for n, (k, s) in enumerate(terms):
                    if k == j:
                        out.append((outflow, rate, terms[:n] + terms[n + 1:], 1.0 if s > 0 else -1.0))
        return out


class Environment:
    """All stocks of a scenario, and the costs they and the cost issues charge."""

    def __init__(self, spec, issue_ids: list[str], rng: np.random.Generator):
        self.spec = spec
        self.rng = rng
        idx = {j: n for n, j in enumerate(issue_ids)}
        self.stocks = {name: Stock(name, s, idx) for name, s in spec.stocks.items()}
        self.names = list(self.stocks)
        self.cost_issues = [idx[j] for j in spec.cost_issues]
        self.cost_issue_names = list(spec.cost_issues)
        self.tau = spec.anticipation_days
        self.n_issues = len(issue_ids)
        # which issues drive which stock (for relief and for charging harm)
        self.drivers = {name: sorted({j for _r, t in (*s.inflows, *s.outflows) for j, _s in t})
                        for name, s in self.stocks.items()}
        # the clipped shifts of each stock per driving issue do not depend on the actor:
        # computed once per state (x and the levels), until :meth:`invalidate`
        self._shifts: list | None = None
        self._levels = list(self.stocks.values())
        self._exposures: dict[int, tuple] = {}
        self._cost_mats: dict[int, tuple] = {}

    def _exposure(self, exposure: dict) -> tuple:
        """An actor's exposure as (per stock, per cost issue) tuples in the order the
        sums take them (stocks, then cost issues; 0.0 where it has none): the dict is
        read once per model, not at every cost. Keyed by the dict's identity, which the
        entry keeps alive (an actor's exposure does not change during a run)."""
        got = self._exposures.get(id(exposure))
        if got is None or got[0] is not exposure:
            got = self._exposures[id(exposure)] = (
                exposure, tuple(exposure.get(n, 0.0) for n in self.stocks),
                tuple(zip(self.cost_issues, (exposure.get(n, 0.0) for n in self.cost_issue_names))))
        return got

    def invalidate(self) -> None:
        """The implemented values or a stock's level moved: drop the cached shifts."""
        self._shifts = None

    def _stock_shifts(self, x) -> list:
        if self._shifts is None:
            tau = self.tau
            x = x.tolist() if hasattr(x, "tolist") else x       # Python floats: the same values, faster
            out = []
            for name, st in self.stocks.items():
                level = st.level
                out.append((name, [(j, min(level, max(-(1.0 - level), -tau * st.slope(x, j))))
                                   for j in self.drivers[name]]))
            self._shifts = out
        return self._shifts

    @property
    def empty(self) -> bool:
        return not self.stocks and not self.cost_issues

    def update(self, x) -> dict[str, float]:
        """One day; returns each stock's rise (0 where it fell)."""
        rises = {}
        # x stays a NumPy array here: sum() adds NumPy scalars without the compensation it
        # gives Python floats, so a list would change the last bits of every stored run
        for st in self.stocks.values():
            sig = st.spec.noise
            eps = math.exp(sig * float(self.rng.standard_normal()) - sig * sig / 2) if sig > 0 else 1.0
            fin, fout = st.flows(x)
            st.inflow, st.outflow = fin * eps, fout
            old = st.level
            st.level = min(1.0, max(0.0, old + st.inflow - st.outflow))
            st.cumulative += st.level
            st.peak = max(st.peak, st.level)
            st.history.append(st.level)
            rises[st.name] = max(0.0, st.level - old)
        self._shifts = None
        return rises

    def set_level(self, name: str, value: float) -> None:
        st = self.stocks[name]
        st.level = min(1.0, max(0.0, float(value)))
        self._shifts = None

    def cost(self, exposure: dict, x) -> float:
        """The actor's daily crisis cost c_i: sum_s e_is S_s (Python's ``sum``, which adds
        floats with compensation from 3.12 on) plus e_ij x_j for each cost issue."""
        _, stock_e, cost_e = self._exposure(exposure)
        c = sum([e * st.level for e, st in zip(stock_e, self._levels)])
        for j, e in cost_e:
            c += e * float(x[j])
        return c

    def add_costs(self, actors, x) -> None:
        """Each actor's ``cumulative_cost`` += its :meth:`cost` today: one pass for the
        day's accounting, the same sums as :meth:`cost`. With at most one stock that sum
        is one product per actor, so the actors are done together, elementwise (the
        same IEEE operations in the same order); with more, Python's compensated sum."""
        if len(self._levels) <= 1:
            mats = self._cost_matrix(actors)
            c = mats[0] * self._levels[0].level if self._levels else np.zeros(len(actors))
            c = 0.0 + c                     # sum([p]) is 0 + p
            for e, j in zip(mats[1], self.cost_issues):
                c = c + e * float(x[j])
            for actor, v in zip(actors, c.tolist()):
                actor.cumulative_cost += v
            return
        for actor in actors:
            actor.cumulative_cost += self.cost(actor.exposure, x)

    def _cost_matrix(self, actors) -> tuple:
        """(the actors' exposures to the one stock, [their exposures to each cost
        issue]) as arrays, built once per list of actors (the model passes the same one)."""
        got = self._cost_mats.get(id(actors))
        if got is None or got[0] is not actors or len(actors) != len(got[1]):
            comp = [self._exposure(a.exposure) for a in actors]
            stock = np.array([c[1][0] if c[1] else 0.0 for c in comp])
            per_issue = [np.array([c[2][n][1] for c in comp]) for n in range(len(self.cost_issues))]
            got = self._cost_mats[id(actors)] = (actors, stock, per_issue)
        return got[1:]

    def relief(self, exposure: dict, x) -> np.ndarray:
        """r_i: per issue, the daily cost a unit rise of the issue is expected to save."""
        return np.array(self.relief_values(exposure, x))

    def relief_values(self, exposure: dict, x, cached: bool = True) -> tuple[float, ...]:
        """:meth:`relief` as a tuple of Python floats; ``cached=False``: at values ``x``
        other than today's (the shifts are computed afresh and not kept)."""
        r = [0.0] * self.n_issues
        if cached:
            shifts_by_stock = self._stock_shifts(x)
        else:
            tau = self.tau
            shifts_by_stock = [(name, [(j, min(st.level, max(-(1.0 - st.level), -tau * st.slope(x, j))))
                                       for j in self.drivers[name]]) for name, st in self.stocks.items()]
        _, stock_e, cost_e = self._exposure(exposure)
        for e, (_name, shifts) in zip(stock_e, shifts_by_stock):
            if e == 0.0:
                continue
            for j, shift in shifts:
                r[j] += e * shift
        for j, e in cost_e:
            r[j] -= e
        return tuple(r)

    def responsible(self, name: str, x) -> list[tuple[int, float]]:
        """Issues that keep stock ``name`` filling, each with its share of today's
        expected inflow (used to charge the harm of a rise to their controllers)."""
        st = self.stocks[name]
        out = []
        for rate, terms in st.inflows:
            for j, s in terms:
                share = (1.0 - x[j]) if s < 0 else x[j]
                if share > 0:
                    out.append((j, share))
        total = sum(v for _, v in out)
        return [(j, v / total) for j, v in out] if total > 0 else []
