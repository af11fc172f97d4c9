"""A continuation's history run (docs/ODD.md 5, ``starts_from:``): the history scenario
is run first, on the replicate's own history seed, and what it leaves is day 0 of the
forecast's model (:meth:`sim.model.NegotiationModel._continue`; the run itself:
:func:`sim.model.model.run_history`). The scenario side of
the chain (embedding, shared fields, seeds, priors) is :mod:`sim.scenario.continuation`."""

from __future__ import annotations

from dataclasses import dataclass, field

from sim.model.records import Act


@dataclass
class StartState:
    """What a history run leaves (:func:`end_state`), read by the forecast's model at
    day 0 (``NegotiationModel(start=...)``)."""

    issues: dict[str, float]
    stocks: dict[str, float]
    blame: dict[tuple[str, str], float]          # (i, k) -> b_ik above the history's public level
    acts: list = field(default_factory=list)     # the history's recorded moves, days before 0
    history: str = ""


def end_state(model) -> StartState:
    """The state a finished history ``model`` leaves: issue values, stock levels, the
    blame above its public level, and its issue-moving acts re-dated before day 0."""
    spec = model.spec
    n = model.horizon
    issues = {j: float(model.x[k]) for k, j in enumerate(model.issue_ids)}
    stocks = {name: float(st.level) for name, st in model.env.stocks.items()}
    b = model.blames.b - model.blames.b0
    ids = model.actor_ids
    blame = {(ids[i], ids[k]): float(b[i, k]) for i in range(len(ids)) for k in range(len(ids))
             if i != k and b[i, k] != 0.0}
    acts = []
    for a in model.registry.record:
        if not a.changes:
            continue
        date = spec.date_of(a.day)
        acts.append(Act(a.day - n, "history", a.actors, dict(a.changes), level=a.level,
                        kind=a.kind or spec.issues[next(iter(a.changes))].kind, label=a.label,
                        reason=a.reason or f"record {date}: {a.label}", cost=a.cost))
    return StartState(issues, stocks, blame, acts, spec.name)
