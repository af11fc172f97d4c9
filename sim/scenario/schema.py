"""The scenario schema: the validated description of one negotiation case.

Data flow: scenario file (YAML) -> :func:`load_scenario` -> :class:`Scenario` (this
module) -> :class:`sim.model.NegotiationModel`.
Loading, merging and error reporting live in :mod:`sim.scenario.loading`.
"""

from __future__ import annotations

import datetime as _dt
from pathlib import Path
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, Strict, model_validator

from sim.model.stances import StanceSpec
from sim.scenario.checks import protocol_problems, reference_problems, split_pair  # noqa: F401 (re-exported)
from sim.scenario.priors import PriorSpec

SCENARIO_DIR = Path(__file__).resolve().parents[2] / "scenarios"
ID_PATTERN = r"^[a-z][a-z0-9_]*$"

# a scenario's name names its output folder: letters, digits, _ - (and ~ of ablation variants)
NAME_PATTERN = r"^[A-Za-z0-9_][A-Za-z0-9_~-]{0,199}$"

# ids a table reader takes for a missing value or a boolean (pandas reads `nan`, `null`,
# `none` ... back as NaN): an actor called `nan` would vanish from every CSV
RESERVED_IDS = frozenset({"nan", "null", "none", "na", "inf", "infinity", "true", "false"})


def _not_reserved(v: str) -> str:
    if v in RESERVED_IDS:
        raise ValueError(f"'{v}' is a reserved word (tables read it back as a missing value or a "
                         "yes/no); choose another id")
    return v


Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Id = Annotated[str, Field(pattern=ID_PATTERN), AfterValidator(_not_reserved)]
Int = Annotated[int, Strict()]          # a whole number: `true` is not 1, `2.5` is not 2
BIG = 1e9                               # bound of numbers with no natural range (a scale's units)


class _Strict(BaseModel):
    # every number finite: .inf / .nan are refused everywhere in the schema
    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=False, allow_inf_nan=False)


# --------------------------------------------------------------------------- issues
DecisionRule = Literal["sole", "unanimity", "qualified_majority", "weighted"]


class DeliverySpec(_Strict):
    """How an agreed change of an issue is carried out (docs/ODD.md 7.19): over time,
    possibly in part, and seen by the other parties only through noise."""

    rate: float = Field(1.0, gt=0.0, le=1.0,
                        description="share of the agreed change its controllers carry out a day while complying")
    capacity: float = Field(1.0, gt=0.0, le=1.0,
                            description="the most of the agreed change its controllers can carry out "
                                        "(the rest lies with actors outside the deal)")
    noise: float = Field(0.0, ge=0.0, le=10.0,
                         description="sd of what the other parties see of the share carried out against the "
                                     "schedule (0: seen exactly)")

    @property
    def instant(self) -> bool:
        return self.rate >= 1.0 and self.capacity >= 1.0


class IssueSpec(_Strict):
    """One issue under negotiation, a value on [0, 1], and how it is decided.

    ``control`` names the actors who can implement the issue; ``decision`` says how
    they (and the members of a composite controller) decide (docs/ODD.md 7.4):
    ``sole`` (one controller acts alone), ``unanimity`` (every decider can veto),
    ``qualified_majority`` (deciders holding ``threshold`` of the weight carry it),
    ``weighted`` (parties move it by their capability share of the distance from the
    status quo). Default: ``sole`` for one controller, ``unanimity`` for several.
    """

    kind: Literal["technical", "political"]
    low: str = Field(description="what 0 means")
    high: str = Field(description="what 1 means")
    status_quo: Unit
    control: list[Id] = Field(min_length=1, description="actors who can implement it")
    decision: DecisionRule | None = None
    threshold: float = Field(0.65, gt=0.5, le=1.0,
                             description="qualified_majority: share of the deciders' weight needed")
    unilateral_step: Unit = Field(0.1, description="largest change of one unilateral move")
    unilateral_interval_days: Int = Field(14, ge=1, le=3650,
                                          description="days between two unilateral moves of an actor on it")
    delivery: DeliverySpec | None = Field(
        None, description="agreed changes carried out over time, possibly in part (default: at once, in full)")
    description: str = ""
    source: str = ""
    scale: tuple[Annotated[float, Field(ge=-BIG, le=BIG)], Annotated[float, Field(ge=-BIG, le=BIG)]] | None = Field(
        None, description="the issue's own units for 0 and 1 (e.g. [4, 10] years): results are reported on it")

    @model_validator(mode="after")
    def _scale(self):
        if self.scale is not None and not self.scale[0] < self.scale[1]:
            raise ValueError(f"scale needs low < high, got {list(self.scale)}")
        if self.decision == "sole" and len(self.control) != 1:
            raise ValueError(f"decision 'sole' needs exactly one controller, got {len(self.control)}")
        return self

    @property
    def rule(self) -> str:
        return self.decision or ("sole" if len(self.control) == 1 else "unanimity")


# --------------------------------------------------------------------------- actors
class TacticSpec(_Strict):
    """Time-dependent concession (Faratin, Sierra & Jennings 1998).

    f(t) = k + (1 - k) t^(1/e): e < 1 Boulware (holds out), e = 1 linear, e > 1 Conceder.
    """

    type: Literal["time_dependent"] = "time_dependent"
    e: float = Field(1.0, gt=0.0, le=20.0)
    k: Unit = 0.0


class ActorSpec(_Strict):
    name: str
    capability: float = Field(gt=0.0, le=1.0)
    position: dict[Id, Unit] = Field(description="ideal point per issue")
    salience: dict[Id, Annotated[float, Field(ge=0.0, le=1e6)]] = Field(
        description="importance per issue (normalised to sum 1 in the utility)"
    )
    tactic: TacticSpec = TacticSpec()
    reservation: float = Field(
        0.05, ge=-1.0, le=1.0,
        description="gain over the current state a deal must give at zero crisis cost",
    )
    exposure: dict[Id, Annotated[float, Field(ge=0.0, le=10.0)]] = Field(
        default={}, description="daily cost per unit of a stock or of a cost issue (environment)")
    members: list[Id] = Field(default=[], description="a composite actor's member actors: they decide with it")
    unilateral_cost: dict[Id, Annotated[float, Field(ge=0.0, le=100.0)]] = Field(
        default={}, description="cost per unit moved of a unilateral move on an issue (default: unilateral.cost)")
    source: str = Field("", description="where the actor comes from when the source article does not name it")
    bidding: Literal["logrolling"] = "logrolling"
    acceptance: Literal["ac_next"] = "ac_next"
    opponent_model: Literal["public_positions"] = "public_positions"


# --------------------------------------------------------------------------- rest
Level = Literal["technical", "political", "closed"]


class FlowSpec(_Strict):
    """One flow into or out of a stock: ``rate`` times, for each issue in ``driven_by``,
    x (sign +1) or 1 - x (sign -1); an outflow is also proportional to the stock."""

    rate: float = Field(ge=0.0, le=10.0)
    driven_by: dict[Id, Literal[1, -1]] = {}
    label: str = ""


class StockSpec(_Strict):
    """A stock of the crisis environment (e.g. people at the border), on [0, 1]."""

    label: str = ""
    initial: Unit
    inflows: list[FlowSpec] = []
    outflows: list[FlowSpec] = []
    noise: float = Field(0.0, ge=0.0, le=2.0, description="log-normal day-to-day noise of the inflows")
    resolved_below: Unit = Field(0.2, description="a level under this counts as resolved")
    source: str = ""


class EnvironmentSpec(_Strict):
    """The crisis environment: stocks and flows driven by issues, and the costs they
    charge actors by exposure (docs/ODD.md 7.9). Empty: no crisis."""

    stocks: dict[Id, StockSpec] = {}
    cost_issues: list[Id] = Field(default=[], description="issues whose level costs actors by exposure")
    anticipation_days: Int = Field(30, ge=1, le=3650,
                                   description="days over which actors anticipate a move's effect on stocks")
    urgency: float = Field(0.02, ge=0.0, le=1.0,
                           description="share of the deadline used up per unit of cumulative crisis cost")


class UnilateralSpec(_Strict):
    """Unilateral action (docs/ODD.md 7.11)."""

    enabled: bool = True
    cost: float = Field(0.05, ge=0.0, le=100.0, description="default cost per unit moved")


class AgreementsSpec(_Strict):
    """Binding agreements (docs/ODD.md 7.12)."""

    duration_days: Int = Field(90, ge=1, le=3650)
    renew: bool = True
    breach_cost: float = Field(0.05, ge=0.0, le=10.0, description="cost to the breaker per breach")
    breach_blame: Unit = Field(0.3, description="blame the wronged party adds toward the breaker")
    terms: list[Annotated[Int, Field(ge=1, le=3650)]] | None = Field(None, min_length=1, max_length=10,
                                    description="term lengths a renewal may take (days); default: duration_days only")
    renegotiate: bool = Field(True, description="at term, terms one party would no longer keep are scaled back "
                                                "(to 75, 50 or 25% of their change) if every party then keeps "
                                                "them (docs/ODD.md 7.17); false: such an agreement lapses")
    exit: bool = Field(True, description="a party may leave an agreement before its term ends (docs/ODD.md 7.17)")
    exit_cost: float = Field(0.05, ge=0.0, le=10.0, description="cost to a party of leaving an agreement before term")
    exit_blame: Unit = Field(0.1, description="blame each other party adds toward one that leaves")
    review_days: Int = Field(7, ge=1, le=3650, description="days between two reviews of whether to leave an agreement")
    trust_sd: float = Field(0.3, gt=0.0, le=10.0,
                            description="sd of a party's prior belief about the share of a promise that will be "
                                        "carried out (its mean: all of it; docs/ODD.md 7.19)")
    drift_sd: float = Field(0.02, ge=0.0, le=10.0,
                            description="how much that share may drift between two reviews (a Kalman filter's "
                                        "process noise)")
    shortfall_blame: Unit = Field(0.2, description="blame a party adds toward a controller per unit its "
                                                   "expected delivery falls")


class CommitmentsSpec(_Strict):
    """Stances as costly commitments (docs/ODD.md 7.15): what an actor said it would
    (not) do, kept while breaking it opens less than its price."""

    enabled: bool = Field(True, description="false: every stance is a hard bound (the second round's model)")
    price: float = Field(0.1, ge=0.0, le=10.0,
                         description="default audience cost of backing down from a stated stance")
    blame_gain: float = Field(1.0, ge=0.0, le=100.0,
                              description="kappa: the price rises by this share per unit of the actor's "
                                          "blame of the stance's audience")
    review_days: Int = Field(7, ge=1, le=3650, description="days between two reviews of an actor's commitments")


class BeliefsSpec(_Strict):
    """Beliefs about the counterparts' reservation values (docs/ODD.md 7.18)."""

    enabled: bool = Field(True, description="false: every actor knows every other's reservation (complete information)")
    grid: Int = Field(41, ge=2, le=201, description="points of the grid each belief is held on")
    prior_high: float = Field(0.2, gt=0.0, le=10.0,
                              description="the prior is uniform on [0, prior_high] unless uncertain: gives "
                                          "actors.K.reservation a range")
    tactical: float = Field(0.5, gt=0.0, le=1.0,
                            description="rho: the chance that a party rejects an offer it would have signed")
    noise: float = Field(0.05, gt=0.0, le=1.0,
                         description="eps: the likelihood of what an observation rules out (nothing is ever certain)")
    quantile: float = Field(0.5, gt=0.0, lt=1.0,
                            description="the quantile of a belief taken as the counterpart's floor")
    resolve: bool = Field(True, description="actors hold beliefs about each other's resolve (how seriously each "
                                            "weighs its stated prices) and weigh threats and promises by them "
                                            "(docs/ODD.md 7.20); false: a credible threat counts in full")
    resolve_high: float = Field(2.0, ge=1.0, le=10.0,
                                description="the prior over resolve is uniform on [0, resolve_high] (1: the "
                                            "stated price is the real one)")


def _protocol_names() -> tuple[str, ...]:
    from sim.protocols import PROTOCOLS  # the light registry (no protocol module imported)

    return tuple(PROTOCOLS)


PROTOCOL_NAMES: tuple[str, ...] = _protocol_names()


class ProtocolOptions(_Strict):
    """Base of a protocol's own fields (its module's ``Options``, sim/protocols/__init__.py)."""


class ProtocolSpec(_Strict):
    """The scenario's ``protocol:`` block: the protocol's ``name``, the fields every
    protocol and the model read, and each protocol's own fields, declared by its module
    (``Options``: sim/protocols/alternating_offers.py, expected_utility.py,
    compromise.py, mediation.py; docs/ODD.md 8). A protocol ignores the others' fields,
    so one scenario file serves every protocol; a field no protocol declares is an
    error, as everywhere in the schema. Every protocol's fields are read as attributes
    (``sc.protocol.mediator``), with their defaults when the file does not give them."""

    model_config = ConfigDict(extra="allow", populate_by_name=True, frozen=False, allow_inf_nan=False)

    name: Annotated[str, Field(pattern=ID_PATTERN)] = "alternating_offers"
    min_change: Unit = Field(0.05, description="the smallest change of an issue counted as a move or a deal")
    cooldown_days: Int = Field(7, ge=0, le=3650, description="rest days of a channel after a deal")
    stalemate_window: Int = Field(30, ge=1, le=3650)
    deadline_days: Int = Field(60, ge=1, le=3650,
                               description="the actors' negotiation deadline (their tactics' T), not the horizon")

    @model_validator(mode="after")
    def _options(self):
        from pydantic import ValidationError

        from sim.protocols import PROTOCOLS, options_model

        if self.name not in PROTOCOLS:
            raise ValueError(f"name: unknown protocol '{self.name}' (protocols: {', '.join(PROTOCOLS)})")
        given = dict(self.__pydantic_extra__ or {})
        models = {n: m for n in PROTOCOLS if (m := options_model(n)) is not None}
        known = {f for m in models.values() for f in m.model_fields}
        for key in given:
            if key not in known:
                import difflib

                near = difflib.get_close_matches(key, sorted(known | set(type(self).model_fields)), n=1)
                raise ValueError(f"{key}: unknown field" + (f" (did you mean '{near[0]}'?)" if near else "")
                                 + " - no protocol reads it")
        values = {}
        for n, model in models.items():
            try:
                opts = model.model_validate({k: v for k, v in given.items() if k in model.model_fields})
            except ValidationError as exc:
                err = exc.errors()[0]
                field = ".".join(str(x) for x in err["loc"])
                raise ValueError(f"{field}: {err['msg']} (a field of the {n} protocol)") from None
            values.update({f: getattr(opts, f) for f in model.model_fields})
        self.__pydantic_extra__ = values
        return self


class BlameSpec(_Strict):
    audience_cost: float = Field(1.0, ge=0.0, le=10.0)
    escalation_gain: float = Field(5.0, ge=0.0, le=100.0)
    agreement_relief: Unit = 0.2
    decay: Unit = 0.05
    harm_aversion: float = Field(0.5, ge=0.0, le=10.0,
                                 description="weight of the harm a unilateral move does to actors one does not blame")
    channel_threshold: Unit = Field(0.9, description="blame at or above which a political channel drops to technical")
    denial_blame: Unit = Field(0.02, description="blame a denier adds toward an actor each time it is pressed on "
                                                 "its role")


class _Event(_Strict):
    day: Int = Field(ge=0)
    label: str = ""


class _SetEvent(_Event):
    """An event that sets a quantity on [0, 1] to ``value`` or moves it by ``delta``."""

    value: Unit | None = None
    delta: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None

    @model_validator(mode="after")
    def _one_of(self):
        if (self.value is None) == (self.delta is None):
            raise ValueError("give exactly one of 'value' or 'delta'")
        return self


class SetIssueEvent(_SetEvent):
    """An issue's implemented value changes (e.g. a sanctions package)."""

    type: Literal["set_issue"]
    issue: Id


class SetStockEvent(_SetEvent):
    """A stock of the environment jumps (e.g. a group is brought to the border)."""

    type: Literal["set_stock"]
    stock: Id


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
    SetIssueEvent | SetStockEvent | ChannelEvent | AddStanceEvent | RemoveStanceEvent,
    Field(discriminator="type"),
]


class HistoryEntry(_Strict):
    """A move of the record before the scenario's start (docs/ODD.md 5): on ``date`` the
    ``actor`` (a controller of the issue) set ``issue`` to ``value`` (or moved it by
    ``delta``). Applied in date order before day 0, so the day-0 state is what the
    record's actors left; each is an act of the run's record (a negative day)."""

    date: _dt.date
    actor: Id
    issue: Id
    value: Unit | None = None
    delta: Annotated[float, Field(ge=-1.0, le=1.0)] | None = None
    label: str = Field(min_length=1, description="what happened, as the record says it")
    source: str = ""

    @model_validator(mode="after")
    def _one(self):
        if (self.value is None) == (self.delta is None):
            raise ValueError("give exactly one of value and delta")
        return self


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


class StartsFrom(_Strict):
    """The history a scenario continues (``starts_from:``, docs/ODD.md 5): a file names
    it (``starts_from: history_2021``); the loader embeds the history's validated data
    here (:mod:`sim.scenario.continuation`), so a job carries it to its workers and a
    replicate's parameters can set the history's fields (``starts_from.scenario.PATH``)."""

    name: str = Field(min_length=1)
    scenario: dict


class Scenario(_Strict):
    """A validated scenario. Build it with :func:`load_scenario` or ``Scenario(**data)``."""

    name: str = Field(pattern=NAME_PATTERN, description="letters, digits, _ and - (it names output folders)")
    description: str
    title: str = ""
    start_date: _dt.date = Field(ge=_dt.date(1800, 1, 1), le=_dt.date(2200, 12, 31))
    horizon_days: Int = Field(ge=1, le=3650)
    protocol: ProtocolSpec = Field(default_factory=ProtocolSpec)
    issues: dict[Id, IssueSpec] = Field(min_length=1)
    actors: dict[Id, ActorSpec] = Field(min_length=2)
    stances: dict[Id, StanceSpec] = {}
    channels: dict[str, Level] = {}
    environment: EnvironmentSpec = EnvironmentSpec()
    blame: BlameSpec = BlameSpec()
    unilateral: UnilateralSpec = UnilateralSpec()
    agreements: AgreementsSpec = AgreementsSpec()
    commitments: CommitmentsSpec = CommitmentsSpec()
    beliefs: BeliefsSpec = BeliefsSpec()
    history: list[HistoryEntry] = Field(
        default=[], description="the record's moves before start_date, by named actors (docs/ODD.md 5)")
    starts_from: StartsFrom | None = Field(
        default=None, description="the history scenario this one continues: its run's end state is day 0 here")
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

    def day0(self, issue: str) -> float:
        """The issue's value on day 0: its status quo moved by the record's ``history:``
        (or, for a scenario that ``starts_from`` a history, what the history's events leave)."""
        if self.starts_from is not None:
            return _chain_day0(self, issue)
        v = self.issues[issue].status_quo
        for h in sorted(self.history, key=lambda h: h.date):
            if h.issue == issue:
                v = min(1.0, max(0.0, h.value if h.value is not None else v + h.delta))
        return v


def _chain_day0(sc, issue: str) -> float:
    """The issue's value on day 0: the history's status quo moved by its ``history:``
    and its ``set_issue`` events in order (exact for a history in which only events move
    issues, as ``history_2021``); an issue the history lacks: the file's status quo."""
    hist = sc.starts_from.scenario
    spec = (hist.get("issues") or {}).get(issue)
    if spec is None:
        return sc.issues[issue].status_quo
    v = float(spec["status_quo"])
    for h in sorted(hist.get("history") or [], key=lambda h: str(h["date"])):
        if h.get("issue") == issue:
            v = min(1.0, max(0.0, h["value"] if h.get("value") is not None else v + h["delta"]))
    for ev in sorted(hist.get("events") or [], key=lambda e: e["day"]):
        if ev.get("type") == "set_issue" and ev.get("issue") == issue:
            v = min(1.0, max(0.0, ev["value"] if ev.get("value") is not None else v + ev["delta"]))
    return v


class _ReferenceErrors(ValueError):
    def __init__(self, problems: list[tuple[str, str]]):
        self.problems = problems
        super().__init__("; ".join(f"{p}: {m}" for p, m in problems))

