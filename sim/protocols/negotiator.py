"""An actor's strategy in bilateral negotiation, apart from the protocol that runs it:
its BOA parts (Baarslag et al. 2014) - the bidding strategy (``actor.bidder``, its
target from ``actor.tactic``), the acceptance strategy (``actor.acceptance``: AC_next)
and the opponent model (``actor.opponent_model``), with its beliefs about the
counterpart's floor (docs/ODD.md 7.18) - applied to today's state, behind two questions
a protocol asks of an actor:

* :meth:`Negotiator.propose` - the package it offers a counterpart on a channel, or None;
* :meth:`Negotiator.respond` - whether it accepts a package offered to it.

The protocol (:mod:`sim.protocols.alternating_offers`) decides who speaks when, what
stands and what is signed; it sees the model only through
:class:`sim.protocols.view.ModelView`, and so does this class. One Negotiator serves
every actor of a run: what it caches is keyed by actor and channel, kept until the
state moves (``state_changed``) or the day ends (``new_day``).
"""

from __future__ import annotations

from sim.protocols.boa import PublicPositions, best_and_gain, best_values, concede_until, gain
from sim.protocols.view import ModelView


class Negotiator:
    """The actors' strategies on channels: ``propose`` and ``respond`` (module docstring)."""

    def __init__(self, model: ModelView, min_change: float):
        self.model = model
        self.min_change = min_change
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
        self.box = model.box

    def new_day(self) -> None:
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

    # Packages are tuples of values over the channel's carried issues (``channel.issues``
    # order); state-dependent pieces are cached until the state changes.
    # Packages are tuples of values over the channel's carried issues (``channel.issues``
    # order); state-dependent pieces are cached until the state changes.
    def xs(self, channel):
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

    def prefs(self, actor, channel):
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
            return self.prefs(other, channel)      # what the counterpart itself holds
        key = ("opp", actor.key, other.key, channel.key)
        if key not in self._cache:
            z, w, c = actor.opponent_model.preferences(other)
            C = channel.issues
            self._cache[key] = tuple(tuple(float(v[j]) for j in C) for v in (z, w, c))
        return self._cache[key]

    def _opp_best(self, actor, other, channel):
        """The counterpart's best package on the channel, as the actor's opponent model sees it."""
        if type(actor.opponent_model) is PublicPositions:
            return self.best(other, channel)[0]
        key = ("oppbest", actor.key, other.key, channel.key)
        if key not in self._cache:
            lo, hi = self.box(channel)
            self._cache[key] = best_values(*self._opp_prefs(actor, other, channel), lo, hi)
        return self._cache[key]

    def best(self, actor, channel):
        """The actor's best package on the channel and its value Gmax."""
        key = ("best", actor.key, channel.key)
        got = self._cache.get(key)
        if got is None:
            z, w, c = self.prefs(actor, channel)
            lo, hi = self.box(channel)
            got = self._cache[key] = best_and_gain(z, w, c, lo, hi, self.xs(channel))
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

    def propose(self, actor, other, channel):
        """The actor's package offer to ``other`` on the channel, or None (nothing to
        gain, or no deal it believes ``other`` would sign: :meth:`_believes_possible`)."""
        gmax = self.best(actor, channel)[1]
        required, rv = self._target(actor, other, gmax)
        if gmax < rv or not self._believes_possible(actor, other, channel, gmax, rv):
            return None
        lo, hi = self.box(channel)
        budget = max(0.0, gmax - required)
        return tuple(actor.bidder.offer(self.prefs(actor, channel), self._opp_prefs(actor, other, channel),
                                        lo, hi, budget=budget,
                                        own_best=self.best(actor, channel)[0],
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
        xs = self.xs(channel)
        if gain(opp[1], opp[0], xs, q, opp[2]) < floor - 1e-9:
            return False                        # not even q gives the counterpart its floor
        own = self.prefs(actor, channel)
        if gain(own[1], own[0], xs, q, own[2]) >= rv - 1e-12:
            return True                         # even q leaves the actor its own floor
        got = concede_until(self.prefs(actor, channel), self._opp_prefs(actor, other, channel), self.xs(channel),
                            self.best(actor, channel)[0], self._opp_best(actor, other, channel), floor)
        return got is not None and gmax - got[1] >= rv - 1e-12

    def value(self, actor, channel, p) -> float:
        z, w, c = self.prefs(actor, channel)
        return gain(w, z, self.xs(channel), p, c)

    def respond(self, actor, other, channel, p) -> bool:
        """AC_next: the offer's value to ``actor`` is at least that of the counter-offer
        it would make now (its target today), at least its reservation value, inside its
        stances' bounds, and it moves some issue by min_change."""
        own_lo, own_hi = self._own_bounds(actor, channel)
        within = True
        for v, lo, hi in zip(p, own_lo, own_hi):
            if not lo - 1e-9 <= v <= hi + 1e-9:
                within = False
                break
        gmax = self.best(actor, channel)[1]
        z, w, c = self.prefs(actor, channel)
        g = gain(w, z, self.xs(channel), p, c)
        ab = self._blame_cost(actor, other)
        required, rv = self._target(actor, other, gmax)
        value = g - ab * (gmax - g)
        next_value = required - ab * (gmax - required)
        return actor.acceptance.accepts(value, next_value, rv, within, _far(p, self.xs(channel), self.min_change))

    def is_compromise(self, channel, p) -> bool:
        """A package that gives both parties their best values needs no negotiation
        (they already agree): an agreement needs some party to concede."""
        actors = self.model.actors
        for key in channel.key:
            if _far(p, self.best(actors[key], channel)[0], self.min_change):
                return True
        return False


def _far(p, q, min_change: float) -> bool:
    """max_j |p_j - q_j| >= min_change (a loop: cheaper than max over a generator)."""
    for a, b in zip(p, q):
        if abs(a - b) >= min_change:
            return True
    return False
