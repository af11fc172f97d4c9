"""The negotiation model: one Mesa step is one day.

    step():  apply today's events -> crisis update -> actors negotiate (random order)
             -> blame update -> collect data

Nothing here names a country: actors, issues, stances and channels come from the
scenario.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import mesa
import numpy as np

from sim.model.agents import Actor
from sim.model.environment import Crisis
from sim.scenario import (AddStanceEvent, ChannelEvent, RemoveStanceEvent, Scenario,
                          SetCrisisEvent, SetIssueEvent)
from sim.model.stances import RANK


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


@dataclass
class Agreement:
    day: int
    parties: tuple[str, str]
    proposer: str
    level: str
    kind: str            # "political" if any political issue moved, else "technical"
    values: dict[str, float]
    previous: dict[str, float]


class NegotiationModel(mesa.Model):
    """A scenario as a Mesa model. ``rng`` seeds everything (Mesa's ``shuffle_do`` too)."""

    def __init__(self, scenario: Scenario, rng=None, horizon: int | None = None,
                 collect: bool = True, log_offers: bool = True):
        super().__init__(rng=rng)
        from sim.protocols.alternating_offers import PROTOCOLS

        self.spec = scenario
        self.horizon = int(horizon or scenario.horizon_days)   # days to simulate
        self.deadline = scenario.horizon_days                   # the tactics' deadline
        self.day = 0
        self.issue_ids = list(scenario.issues)
        self.idx = {j: n for n, j in enumerate(self.issue_ids)}
        self.political = np.array([scenario.issues[j].kind == "political" for j in self.issue_ids])
        self.status_quo = np.array([scenario.issues[j].status_quo for j in self.issue_ids])
        self.x = self.status_quo.copy()
        self.state_version = 0      # moves whenever x or the stances/channels change

        self.actor_ids = list(scenario.actors)
        self.aidx = {a: n for n, a in enumerate(self.actor_ids)}
        self.actors: dict[str, Actor] = {
            a: Actor(self, a, spec, self.issue_ids) for a, spec in scenario.actors.items()
        }
        self.crisis = Crisis(scenario.crisis, self.rng)
        d = scenario.crisis.driver_issue
        s = scenario.crisis.sanctions_issue
        self._driver = self.idx[d] if d else None
        self._sanctions = self.idx[s] if s else None

        self.stances = dict(scenario.stances)
        self.base_levels = {frozenset(p): lvl for p, lvl in scenario.channel_pairs().items() if p[0] != "*"}
        self.default_level = scenario.channels.get("*", "closed")   # "*": every pair not listed
        self.params = scenario.blame
        self.protocol = PROTOCOLS[scenario.protocol.name](self, scenario.protocol)

        n = len(self.actor_ids)
        self.blame0 = np.zeros((n, n))
        self.blame = np.zeros((n, n))
        self._harm = np.zeros((n, n))

        self.agreements: list[Agreement] = []
        self.offers: list[dict] = []
        self.log_offers = log_offers
        self.event_log: list[dict] = []
        self._events = sorted(scenario.events, key=lambda e: e.day)
        self._rebuild()
        self._apply_events(0)
        from sim.results import channel_list

        self.channels_start = channel_list(self)

        self.collect = collect
        self.datacollector = None
        if collect:
            self.datacollector = mesa.DataCollector(
                model_reporters={
                    "day": "day",
                    "pressure": lambda m: m.crisis.pressure,
                    "inflow": lambda m: m.crisis.inflow,
                    "sanctions": lambda m: m.sanctions_level(),
                    "values": lambda m: m.x.copy(),
                    "blame": lambda m: m.blame.copy(),
                },
                agent_reporters={
                    "position": lambda a: a.position.copy(),
                    "utility": lambda a: a.utility(a.model.x),
                },
            )
            self.datacollector.collect(self)

    # ------------------------------------------------------------------ state
    def sanctions_level(self) -> float:
        return float(self.x[self._sanctions]) if self._sanctions is not None else 0.0

    def relief(self, actor) -> np.ndarray:
        """Crisis cost a unit move of each issue averts for the actor (the c_j of the value).

        Actors expect pressure to fall in proportion to the flow a deal stops,
        P_after = P (1 - (p_d - x_d)), so a unit rise of the driver issue d averts
        exposure_pressure * P of daily cost; a unit rise of the sanctions issue costs
        exposure_sanctions.
        """
        c = np.zeros(len(self.issue_ids))
        d = self._driver
        if d is not None:
            c[d] = actor.exposure_pressure * self.crisis.pressure
        if self._sanctions is not None:
            c[self._sanctions] -= actor.exposure_sanctions
        return c

    def stances_of(self, actor: str):
        return self._stances_by_actor.get(actor, ())

    def control_share(self, parties, j: int) -> float:
        """Share of issue j's control held by ``parties``: 1 if one is a guarantor
        (it can deliver the controllers), else their capability share of the
        issue's own controllers."""
        if any(a in self._guarantors[j] for a in parties):
            return 1.0
        ctrl = self._primary[j]
        total = sum(self.actors[a].capability for a in ctrl)
        return sum(self.actors[a].capability for a in ctrl if a in parties) / total

    def bounds(self, actor: str, j: int) -> tuple[float, float]:
        """The values of issue j the actor's stances allow it to offer or accept."""
        lo, hi = 0.0, 1.0
        issue = self.issue_ids[j]
        for st in self.stances_of(actor):
            a, b = st.bounds(actor, issue, float(self.x[j]), float(self.status_quo[j]))
            lo, hi = max(lo, a), min(hi, b)
        return lo, hi

    def channels_of(self, actor: str) -> list[Channel]:
        return self._channels_of.get(actor, [])

    # ------------------------------------------------------------------ channels
    def _rebuild(self) -> None:
        """Derive control, channel levels and carried issues from scenario + stances."""
        self.state_version += 1
        by_actor: dict[str, list] = {}
        for st in self.stances.values():
            by_actor.setdefault(st.actor, []).append(st)
        self._stances_by_actor = {a: tuple(v) for a, v in by_actor.items()}

        # Public blame: a blames stance sets the day-0 level toward its target; when
        # stances change by event, current blame moves by the change of that level.
        blame0 = np.zeros_like(self.blame0)
        for st in self.stances.values():
            b = st.initial_blame()
            if b:
                blame0[self.aidx[b[0]], self.aidx[b[1]]] = b[2]
        self.blame = np.clip(self.blame + blame0 - self.blame0, 0.0, 1.0)
        self.blame0 = blame0

        # Controllers as tuples in actor order (never sets: float sums over a set would
        # depend on the process's hash seed and break bit-identical results across workers).
        guarantors = [[] for _ in self.issue_ids]
        for st in self.stances.values():
            ec = st.extra_control()
            if ec:
                guarantors[self.idx[ec[0]]].append(ec[1])
        ordered = lambda names: tuple(a for a in self.actor_ids if a in names)  # noqa: E731
        self._primary = [ordered(self.spec.issues[j].control) for j in self.issue_ids]
        self._guarantors = [ordered(g) for g in guarantors]
        self._control = [ordered((*p, *g)) for p, g in zip(self._primary, self._guarantors)]

        channels = []
        for i, a in enumerate(self.actor_ids):
            for b in self.actor_ids[i + 1:]:
                level = self.channel_level(a, b)
                if level == "closed":
                    continue
                carried = tuple(
                    j for j, issue in enumerate(self.issue_ids)
                    if (level == "political" or not self.political[j])
                    and (a in self._control[j] or b in self._control[j])
                    and not any(st.excludes(u, v, issue)
                                for u, v in ((a, b), (b, a)) for st in self.stances_of(u))
                )
                channels.append(Channel(a, b, level, carried))
        self.channels = channels
        self._channels_of = {a: [c for c in channels if a in (c.a, c.b) and c.issues]
                             for a in self.actor_ids}

    def channel_level(self, a: str, b: str) -> str:
        """Scenario level, raised by opening stances, then capped by capping stances."""
        level = self.base_levels.get(frozenset((a, b)), self.default_level)
        for u, v in ((a, b), (b, a)):
            for st in self.stances_of(u):
                lv = st.open_level(u, v)
                if lv is not None and RANK[lv] > RANK[level]:
                    level = lv
        for u, v in ((a, b), (b, a)):
            for st in self.stances_of(u):
                lv = st.cap_level(u, v)
                if lv is not None and RANK[lv] < RANK[level]:
                    level = lv
        return level

    # ------------------------------------------------------------------ events
    def _apply_events(self, day: int) -> None:
        changed = False
        while self._events and self._events[0].day == day:
            ev = self._events.pop(0)
            if isinstance(ev, SetIssueEvent):
                j = self.idx[ev.issue]
                old = float(self.x[j])
                new = ev.value if ev.value is not None else old + ev.delta
                new = min(1.0, max(0.0, new))
                self.x[j] = new
                self.state_version += 1
                self._register_change(j, old, new, responsible=self._control[j], exclude=())
            elif isinstance(ev, SetCrisisEvent):
                self.crisis.set(ev.field, ev.value)
            elif isinstance(ev, ChannelEvent):
                self.base_levels[frozenset(ev.between)] = ev.level
                changed = True
            elif isinstance(ev, AddStanceEvent):
                self.stances[ev.id] = ev.stance
                changed = True
            elif isinstance(ev, RemoveStanceEvent):
                self.stances.pop(ev.id, None)
                changed = True
            self.event_log.append({"day": day, "type": ev.type, "label": ev.label or ev.type})
        if changed:
            self._rebuild()

    # ------------------------------------------------------------------ agreements
    def implement(self, channel: Channel, proposer: str, values) -> Agreement:
        """The controlling parties implement an accepted package: ``values`` over the
        channel's issues, in ``channel.issues`` order."""
        new = {j: float(v) for j, v in zip(channel.issues, values) if abs(v - self.x[j]) > 1e-9}
        prev = {self.issue_ids[j]: float(self.x[j]) for j in new}
        self.state_version += 1
        for j, v in new.items():
            old = float(self.x[j])
            self.x[j] = v
            self._register_change(j, old, v, responsible=channel.key, exclude=channel.key)
        kind = "political" if any(self.political[j] for j in new) else "technical"
        ag = Agreement(self.day, channel.key, proposer, channel.level, kind,
                       {self.issue_ids[j]: v for j, v in new.items()}, prev)
        self.agreements.append(ag)
        ia, ib = self.aidx[channel.a], self.aidx[channel.b]
        relief = self.params.agreement_relief
        self.blame[ia, ib] = max(0.0, self.blame[ia, ib] - relief)
        self.blame[ib, ia] = max(0.0, self.blame[ib, ia] - relief)
        return ag

    # ------------------------------------------------------------------ blame
    def _register_change(self, j, old, new, responsible, exclude) -> None:
        """Harm done to each other actor by a move of issue j, charged to ``responsible``."""
        resp = [self.aidx[r] for r in responsible]
        if not resp:
            return
        for a, actor in self.actors.items():
            if a in exclude or a in responsible:
                continue
            loss = actor.w[j] * (abs(new - actor.ideal[j]) - abs(old - actor.ideal[j]))
            if loss > 0:
                self._harm[self.aidx[a], resp] += loss

    def _update_blame(self, pressure_rise: float) -> None:
        p = self.params
        if pressure_rise > 0 and self._driver is not None:
            resp = [self.aidx[r] for r in self._control[self._driver]]
            for a, actor in self.actors.items():
                if a not in self._control[self._driver]:
                    self._harm[self.aidx[a], resp] += actor.exposure_pressure * pressure_rise
        b = self.blame
        relax = p.decay * (b - self.blame0)
        if self._harm.any():
            b += p.escalation_gain * self._harm
            self._harm[:] = 0.0
        b -= relax
        np.clip(b, 0.0, 1.0, out=b)      # the diagonal stays 0: no actor harms or blames itself

    # ------------------------------------------------------------------ the day
    def step(self) -> None:
        self.day += 1
        self._apply_events(self.day)
        driver = float(self.x[self._driver]) if self._driver is not None else 1.0
        rise = self.crisis.update(driver)
        for actor in self.actors.values():
            actor.cumulative_cost += actor.crisis_cost()
        self.protocol.begin_day()
        self.agents.shuffle_do("negotiate")
        self._update_blame(rise)
        if self.datacollector is not None:
            self.datacollector.collect(self)

    def run(self) -> "NegotiationModel":
        self.run_for(self.horizon)
        return self
