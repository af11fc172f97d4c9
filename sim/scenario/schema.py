"""The scenario schema: the validated description of one negotiation case.

Data flow: scenario file (YAML) -> :func:`load_scenario` -> :class:`Scenario` (this
module) -> :class:`sim.model.NegotiationModel`.
Loading, merging and error reporting live in :mod:`sim.scenario.loading`.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from sim.model.stances import StanceSpec
from sim.scenario.priors import PriorSpec

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
ID_PATTERN = r"^[a-z][a-z0-9_]*$"

Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Id = Annotated[str, Field(pattern=ID_PATTERN)]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False)


# --------------------------------------------------------------------------- issues
class IssueSpec(_Strict):
    """One issue under negotiation, a value on [0, 1]."""

    kind: Literal["technical", "political"]
    low: str = Field(description="what 0 means")
    high: str = Field(description="what 1 means")
    status_quo: Unit
    control: list[Id] = Field(min_length=1, description="actors who can implement it")
    description: str = ""
    scale: tuple[float, float] | None = Field(
        None, description="the issue's own units for 0 and 1 (e.g. [4, 10] years): results are reported on it")

    @model_validator(mode="after")
    def _scale(self):
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"scale needs low < high, got {list(self.scale)}")
        return self


# --------------------------------------------------------------------------- actors
class TacticSpec(_Strict):
    """Time-dependent concession (Faratin, Sierra & Jennings 1998).

    f(t) = k + (1 - k) t^(1/e): e < 1 Boulware (holds out), e = 1 linear, e > 1 Conceder.
    """

    type: Literal["time_dependent"] = "time_dependent"
    e: float = Field(1.0, gt=0.0, le=20.0)
    k: Unit = 0.0


class ExposureSpec(_Strict):
    """How much the crisis costs the actor per unit of pressure / sanctions level."""

    pressure: Unit = 0.0
    sanctions: Unit = 0.0


class ActorSpec(_Strict):
    name: str
    capability: float = Field(gt=0.0, le=1.0)
    position: dict[Id, Unit] = Field(description="ideal point per issue")
    salience: dict[Id, Annotated[float, Field(ge=0.0)]] = Field(
        description="importance per issue (normalised to sum 1 in the utility)"
    )
    tactic: TacticSpec = TacticSpec()
    reservation: float = Field(
        0.05, ge=-1.0, le=1.0,
        description="gain over the current state a deal must give at zero crisis cost",
    )
    exposure: ExposureSpec = ExposureSpec()
    bidding: Literal["logrolling"] = "logrolling"
    acceptance: Literal["ac_next"] = "ac_next"
    opponent_model: Literal["public_positions"] = "public_positions"


# --------------------------------------------------------------------------- rest
Level = Literal["technical", "political", "closed"]


class CrisisSpec(_Strict):
    """The border environment. Pressure is people at the border relative to capacity."""

    pressure0: Unit = 0.5
    inflow_rate: Unit = 0.03
    exit_rate: Unit = 0.01
    return_rate: Unit = 0.05
    routes_closed: Unit = 0.0
    noise: float = Field(0.3, ge=0.0, le=2.0)
    driver_issue: Id | None = None
    sanctions_issue: Id | None = None
    resolved_below: Unit = 0.2
    urgency: float = Field(0.02, ge=0.0, le=1.0,
                           description="share of the deadline used up per unit of cumulative crisis cost")


class ProtocolSpec(_Strict):
    """``alternating_offers`` (days, bilateral package offers) or ``expected_utility``
    (rounds of Bueno de Mesquita's challenge model). Each reads its own fields."""

    name: Literal["alternating_offers", "expected_utility"] = "alternating_offers"
    min_change: Unit = 0.05
    cooldown_days: int = Field(7, ge=0)
    stalemate_window: int = Field(30, ge=1)
    # expected_utility only (Scholz et al. 2011): Q, the probability an actor assigns to
    # the other not moving absent a challenge; T, to its moving in the actor's favour
    q: Unit = 1.0
    t: Unit = 1.0
    max_rounds: int = Field(100, ge=1, le=10000)
    tolerance: float = Field(1e-6, gt=0.0, le=0.1)
    # which received challenge an actor answers: the sender's largest expected utility
    # (Scholz et al.'s "best offer"), or the one asking the least move
    offer_choice: Literal["largest_eu", "least_move"] = "largest_eu"


class BlameSpec(_Strict):
    audience_cost: float = Field(1.0, ge=0.0, le=10.0)
    escalation_gain: float = Field(5.0, ge=0.0, le=100.0)
    agreement_relief: Unit = 0.2
    decay: Unit = 0.05


class _Event(_Strict):
    day: int = Field(ge=0)
    label: str = ""


class SetIssueEvent(_Event):
    """An issue's implemented value changes (e.g. a sanctions package)."""

    type: Literal["set_issue"]
    issue: Id
    value: Unit | None = None
    delta: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.value is None) == (self.delta is None):
            raise ValueError("give exactly one of 'value' or 'delta'")
        return self


class SetCrisisEvent(_Event):
    """A crisis parameter changes (e.g. a third country restricts flights)."""

    type: Literal["set_crisis"]
    field: Literal["inflow_rate", "exit_rate", "return_rate", "routes_closed"]
    value: Unit


class ChannelEvent(_Event):
    """A channel opens, closes or changes level."""

    type: Literal["set_channel"]
    between: tuple[Id, Id]
    level: Level


class AddStanceEvent(_Event):
    type: Literal["add_stance"]
    id: Id
    stance: StanceSpec


class RemoveStanceEvent(_Event):
    type: Literal["remove_stance"]
    id: Id


EventSpec = Annotated[
    SetIssueEvent | SetCrisisEvent | ChannelEvent | AddStanceEvent | RemoveStanceEvent,
    Field(discriminator="type"),
]


class ObservableSpec(_Strict):
    """How a variable of observed data is read off a run (calibration, ``observables:``):
    the run's daily ``series`` variable (rows filtered by ``actor``/``target``/``issue``
    where given), aggregated over each ``period`` (calendar month, ISO week or day) and
    multiplied by ``scale`` (a number, or the dotted path of a number in the scenario)."""

    series: str = Field(min_length=1)
    aggregate: Literal["sum", "mean", "last"] = "sum"
    period: Literal["month", "week", "day"] = "month"
    scale: float | str = 1.0
    actor: str | None = None
    target: str | None = None
    issue: str | None = None


class Scenario(_Strict):
    """A validated scenario. Build it with :func:`load_scenario` or ``Scenario(**data)``."""

    name: str
    description: str
    title: str = ""
    start_date: _dt.date
    horizon_days: int = Field(ge=1, le=3650)
    protocol: ProtocolSpec = ProtocolSpec()
    issues: dict[Id, IssueSpec] = Field(min_length=1)
    actors: dict[Id, ActorSpec] = Field(min_length=2)
    stances: dict[Id, StanceSpec] = {}
    channels: dict[str, Level] = {}
    crisis: CrisisSpec = CrisisSpec()
    blame: BlameSpec = BlameSpec()
    events: list[EventSpec] = []
    source: str = ""
    uncertain: dict[str, PriorSpec] = Field(
        default={}, description="priors of the numbers nobody knows: dotted path -> [lo, hi] (uniform) "
                                "or {dist: uniform|loguniform|normal|beta|triangular, ...}")
    observables: dict[str, ObservableSpec] = Field(
        default={}, description="data variable -> how a run produces it (calibration)")

    @model_validator(mode="after")
    def _references(self):
        problems = reference_problems(self)
        if problems:
            raise _ReferenceErrors(problems)
        return self

    # ---- conveniences
    def channel_pairs(self) -> dict[tuple[str, str], str]:
        """The ``channels`` mapping with keys split into (actor, actor) pairs."""
        return {split_pair(k): v for k, v in self.channels.items()}

    def date_of(self, day: int) -> _dt.date:
        return self.start_date + _dt.timedelta(days=int(day))


def split_pair(key: str) -> tuple[str, str]:
    a, _, b = key.partition("-")
    return a, b


class _ReferenceErrors(ValueError):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))


def _number_problems(data: dict, path: str) -> list[str]:
    cur = data
    for key in path.split("."):
        cur = cur.get(key) if isinstance(cur, dict) else (
            cur[int(key)] if isinstance(cur, list) and key.isdigit() and int(key) < len(cur) else None)
        if cur is None:
            return ["no such field in this scenario"]
    if isinstance(cur, bool) or not isinstance(cur, (int, float)):
        return [f"not a number (it is {cur!r})"]
    return []


def reference_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Cross-field checks pydantic's per-field types cannot make: (path, message)."""
    out: list[tuple[str, str]] = []
    actors, issues = set(sc.actors), set(sc.issues)

    def actor_ref(path, name):
        if name not in actors:
            out.append((path, f"unknown actor '{name}' (actors: {', '.join(sorted(actors))})"))

    def issue_ref(path, name):
        if name not in issues:
            out.append((path, f"unknown issue '{name}' (issues: {', '.join(sorted(issues))})"))

    for iname, issue in sc.issues.items():
        for n, who in enumerate(issue.control):
            actor_ref(f"issues.{iname}.control.{n}", who)
    for aname, actor in sc.actors.items():
        for field in ("position", "salience"):
            given = getattr(actor, field)
            for key in given:
                issue_ref(f"actors.{aname}.{field}.{key}", key)
            missing = issues - set(given)
            if missing:
                out.append((f"actors.{aname}.{field}",
                            f"missing issue(s): {', '.join(sorted(missing))}"))
        if actor.salience and sum(actor.salience.values()) <= 0:
            out.append((f"actors.{aname}.salience", "saliences must not all be zero"))
    seen_pairs: dict[frozenset, str] = {}
    for key in sc.channels:
        if key == "*":
            continue            # the level of every pair not listed
        a, b = split_pair(key)
        if frozenset((a, b)) in seen_pairs:
            out.append((f"channels.{key}", f"the same pair as '{seen_pairs[frozenset((a, b))]}'"))
        seen_pairs[frozenset((a, b))] = key
        if not a or not b or "-" in b:
            out.append((f"channels.{key}", "a channel key is 'actor-actor', e.g. 'poland-belarus'"))
            continue
        actor_ref(f"channels.{key}", a)
        actor_ref(f"channels.{key}", b)
        if a == b:
            out.append((f"channels.{key}", "a channel joins two different actors"))
    for sid, st in sc.stances.items():
        out.extend((f"stances.{sid}.{p}", m) for p, m in st.reference_problems(actors, issues))
    for field in ("driver_issue", "sanctions_issue"):
        name = getattr(sc.crisis, field)
        if name is not None:
            issue_ref(f"crisis.{field}", name)
    if sc.uncertain:
        data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
        for path in sc.uncertain:
            out.extend((f"uncertain.{path}", m) for m in _number_problems(data, path))
    for name, obs in sc.observables.items():
        if isinstance(obs.scale, str):
            data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
            out.extend((f"observables.{name}.scale", m.replace("field", f"field '{obs.scale}'"))
                       for m in _number_problems(data, obs.scale))
    for n, ev in enumerate(sc.events):
        path = f"events.{n}"
        if ev.day > sc.horizon_days:
            out.append((f"{path}.day",
                        f"day {ev.day} is after the horizon ({sc.horizon_days} days)"))
        if isinstance(ev, SetIssueEvent):
            issue_ref(f"{path}.issue", ev.issue)
        elif isinstance(ev, ChannelEvent):
            for who in ev.between:
                actor_ref(f"{path}.between", who)
        elif isinstance(ev, AddStanceEvent):
            out.extend((f"{path}.stance.{p}", m)
                       for p, m in ev.stance.reference_problems(actors, issues))
        elif isinstance(ev, RemoveStanceEvent):
            known = set(sc.stances) | {e.id for e in sc.events if isinstance(e, AddStanceEvent)}
            if ev.id not in known:
                out.append((f"{path}.id", f"unknown stance id '{ev.id}'"))
    return out
