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
* **Renewal as a negotiation** (docs/ODD.md 7.17). At the end of its term each party
  weighs keeping the terms against the values before them, S_i = V_i(before -> today's
  values) at today's state. If some S_i < 0, or no term still stands (later agreements
  or moves replaced them all), the agreement lapses (``expired``); else it
  is renewed (``renew: true``) for the longest term T of ``agreements.terms`` that every
  party accepts: party i accepts T iff its gain, projected along its trend since the
  last signature or renewal, stays non-negative through the term,
  S_i + T (S_i - S_i^0) / (t - t^0) >= 0 (Koremenos 2005: parties unsure of their
  future gains write shorter terms); if no term passes, the shortest. Linked mirror
  documents (one mediator's text) renew or lapse together.
* **Exit** (7.17). Every ``agreements.review_days`` days a party of an agreement in force
  leaves it iff leaving is worth more than its exit cost: -S_i > ``exit_cost`` (its withdrawal ends the deal for
  all: the terms still standing return to their values before it, and the other
  parties add ``exit_blame`` to their blame of it). Linked mirror documents end with it.
  Lapses, exits and renewals are logged with each party's S_i as their reason.
"""

from __future__ import annotations

import numpy as np

from sim.model.control import guarantor_cost, package_vetoes
from sim.model.records import Act, Agreement, value_of  # noqa: F401  (the model's names for them)
from sim.model.threats import crossing_loss


def voluntary(model, parties, issues, p) -> tuple[dict, dict] | None:
    """Each party's value V_i of moving the issues ``issues`` (indices) to ``p`` at
    today's state, less any guarantor cost it bears, and its floor max(reservation_i,
    0); or None if some party would be worse off than its floor. The rule every
    agreement of every protocol is signed under."""
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


class Registry:
    """The agreements of a run, those in force, and the record of acts."""

    def __init__(self, model):
        self.model = model
        self.spec = model.spec.agreements
        self.all: list[Agreement] = []
        self.record: list[Act] = []
        self.shortened: list[int] = []      # days of renewals for a shorter term than the one that ended
        self.renegotiated: list[int] = []   # days of renewals on changed terms

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
        ag.term = self.spec.duration_days
        ag.expires = ag.day + ag.term
        ag.since = ag.day
        ag.gain_then = dict(ag.value_to)
        self.all.append(ag)
        self.record.append(Act(ag.day, "agreement", ag.parties,
                               {j: (ag.previous[j], v) for j, v in ag.values.items()},
                               ag.level, ag.kind, reason=reason))

    def breach(self, day: int, mover: str, ag: Agreement, wronged: str, issue: str) -> None:
        ag.status = "breached"
        ag.ended = day
        self.record.append(Act(day, "breach", (mover, wronged), label=f"{issue} (agreement of day {ag.day})"))

    # ------------------------------------------------------------ renewal and exit (7.17)
    def _groups(self, day: int | None = None) -> list[list[Agreement]]:
        """The agreements in force, linked mirror documents together (file order);
        with ``day``, only those whose term ends that day."""
        groups: dict[int, list[Agreement]] = {}
        for n, a in enumerate(self.all):
            if a.status in ("in force", "renewed") and (day is None or a.expires == day):
                groups.setdefault(a.link if a.link >= 0 else n, []).append(a)
        return list(groups.values())

    def standing(self, ag: Agreement) -> list[str]:
        """The agreement's terms that still stand at their agreed values."""
        m = self.model
        return [j for j, v in ag.values.items()
                if abs(float(m.x[m.idx[j]]) - self.carried(ag, j)) <= 1e-9]

    @staticmethod
    def carried(ag: Agreement, j: str) -> float:
        """The value term ``j`` of ``ag`` stands at: the agreed one, or for a term carried
        out over time (7.19) the share carried out so far of the change."""
        if j in ag.delivered:
            p = ag.previous[j]
            return p + ag.delivered[j] * (ag.values[j] - p)
        return ag.values[j]

    def gains(self, group: list[Agreement], scales: dict[str, float] | None = None) -> dict[str, float]:
        """S_i of each party of the (linked) agreement: the value of keeping the terms that
        still stand against returning them to their values before it, at today's state;
        with ``scales`` (term -> share), of keeping those terms scaled back to that share of
        their change (a renegotiation's offer, 7.17)."""
        m, ag = self.model, group[0]
        after = m.x.copy()
        before = after.copy()
        terms = self.standing(ag)
        for j in terms:
            before[m.idx[j]] = ag.previous[j]
            if scales and j in scales:
                k = m.idx[j]
                after[k] = ag.previous[j] + scales[j] * (after[k] - ag.previous[j])
        out = {}
        gradual = [j for j in terms if j in ag.delivered]
        for p in dict.fromkeys(q for a in group for q in a.parties):
            actor = m.actors[p]
            # valued as at signing: the crisis relief anticipated from where leaving would return
            relief = np.array(m.env.relief_values(actor.exposure, before, cached=False))
            mine = after
            if gradual:     # a term carried out over time counts at the share p expects (7.19)
                mine = after.copy()
                for j in gradual:
                    mine[m.idx[j]] = ag.previous[j] + m.compliance.expected_share(group, j, p) * \
                        (ag.values[j] - ag.previous[j])
            s = float(value_of(m, actor, before, mine, relief=relief))
            if p in m._cond_targets:        # leaving would leave a demand aimed at it unmet (7.16)
                s += sum(crossing_loss(m, p, m.idx[j], float(after[m.idx[j]]), ag.previous[j]) for j in terms)
            out[p] = s
        return out

    def _term(self, group: list[Agreement], gains: dict[str, float], day: int) -> tuple[int, str]:
        """The renewal term: the longest of ``agreements.terms`` through which every
        party's gain, projected along its trend since the last signature, stays >= 0;
        if none, the shortest. Returns (term, the parties that held it shorter)."""
        terms = sorted(self.spec.terms or [self.spec.duration_days], reverse=True)
        then = {p: g for a in group for p, g in a.gain_then.items()}
        elapsed = max(day - group[0].since, 1)
        slope = {p: (g - then.get(p, g)) / elapsed for p, g in gains.items()}
        held = [p for p, g in gains.items() if g + slope[p] * terms[0] < -1e-12]
        for t in terms:
            if all(g + slope[p] * t >= -1e-12 for p, g in gains.items()):
                return t, held
        return terms[-1], held

    def expire(self, day: int) -> bool:
        """Renew or end the agreements whose term ends today; True if one ended (its
        parties' vetoes lapse, so what depended on them must be recomputed)."""
        m = self.model
        ended = False
        for group in self._groups(day):
            gains = self.gains(group)
            worth = "; ".join(f"{m.actors[p].label} {g:+.3f}" for p, g in gains.items())
            short = [p for p, g in gains.items() if g < 0.0]
            ag = group[0]
            label = f"agreement of day {ag.day}" + (f" ({len(group)} mirror documents)" if len(group) > 1 else "")
            superseded = not self.standing(ag)
            revised = None
            if self.spec.renew and short and not superseded and self.spec.renegotiate:
                revised = self._revise(group, short)
                if revised is not None:
                    reason_then = f"{', '.join(m.actors[p].label for p in short)} would lose from keeping the " \
                                  f"terms ({worth}" + "".join(m.compliance.expectation(group, p) for p in short) + ")"
                    gains = self._rescale(day, group, *revised)
                    worth = "; ".join(f"{m.actors[p].label} {g:+.3f}" for p, g in gains.items())
                    short = []
            if self.spec.renew and not short and not superseded:
                term, held = self._term(group, gains, day)
                reason = f"each still gains from keeping the terms: {worth}"
                if revised is not None:
                    reason = f"{reason_then}; renegotiated: the terms they conceded scaled back to {revised[0]:.0%} " \
                             f"of their change ({revised[2]}), and each then gains: {worth}"
                if term < ag.term:
                    self.shortened.append(day)
                    names = ", ".join(m.actors[p].label for p in held)
                    reason += f"; the term shortened from {ag.term} to {term} days: at its trend since day " \
                              f"{ag.since}, {names} would lose from the terms within " \
                              f"{max(self.spec.terms or [term])} days" \
                              + "".join(m.compliance.expectation(group, p) for p in held)
                for a in group:
                    a.status = "renewed"
                    a.n_renewals += 1
                    a.term, a.expires, a.since = term, day + term, day
                    a.gain_then = {p: gains[p] for p in a.parties}
                self.record.append(Act(day, "renewal", tuple(dict.fromkeys(p for a in group for p in a.parties)),
                                       revised[1] if revised else {},
                                       label=f"{label} for {term} days" + (", terms changed" if revised else ""),
                                       reason=reason))
            else:
                for a in group:
                    a.status, a.ended = "expired", day
                ended = True
                why = ("terms are not renewed (agreements.renew: false)" if not self.spec.renew else
                       "nothing left to renew: later agreements or moves replaced all its terms" if superseded else
                       f"{', '.join(m.actors[p].label for p in short)} would lose from keeping the terms: {worth}"
                       + "".join(m.compliance.expectation(group, p) for p in short))
                self.record.append(Act(day, "expiry", tuple(dict.fromkeys(p for a in group for p in a.parties)),
                                       label=label, reason=why))
        return ended

    SCALES = (0.75, 0.5, 0.25)      # the renegotiation's offers: shares of the conceded terms' change kept

    def _revise(self, group: list[Agreement], short: list[str]):
        """Renegotiation at term (7.17): the terms that the parties who would lose conceded
        (those whose ideal lies nearer the value before the agreement; terms carried out
        over time excepted) are scaled back to the largest share of :data:`SCALES` at which
        every party prefers keeping the terms to keeping none, S_i >= 0, some party
        gaining; (share, changes, text) or None."""
        m, ag = self.model, group[0]
        conceded = []
        for j in self.standing(ag):
            if j in ag.delivered:
                continue
            k, prev = m.idx[j], ag.previous[j]
            cur = float(m.x[k])
            if any(abs(prev - m.actors[p].ideal[k]) < abs(cur - m.actors[p].ideal[k]) - 1e-12 for p in short):
                conceded.append(j)
        for lam in self.SCALES if conceded else ():
            g = self.gains(group, {j: lam for j in conceded})
            if all(v >= 0.0 for v in g.values()) and any(v > 0.0 for v in g.values()):
                changes = {}
                for j in conceded:
                    cur = float(m.x[m.idx[j]])
                    changes[j] = (cur, ag.previous[j] + lam * (cur - ag.previous[j]))
                text = ", ".join(f"{j} {a:.2f}->{b:.2f}" for j, (a, b) in changes.items())
                return lam, changes, text
        return None

    def _rescale(self, day: int, group: list[Agreement], lam: float, changes: dict, text: str) -> dict[str, float]:
        """Implement the renegotiated terms: each standing term moves to its new value,
        which every document of the text now holds; returns the parties' new S_i."""
        m = self.model
        parties = tuple(dict.fromkeys(p for a in group for p in a.parties))
        for j, (old, new) in changes.items():
            k = m.idx[j]
            m.x[k] = new
            m.blames.register_change(k, old, new, responsible=parties, exclude=parties)
            for a in group:
                a.values[j] = new
        self.renegotiated.append(day)
        m._changed()
        return self.gains(group)

    def exits(self, day: int) -> bool:
        """On review days (``agreements.review_days``), each party of an agreement in force
        (not signed or renewed today) leaves it iff
        leaving is worth more than its exit cost, -S_i > exit_cost; the one that gains most
        leaves first and the deal ends for all. True if an agreement ended today."""
        m, cost = self.model, self.spec.exit_cost
        ended = False
        if not self.spec.exit or day % self.spec.review_days:
            return False
        for group in self._groups():
            ag = group[0]
            if ag.since >= day or any(a.status not in ("in force", "renewed") for a in group):
                continue
            gains = self.gains(group)
            best = max(gains, key=lambda p: (-gains[p], -m.aidx[p]))
            if -gains[best] <= cost + 1e-12:
                continue
            self._exit(day, group, best, gains)
            m._changed()            # values moved back and vetoes lapsed
            ended = True
        return ended

    def _exit(self, day: int, group: list[Agreement], who: str, gains: dict[str, float]) -> None:
        m, spec = self.model, self.spec
        ag = group[0]
        changes = {}
        for j in self.standing(ag):
            k = m.idx[j]
            old, new = float(m.x[k]), ag.previous[j]
            m.x[k] = new
            m.blames.register_change(k, old, new, responsible=(who,))
            changes[j] = (old, new)
        for a in group:
            a.status = "exited" if who in a.parties else "ended"
            a.ended = day
        others = [p for p in gains if p != who]
        for k in others:
            m.blames.add(k, who, spec.exit_blame)
        actor = m.actors[who]
        actor.exits_paid += spec.exit_cost
        worth = "; ".join(f"{m.actors[p].label} {g:+.3f}" for p, g in gains.items())
        label = f"agreement of day {ag.day}" + (f" ({len(group)} mirror documents)" if len(group) > 1 else "")
        self.record.append(Act(day, "exit", (who, *others), changes, ag.level, ag.kind, label=label,
                               reason=f"{actor.label} leaves: keeping the terms is worth {gains[who]:+.3f} to it, "
                                      f"leaving gains {-gains[who]:.3f}, more than the exit cost "
                                      f"({spec.exit_cost:.3f}); each party's value of keeping them: {worth}"
                                      + m.compliance.expectation(group, who),
                               cost=spec.exit_cost))
