"""The records of a run and the values they are judged by, below every mechanism that
writes them (so that agreements, threats, unilateral moves, commitments and compliance
import this module, never one another in a circle): :class:`Agreement` (a deal),
:class:`Act` (one entry of the record), :func:`value_of` (V_i of a change of the
implemented values) and :func:`own_value` (an actor's own terms of a unilateral move)."""

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
    status: str = "in force"        # in force | renewed | expired | breached | exited | ended
    n_renewals: int = 0
    space: object = None            # sim.model.deal_space.Space at signing (the benchmark's input)
    mediator: str = ""              # the mediator whose text it is (mediation), else ""
    link: int = -1                  # mirror documents of one text share it (the first document's index)
    term: int = 0                   # the current term's length, days
    ended: int = -1                 # the day it stopped binding (expired, exited, breached), else -1
    since: int = 0                  # the day of the last signature or renewal (the trend's origin)
    gain_then: dict[str, float] = field(default_factory=dict)   # S_i on that day
    delivered: dict[str, float] = field(default_factory=dict)   # share carried out of each gradual term (7.19)


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


def value_of(model, actor, before, after, relief=None) -> float:
    """V_i of moving the implemented values from ``before`` to ``after`` (arrays over all
    issues), with today's anticipated crisis relief."""
    r = model.relief(actor) if relief is None else relief
    return actor.utility(after) - actor.utility(before) + seq_sum(r * (after - before))



def own_value(x: float, v: float, z: float, w: float, relief: float, calls, cost: float) -> float:
    """The actor's own terms of N_i(v) for moving an issue from x to v: utility (ideal z,
    salience w), anticipated relief, public calls ((goal, credit) pairs), own cost."""
    n = w * (abs(x - z) - abs(v - z)) + relief * (v - x)
    for goal, credit in calls:
        n += credit * (abs(x - goal) - abs(v - goal))
    return n - cost * abs(v - x)
