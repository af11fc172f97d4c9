"""Negotiation protocols. A protocol decides what an actor does on its turn.

``alternating_offers`` (default): bilateral alternating offers on channels. On its
turn an actor picks one of its open channels (at random, weighted by what it stands
to gain there above its reservation value), first considers the counterpart's
standing counter-offer, else makes a package offer; the counterpart accepts (AC_next)
or answers with a counter-offer that stands until the next exchange on the channel,
or until the state changes (any agreement, unilateral move or event), whichever comes
first. Every agreement is voluntary: at the moment it is made each party's value of it
is at least its reservation value and at least zero (:mod:`sim.model.agreements`).
"""

from __future__ import annotations

from sim.model.agreements import voluntary
from sim.model.deal_space import Space
from sim.protocols.base import Protocol
from sim.protocols.boa import PublicPositions, best_values, concede_until, gain


class AlternatingOffers(Protocol):
    """Bilateral alternating offers over packages (Rubinstein 1982; the GENIUS / ANAC
    stacked alternating offers protocol restricted to two parties per channel)."""

    name = "alternating_offers"
    classifier = {"makes_agreements": True, "time": "days", "stochastic": True,
                  "forecast": "the implemented values",
                  "source": "Rubinstein (1982); Faratin, Sierra & Jennings (1998); Baarslag et al. (2014, BOA)"}

    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.min_change = spec.min_change
        self.cooldown_days = spec.cooldown_days
        self.cooldown_until: dict[tuple, int] = {}
        # channel -> (sender, values over the channel's issues, state version) of the
        # standing counter-offer: it lapses as soon as the state moves on
        self.standing: dict[tuple, tuple[str, tuple, int]] = {}
        self.used_today: set[tuple] = set()
        # Caches. ``_state``: what depends on the implemented values and the stances
        # (current values, bounds, boxes), kept until the model's state_version moves
        # (an agreement or an event). ``_cache``: what also depends on the pressure
        # (relief, best packages), cleared every day and after every agreement.
        self._state: dict = {}
        self._state_version = -1
        self._fixed: dict = {}      # never changes in a run (ideal points, saliences)
        self._cache: dict = {}
        self._clock: dict = {}      # each actor's negotiation clock today
        self._gated: set = set()    # (actor, channel) where it believes no deal is possible (7.18)
        # [L, U] over a channel's carried issues: the model's (decision rules and stance
        # bounds, :meth:`sim.model.NegotiationModel.box`), cached there with the state
        self._box = model.box

    def begin_day(self) -> None:
        self.used_today.clear()
        self._clock.clear()
        self._cache.clear()
        self._sync_state()

    def state_changed(self) -> None:
        """The implemented values, stances or channels moved: drop what depended on them."""
        self._cache.clear()
        self._sync_state()

    def _sync_state(self) -> None:
        if self._state_version != self.model.state_version:
            self._state.clear()
            self._state_version = self.model.state_version

    # ---------------------------------------------------------------- helpers
    # Packages are tuples of values over the channel's carried issues (``channel.issues``
    # order); state-dependent pieces are cached until the state changes.
    def _xs(self, channel):
        key = ("x", channel.key)
        got = self._state.get(key)
        if got is None:
            x = self.model.x
            got = self._state[key] = tuple(float(x[j]) for j in channel.issues)
        return got

    def _own_bounds(self, actor, channel):
        """What the actor's own stances allow on the channel's issues: (lo, hi) tuples."""
        key = ("own", actor.key, channel.key)
        got = self._state.get(key)
        if got is None:
            b = [self.model.bounds(actor.key, j) for j in channel.issues]
            got = self._state[key] = (tuple(v[0] for v in b), tuple(v[1] for v in b))
        return got

    def _prefs(self, actor, channel):
        """(ideal, saliences, relief) of the actor over the channel's issues."""
        key = ("prefs", actor.key, channel.key)
        got = self._cache.get(key)
        if got is None:
            fixed = ("zw", actor.key, channel.issues)
            zw = self._fixed.get(fixed)
            if zw is None:
                zw = self._fixed[fixed] = (tuple(float(actor.ideal[j]) for j in channel.issues),
                                           tuple(float(actor.w[j]) for j in channel.issues))
            c = self.model.relief_tuple(actor)
            got = self._cache[key] = (zw[0], zw[1], tuple([c[j] for j in channel.issues]))
        return got

    def _opp_prefs(self, actor, other, channel):
        """The counterpart's (ideal, saliences, relief) as the actor's opponent model sees them."""
        if type(actor.opponent_model) is PublicPositions:
            return self._prefs(other, channel)      # what the counterpart itself holds
        key = ("opp", actor.key, other.key, channel.key)
        if key not in self._cache:
            z, w, c = actor.opponent_model.preferences(other)
            C = channel.issues
            self._cache[key] = tuple(tuple(float(v[j]) for j in C) for v in (z, w, c))
        return self._cache[key]

    def _opp_best(self, actor, other, channel):
        """The counterpart's best package on the channel, as the actor's opponent model sees it."""
        if type(actor.opponent_model) is PublicPositions:
            return self._best(other, channel)[0]
        key = ("oppbest", actor.key, other.key, channel.key)
        if key not in self._cache:
            lo, hi = self._box(channel)
            self._cache[key] = best_values(*self._opp_prefs(actor, other, channel), lo, hi)
        return self._cache[key]

    def _best(self, actor, channel):
        """The actor's best package on the channel and its value Gmax."""
        key = ("best", actor.key, channel.key)
        got = self._cache.get(key)
        if got is None:
            z, w, c = self._prefs(actor, channel)
            lo, hi = self._box(channel)
            best = best_values(z, w, c, lo, hi)
            got = self._cache[key] = (best, gain(w, z, self._xs(channel), best, c))
        return got

    def _blame_cost(self, actor, other) -> float:
        m = self.model
        return m.params.audience_cost * float(m.blame[m.aidx[actor.key], m.aidx[other.key]])

    def _target(self, actor, other, gmax):
        """Own gain the actor requires: the tactic's target, raised by blame.

        v(p) = g(p) - alpha*b*(Gmax - g(p)) >= target  <=>  g(p) >= (target + alpha*b*Gmax)/(1 + alpha*b)
        """
        rv = actor.reservation_value()
        t = self._clock.get(actor.key)
        if t is None:
            t = self._clock[actor.key] = actor.clock()     # moves once a day
        tau = actor.tactic.target(t, rv, gmax)
        ab = self._blame_cost(actor, other)
        return (tau + ab * gmax) / (1.0 + ab), rv

    def _make_offer(self, actor, other, channel):
        """The actor's package offer to ``other`` on the channel, or None (nothing to
        gain, or no deal it believes ``other`` would sign: :meth:`_believes_possible`)."""
        gmax = self._best(actor, channel)[1]
        required, rv = self._target(actor, other, gmax)
        if gmax < rv or not self._believes_possible(actor, other, channel, gmax, rv):
            return None
        lo, hi = self._box(channel)
        budget = max(0.0, gmax - required)
        return tuple(actor.bidder.offer(self._prefs(actor, channel), self._opp_prefs(actor, other, channel),
                                        lo, hi, budget=budget,
                                        own_best=self._best(actor, channel)[0],
                                        opp_best=self._opp_best(actor, other, channel)))

    def _believes_possible(self, actor, other, channel, gmax, rv) -> bool:
        """Whether the actor believes a zone of agreement exists on the channel: the
        package on its log-rolling path that gives ``other`` its believed floor
        (:meth:`sim.model.beliefs.Beliefs.floor`) leaves the actor at least its own
        reservation (docs/ODD.md 7.18). A ``no_offer`` act records the day this turns
        false, and whether ``other``'s true floor would have allowed a deal."""
        m = self.model
        if not m.beliefs.enabled:
            return True
        floor = m.beliefs.floor(actor.key, other.key)
        key = ("zone", actor.key, channel.key, floor)
        ok = self._cache.get(key)
        if ok is None:
            ok = self._cache[key] = self._reaches(actor, other, channel, gmax, rv, floor)
        gate = (actor.key, channel.key)
        if ok:
            self._gated.discard(gate)
        elif gate not in self._gated:
            self._gated.add(gate)
            true_floor = max(other.reservation_value(), 0.0)
            missed = self._reaches(actor, other, channel, gmax, rv, true_floor)
            m.no_offer(actor.key, other.key, floor, true_floor, missed)
        return ok

    def _reaches(self, actor, other, channel, gmax, rv, floor) -> bool:
        # the path runs from the actor's best p to the counterpart's best q, the actor's
        # gain falling and the counterpart's rising: decide at its end where it can
        q = self._opp_best(actor, other, channel)
        opp = self._opp_prefs(actor, other, channel)
        xs = self._xs(channel)
        if gain(opp[1], opp[0], xs, q, opp[2]) < floor - 1e-9:
            return False                        # not even q gives the counterpart its floor
        own = self._prefs(actor, channel)
        if gain(own[1], own[0], xs, q, own[2]) >= rv - 1e-12:
            return True                         # even q leaves the actor its own floor
        got = concede_until(self._prefs(actor, channel), self._opp_prefs(actor, other, channel), self._xs(channel),
                            self._best(actor, channel)[0], self._opp_best(actor, other, channel), floor)
        return got is not None and gmax - got[1] >= rv - 1e-12

    def _value_to(self, actor, channel, p) -> float:
        z, w, c = self._prefs(actor, channel)
        return gain(w, z, self._xs(channel), p, c)

    def _moves(self, channel, p) -> bool:
        return _far(p, self._xs(channel), self.min_change)

    def _accepts(self, actor, other, channel, p) -> bool:
        """AC_next: the offer's value to ``actor`` is at least that of the counter-offer
        it would make now (its target today), at least its reservation value, inside its
        stances' bounds, and it moves some issue by min_change."""
        own_lo, own_hi = self._own_bounds(actor, channel)
        within = True
        for v, lo, hi in zip(p, own_lo, own_hi):
            if not lo - 1e-9 <= v <= hi + 1e-9:
                within = False
                break
        gmax = self._best(actor, channel)[1]
        z, w, c = self._prefs(actor, channel)
        g = gain(w, z, self._xs(channel), p, c)
        ab = self._blame_cost(actor, other)
        required, rv = self._target(actor, other, gmax)
        value = g - ab * (gmax - g)
        next_value = required - ab * (gmax - required)
        return actor.acceptance.accepts(value, next_value, rv, within, self._moves(channel, p))

    def _is_compromise(self, channel, p) -> bool:
        """A package that gives both parties their best values needs no negotiation
        (they already agree): an agreement needs some party to concede."""
        actors = self.model.actors
        for key in channel.key:
            if _far(p, self._best(actors[key], channel)[0], self.min_change):
                return True
        return False

    def _record(self, channel, sender, receiver, p, outcome):
        m = self.model
        pos = m.actors[sender].position
        for j, v in zip(channel.issues, p):
            pos[j] = v
        if m.log_offers:
            row = {"day": m.day, "from": sender, "to": receiver, "level": channel.level,
                   "outcome": outcome}
            row.update({m.issue_ids[j]: v for j, v in zip(channel.issues, p)})
            m.offers.append(row)

    # ---------------------------------------------------------------- the turn
    def act(self, actor) -> None:
        m = self.model
        rv = actor.reservation_value()
        choices, weights = [], []
        for ch in m.channels_of(actor.key):
            if ch.key in self.used_today or self.cooldown_until.get(ch.key, -1) > m.day:
                continue
            stake = self._best(actor, ch)[1] - rv
            if stake > 0:
                choices.append(ch)
                weights.append(stake)
        if not choices:
            return
        if len(choices) == 1:
            ch = choices[0]
            m.rng.random()          # one draw per choice, whatever the number of options
        else:
            u = m.rng.random() * sum(weights)
            ch = choices[-1]
            for c, wgt in zip(choices, weights):
                u -= wgt
                if u < 0:
                    ch = c
                    break
        self.used_today.add(ch.key)
        other = m.actors[ch.other(actor.key)]

        standing = self.standing.pop(ch.key, None)
        if standing is not None and standing[0] == other.key and standing[2] == m.state_version:
            # the state is as it was when the counter-offer was made (otherwise it lapsed);
            # the proposer's own acceptance is re-checked in _agree, at today's valuation
            p = standing[1]
            if self._accepts(actor, other, ch, p) and self._is_compromise(ch, p):
                v_actor = self._value_to(actor, ch, p)
                if self._agree(ch, other.key, p):
                    m.beliefs.accepted(other.key, actor.key, v_actor)
                    self._record(ch, other.key, actor.key, p, "accepted")
                    return

        p = self._make_offer(actor, other, ch)
        if p is None or not self._moves(ch, p) or not self._is_compromise(ch, p):
            return
        m.pressed(actor.key, other.key, ch)
        beliefs = m.beliefs
        v_other = self._value_to(other, ch, p)          # before the state moves
        beliefs.offered(other.key, actor.key, self._value_to(actor, ch, p))
        if self._accepts(other, actor, ch, p) and self._agree(ch, actor.key, p):
            beliefs.accepted(actor.key, other.key, v_other)
            self._record(ch, actor.key, other.key, p, "accepted")
            return
        beliefs.rejected(actor.key, other.key, v_other)
        self._record(ch, actor.key, other.key, p, "rejected")
        counter = self._make_offer(other, actor, ch)
        if counter is not None and self._moves(ch, counter):
            beliefs.offered(actor.key, other.key, self._value_to(other, ch, counter))
            self._record(ch, other.key, actor.key, counter, "standing")
            self.standing[ch.key] = (other.key, counter, m.state_version)

    def voluntary(self, channel, p) -> tuple[dict, dict] | None:
        """Each party's value V_i of package ``p`` at today's state and its floor
        max(reservation_i, 0), or None if some party would be worse off
        (:func:`sim.model.agreements.voluntary`)."""
        return voluntary(self.model, channel.key, channel.issues, p)

    def _agree(self, channel, proposer, p) -> bool:
        """Implement ``p`` if it is voluntary for both parties now; True if it was."""
        m = self.model
        check = self.voluntary(channel, p)
        if check is None:
            return False
        space = Space(self._prefs(m.actors[channel.a], channel), self._prefs(m.actors[channel.b], channel),
                      self._xs(channel), *self._box(channel), tuple(p))
        m.implement(channel, proposer, p, *check, space=space)
        self.cooldown_until[channel.key] = m.day + self.cooldown_days
        return True


def _far(p, q, min_change: float) -> bool:
    """max_j |p_j - q_j| >= min_change (a loop: cheaper than max over a generator)."""
    for a, b in zip(p, q):
        if abs(a - b) >= min_change:
            return True
    return False
