"""Single-text mediation: a mediator drafts one negotiating text, the parties mark it,
the mediator revises, and when no revision pleases everyone the text is put to them for
signature (docs/ODD.md 8.3).

Raiffa (1982), *The Art and Science of Negotiation*, ch. 14 and 17: the single
negotiating text of Camp David. The vote on each revision is the veto rule of the
single-text mechanisms of Klein, Faratin, Sayama & Bar-Yam (2003, "Negotiating complex
contracts") that NegMAS ships as ``VetoSTMechanism``: a revision replaces the text only
if no party is worse off by it. It is the protocol of parties who will not sign with
each other: each signs the mediator's text (the mirror agreements of the 2022 Black Sea
grain deal); channels between the parties play no part.

**The table.** The mediator ``protocol.mediator`` and the parties ``protocol.table``
(default: every actor with an open channel to the mediator). A party's level at the
table is ``protocol.table_level``, capped by its own and the mediator's stances toward
each other (``technical_only`` caps it at technical, ``refuses_talks`` takes the party
away from the table) and dropped to technical while the pair is hostile (blame at or
above ``blame.channel_threshold``, as channels are); the table's level is the lowest of
them, and technical if a party talks to another party at the table only at the
technical level. A refusal of direct talks between two parties, and hostility between
them, do not matter: that is what the mediator bridges. The **signatories** are the
parties and the mediator (a mediator with interests: its own value must not fall
either). The text carries the issues the table's level allows, that no signatory's
stance excludes with the mediator (or the mediator's with a party), and that the
signatories can deliver under the issue's decision rule. The box [L, U] of the text is
what every signatory's stance bounds allow, narrowed by the issue's rule
(:func:`sim.model.control.interval`, with the counterparts of agreements in force as
extra vetoes).

**A day** (on the mediator's turn, once a day, outside a ``cooldown_days`` rest after a
signature). With g_i the signatory's value of a text T over today's implemented values
(:func:`sim.protocols.boa.gain`: utility gain plus anticipated crisis relief):

1. *marks and revision*: for the step d = ``mediation_step``, then d/2, d/4, ... (not
   below ``min_change``/2, nor below 0.001), the candidate revisions are every issue moved by +-d, and
   every pair of issues moved by +-d and +-d, +-d/2 or +-d/2 and +-d (a trade at 1:1, 1:2
   or 2:1), clipped to the box. A candidate T' passes
   the vote if no signatory loses by it (g_i(T') >= g_i(T)) and some signatory gains.
   The mediator adopts the passing candidate that most helps the signatory it helps
   least (max min_i [g_i(T') - g_i(T)]; ties: the larger sum, then the first), at the
   largest step that has one: one revision a day;
2. *signature*: on a day without a passing revision the text is final; the mediator
   asks for signatures if it moves some issue by at least ``min_change``. Every
   signatory signs iff the text is inside its own bounds and its value of it is at least
   max(reservation, 0) (:func:`sim.model.agreements.voluntary`, the rule of every
   agreement). If all sign, the text is an agreement of all signatories, implemented by
   its controllers; blame eases between each party and the mediator (they signed with
   it, not with each other), and the next text starts from the new values.

The text draws nothing: the protocol is deterministic given the day's state. Revisions
and signature calls are logged as offers (from the mediator to the table).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated, Literal

from pydantic import Field

from sim.model.agreements import voluntary
from sim.model.control import can_deliver, interval
from sim.model.deal_space import MultiSpace
from sim.model.stances import RANK
from sim.protocols.base import Protocol
from sim.protocols.boa import gain
from sim.scenario.schema import ID_PATTERN, ProtocolOptions

HELP = "a mediator's single negotiating text; needs protocol.mediator in the scenario"
COLOR = "#CC79A7"

_Id = Annotated[str, Field(pattern=ID_PATTERN)]


class Options(ProtocolOptions):
    """Mediation's fields of ``protocol:`` (docs/ODD.md 8.3): the mediator, the parties at
    its table (default: every actor with an open channel to the mediator), the table's
    level, and the largest change the mediator makes to the text in one revision."""

    mediator: _Id | None = None
    table: list[_Id] = []
    # parties at the table that sign every party's mirror document beside the mediator
    # (Turkey in the 2022 grain initiative: Russia-Turkey-UN and Ukraine-Turkey-UN)
    co_mediators: list[_Id] = []
    table_level: Literal["technical", "political"] = "political"
    mediation_step: float = Field(0.2, gt=0.0, le=1.0)


def available(sc) -> bool:
    """A scenario runs under mediation only if it names a mediator."""
    return sc.protocol.mediator is not None


def problems(sc) -> list[tuple[str, str]]:
    """The mediation fields: a known mediator (required by the mediation protocol) and a
    table of known actors other than the mediator, each named once."""
    out: list[tuple[str, str]] = []
    p = sc.protocol
    actors = ", ".join(sorted(sc.actors))
    if p.mediator is not None and p.mediator not in sc.actors:
        out.append(("protocol.mediator", f"unknown actor '{p.mediator}' (actors: {actors})"))
    elif p.name == "mediation" and p.mediator is None:
        out.append(("protocol.mediator", "the mediation protocol needs a mediator: the id of one of the "
                                         f"scenario's actors ({actors})"))
    for n, a in enumerate(p.table):
        if a not in sc.actors:
            out.append((f"protocol.table.{n}", f"unknown actor '{a}' (actors: {actors})"))
        elif a == p.mediator:
            out.append((f"protocol.table.{n}", "the mediator is not one of the parties at its own table"))
        elif a in p.table[:n]:
            out.append((f"protocol.table.{n}", f"'{a}' is at the table twice"))
    for n, a in enumerate(p.co_mediators):
        if a not in sc.actors:
            out.append((f"protocol.co_mediators.{n}", f"unknown actor '{a}' (actors: {actors})"))
        elif a == p.mediator:
            out.append((f"protocol.co_mediators.{n}", "the mediator is not its own co-mediator"))
        elif p.table and a not in p.table:
            out.append((f"protocol.co_mediators.{n}", f"'{a}' is not at the table (protocol.table)"))
    return out



@dataclass(frozen=True)
class Table:
    """A mediator's table: the parties, the mediator, the signatories (``key``: the
    parties and the mediator, in actor order), its level and the issues the text carries."""

    parties: tuple[str, ...]
    mediator: str
    level: str
    issues: tuple[int, ...]
    key: tuple[str, ...]

    co_mediators: tuple[str, ...] = ()

    def signed_pairs(self) -> tuple[tuple[str, str], ...]:
        """Each party signed with the mediator (mirror agreements), not with the others."""
        return tuple((p, m) for p in self.parties if p not in self.co_mediators
                     for m in (*self.co_mediators, self.mediator)) + \
            tuple((c, self.mediator) for c in self.co_mediators)

    def documents(self) -> tuple[tuple[str, ...], ...]:
        """The mirror documents of a signed text (docs/ODD.md 8.3): each party that is not a
        co-mediator signs its own with the co-mediators and the mediator, in actor order
        (the 2022 grain initiative: Russia-Turkey-UN and Ukraine-Turkey-UN)."""
        own = [p for p in self.parties if p not in self.co_mediators]
        if not own:
            return (self.key,)
        return tuple(tuple(k for k in self.key if k == p or k in self.co_mediators or k == self.mediator)
                     for p in own)


MIN_STEP = 1e-3      # the smallest revision step, whatever min_change (which may be 0)


class Mediation(Protocol):
    """Single-text mediation (Raiffa 1982) with a veto vote on each revision."""

    name = "mediation"
    classifier = {"makes_agreements": True, "time": "days (one revision of the text a day)", "stochastic": False,
                  "forecast": "the implemented values",
                  "source": "Raiffa (1982), ch. 14; Klein et al. (2003); NegMAS VetoSTMechanism"}

    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.mediator = spec.mediator
        self.min_change = spec.min_change
        self.cooldown_days = spec.cooldown_days
        self.cooldown_until = -1
        self.table: Table | None = None
        self.text: tuple | None = None          # values over table.issues
        self._stale = True
        steps, d = [], spec.mediation_step
        floor = max(spec.min_change / 2, MIN_STEP)     # min_change may be 0: the halving stops anyway
        while d >= floor - 1e-12:
            steps.append(d)
            d /= 2
        self.steps = tuple(steps) or (spec.mediation_step,)

    # ------------------------------------------------------------ the table
    def state_changed(self) -> None:
        self._stale = True

    def _build(self) -> Table | None:
        m, med = self.model, self.mediator
        invited = list(self.spec.table) or [a for a in m.actor_ids
                                              if a != med and m.channel_level(a, med) != "closed"]
        levels = {a: m.capped_level(a, med, self.spec.table_level) for a in invited}
        parties = tuple(a for a in m.actor_ids if a in levels and levels[a] != "closed")
        if not parties:
            return None
        level = min((levels[a] for a in parties), key=RANK.get)
        # a party that talks to another only at the technical level keeps the whole table
        # technical; a refusal of direct talks ("closed") is what the mediator bridges
        for u in parties:
            for st in m.stances_of(u):
                for v in parties:
                    lv = st.cap_level(u, v) if v != u else None
                    if lv == "technical" and RANK[lv] < RANK[level]:
                        level = lv
        signatories = (*parties, med)
        issues = tuple(
            j for j, issue in enumerate(m.issue_ids)
            if (level == "political" or not m.political[j])
            and can_deliver(m.rules[j], signatories)
            and not any(st.excludes(p, med, issue) for p in parties for st in m.stances_of(p))
            and not any(st.excludes(med, p, issue) for p in parties for st in m.stances_of(med))
        )
        key = tuple(a for a in m.actor_ids if a in parties or a == med)
        co = tuple(a for a in parties if a in self.spec.co_mediators)
        return Table(parties, med, level, issues, key, co) if issues else None

    def _refresh(self) -> None:
        """Rebuild the table and its box when the state moved; the text is kept where
        the table is the same (clipped into the new box), else it starts at today's values."""
        if not self._stale:
            return
        self._stale = False
        m = self.model
        table = self._build()
        if table != self.table:
            self.table = table
            self.text = None
        if table is None:
            return
        key = table.key
        lo, hi = [], []
        for j in table.issues:
            x = float(m.x[j])
            a, b = interval(m, j, key, m.registry.holders(m.issue_ids[j], key)) or (x, x)
            for k in key:
                ka, kb = m.bounds(k, j)
                a, b = max(a, ka), min(b, kb)
            if a > b:
                a = b = x
            lo.append(a)
            hi.append(b)
        self.lo, self.hi = tuple(lo), tuple(hi)
        if self.text is None:
            self.text = tuple(float(m.x[j]) for j in table.issues)
        else:
            self.text = tuple(min(max(v, a), b) for v, a, b in zip(self.text, self.lo, self.hi))

    def _prefs(self, key: str) -> tuple:
        """(ideal, saliences, relief) of a signatory over the text's issues (today's relief)."""
        m, C = self.model, self.table.issues
        actor = m.actors[key]
        c = m.relief_tuple(actor)
        return (tuple(float(actor.ideal[j]) for j in C), tuple(float(actor.w[j]) for j in C),
                tuple(c[j] for j in C))

    # ------------------------------------------------------------ the day
    def act(self, actor) -> None:
        m = self.model
        if actor.key != self.mediator or m.day < self.cooldown_until:
            return
        self._refresh()
        if self.table is None:
            return
        table, text = self.table, self.text
        prefs = {k: self._prefs(k) for k in table.key}
        revised = self._revise(prefs, text)
        if revised is not None:
            self.text = revised
            self._log("revised", revised)
            return
        xs = tuple(float(m.x[j]) for j in table.issues)
        if max(abs(a - b) for a, b in zip(text, xs)) < self.min_change:
            return
        if self._sign(prefs, xs, text):
            self._log("signed", text)
        else:
            self._log("not signed", text)

    def _revise(self, prefs: dict, text: tuple) -> tuple | None:
        """The day's revision of the text, or None if no candidate passes the vote."""
        n = len(text)
        keys = list(prefs)
        for d in self.steps:
            moves = [self._options(prefs, keys, text, j, d) for j in range(n)]
            best, best_key = None, None
            for j in range(n):
                for v, dg, full in moves[j]:
                    if full:
                        best, best_key = self._consider(best, best_key, ((j, v),), dg)
                for k in range(j + 1, n):
                    for v, dg, full in moves[j]:
                        for u, dh, full_k in moves[k]:
                            if full or full_k:      # two half steps: the next level's 1:1 pair
                                best, best_key = self._consider(best, best_key, ((j, v), (k, u)),
                                                                tuple(a + b for a, b in zip(dg, dh)))
            if best is not None:
                new = list(text)
                for j, v in best:
                    new[j] = v
                return tuple(new)
        return None

    def _options(self, prefs, keys, text, j, d) -> list[tuple]:
        """Issue j's moves at step d: (value, each signatory's change of value, full):
        up and down by d (``full``) and by d/2, clipped to the box, each value once."""
        out = []
        x = text[j]
        for v, full in ((min(x + d, self.hi[j]), True), (max(x - d, self.lo[j]), True),
                        (min(x + d / 2, self.hi[j]), False), (max(x - d / 2, self.lo[j]), False)):
            if abs(v - x) > 1e-12 and all(abs(v - o[0]) > 1e-12 for o in out):
                out.append((v, tuple(self._term(prefs[k], j, x, v) for k in keys), full))
        return out

    @staticmethod
    def _consider(best, best_key, change, dg):
        """Keep the candidate if it passes the vote (nobody loses, someone gains) and
        beats the best so far on (least gain, total gain)."""
        low = min(dg)
        if low < -1e-12 or max(dg) <= 1e-12:
            return best, best_key
        key = (low, sum(dg))
        if best_key is None or key > best_key:
            return change, key
        return best, best_key

    @staticmethod
    def _term(prefs, j, old, new) -> float:
        """The change of a signatory's value when issue j of the text moves old -> new."""
        z, w, c = prefs
        return w[j] * (abs(old - z[j]) - abs(new - z[j])) + c[j] * (new - old)

    def _sign(self, prefs: dict, xs: tuple, text: tuple) -> bool:
        """Put the final text to the signatories; implement it if every one signs."""
        m, table = self.model, self.table
        for k in table.key:
            for j, v in zip(table.issues, text):
                a, b = m.bounds(k, j)
                if not a - 1e-9 <= v <= b + 1e-9:
                    return False
        check = voluntary(m, table.key, table.issues, text)
        if check is None:
            return False
        space = MultiSpace(tuple(prefs[k] for k in table.key), xs, self.lo, self.hi, tuple(text))
        m.implement(table, self.mediator, text, *check, mediator=self.mediator, space=space)
        self.cooldown_until = m.day + self.cooldown_days
        self.text = None
        return True

    def _log(self, outcome: str, text: tuple) -> None:
        m, table = self.model, self.table
        pos = m.actors[self.mediator].position
        for j, v in zip(table.issues, text):
            pos[j] = v
        if m.log_offers:
            row = {"day": m.day, "from": self.mediator, "to": ";".join(table.parties), "level": table.level,
                   "outcome": outcome}
            row.update({m.issue_ids[j]: v for j, v in zip(table.issues, text)})
            m.offers.append(row)

    def value(self, key: str, text: tuple) -> float:
        """g_i of a text for signatory ``key`` at today's state (what the vote compares)."""
        z, w, c = self._prefs(key)
        return gain(w, z, tuple(float(self.model.x[j]) for j in self.table.issues), text, c)
