"""Scenario files: the validated description of one negotiation case.

Data flow: scenario file (YAML) -> :func:`load_scenario` -> :class:`Scenario` (this
module) -> :class:`sim.model.NegotiationModel`.

A scenario file is read with ``yaml.safe_load``. It may name a parent with
``extends:`` (a scenario name in the same folder, or a path relative to the file);
the child is deep-merged onto the parent:

* mappings merge key by key, recursively;
* a key set to ``null`` in the child deletes that key of the parent (e.g. a stance
  or a channel);
* lists and scalars in the child replace the parent's whole value.

``stances_from:`` names a stance table (``seeds/stances.yaml``); its stances are
loaded first and the file's own ``stances:`` mapping merges onto them.

Every error is a :class:`ScenarioError` that names the file, the field path (dotted,
e.g. ``actors.poland.position.sanctions``), the line where the file shows it, and
what is wrong.
"""

from __future__ import annotations

import datetime as _dt
import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.stances import StanceSpec

SCENARIO_DIR = Path(__file__).resolve().parent.parent / "scenarios"
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
    uncertain: dict[str, tuple[float, float]] = Field(
        default={}, description="default uncertain parameters for sensitivity: dotted path -> [lo, hi]")

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
        for path, (lo, hi) in sc.uncertain.items():
            cur = data
            for key in path.split("."):
                cur = cur.get(key) if isinstance(cur, dict) else (
                    cur[int(key)] if isinstance(cur, list) and key.isdigit() and int(key) < len(cur) else None)
                if cur is None:
                    break
            if cur is None:
                out.append((f"uncertain.{path}", "no such field in this scenario"))
            elif isinstance(cur, bool) or not isinstance(cur, (int, float)):
                out.append((f"uncertain.{path}", f"not a number (it is {cur!r})"))
            elif not lo < hi:
                out.append((f"uncertain.{path}", f"need lo < hi, got [{lo}, {hi}]"))
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


# =========================================================================== loading
@dataclass
class Problem:
    path: str
    message: str
    line: int | None = None


class ScenarioError(Exception):
    """A scenario file is wrong. ``str()`` names the file, each field path and the fault."""

    def __init__(self, file: str | Path, problems: list[Problem]):
        self.file = str(file)
        self.problems = problems
        super().__init__(self.format())

    def format(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{self.file}:{p.line}" if p.line else self.file
            field = f" {p.path}:" if p.path else ""
            lines.append(f"{where}:{field} {p.message}")
        return "\n".join(lines)


def resolve_scenario_path(name_or_path: str | Path, base: Path | None = None) -> Path:
    """A scenario name (``baseline``) in ``scenarios/`` or a path to a YAML file."""
    p = Path(name_or_path)
    candidates = []
    if p.suffix in (".yaml", ".yml") or p.parent != Path("."):
        candidates.append(p if p.is_absolute() or base is None else base / p)
        candidates.append(p)
    else:
        if base is not None:
            candidates.append(base / f"{p}.yaml")
        candidates.append(SCENARIO_DIR / f"{p}.yaml")
        candidates.append(p)
    for c in candidates:
        if c.is_file():
            return c
    known = ", ".join(sorted(x.stem for x in SCENARIO_DIR.glob("*.yaml")))
    raise ScenarioError(name_or_path, [Problem("", f"no such scenario file (known scenarios: {known})")])


def _read_yaml(path: Path) -> tuple[dict, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(path, [Problem("", f"cannot read file: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        msg = f"YAML syntax error: {getattr(exc, 'problem', None) or exc}"
        raise ScenarioError(path, [Problem("", msg, line)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, [Problem("", "a scenario file must be a mapping of fields", 1)])
    return data, node


class MergeError(ValueError):
    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def deep_merge(parent: Any, child: Any, _path: tuple = ()) -> Any:
    """Merge ``child`` onto ``parent``: dicts recurse, ``None`` deletes, the rest replaces.

    Deleting a key the parent does not have raises :class:`MergeError` (a misspelt
    stance id in a removal must not pass silently).
    """
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for k, v in child.items():
            if v is None:
                if k not in out:
                    close = difflib.get_close_matches(str(k), list(map(str, out)), n=1)
                    hint = f"did you mean '{close[0]}'?" if close else \
                        f"it has: {', '.join(map(str, out)) or 'nothing'}"
                    raise MergeError((*_path, k), f"cannot remove '{k}': the parent has no such key ({hint})")
                del out[k]
            elif k in out:
                out[k] = deep_merge(out[k], v, (*_path, k))
            else:
                out[k] = _drop_nones(v)
        return out
    return _drop_nones(child)


def _drop_nones(v):
    if isinstance(v, dict):
        return {k: _drop_nones(x) for k, x in v.items() if x is not None}
    return v


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """Line (1-based) of the deepest node along ``path`` in a composed YAML tree."""
    line = None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def load_raw(name_or_path: str | Path, _seen: tuple = ()) -> tuple[dict, Path, yaml.Node | None]:
    """The merged (``extends``, ``stances_from``) but unvalidated mapping of a file."""
    path = resolve_scenario_path(name_or_path)
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path.resolve()))
        raise ScenarioError(path, [Problem("extends", f"circular extends: {chain}")])
    data, node = _read_yaml(path)
    parent_name = data.pop("extends", None)
    table = data.pop("stances_from", None)
    if table is not None:
        tpath = (path.parent / table) if not Path(table).is_absolute() else Path(table)
        from sim.seeds import load_stance_table, StanceTableError

        try:
            stances = load_stance_table(tpath).scenario_stances()
        except StanceTableError as exc:
            raise ScenarioError(path, [Problem("stances_from", str(exc), _line_of(node, ("stances_from",)))]) from None
        data["stances"] = _merge(stances, data.get("stances") or {}, path, node, ("stances",))
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise ScenarioError(path, [Problem("extends", "must be a scenario name or path",
                                               _line_of(node, ("extends",)))])
        try:
            parent_path = resolve_scenario_path(parent_name, base=path.parent)
        except ScenarioError:
            raise ScenarioError(path, [Problem("extends", f"no scenario '{parent_name}' to extend",
                                               _line_of(node, ("extends",)))]) from None
        parent, _, _ = load_raw(parent_path, (*_seen, path.resolve()))
        data = _merge(parent, data, path, node)
    return data, path, node


def _merge(parent, child, path, node, prefix: tuple = ()):
    try:
        return deep_merge(parent, child)
    except MergeError as exc:
        where = (*prefix, *exc.path)
        raise ScenarioError(path, [Problem(".".join(map(str, where)), str(exc), _line_of(node, where))]) from None


def load_scenario(name_or_path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load, merge and validate a scenario by name (``"baseline"``) or path.

    ``overrides`` is deep-merged last (same rules as ``extends``). Raises
    :class:`ScenarioError` on any fault.
    """
    data, path, node = load_raw(name_or_path)
    if overrides:
        data = _merge(data, overrides, "overrides", None)
    data.setdefault("name", path.stem)
    return validate_mapping(data, path, node)


def validate_mapping(data: dict, file: str | Path = "<scenario>", node: yaml.Node | None = None) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            ctx_err = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_err, _ReferenceErrors):
                for p, m in ctx_err.problems:
                    problems.append(Problem(p, m, _line_of(node, _split_path(p))))
                continue
            loc = tuple(x for x in err["loc"] if not _is_union_tag(x))
            p = ".".join(str(x) for x in loc)
            msg = _message(err)
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(err["loc"][-1]), _fields_at(err["loc"][:-1]), n=1)
                if close:
                    msg = f"unknown field (did you mean '{close[0]}'?)"
            problems.append(Problem(p, msg, _line_of(node, loc)))
        problems.sort(key=lambda q: q.line or 0)
        raise ScenarioError(file, problems) from None


def _fields_at(loc: tuple) -> list[str]:
    """Field names (aliases) of the schema model reached by a pydantic error location."""
    import typing

    from sim.stances import STANCE_TYPES

    tags = {"set_issue": SetIssueEvent, "set_crisis": SetCrisisEvent, "set_channel": ChannelEvent,
            "add_stance": AddStanceEvent, "remove_stance": RemoveStanceEvent, **STANCE_TYPES}
    cur: Any = Scenario
    for key in loc:
        if isinstance(key, str) and key in tags and not (isinstance(cur, type) and issubclass(cur, BaseModel)):
            cur = tags[key]
            continue
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            field = cur.model_fields.get(key) or next(
                (f for f in cur.model_fields.values() if f.alias == key), None)
            if field is None:
                return []
            cur = field.annotation
        else:
            args = [a for a in typing.get_args(cur) if a is not type(None)]
            cur = args[-1] if args else None          # dict value / list item / optional
        while typing.get_origin(cur) is typing.Annotated:
            cur = typing.get_args(cur)[0]
        if typing.get_origin(cur) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            models = [a for a in typing.get_args(cur) if isinstance(a, type) and issubclass(a, BaseModel)]
            cur = models[0] if len(models) == 1 else cur
    if isinstance(cur, type) and issubclass(cur, BaseModel):
        return [f.alias or n for n, f in cur.model_fields.items()]
    return []


def _split_path(p: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in p.split("."))


_TAGS = {"set_issue", "set_crisis", "set_channel", "add_stance", "remove_stance"}


def _is_union_tag(x) -> bool:
    from sim.stances import STANCE_TYPES

    return isinstance(x, str) and (x in _TAGS or x in STANCE_TYPES or x.startswith("function-"))


def _message(err: dict) -> str:
    t, msg = err["type"], err["msg"]
    if t == "extra_forbidden":
        return "unknown field (check the spelling; see docs/ODD.md for the fields)"
    if t == "missing":
        return "required field is missing"
    if t == "union_tag_invalid":
        return msg.replace("Input tag", "unknown type").replace("found using 'type' ", "")
    if t == "union_tag_not_found":
        return "needs a 'type' field"
    if t.startswith("value_error"):
        return re.sub(r"^Value error, ", "", msg)
    inp = err.get("input")
    if isinstance(inp, (int, float, str)) and not isinstance(inp, bool):
        return f"{msg} (got {inp!r})"
    return msg


def list_scenarios(directory: Path = SCENARIO_DIR) -> list[tuple[str, str]]:
    """(name, description) of every scenario file in ``directory``, sorted by name."""
    out = []
    for f in sorted(directory.glob("*.yaml")):
        try:
            sc = load_scenario(f)
            out.append((f.stem, " ".join(sc.description.split())))
        except ScenarioError as exc:
            out.append((f.stem, f"(invalid: {exc.problems[0].message})"))
    return out
