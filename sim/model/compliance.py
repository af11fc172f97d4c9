"""Agreements carried out over time, in part, and seen through noise (docs/ODD.md 7.19).

An issue with a ``delivery`` block in the scenario is not set to its agreed value on
the day of signature. Its controllers among the signatories carry the change out: each
day a share ``rate`` of the agreed change, up to ``capacity`` (the rest lies with actors
outside the deal: banks, insurers, a third state's sanctions), so the issue's value is
x_j = p_j + s (v_j - p_j) with s the share carried out, p_j the value before and v_j the
agreed one.

* **Compliance is a choice** (Downs, Rocke & Barsoom 1996). Each day each controller c
  weighs carrying out the rest, V_c(x -> x with s = capacity), against the cost of being
  seen to withhold it, ``agreements.breach_cost``: it withholds iff
  V_c < -breach_cost (a deep agreement, far from what c wants, tempts it most). While
  one controller withholds, nothing more is carried out; the record says who and why
  (``shortfall``), and when it resumes (``compliance``). Reaching a capacity below the
  whole change is logged too (``shortfall``, "capacity").
* **Observation and trust.** Every ``agreements.review_days`` days each other party k
  sees the share carried out against the schedule the text implies,
  y = s / min(1, rate (t - t_0)) + e, e ~ N(0, noise^2), and updates its belief about
  the share that will be carried out in the end, N(mu, P), by a Kalman filter:
  prior mu = 1 (the promise), P = ``trust_sd``^2; each review P += ``drift_sd``^2,
  K = P / (P + noise^2) (K = 1 without noise), mu += K (y - mu), P = (1 - K) P.
  A fall of mu adds ``shortfall_blame`` x the fall to k's blame of each controller,
  and each step of a tenth down is logged (``doubt``).
* **What a party expects feeds its gains** from keeping the agreement
  (:meth:`sim.model.agreements.Registry.gains`): for k the term stands at
  p_j + clip(mu, 0, 1)(v_j - p_j); for a controller at the share it will carry out
  (its capacity, or what it has carried out while it withholds). A promise that is not
  kept thus shortens renewals and leads to exit (7.17) through what the parties see,
  not through what the modeller knows.

Without ``delivery`` blocks nothing here runs and no random number is drawn.
"""

from __future__ import annotations

import numpy as np

from sim.model.records import Act, Agreement, value_of


class Compliance:
    """The carrying-out of gradual terms and each party's trust in it."""

    def __init__(self, model):
        self.model = model
        spec = model.spec
        self.spec = {model.idx[j]: s.delivery for j, s in spec.issues.items()
                     if s.delivery is not None and not s.delivery.instant}
        self.params = spec.agreements
        self.trust: dict[tuple[int, str, str], tuple[float, float]] = {}   # (text, issue, observer) -> (mu, P)
        self.logged: dict[tuple[int, str, str], int] = {}   # the tenth of mu last logged
        self.withheld: dict[tuple[int, str], str] = {}      # (text, issue) -> the controller withholding
        self._places: dict[int, tuple] = {}                 # id of an agreement -> (it, its place)
        # its own stream, drawn only when some issue is delivered over time: other
        # scenarios' random numbers are untouched
        self.rng = np.random.default_rng(int(model.rng.integers(2**63))) if self.spec else None

    def gradual(self, j: int) -> bool:
        """True if issue ``j`` is carried out over time."""
        return j in self.spec

    # ------------------------------------------------------------------ helpers
    def _text(self, group: list[Agreement]) -> int:
        """The text's number: its link, or the first agreement's place in the registry
        (which only appends, so the place is looked up once per agreement)."""
        ag = group[0]
        if ag.link >= 0:
            return ag.link
        got = self._places.get(id(ag))
        if got is None or got[0] is not ag:
            got = self._places[id(ag)] = (ag, self.model.registry.all.index(ag))
        return got[1]

    @staticmethod
    def _parties(group: list[Agreement]) -> list[str]:
        return list(dict.fromkeys(p for a in group for p in a.parties))

    def controllers(self, j: int, parties) -> list[str]:
        """The controllers of issue ``j`` among ``parties``: those who carry it out."""
        return [c for c in self.model.rules[j].controllers if c in parties]

    def expected_share(self, group: list[Agreement], j: str, party: str) -> float:
        """The share of term ``j``'s change that ``party`` expects to be carried out."""
        m, ag = self.model, group[0]
        k = m.idx[j]
        share = ag.delivered[j]
        if party in self.controllers(k, self._parties(group)):
            return share if (self._text(group), j) in self.withheld else self.spec[k].capacity
        mu, _ = self.trust.get((self._text(group), j, party), (1.0, 0.0))
        return min(1.0, max(0.0, mu))

    def expectation(self, group: list[Agreement], party: str) -> str:
        """What ``party`` expects of the group's gradual terms, for a reason's text."""
        ag = group[0]
        if not ag.delivered:
            return ""
        return "; " + ", ".join(f"{self.model.actors[party].label} expects {self.expected_share(group, j, party):.0%} "
                                f"of the agreed {j} change" for j in ag.delivered)

    def _log(self, day, kind, actors, label, reason) -> None:
        self.model.registry.record.append(Act(day, kind, tuple(actors), label=label, reason=reason))

    # ------------------------------------------------------------------ the day
    def step(self, day: int) -> bool:
        """Carry out today's shares, then (on review days) let the parties look. True
        if an issue moved."""
        if not self.spec:
            return False
        groups = [g for g in self.model.registry._groups() if g[0].delivered]
        moved = False
        for group in groups:
            moved |= self._deliver(day, group)
        if moved:
            self.model._changed()
        if day % self.params.review_days == 0:
            for group in groups:
                self._observe(day, group)
        return moved

    def _deliver(self, day: int, group: list[Agreement]) -> bool:
        m, ag = self.model, group[0]
        parties, text = self._parties(group), self._text(group)
        moved = False
        for j, share in ag.delivered.items():
            k = m.idx[j]
            d = self.spec[k]
            if share >= d.capacity - 1e-12:
                continue
            prev, v = ag.previous[j], ag.values[j]
            full = m.x.copy()
            full[k] = prev + d.capacity * (v - prev)
            cs = self.controllers(k, parties)
            worth = {c: float(value_of(m, m.actors[c], m.x, full)) for c in cs}
            shirk = [c for c in cs if worth[c] < -self.params.breach_cost - 1e-12]
            label = f"{m.issue_ids[k]} (agreement of day {ag.day})"
            if shirk:
                if (text, j) not in self.withheld:
                    c = shirk[0]
                    self.withheld[(text, j)] = c
                    self._log(day, "shortfall", (c, *[p for p in parties if p != c]), f"withheld: {label}",
                              f"{m.actors[c].label} stops carrying out the agreed change at {share:.0%} of it: "
                              f"the rest would cost it {-worth[c]:.3f}, more than being seen to withhold it "
                              f"({self.params.breach_cost:.3f})")
                continue
            if self.withheld.pop((text, j), None) is not None:
                self._log(day, "compliance", cs, f"resumed: {label}",
                          "carrying out the rest is worth more to " +
                          ", ".join(f"{m.actors[c].label} ({worth[c]:+.3f})" for c in cs) + " than withholding it")
            new_share = min(d.capacity, share + d.rate)
            old, new = float(m.x[k]), prev + new_share * (v - prev)
            m.x[k] = new
            m.blames.register_change(k, old, new, responsible=tuple(parties), exclude=tuple(parties))
            for a in group:
                a.delivered[j] = new_share
            moved = True
            if new_share >= d.capacity - 1e-12 and d.capacity < 1.0:
                self._log(day, "shortfall", cs, f"capacity: {label}",
                          f"{', '.join(m.actors[c].label for c in cs)} carried out {d.capacity:.0%} of the agreed "
                          f"change, all it can: the rest lies with actors outside the deal")
        return moved

    def _observe(self, day: int, group: list[Agreement]) -> None:
        m, ag, p = self.model, group[0], self.params
        parties, text = self._parties(group), self._text(group)
        for j, share in ag.delivered.items():
            k = m.idx[j]
            d = self.spec[k]
            schedule = min(1.0, d.rate * (day - ag.day))
            if schedule <= 0.0:
                continue
            cs = self.controllers(k, parties)
            for obs in parties:
                if obs in cs:
                    continue
                y = share / schedule + (float(self.rng.normal(0.0, d.noise)) if d.noise > 0 else 0.0)
                mu, var = self.trust.get((text, j, obs), (1.0, p.trust_sd ** 2))
                var += p.drift_sd ** 2
                gain = var / (var + d.noise ** 2) if d.noise > 0 else 1.0
                new = mu + gain * (y - mu)
                self.trust[(text, j, obs)] = (new, (1.0 - gain) * var)
                if new < mu:
                    for c in cs:
                        m.blames.add(obs, c, p.shortfall_blame * (mu - new))
                self._doubt(day, text, j, obs, cs, new, y)

    def _doubt(self, day, text, j, obs, cs, mu, y) -> None:
        m = self.model
        tenth = int(np.floor(min(1.0, max(0.0, mu)) * 10 + 1e-9))
        last = self.logged.get((text, j, obs), 10)
        if tenth >= last:
            return
        self.logged[(text, j, obs)] = tenth
        self._log(day, "doubt", (obs, *cs), f"{m.actors[obs].label} expects {min(1.0, max(0.0, mu)):.0%} of {j}",
                  f"{m.actors[obs].label} saw {y:.2f} of the schedule carried out by "
                  f"{', '.join(m.actors[c].label for c in cs)}; it now expects {mu:.2f} of the agreed change")
