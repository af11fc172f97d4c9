"""Negotiation protocols. A protocol decides what an actor does on its turn.

``alternating_offers`` (default): bilateral alternating offers on channels. On its
turn an actor picks one of its open channels (at random, weighted by what it stands
to gain there above its reservation value), first considers the counterpart's
standing counter-offer, else makes a package offer; the counterpart accepts (AC_next)
or answers with a counter-offer that stands until the next exchange on the channel.
"""

from __future__ import annotations

import numpy as np

from sim.negotiation import best_values, gain


class AlternatingOffers:
    """Bilateral alternating offers over packages (Rubinstein 1982; the GENIUS / ANAC
    stacked alternating offers protocol restricted to two parties per channel)."""

    name = "alternating_offers"

    def __init__(self, model, spec):
        self.model = model
        self.min_change = spec.min_change
        self.cooldown_days = spec.cooldown_days
        self.cooldown_until: dict[tuple, int] = {}
        # channel -> (sender, values over the channel's issues) of the standing counter-offer
        self.standing: dict[tuple, tuple[str, np.ndarray]] = {}
        self.used_today: set[tuple] = set()
        # Per-state caches (boxes, stakes, preferences): valid until the implemented
        # values, the pressure or the stances change, i.e. within a day until a deal.
        self._cache: dict = {}

    def begin_day(self) -> None:
        self.used_today.clear()
        self._cache.clear()

    # ---------------------------------------------------------------- helpers
    def _own_bounds(self, actor, channel):
        """What the actor's own stances allow on the channel's issues (arrays lo, hi)."""
        key = ("own", actor.key, channel.key)
        if key not in self._cache:
            b = np.array([self.model.bounds(actor.key, j) for j in channel.issues]).reshape(-1, 2)
            self._cache[key] = (b[:, 0], b[:, 1])
        return self._cache[key]

    def _box(self, channel):
        key = ("box", channel.key)
        if key not in self._cache:
            self._cache[key] = self._compute_box(channel)
        return self._cache[key]

    def _compute_box(self, channel):
        """[L, U] over the carried issues: the values both parties' stances allow,
        narrowed by joint control: parties holding a share s of an issue's control
        (by capability) can move it only that share of the way, to
        [x - s x, x + s (1 - x)]. An issue on which nothing is allowed in common is
        frozen at its current value."""
        m = self.model
        C = channel.issues
        lo = np.empty(len(C))
        hi = np.empty(len(C))
        la_, ha_ = self._own_bounds(m.actors[channel.a], channel)
        lb_, hb_ = self._own_bounds(m.actors[channel.b], channel)
        for n, j in enumerate(C):
            la, ha, lb, hb = la_[n], ha_[n], lb_[n], hb_[n]
            x = float(m.x[j])
            s = m.control_share(channel.key, j)
            lo[n], hi[n] = max(la, lb, x - s * x), min(ha, hb, x + s * (1.0 - x))
            if lo[n] > hi[n]:
                lo[n] = hi[n] = x
        return lo, hi

    def _prefs(self, actor, C):
        key = ("prefs", actor.key, tuple(C))
        if key not in self._cache:
            self._cache[key] = (actor.ideal[C], actor.w[C], self.model.relief(actor)[C])
        return self._cache[key]

    def _best(self, actor, channel, lo, hi):
        """The actor's best package on the channel and its value Gmax."""
        key = ("best", actor.key, channel.key)
        if key not in self._cache:
            C = list(channel.issues)
            z, w, c = self._prefs(actor, C)
            best = best_values(z, w, c, lo, hi)
            self._cache[key] = (best, gain(w, z, self.model.x[C], best, c))
        return self._cache[key]

    def _stake(self, actor, channel, lo, hi):
        """Gmax: the value of the actor's best package on the channel."""
        return self._best(actor, channel, lo, hi)[1]

    def _target(self, actor, other, gmax):
        """Own gain the actor requires: the tactic's target, raised by blame.

        v(p) = g(p) - alpha*b*(Gmax - g(p)) >= target  <=>  g(p) >= (target + alpha*b*Gmax)/(1 + alpha*b)
        """
        m = self.model
        rv = actor.reservation_value()
        tau = actor.tactic.target(actor.clock(), rv, gmax)
        ab = m.params.audience_cost * m.blame[m.aidx[actor.key], m.aidx[other.key]]
        return (tau + ab * gmax) / (1.0 + ab), rv

    def _value(self, actor, other, g, gmax):
        m = self.model
        ab = m.params.audience_cost * m.blame[m.aidx[actor.key], m.aidx[other.key]]
        return g - ab * (gmax - g)

    def _make_offer(self, actor, other, channel, lo, hi):
        C = list(channel.issues)
        m = self.model
        gmax = self._stake(actor, channel, lo, hi)
        required, rv = self._target(actor, other, gmax)
        if gmax < rv:
            return None
        oz, ow, oc = actor.opponent_model.preferences(other)
        pc = actor.bidder.offer(self._prefs(actor, C), (oz[C], ow[C], oc[C]), lo, hi,
                                budget=max(0.0, gmax - required))
        p = m.x.copy()
        p[C] = pc
        return p

    def _accepts(self, actor, other, channel, p, lo, hi) -> bool:
        """AC_next: the offer's value to ``actor`` is at least that of the counter-offer
        it would make now (its target today), at least its reservation value, inside its
        stances' bounds, and it moves some issue by min_change."""
        m = self.model
        C = list(channel.issues)
        own_lo, own_hi = self._own_bounds(actor, channel)
        within = bool(np.all(p[C] >= own_lo - 1e-9) and np.all(p[C] <= own_hi + 1e-9))
        moves = float(np.max(np.abs(p[C] - m.x[C]))) >= self.min_change
        gmax = self._stake(actor, channel, lo, hi)
        z, w, c = self._prefs(actor, C)
        g = gain(w, z, m.x[C], p[C], c)
        v = self._value(actor, other, g, gmax)
        required, rv = self._target(actor, other, gmax)
        next_value = self._value(actor, other, required, gmax)
        return actor.acceptance.accepts(v, next_value, rv, within, moves)

    def _is_compromise(self, channel, p, lo, hi) -> bool:
        """A package that gives both parties their best values needs no negotiation
        (they already agree): an agreement needs some party to concede."""
        C = list(channel.issues)
        for key in channel.key:
            best = self._best(self.model.actors[key], channel, lo, hi)[0]
            if float(np.max(np.abs(p[C] - best))) >= self.min_change:
                return True
        return False

    def _record(self, channel, sender, receiver, p, outcome):
        m = self.model
        C = channel.issues
        m.actors[sender].position[list(C)] = p[list(C)]
        row = {"day": m.day, "from": sender, "to": receiver, "level": channel.level,
               "outcome": outcome}
        row.update({m.issue_ids[j]: float(p[j]) for j in C})
        m.offers.append(row)

    # ---------------------------------------------------------------- the turn
    def act(self, actor) -> None:
        m = self.model
        choices, weights = [], []
        for ch in m.channels_of(actor.key):
            if ch.key in self.used_today or self.cooldown_until.get(ch.key, -1) > m.day:
                continue
            lo, hi = self._box(ch)
            stake = self._stake(actor, ch, lo, hi) - actor.reservation_value()
            if stake > 0:
                choices.append((ch, lo, hi))
                weights.append(stake)
        if not choices:
            return
        w = np.asarray(weights)
        ch, lo, hi = choices[int(m.rng.choice(len(choices), p=w / w.sum()))]
        self.used_today.add(ch.key)
        other = m.actors[ch.other(actor.key)]

        standing = self.standing.get(ch.key)
        if standing is not None and standing[0] == other.key:
            p = m.x.copy()
            p[list(ch.issues)] = standing[1]
            inside = bool(np.all(standing[1] >= lo - 1e-9) and np.all(standing[1] <= hi + 1e-9))
            if not inside:                      # the state moved since: the offer lapses
                del self.standing[ch.key]
            elif self._accepts(actor, other, ch, p, lo, hi) and self._is_compromise(ch, p, lo, hi):
                self._record(ch, other.key, actor.key, p, "accepted")
                self._agree(ch, other.key, p)
                return

        p = self._make_offer(actor, other, ch, lo, hi)
        if p is None or float(np.max(np.abs(p - m.x))) < self.min_change:
            return
        if not self._is_compromise(ch, p, lo, hi):
            return
        if self._accepts(other, actor, ch, p, lo, hi):
            self._record(ch, actor.key, other.key, p, "accepted")
            self._agree(ch, actor.key, p)
            return
        self._record(ch, actor.key, other.key, p, "rejected")
        counter = self._make_offer(other, actor, ch, lo, hi)
        if counter is not None and float(np.max(np.abs(counter - m.x))) >= self.min_change:
            self._record(ch, other.key, actor.key, counter, "standing")
            self.standing[ch.key] = (other.key, counter[list(ch.issues)])

    def _agree(self, channel, proposer, p) -> None:
        m = self.model
        m.implement(channel, proposer, p)
        self._cache.clear()
        self.standing.pop(channel.key, None)
        self.cooldown_until[channel.key] = m.day + self.cooldown_days


PROTOCOLS = {"alternating_offers": AlternatingOffers}
