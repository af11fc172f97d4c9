"""Decision rules: who must consent to move an issue, and how far a set of parties
can move it (docs/ODD.md 7.4).

An issue's **deciders** are its controllers, the members of a composite controller
(a bloc and its member states), and the counterparts whose consent a
``political_counterpart`` stance of a decider makes part of the rule. A move of issue j
from x to v by some **parties** (the two sides of a deal, or one actor acting alone)
passes if the rule holds with the parties' consent and the consent of every non-party
decider who does not lose by it. A non-party k consents to v iff v is no farther from
its ideal than x is and inside its own stance bounds (a veto player accepts what
improves on the status quo; Tsebelis 2002):

    C_k(x) = {v : |v - z_k| <= |x - z_k|} intersected with bounds_k

Rules:

* ``sole``: the one controller acts; the issue moves anywhere in [0, 1] minus vetoes.
* ``unanimity``: every non-party decider must consent: the intersection of the C_k
  (EU sanctions: the Council acts only if no member state objects).
* ``qualified_majority``: v passes iff the weight (capability) of the party deciders
  plus the consenting non-parties is at least ``threshold`` of all deciders' weight.
  Every C_k contains x, so the set of passing values is an interval around x.
* ``weighted``: the parties' capability share s of the controllers moves the issue at
  most s of the way from the **status quo** (not from the current value: repeated deals
  do not ratchet): [q - s q, q + s (1 - q)], widened to contain x.

A party can commit only what it can deliver: a deal carries issue j only if a party is
a controller of j (a member or a veto holder can block, not act for the bloc), or a
guarantor with leverage L, who can deliver at most [q - L q, q + L (1 - q)] without
the controller. Extra vetoes (the counterpart of an agreement still in force, when
a bound party tries to undo its terms in a new deal) are intersected in by the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from sim.model.records import value_of


@dataclass(frozen=True)
class IssueRule:
    """How one issue is decided, as derived from the scenario and the stances."""

    rule: str
    controllers: tuple[str, ...]
    deciders: tuple[tuple[str, float], ...]        # (actor, weight), controllers and members
    vetoes: tuple[str, ...]                         # extra consent needed (counterparts)
    threshold: float
    guarantors: tuple[tuple[str, float, float], ...]  # (actor, leverage, cost)


def build_rules(model, base: list[IssueRule] | None = None, only=None) -> list[IssueRule]:
    """One :class:`IssueRule` per issue, from the scenario's issues, the actors'
    members and capabilities, and the stances in force. With ``base`` and ``only`` (issue
    ids), only those issues' rules are rebuilt and the others taken from ``base``."""
    spec, actors = model.spec, model.spec.actors
    guar: dict[str, list] = {}
    vetoes: dict[str, list] = {}
    for st in model.stances.values():
        g = st.extra_control()
        if g:
            guar.setdefault(g[0], []).append((g[1], g[2], g[3]))
    order = {a: n for n, a in enumerate(model.actor_ids)}
    rules = []
    for n, (j, issue) in enumerate(spec.issues.items()):
        if only is not None and j not in only:
            rules.append(base[n])
            continue
        ctrl = tuple(sorted(issue.control, key=order.get))
        deciders = [(a, actors[a].capability) for a in ctrl]
        for a in ctrl:
            for m in actors[a].members:
                if m not in ctrl and all(m != d for d, _ in deciders):
                    deciders.append((m, actors[m].capability))
        names = {d for d, _ in deciders}
        for st in model.stances.values():
            v = st.veto()
            if v and v[0] == j and st.actor in names and v[1] not in names:
                vetoes.setdefault(j, []).append(v[1])
        rules.append(IssueRule(issue.rule, ctrl, tuple(deciders),
                               tuple(sorted(set(vetoes.get(j, ())), key=order.get)),
                               issue.threshold, tuple(guar.get(j, ()))))
    return rules


def consent_interval(actor, j: int, x: float, bounds: tuple[float, float]) -> tuple[float, float]:
    """C_k(x): the values of issue j a non-party ``actor`` consents to."""
    z = float(actor.ideal[j])
    d = abs(x - z)
    return max(bounds[0], z - d, 0.0), min(bounds[1], z + d, 1.0)


def can_deliver(rule: IssueRule, parties) -> bool:
    """A deal among ``parties`` (or one actor alone) can commit the issue."""
    return _controls(rule, parties) or any(g[0] in parties for g in rule.guarantors)


def _controls(rule: IssueRule, parties) -> bool:
    """Some party is a controller of the issue (a loop: this runs for every move weighed)."""
    ctrl = rule.controllers
    for p in parties:
        if p in ctrl:
            return True
    return False


def guarantor_cost(rule: IssueRule, parties) -> dict[str, float]:
    """Cost per unit delivered for each guarantor among ``parties`` when no controller is."""
    if _controls(rule, parties):
        return {}
    return {g: c for g, _lev, c in rule.guarantors if g in parties}


def interval(model, j: int, parties, extra_vetoes=(), package: bool = False) -> tuple[float, float] | None:
    """The values of issue j that ``parties`` can implement under its rule, or None if
    they cannot deliver it. Always contains the current value x_j.

    ``package``: the move is part of a package (a deal): under unanimity the other
    deciders' consent is then asked of the whole package (:func:`package_vetoes`), not
    issue by issue, so it does not narrow the interval here; explicit vetoes (a
    ``political_counterpart``'s, an agreement's counterparts) still do."""
    rule = model.rules[j]
    if not can_deliver(rule, parties):
        return None
    x = float(model.x[j])
    q = float(model.status_quo[j])
    controls = _controls(rule, parties)
    if not controls:
        lev = max(g[1] for g in rule.guarantors if g[0] in parties)
        lo, hi = min(x, q - lev * q), max(x, q + lev * (1.0 - q))
    elif rule.rule == "weighted":
        caps = {a: w for a, w in rule.deciders if a in rule.controllers}
        s = sum(w for a, w in caps.items() if a in parties) / sum(caps.values())
        lo, hi = min(x, q - s * q), max(x, q + s * (1.0 - q))
    else:
        lo, hi = 0.0, 1.0

    def consent(k):
        return consent_interval(model.actors[k], j, x, model.bounds(k, j))

    if rule.rule == "unanimity" and not package:
        for k, _w in rule.deciders:
            if k not in parties:
                a, b = consent(k)
                lo, hi = max(lo, a), min(hi, b)
    elif rule.rule == "qualified_majority" and controls:
        total = sum(w for _, w in rule.deciders)
        need = rule.threshold * total - sum(w for k, w in rule.deciders if k in parties)
        others = [(consent(k), w) for k, w in rule.deciders if k not in parties]
        # up: the largest v such that the weight of non-parties with upper end >= v is enough
        hi = min(hi, _reach([(b, w) for (a, b), w in others], need, x, up=True))
        lo = max(lo, _reach([(a, w) for (a, b), w in others], need, x, up=False))
    for k in (*rule.vetoes, *extra_vetoes):
        if k not in parties:
            a, b = consent(k)
            lo, hi = max(lo, a), min(hi, b)
    if lo > x:
        lo = x
    if hi < x:
        hi = x
    return lo, hi


def _reach(ends: list[tuple[float, float]], need: float, x: float, up: bool) -> float:
    """How far from x a qualified majority reaches: with non-parties' interval ends
    ``ends`` (end, weight), the farthest v such that the weight of those whose end is
    at least as far as v is >= ``need``."""
    if need <= 1e-12:
        return 1.0 if up else 0.0
    got = 0.0
    for end, w in sorted(ends, key=lambda t: -t[0] if up else t[0]):
        got += w
        if got >= need - 1e-12:
            return max(end, x) if up else min(end, x)
    return x


def movable_alone(model, actor: str) -> list[int]:
    """Issues the actor controls and can move without a counterpart (it may still need
    the consent of other deciders)."""
    return [j for j, r in enumerate(model.rules) if actor in r.controllers]


def package_vetoes(model, parties, issues, p, before=None, after=None) -> list[tuple[str, float]]:
    """Deciders who veto a package (issue linkage, docs/ODD.md 7.4): under unanimity a
    non-party decider k of a moved issue consents if every moved issue it decides
    stays inside its consent interval C_k (it loses on none of them), or else if the
    package as a whole is worth at least nothing to it, V_k >= 0 (utility and
    anticipated relief over all the package's issues; a veto player accepts a package
    that improves on the status quo, Tsebelis 2002). Returns (decider, V_k) of each
    who refuses."""
    out = []
    asked = []
    for j, v in zip(issues, p):
        rule = model.rules[j]
        if rule.rule != "unanimity":
            continue
        x = float(model.x[j])
        if abs(v - x) <= 1e-12:
            continue
        for k, _w in rule.deciders:
            if k in parties or k in asked:
                continue
            a, b = consent_interval(model.actors[k], j, x, model.bounds(k, j))
            if not a - 1e-12 <= v <= b + 1e-12:
                asked.append(k)
    if not asked:
        return out
    if before is None:
        before = model.x
        after = before.copy()
        for j, v in zip(issues, p):
            after[j] = v
    for k in asked:
        lo_ok = True
        for j, v in zip(issues, p):
            lo, hi = model.bounds(k, j)
            if not lo - 1e-12 <= v <= hi + 1e-12 and abs(v - float(model.x[j])) > 1e-12:
                lo_ok = False
        value = value_of(model, model.actors[k], before, after)
        if not lo_ok or value < -1e-12:
            out.append((k, float(value)))
    return out
