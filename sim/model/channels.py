"""The channels between actors (docs/ODD.md 7.3): the level of each pair (the scenario's,
raised by opening stances, capped by capping stances, dropped from political to
technical while the pair is hostile) and the issues each open channel carries (those its
two ends can deliver together, that its level allows and no stance excludes). Rebuilt
whenever the stances, events or hostility change (:meth:`sim.model.NegotiationModel._rebuild`)."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.control import can_deliver
from sim.model.stances import RANK, Stance


@dataclass(frozen=True)
class Channel:
    """A negotiating channel between two actors at a level, and the issues it carries."""

    a: str
    b: str
    level: str
    issues: tuple[int, ...]
    key: tuple[str, str] = field(init=False)     # (a, b): the channel's identity

    def __post_init__(self):
        object.__setattr__(self, "key", (self.a, self.b))

    def other(self, actor: str) -> str:
        return self.b if actor == self.a else self.a

    def signed_pairs(self) -> tuple[tuple[str, str], ...]:
        """The pairs that sign with each other in a deal on this channel: its two ends."""
        return ((self.a, self.b),)


class Channels:
    """Who talks to whom, at which level, on what: ``all`` (the open channels, scenario
    order of the pairs) and ``of`` (actor -> its open channels that carry some issue)."""

    def __init__(self, model):
        self.model = model
        sc = model.spec
        self.base_levels = {frozenset(p): lvl for p, lvl in sc.channel_pairs().items() if p[0] != "*"}
        self.default_level = sc.channels.get("*", "closed")   # "*": every pair not listed
        self.hostile = frozenset()
        self.all: list[Channel] = []
        self.of: dict[str, list[Channel]] = {}

    def rebuild(self) -> None:
        """Every pair's channel under the stances, rules and hostility in force."""
        m = self.model
        self.hostile = m.blames.hostile_pairs()
        channels = []
        for i, a in enumerate(m.actor_ids):
            for b in m.actor_ids[i + 1:]:
                ch = self.build(a, b)
                if ch is not None:
                    channels.append(ch)
        self.all = channels
        self.of = {a: [c for c in channels if a in (c.a, c.b) and c.issues] for a in m.actor_ids}

    def without(self, removed) -> None:
        """Inside :meth:`sim.model.NegotiationModel.without`: the channels of the pairs the
        ``removed`` stances change are rebuilt into a copy of ``of`` (the caller restores it)."""
        pairs = self.pairs_changed_by(removed)
        if not pairs:
            return
        changed = {}
        for a, b in pairs:
            changed[frozenset((a, b))] = self.build(a, b)
        actors = {a for a, _ in pairs}
        self.of = dict(self.of)
        for a in actors:
            keep = [c for c in self.of.get(a, []) if frozenset(c.key) not in changed]
            new = [c for k, c in changed.items() if a in k and c is not None and c.issues]
            self.of[a] = keep + new

    def build(self, a: str, b: str) -> Channel | None:
        """The channel a-b under the stances and rules in force, or None if closed."""
        m = self.model
        level = self.level(a, b)
        if level == "closed":
            return None
        carried = tuple(
            j for j, issue in enumerate(m.issue_ids)
            if (level == "political" or not m.political[j])
            and can_deliver(m.rules[j], (a, b))
            and not any(st.excludes(u, v, issue)
                        for u, v in ((a, b), (b, a)) for st in m.stances_of(u))
        )
        return Channel(a, b, level, carried)

    def pairs_changed_by(self, removed) -> set[tuple[str, str]]:
        """(holder, other) pairs whose channel may change if the stances ``removed`` go:
        a stance that opens or caps changes the pair (holder, with); one that excludes
        an issue or gives a veto, every open channel of the holder (a closed pair stays
        closed) and the pair it opens. Stances that only bound values change none."""
        pairs = set()
        for st in removed:
            cls = type(st)
            if cls.excludes is not Stance.excludes or st.veto():
                pairs.update((st.actor, c.other(st.actor)) for c in self.all if st.actor in c.key)
                if getattr(st, "with_", None):
                    pairs.add((st.actor, st.with_))
            elif cls.open_level is not Stance.open_level or cls.cap_level is not Stance.cap_level:
                pairs.add((st.actor, st.with_))
        return pairs

    def level(self, a: str, b: str) -> str:
        """Scenario level, raised by opening stances, capped by capping stances, and
        dropped from political to technical while the pair is hostile (blame at or
        above ``blame.channel_threshold``)."""
        m = self.model
        level = self.base_levels.get(frozenset((a, b)), self.default_level)
        for u, v in ((a, b), (b, a)):
            for st in m.stances_of(u):
                lv = st.open_level(u, v)
                if lv is not None and RANK[lv] > RANK[level]:
                    level = lv
        return self.capped(a, b, level)

    def capped(self, a: str, b: str, level: str) -> str:
        """``level`` for the pair a-b capped by either side's capping stances toward the
        other, and dropped from political to technical while the pair is hostile (a
        channel's level after its openings; a party's level at a mediator's table)."""
        m = self.model
        for u, v in ((a, b), (b, a)):
            for st in m.stances_of(u):
                lv = st.cap_level(u, v)
                if lv is not None and RANK[lv] < RANK[level]:
                    level = lv
        if level == "political" and frozenset((a, b)) in self.hostile:
            level = "technical"
        return level


def channel_list(model) -> list[dict]:
    """The open channels as rows: a, b, level and the issues each carries (by id)."""
    return [{"a": c.a, "b": c.b, "level": c.level, "issues": [model.issue_ids[j] for j in c.issues]}
            for c in model.channels]
