"""Stances: typed, named rules that change how an actor negotiates.

Each stance type is a small class (see STYLE.md): a docstring saying what it does and
the sentence of the source article that motivated it, its parameters, and the hooks
it overrides. A stance acts through exactly these hooks, so removing one (ablation)
is always defined: the hook falls back to the scenario's own value.

Hooks (all default to "no effect"):

* ``open_level(actor, other)`` - the least level a channel actor-other gets (opens it);
* ``cap_level(actor, other)`` - the most level it may have (re-levels / closes it);
* ``excludes(actor, other, issue)`` - the channel actor-other may not carry the issue;
* ``bounds(actor, issue, current, status_quo)`` - values the actor never offers or accepts;
* ``initial_blame()`` - public blame toward another actor at day 0;
* ``extra_control()`` - an issue this actor may commit on besides its controllers
  (with the leverage and cost of delivering them);
* ``veto()`` - (issue, actor) whose consent becomes part of the issue's decision rule;
* ``pressed(sender, receiver, issue_ids)`` - blame the actor adds toward a sender who
  presses it on an issue (a denier answering demands);
* ``commitment_for(issue)`` - (target value, credit per unit moved toward it) the
  actor's public call adds to its own unilateral moves, or its bloc's.

A stance that is something the actor *said* (``breakable = True``: talk only
technically, refuse talks, negotiate an issue only with one counterpart, deny a role,
call for a value) is a public commitment with a **price** for backing down (audience
costs, Fearon 1994; Tomz 2007): ``price`` (default: the scenario's
``commitments.price``), raised by the actor's blame of the stance's audience
(:mod:`sim.model.commitments`). The actor keeps it while what breaking it opens is
worth less than the price. ``hard: true`` marks a stance that stands for law or
physics, never broken. Opening talks, blame and a guarantor's leverage are not
commitments (nothing is given up by keeping or breaking them).

Blame acts outside these hooks too, through the blame matrix it seeds (docs/ODD.md 7.10):
the audience cost of conceding, the licence to harm a blamed actor unilaterally, and
the downgrade of a political channel when blame passes ``blame.channel_threshold``.

Levels are ordered closed < technical < political.
"""

from __future__ import annotations

from typing import Annotated, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

LEVELS = ("closed", "technical", "political")
RANK = {lvl: i for i, lvl in enumerate(LEVELS)}

_Id = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


class Stance(BaseModel):
    """Base class: an actor's stance, optionally grounded in a quote of the source."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, frozen=True)
    # What the stance does, one line, for tables and reports.
    summary: ClassVar[str] = ""
    # A public statement the actor can back down from, at a price (module docstring).
    breakable: ClassVar[bool] = False

    actor: _Id
    quote: str = ""
    start: int | None = Field(None, ge=0)
    end: int | None = Field(None, ge=0)
    note: str = ""
    price: float | None = Field(None, ge=0.0, le=10.0,
                                description="audience cost of backing down (default: commitments.price)")
    hard: bool = Field(False, description="law or physics: never broken, whatever it costs")

    # ---- hooks
    def open_level(self, actor: str, other: str) -> str | None:
        return None

    def cap_level(self, actor: str, other: str) -> str | None:
        return None

    def excludes(self, actor: str, other: str, issue: str) -> bool:
        return False

    def bounds(self, actor: str, issue: str, current: float, status_quo: float) -> tuple[float, float]:
        return 0.0, 1.0

    def initial_blame(self) -> tuple[str, str, float] | None:
        return None

    def extra_control(self) -> tuple[str, str, float, float] | None:
        return None

    def veto(self) -> tuple[str, str] | None:
        return None

    def pressed(self, sender: str, receiver: str, issues: tuple[str, ...], sender_ideal: dict) -> float:
        return 0.0

    def commitment_for(self, issue: str) -> tuple[float, float] | None:
        return None

    def audience(self, ideals: dict[str, dict[str, float]], x: dict[str, float]) -> tuple[str, ...]:
        """The actors the commitment is made against: the actor's blame of them raises
        the price of backing down (conceding to an actor one blames costs more at home).
        ``ideals``: actor -> issue -> ideal point; ``x``: issue -> current value."""
        with_ = getattr(self, "with_", None)
        return (with_,) if with_ else ()

    # ---- validation and display
    def references(self) -> dict[str, tuple[str, str]]:
        """Field name -> (kind, value) for cross-checks; kind is 'actor' or 'issue'."""
        return {"actor": ("actor", self.actor)}

    def reference_problems(self, actors: set, issues: set) -> list[tuple[str, str]]:
        out = []
        for field, (kind, value) in self.references().items():
            pool = actors if kind == "actor" else issues
            if value not in pool:
                out.append((field, f"unknown {kind} '{value}' (known: {', '.join(sorted(pool))})"))
        for field, (kind, value) in self.references().items():
            if field != "actor" and kind == "actor" and value == self.actor:
                out.append((field, "an actor cannot hold this stance toward itself"))
        return out

    def describe(self) -> str:
        params = self.model_dump(by_alias=True, exclude={"actor", "type", "quote", "start", "end", "note",
                                                         "price", "hard"})
        args = ", ".join(f"{k}={v}" for k, v in params.items() if v is not None)
        return f"{self.type}({args})"


class OpenToTalks(Stance):
    """The actor is open to talks with ``with`` at ``level``: the channel exists.

    Grounding (baseline): "Poland is open for negotiations with Russia".
    Removal: the channel falls back to the scenario's ``channels`` entry (closed if none).
    """

    summary: ClassVar[str] = "opens a channel to the counterpart at the given level"
    type: Literal["open_to_talks"]
    with_: _Id = Field(alias="with")
    level: Literal["technical", "political"] = "political"

    def open_level(self, actor, other):
        return self.level if (actor, other) == (self.actor, self.with_) else None

    def references(self):
        return {**super().references(), "with": ("actor", self.with_)}


class TechnicalOnly(Stance):
    """The actor talks to ``with`` only at the technical level: the channel is capped
    at ``technical``, so it never carries a political issue.

    Grounding (baseline): "At the technical level, we are ready to negotiate with the
    current Belarusian leadership, but this is [the only option]".
    Removal: the channel gets the level the scenario (or an opening stance) gives it.
    """

    summary: ClassVar[str] = "caps the channel to the counterpart at the technical level"
    breakable: ClassVar[bool] = True
    type: Literal["technical_only"]
    with_: _Id = Field(alias="with")

    def cap_level(self, actor, other):
        return "technical" if (actor, other) == (self.actor, self.with_) else None

    def references(self):
        return {**super().references(), "with": ("actor", self.with_)}


class RefusesTalks(Stance):
    """The actor refuses any talks with ``with``: the channel is closed, whatever the
    scenario or an opening stance gives it (caps apply after openings).

    Removal: the channel gets the level the scenario and any opening stance give it.
    """

    summary: ClassVar[str] = "closes the channel to the counterpart"
    breakable: ClassVar[bool] = True
    type: Literal["refuses_talks"]
    with_: _Id = Field(alias="with")

    def cap_level(self, actor, other):
        return "closed" if (actor, other) == (self.actor, self.with_) else None

    def references(self):
        return {**super().references(), "with": ("actor", self.with_)}


class PoliticalCounterpart(Stance):
    """The actor negotiates ``issue`` only with ``with``: a political channel to ``with``
    exists and is dedicated to ``issue`` (it carries nothing else), no other
    channel of the actor carries ``issue``, and the counterpart gets real standing:
    where the actor decides the issue, the counterpart's consent becomes part of the
    decision rule (a veto, docs/ODD.md 7.4).

    Grounding (baseline, Poland): "the talks concerning Belarus and the Polish-Belarusian
    ties, the future of Belarus, as we believe, should be held with the Belarusian
    opposition".
    Removal: the issue may be carried on any channel whose level allows it; the channel
    to ``with`` falls back to the scenario's entry.
    """

    summary: ClassVar[str] = "negotiates the issue only with the counterpart (political channel)"
    breakable: ClassVar[bool] = True
    type: Literal["political_counterpart"]
    issue: _Id
    with_: _Id = Field(alias="with")

    def open_level(self, actor, other):
        return "political" if (actor, other) == (self.actor, self.with_) else None

    def excludes(self, actor, other, issue):
        if actor != self.actor:
            return False
        return (issue == self.issue) != (other == self.with_)

    def veto(self):
        return self.issue, self.with_

    def references(self):
        return {**super().references(), "issue": ("issue", self.issue), "with": ("actor", self.with_)}


class DeniesResponsibility(Stance):
    """The actor denies any role: it never offers or accepts a value of ``issue`` above
    ``ceiling`` (default: the issue's status quo), i.e. no agreement acknowledging it,
    and it answers every demand for it with blame ("attempts to pass the buck"): an
    actor whose ideal on ``issue`` is above the ceiling presses the denier each time it
    makes it an offer on a channel that carries the issue, and every day in proportion
    to its public blame of the denier; each time, the denier's blame of that actor rises
    by ``blame.denial_blame`` (times the blame, for the daily public pressure).

    Grounding (baseline, Russia): "Russia has nothing to do with this issue".
    Removal: the actor may trade its acknowledgement like any other issue.
    """

    summary: ClassVar[str] = "never accepts a value of the issue above the ceiling"
    breakable: ClassVar[bool] = True
    type: Literal["denies_responsibility"]
    issue: _Id
    ceiling: float | None = Field(None, ge=0.0, le=1.0)

    def bounds(self, actor, issue, current, status_quo):
        if actor != self.actor or issue != self.issue:
            return 0.0, 1.0
        ceiling = status_quo if self.ceiling is None else self.ceiling
        return 0.0, max(ceiling, current)

    def pressed(self, sender, receiver, issues, sender_ideal):
        if receiver != self.actor or self.issue not in issues:
            return 0.0
        ceiling = self.ceiling if self.ceiling is not None else 0.0
        return 1.0 if sender_ideal.get(self.issue, 0.0) > max(ceiling, 0.0) + 1e-9 else 0.0

    def references(self):
        return {**super().references(), "issue": ("issue", self.issue)}

    def audience(self, ideals, x):
        """Those who demand the acknowledgement: their ideal is above the ceiling."""
        ceiling = self.ceiling if self.ceiling is not None else 0.0
        return tuple(k for k, z in ideals.items() if k != self.actor and z[self.issue] > ceiling + 1e-9)


class CallsFor(Stance):
    """The actor publicly calls for ``issue`` to reach ``value``: it never offers or
    accepts a value farther from ``value`` than the current one (no backsliding):
    |p - value| <= |x - value|; and it acts on the call: each unit a unilateral move
    by the actor, or by a composite actor it is a member of, brings the issue toward
    ``value`` is worth ``commitment`` more to the mover (delivering on a public call).

    Grounding (baseline, EU): "call for the imposition of sanctions".
    Removal: the actor may trade the issue down like any other.
    """

    summary: ClassVar[str] = "never accepts moving the issue away from the demanded value"
    breakable: ClassVar[bool] = True
    type: Literal["calls_for"]
    issue: _Id
    value: float = Field(ge=0.0, le=1.0)
    commitment: float = Field(0.1, ge=0.0, le=10.0)

    def bounds(self, actor, issue, current, status_quo):
        if actor != self.actor or issue != self.issue:
            return 0.0, 1.0
        d = abs(current - self.value)
        return max(0.0, self.value - d), min(1.0, self.value + d)

    def commitment_for(self, issue):
        return (self.value, self.commitment) if issue == self.issue else None

    def audience(self, ideals, x):
        """Those the call is made against: they want the issue on the other side of
        its current value from the demanded one."""
        cur = x[self.issue]
        side = self.value - cur
        return tuple(k for k, z in ideals.items()
                     if k != self.actor and (z[self.issue] - cur) * side < 0)

    def references(self):
        return {**super().references(), "issue": ("issue", self.issue)}


class Blames(Stance):
    """The actor publicly blames ``target`` with ``weight`` in [0, 1]: its initial blame,
    which (docs/ODD.md 7.10) raises the audience cost of conceding to the target,
    licenses unilateral moves that harm the target (their harm cost is scaled by
    1 - blame), and, at ``blame.channel_threshold`` or above, drops a political channel
    between them to technical.

    Grounding (baseline, Poland): "Rau called Russia the 'director' of the current crisis".
    Removal: the initial blame toward the target is 0 (blame can still grow in the run).
    """

    summary: ClassVar[str] = "public blame toward the target at day 0"
    type: Literal["blames"]
    target: _Id
    weight: float = Field(0.5, ge=0.0, le=1.0)

    def initial_blame(self):
        return self.actor, self.target, self.weight

    def references(self):
        return {**super().references(), "target": ("actor", self.target)}


class Guarantor(Stance):
    """The actor can commit on ``issue`` on behalf of its controllers (a patron or
    mediator) through an explicit ``leverage``: in a deal without a controller it can
    deliver at most ``leverage`` of the distance from the status quo to either end,
    and each unit it delivers costs it ``cost`` (what it spends to make the controller
    consent), counted in its value of the deal.

    Used by the ``russia_engages`` scenario (Russia mediates for Minsk).
    Removal: only the issue's own controllers can commit on it.
    """

    summary: ClassVar[str] = "can commit on the issue for its controllers, up to its leverage"
    type: Literal["guarantor"]
    issue: _Id
    leverage: float = Field(0.5, ge=0.0, le=1.0)
    cost: float = Field(0.05, ge=0.0, le=10.0)

    def extra_control(self):
        return self.issue, self.actor, self.leverage, self.cost

    def references(self):
        return {**super().references(), "issue": ("issue", self.issue)}


class ConditionalMove(Stance):
    """Base of ``threatens`` and ``promises``: a public, conditional commitment about a
    move the actor can make alone, tied to what ``target`` does on ``issue`` (Schelling
    1966; coercive engineered migration, Greenhill 2010; sanctions as threats, Lacy &
    Niou 2004). The demand is met while the issue is at least ``at_least`` (or at most
    ``at_most``). On day ``first_day`` and every ``every_days`` after, the actor checks
    it: a threat is carried out if the demand is not met, a promise if it is; carrying
    out moves ``then_issue`` to ``then_to`` (or by ``then_by``) as far as the actor can
    alone, at ``cost`` per unit moved (default: its unilateral cost on that issue); the
    actor carries out iff that is worth no less to it than backing down, which costs its
    ``price`` (docs/ODD.md 7.16). The target weighs the move it would avert or earn,
    times its credibility, in every choice (:mod:`sim.model.threats`).
    Removal: no conditional move; the actor may still move the issue alone."""

    target: _Id
    issue: _Id
    at_least: float | None = Field(None, ge=0.0, le=1.0)
    at_most: float | None = Field(None, ge=0.0, le=1.0)
    then_issue: _Id
    then_to: float | None = Field(None, ge=0.0, le=1.0)
    then_by: float | None = Field(None, ge=-1.0, le=1.0)
    first_day: int = Field(14, ge=0, le=3650)
    every_days: int = Field(14, ge=1, le=3650)
    cost: float | None = Field(None, ge=0.0, le=10.0, description="cost per unit moved when carried out")

    @model_validator(mode="after")
    def _one_each(self):
        if (self.at_least is None) == (self.at_most is None):
            raise ValueError("give exactly one of at_least and at_most (the demand on the issue)")
        if (self.then_to is None) == (self.then_by is None):
            raise ValueError("give exactly one of then_to and then_by (the move)")
        return self

    def audience(self, ideals, x):
        """Backing down in front of the target: the maker's blame of it raises the price."""
        return (self.target,)

    def demand_met(self, x: float) -> bool:
        return x >= self.at_least - 1e-9 if self.at_least is not None else x <= self.at_most + 1e-9

    def references(self):
        return {**super().references(), "target": ("actor", self.target), "issue": ("issue", self.issue),
                "then_issue": ("issue", self.then_issue)}


class Threatens(ConditionalMove):
    """If ``target`` does not meet the demand on ``issue`` by each check, the actor
    carries out the move (e.g. the EU lists more of those who organise the crossings
    while the flow goes on). Grounding (baseline): record 15 Nov 2021, the Council
    widens the legal basis of sanctions to those who organise or facilitate crossings."""

    summary: ClassVar[str] = "carries out a move if the target does not meet the demand"
    kind: ClassVar[str] = "threat"
    type: Literal["threatens"]


class Promises(ConditionalMove):
    """If ``target`` meets the demand on ``issue`` at a check, the actor carries out the
    move (e.g. the EU funds returns if Minsk curbs the flow). Grounding (baseline):
    record 15 and 17 Nov 2021, the Merkel-Lukashenko calls on humanitarian aid and the
    return of migrants."""

    summary: ClassVar[str] = "carries out a move if the target meets the demand"
    kind: ClassVar[str] = "promise"
    type: Literal["promises"]


STANCE_CLASSES = (OpenToTalks, TechnicalOnly, RefusesTalks, PoliticalCounterpart,
                  DeniesResponsibility, CallsFor, Blames, Guarantor, Threatens, Promises)
STANCE_TYPES = {cls.model_fields["type"].annotation.__args__[0]: cls for cls in STANCE_CLASSES}

StanceSpec = Annotated[
    OpenToTalks | TechnicalOnly | RefusesTalks | PoliticalCounterpart
    | DeniesResponsibility | CallsFor | Blames | Guarantor | Threatens | Promises,
    Field(discriminator="type"),
]
