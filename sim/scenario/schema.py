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
    exit: bool = Field(True, description="a party may leave an agreement before its term ends (docs/ODD.md 7.17)")
    exit_cost: float = Field(0.05, ge=0.0, le=10.0, description="cost to a party of leaving an agreement before term")
    exit_blame: Unit = Field(0.1, description="blame each other party adds toward one that leaves")
    review_days: Int = Field(7, ge=1, le=3650, description="days between two reviews of whether to leave an agreement")


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


ProtocolName = Literal["alternating_offers", "expected_utility", "compromise", "mediation"]
PROTOCOL_NAMES: tuple[str, ...] = ProtocolName.__args__


class ProtocolSpec(_Strict):
    """``alternating_offers`` (bilateral package offers on channels), ``expected_utility``
    (Bueno de Mesquita's challenge model, one round a day), ``compromise`` (the capability
    x salience weighted mean or median of positions) or ``mediation`` (a mediator's single
    negotiating text). Each protocol reads its own fields (docs/ODD.md 8); the others
    ignore them, so one scenario file serves every protocol."""

    name: ProtocolName = "alternating_offers"
    min_change: Unit = 0.05
    cooldown_days: Int = Field(7, ge=0, le=3650)
    stalemate_window: Int = Field(30, ge=1, le=3650)
    deadline_days: Int = Field(60, ge=1, le=3650,
                               description="the actors' negotiation deadline (their tactics' T), not the horizon")
    # expected_utility only (docs/ODD.md section 8; defaults = Scholz, Calbert & Smith 2011):
    # Q, the probability an actor assigns to the other not moving absent a challenge;
    # T, to its moving in the actor's favour
    q: Unit = 1.0
    t: Unit = 1.0
    max_rounds: Int = Field(100, ge=1, le=10000)
    tolerance: float = Field(1e-6, gt=0.0, le=0.1)
    # which received challenge an actor answers: by type, confrontation before compromise
    # before capitulation (Scholz et al.'s code), the one asking the least move (the
    # paper's text, BDM 1994), or the sender's largest expected utility
    offer_choice: Literal["scholz", "least_move", "largest_eu"] = "scholz"
    # win probability: risk-adjusted votes for i over the votes of all triples (Scholz),
    # or over the votes on this pair only (P(i, j) + P(j, i) = 1)
    probability: Literal["all_triples", "per_pair"] = "all_triples"
    # whose risk exponent the sender's expected utility uses: the receiver's, who judges
    # the offer (Scholz), or the sender's own
    risk_perspective: Literal["receiver", "own"] = "receiver"
    # risk exponents: from security levels compared across actors (Scholz), across the
    # positions the actor could hold (BDM 1985), or none (every r = 1)
    risk_formula: Literal["scholz", "own_positions", "neutral"] = "scholz"
    # compromise only: its forecast is the weighted mean (the compromise model) or the
    # weighted median (its variant); both are reported beside every protocol's forecast
    compromise_forecast: Literal["mean", "median"] = "mean"
    # mediation only (docs/ODD.md 8.3): the mediator, the parties at its table (default:
    # every actor with an open channel to the mediator), the table's level, and the
    # largest change the mediator makes to the text in one revision
    mediator: Annotated[str, Field(pattern=ID_PATTERN)] | None = None
    table: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []
    # parties at the table that sign every party's mirror document beside the mediator
    # (Turkey in the 2022 grain initiative: Russia-Turkey-UN and Ukraine-Turkey-UN)
    co_mediators: list[Annotated[str, Field(pattern=ID_PATTERN)]] = []
    table_level: Literal["technical", "political"] = "political"
    mediation_step: float = Field(0.2, gt=0.0, le=1.0)


class BlameSpec(_Strict):
    audience_cost: float = Field(1.0, ge=0.0, le=10.0)
    escalation_gain: float = Field(5.0, ge=0.0, le=100.0)
    agreement_relief: Unit = 0.2
    decay: Unit = 0.05
    harm_aversion: float = Field(0.5, ge=0.0, le=10.0,
                                 description="weight of the harm a unilateral move does to actors one does not blame")
    channel_threshold: Unit = Field(0.9, description="blame at or above which a political channel drops to technical")
    denial_blame: Unit = Field(0.02, description="blame a denier adds toward an actor each time it is pressed on its role")


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
    protocol: ProtocolSpec = ProtocolSpec()
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
            from sim.scenario.continuation import day0

            return day0(self, issue)
        v = self.issues[issue].status_quo
        for h in sorted(self.history, key=lambda h: h.date):
            if h.issue == issue:
                v = min(1.0, max(0.0, h.value if h.value is not None else v + h.delta))
        return v


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


def protocol_problems(sc: Scenario) -> list[tuple[str, str]]:
    """The mediation fields: a known mediator (required by the mediation protocol) and a
    table of known actors other than the mediator, each named once."""
    out: list[tuple[str, str]] = []
    p = sc.protocol
    if p.mediator is not None and p.mediator not in sc.actors:
        out.append(("protocol.mediator", f"unknown actor '{p.mediator}' (actors: {', '.join(sorted(sc.actors))})"))
    elif p.name == "mediation" and p.mediator is None:
        out.append(("protocol.mediator", "the mediation protocol needs a mediator: the id of one of the "
                                         f"scenario's actors ({', '.join(sorted(sc.actors))})"))
    for n, a in enumerate(p.table):
        if a not in sc.actors:
            out.append((f"protocol.table.{n}", f"unknown actor '{a}' (actors: {', '.join(sorted(sc.actors))})"))
        elif a == p.mediator:
            out.append((f"protocol.table.{n}", "the mediator is not one of the parties at its own table"))
        elif a in p.table[:n]:
            out.append((f"protocol.table.{n}", f"'{a}' is at the table twice"))
    for n, a in enumerate(p.co_mediators):
        if a not in sc.actors:
            out.append((f"protocol.co_mediators.{n}", f"unknown actor '{a}' (actors: {', '.join(sorted(sc.actors))})"))
        elif a == p.mediator:
            out.append((f"protocol.co_mediators.{n}", "the mediator is not its own co-mediator"))
        elif p.table and a not in p.table:
            out.append((f"protocol.co_mediators.{n}", f"'{a}' is not at the table (protocol.table)"))
    return out


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
            if who in issue.control[:n]:
                out.append((f"issues.{iname}.control.{n}", f"'{who}' is named twice"))
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
    out.extend(protocol_problems(sc))
    env = sc.environment
    for sname, stock in env.stocks.items():
        if sname in issues:
            out.append((f"environment.stocks.{sname}", "a stock cannot share its name with an issue"))
        for kind in ("inflows", "outflows"):
            for n, flow in enumerate(getattr(stock, kind)):
                for iname in flow.driven_by:
                    issue_ref(f"environment.stocks.{sname}.{kind}.{n}.driven_by.{iname}", iname)
    for n, iname in enumerate(env.cost_issues):
        issue_ref(f"environment.cost_issues.{n}", iname)
    costly = set(env.stocks) | set(env.cost_issues)
    for aname, actor in sc.actors.items():
        for key in actor.exposure:
            if key not in costly:
                out.append((f"actors.{aname}.exposure.{key}",
                            f"not a stock or cost issue of the environment (it has: {', '.join(sorted(costly)) or 'none'})"))
        for key in actor.unilateral_cost:
            issue_ref(f"actors.{aname}.unilateral_cost.{key}", key)
        for n, member in enumerate(actor.members):
            actor_ref(f"actors.{aname}.members.{n}", member)
            if member == aname:
                out.append((f"actors.{aname}.members.{n}", "an actor cannot be its own member"))
    if sc.uncertain:
        data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
        for path in sc.uncertain:
            out.extend((f"uncertain.{path}", m) for m in _number_problems(data, path))
    for name, obs in sc.observables.items():
        if isinstance(obs.scale, str):
            data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
            out.extend((f"observables.{name}.scale", m.replace("field", f"field '{obs.scale}'"))
                       for m in _number_problems(data, obs.scale))
    for n, h in enumerate(sc.history):
        path = f"history.{n}"
        if h.date >= sc.start_date:
            out.append((f"{path}.date", f"{h.date} is not before the start date {sc.start_date}: "
                                        "a move on or after it is an event (events:), or what the model predicts"))
        actor_ref(f"{path}.actor", h.actor)
        issue_ref(f"{path}.issue", h.issue)
        if h.issue in sc.issues and h.actor in actors:
            ctrl = sc.issues[h.issue].control
            members = {m for c in ctrl if c in sc.actors for m in sc.actors[c].members}
            if h.actor not in ctrl and h.actor not in members:
                out.append((f"{path}.actor", f"'{h.actor}' does not control '{h.issue}' "
                                             f"(controllers: {', '.join(ctrl)})"))
    for n, ev in enumerate(sc.events):
        path = f"events.{n}"
        if ev.day > sc.horizon_days:
            out.append((f"{path}.day",
                        f"day {ev.day} is after the horizon ({sc.horizon_days} days)"))
        if isinstance(ev, SetIssueEvent):
            issue_ref(f"{path}.issue", ev.issue)
        elif isinstance(ev, SetStockEvent):
            if ev.stock not in sc.environment.stocks:
                out.append((f"{path}.stock", f"unknown stock '{ev.stock}' (stocks: {', '.join(sorted(sc.environment.stocks)) or 'none'})"))
        elif isinstance(ev, ChannelEvent):
            for who in ev.between:
                actor_ref(f"{path}.between", who)
            if ev.between[0] == ev.between[1]:
                out.append((f"{path}.between", "a channel joins two different actors"))
        elif isinstance(ev, AddStanceEvent):
            out.extend((f"{path}.stance.{p}", m)
                       for p, m in ev.stance.reference_problems(actors, issues))
        elif isinstance(ev, RemoveStanceEvent):
            known = set(sc.stances) | {e.id for e in sc.events if isinstance(e, AddStanceEvent)}
            if ev.id not in known:
                out.append((f"{path}.id", f"unknown stance id '{ev.id}'"))
    return out
