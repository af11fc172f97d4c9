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
from sim.protocols.negotiator import Negotiator, _far
from sim.scenario.schema import ProtocolOptions  # noqa: F401  (no fields of its own: min_change, cooldown_days are common)

HELP = "bilateral package offers on channels"
COLOR = "#0072B2"


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
        self.negotiator = Negotiator(model, spec.min_change)     # the actors' strategies

    def begin_day(self) -> None:
        self.used_today.clear()
        self.negotiator.new_day()

    def state_changed(self) -> None:
        """The implemented values, stances or channels moved."""
        self.negotiator.state_changed()

    def idle(self) -> bool:
        """A turn only offers on the actor's open channels: with none open, none acts."""
        m = self.model
        return not any(m.channels_of(a) for a in m.actor_ids)

    # ---------------------------------------------------------------- helpers
    def _moves(self, channel, p) -> bool:
        return _far(p, self.negotiator.xs(channel), self.min_change)

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
        m, neg = self.model, self.negotiator
        channels = m.channels_of(actor.key)
        if not channels:
            return                  # nobody to offer to (most of the actors, most days)
        rv = actor.reservation_value()
        choices, weights = [], []
        for ch in channels:
            if ch.key in self.used_today or self.cooldown_until.get(ch.key, -1) > m.day:
                continue
            stake = neg.best(actor, ch)[1] - rv
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
            if neg.respond(actor, other, ch, p) and neg.is_compromise(ch, p):
                v_actor = neg.value(actor, ch, p)
                if self._agree(ch, other.key, p):
                    m.beliefs.accepted(other.key, actor.key, v_actor)
                    self._record(ch, other.key, actor.key, p, "accepted")
                    return

        p = neg.propose(actor, other, ch)
        if p is None or not self._moves(ch, p) or not neg.is_compromise(ch, p):
            return
        m.pressed(actor.key, other.key, ch)
        beliefs = m.beliefs
        v_other = neg.value(other, ch, p)          # before the state moves
        beliefs.offered(other.key, actor.key, neg.value(actor, ch, p))
        if neg.respond(other, actor, ch, p) and self._agree(ch, actor.key, p):
            beliefs.accepted(actor.key, other.key, v_other)
            self._record(ch, actor.key, other.key, p, "accepted")
            return
        beliefs.rejected(actor.key, other.key, v_other)
        self._record(ch, actor.key, other.key, p, "rejected")
        counter = neg.propose(other, actor, ch)
        if counter is not None and self._moves(ch, counter):
            beliefs.offered(actor.key, other.key, neg.value(other, ch, counter))
            self._record(ch, other.key, actor.key, counter, "standing")
            self.standing[ch.key] = (other.key, counter, m.state_version)

    def voluntary(self, channel, p) -> tuple[dict, dict] | None:
        """Each party's value V_i of package ``p`` at today's state and its floor
        max(reservation_i, 0), or None if some party would be worse off
        (:func:`sim.model.agreements.voluntary`)."""
        return voluntary(self.model, channel.key, channel.issues, p)

    def _agree(self, channel, proposer, p) -> bool:
        """Implement ``p`` if it is voluntary for both parties now; True if it was."""
        m, neg = self.model, self.negotiator
        check = self.voluntary(channel, p)
        if check is None:
            return False
        space = Space(neg.prefs(m.actors[channel.a], channel), neg.prefs(m.actors[channel.b], channel),
                      neg.xs(channel), *neg.box(channel), tuple(p))
        m.implement(channel, proposer, p, *check, space=space)
        self.cooldown_until[channel.key] = m.day + self.cooldown_days
        return True

