"""What happens to the model that no actor decides (docs/ODD.md 5 and 7.13): the record's
moves before day 0 (``history:``) and the scheduled events (``events:``: an issue set, a
stock set, a channel opened or closed, a stance added or removed)."""

from __future__ import annotations

from sim.model.records import Act
from sim.scenario import AddStanceEvent, ChannelEvent, RemoveStanceEvent, SetIssueEvent, SetStockEvent


class Events:
    """The scheduled events still to come (``queue``) and those that happened (``log``)."""

    def __init__(self, model):
        self.model = model
        self.queue = sorted(model.spec.events, key=lambda e: e.day)
        self.log: list[dict] = []

    @staticmethod
    def history_of(m) -> None:
        """The record's moves before day 0 (``history:``), in date order: each sets the
        issue where its actor left it and is an act of the record (a negative day), and
        the day-0 values become the status quo the run starts from (docs/ODD.md 5)."""
        if not m.spec.history:
            return
        for h in sorted(m.spec.history, key=lambda h: h.date):
            j = m.idx[h.issue]
            old = float(m.x[j])
            new = min(1.0, max(0.0, h.value if h.value is not None else old + h.delta))
            m.x[j] = new
            day = (h.date - m.spec.start_date).days
            m.registry.record.append(Act(day, "history", (h.actor,), {h.issue: (old, new)},
                                         kind=m.spec.issues[h.issue].kind, label=h.label,
                                         reason=f"record {h.date}: {h.label}"))
        m.status_quo = m.x.copy()

    def apply(self, day: int) -> None:
        """The events scheduled for ``day``, in file order; channels and stances rebuilt once."""
        m = self.model
        changed = False
        while self.queue and self.queue[0].day == day:
            ev = self.queue.pop(0)
            if isinstance(ev, SetIssueEvent):
                j = m.idx[ev.issue]
                old = float(m.x[j])
                new = ev.value if ev.value is not None else old + ev.delta
                m.move_issue(j, new, movers=m.rules[j].controllers)
                m.registry.record.append(Act(day, "event", m.rules[j].controllers,
                                             {ev.issue: (old, float(m.x[j]))}, label=ev.label))
            elif isinstance(ev, SetStockEvent):
                st = m.env.stocks[ev.stock]
                m.env.set_level(ev.stock, ev.value if ev.value is not None else st.level + ev.delta)
                m._changed()
            elif isinstance(ev, ChannelEvent):
                m.links.base_levels[frozenset(ev.between)] = ev.level
                changed = True
            elif isinstance(ev, AddStanceEvent):
                m.stances[ev.id] = ev.stance
                changed = True
            elif isinstance(ev, RemoveStanceEvent):
                m.stances.pop(ev.id, None)
                changed = True
            self.log.append({"day": day, "type": ev.type, "label": ev.label or ev.type})
        if changed:
            m._rebuild()
