"""Agreements that bind for a while, and the record of everything that moved an issue
(docs/ODD.md 7.12).

* **Voluntary.** A deal is implemented only if, at that moment, each party's value of
  the package is at least its reservation value and at least zero (the status quo it
  gives up): V_i = u_i(after) - u_i(before) + r_i . (after - before) - guarantor cost
  >= max(reservation_i, 0). The values are stored with the agreement, so a property
  test can check every agreement of every run.
* **Binding.** An agreement holds its terms for ``agreements.duration_days``. While it
  holds, a party never signs a new deal that undoes its terms without the other party
  (the other parties' consent joins the rule, :func:`sim.model.control.interval`; a
  mediated text binds every signatory to every other), and a
  unilateral move that moves a term away from the agreed value against a party's
  interest is a **breach**: it costs the breaker ``breach_cost`` (anticipated in its
  decision), adds ``breach_blame`` to the wronged party's blame of it (which licenses
  retaliation, 7.10), and is logged.
* **Expiry and renewal.** At the end of its term an agreement is renewed for another
  term (``renew: true``) if both parties still prefer its terms to the values before
  it (V_i >= 0 at today's state); otherwise it expires. Both are logged.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.numeric import seq_sum


@dataclass
class Agreement:
    """A deal: who, at which level, which issues moved from what to what, and when."""

    day: int
    parties: tuple[str, ...]        # the signatories: two on a channel, more at a mediator's table
    proposer: str
    level: str
    kind: str                       # "political" if any political issue moved, else "technical"
    values: dict[str, float]        # agreed values of the issues that moved
    previous: dict[str, float]      # their values before
    expires: int = 0
    value_to: dict[str, float] = field(default_factory=dict)      # V_i at signing
    reservation: dict[str, float] = field(default_factory=dict)   # max(r_i, 0) at signing
    status: str = "in force"        # in force | renewed | expired | breached
    n_renewals: int = 0
    space: object = None            # sim.model.bargaining.Space at signing (the benchmark's input)
    mediator: str = ""              # the mediator whose text it is (mediation), else ""


@dataclass
class Act:
    """One entry of the run's record: an agreement, a unilateral move, a breach, an
    expiry, a renewal, a broken commitment or a scheduled event, with its reason."""

    day: int
    type: str                       # agreement | unilateral | breach | expiry | renewal | event | commitment_broken
    actors: tuple[str, ...]
    changes: dict[str, tuple[float, float]] = field(default_factory=dict)   # issue -> (from, to)
    level: str = ""
    kind: str = ""
    label: str = ""
    reason: str = ""                # why, in the actor's own terms (values, prices, costs)
    cost: float = 0.0               # what the act cost its actor (a broken commitment's price)


def voluntary(model, parties, issues, p) -> tuple[dict, dict] | None:
    """Each party's value V_i of moving the issues ``issues`` (indices) to ``p`` at
    today's state, less any guarantor cost it bears, and its floor max(reservation_i,
    0); or None if some party would be worse off than its floor. The rule every
    agreement of every protocol is signed under."""
    from sim.model.control import guarantor_cost, package_vetoes

    before = model.x
    after = before.copy()
    for j, v in zip(issues, p):
        after[j] = v
    if package_vetoes(model, parties, issues, p, before, after):
        return None
    value_to, floor = {}, {}
    for key in parties:
        actor = model.actors[key]
        v = value_of(model, actor, before, after)
        for j in issues:
            c = guarantor_cost(model.rules[j], parties).get(key)
            if c:
                v -= c * abs(after[j] - before[j])
        value_to[key], floor[key] = float(v), max(actor.reservation_value(), 0.0)
        if v < floor[key] - 1e-12:
            return None
    return value_to, floor


def value_of(model, actor, before, after, relief=None) -> float:
    """V_i of moving the implemented values from ``before`` to ``after`` (arrays over all
    issues), with today's anticipated crisis relief."""
    r = model.relief(actor) if relief is None else relief
    return actor.utility(after) - actor.utility(before) + seq_sum(r * (after - before))


class Registry:
    """The agreements of a run, those in force, and the record of acts."""

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.agreements
        self.all: list[Agreement] = []
        self.record: list[Act] = []

    def in_force(self) -> list[Agreement]:
        return [a for a in self.all if a.status in ("in force", "renewed")]

    def holders(self, j: str, parties) -> list[str]:
        """Counterparts whose consent a new deal by ``parties`` needs on issue ``j``:
        the other parties of each agreement in force on j that binds one of ``parties``."""
        out = []
        for a in self.in_force():
            if j in a.values and any(p in parties for p in a.parties):
                for q in a.parties:
                    if q not in parties and q not in out:
                        out.append(q)
        return out

    def breached_by(self, mover: str, j: str, old: float, new: float) -> list[tuple[Agreement, str]]:
        """(agreement, wronged party) for each agreement in force that a unilateral
        move of issue ``j`` by ``mover`` from ``old`` to ``new`` would breach."""
        out = []
        for a in self.in_force():
            if j not in a.values:
                continue
            v = a.values[j]
            if abs(new - v) <= abs(old - v) + 1e-12:
                continue                          # not away from the agreed value
            for k in a.parties:
                if k == mover:
                    continue
                z = float(self.model.actors[k].ideal[self.model.idx[j]])
                if abs(new - z) > abs(old - z) + 1e-12:
                    out.append((a, k))
        return out

    def add(self, ag: Agreement, reason: str = "") -> None:
        ag.expires = ag.day + self.spec.duration_days
        self.all.append(ag)
        self.record.append(Act(ag.day, "agreement", ag.parties,
                               {j: (ag.previous[j], v) for j, v in ag.values.items()},
                               ag.level, ag.kind, reason=reason))

    def breach(self, day: int, mover: str, ag: Agreement, wronged: str, issue: str) -> None:
        ag.status = "breached"
        self.record.append(Act(day, "breach", (mover, wronged), label=f"{issue} (agreement of day {ag.day})"))

    def expire(self, day: int) -> bool:
        """End or renew the agreements whose term ends today; True if one ended (its
        parties' vetoes lapse, so what depended on them must be recomputed)."""
        m = self.model
        ended = False
        for ag in self.in_force():
            if ag.expires != day:
                continue
            renew = self.spec.renew
            if renew:
                after = m.x.copy()
                before = after.copy()
                for j, v in ag.previous.items():
                    before[m.idx[j]] = v
                renew = all(value_of(m, m.actors[p], before, after) >= 0.0 for p in ag.parties)
            if renew:
                ag.status = "renewed"
                ag.n_renewals += 1
                ag.expires = day + self.spec.duration_days
                self.record.append(Act(day, "renewal", ag.parties, label=f"agreement of day {ag.day}"))
            else:
                ag.status = "expired"
                ended = True
                self.record.append(Act(day, "expiry", ag.parties, label=f"agreement of day {ag.day}"))
        return ended
