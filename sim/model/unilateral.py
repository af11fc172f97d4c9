"""Unilateral action: moves an actor makes alone, on issues it controls, in the shadow
of the negotiation (closing a zone, organising returns, adopting sanctions by the
bloc's own procedure, restricting routes; docs/ODD.md 7.11).

Once a day, on its turn, an actor may move each issue it controls, at most
``unilateral_step`` per move and once every ``unilateral_interval_days``, within what
the issue's decision rule lets it do alone (the consent of the other deciders,
:func:`sim.model.control.interval`) and its own stance bounds. It takes the better of
one step up or one step down if its net value is positive:

    N_i(v) = w_ij (|x - z_ij| - |v - z_ij|)            own utility
           + r_ij (v - x)                               anticipated crisis relief
           + k_i (|x - g| - |v - g|)                    a public call for g (calls_for)
           - c_ij |v - x|                                own cost of acting
           - beta * sum_k (1 - b_ik) h_k(v)              harm to others, licensed by blame
           - breach_cost * #breaches                    agreements it would break
           - L_i(v)                                     threats it would trigger, promises
                                                        it would forgo (docs/ODD.md 7.16)

with h_k(v) = max(0, w_kj (|v - z_kj| - |x - z_kj|)) the harm to actor k, b_ik the
actor's blame of k and beta = ``blame.harm_aversion`` (the actor is blamed for harm
to those it does not already blame; harm to a blamed actor is licensed retaliation).
"""

from __future__ import annotations

from sim.model.control import interval
from sim.model.records import Act, own_value  # noqa: F401  (own_value: threats and tests read it here too)
from sim.model.threats import crossing_loss


def net_value(model, actor, j: int, v: float, relief) -> tuple[float, list]:
    """N_i(v) of moving issue j to v, and the breaches the move would commit."""
    x = float(model.x[j])
    n = own_value(x, v, float(actor.ideal[j]), float(actor.w[j]), float(relief[j]),
                  model.commitments(actor.key, j), model.unilateral_cost(actor.key, j))
    beta = model.spec.blame.harm_aversion
    brow = None
    rule = model.rules[j]
    shared = rule.controllers if rule.rule == "weighted" else ()   # each moves its own share
    for k, ik, zk, wk in model.stakes(j):
        if k == actor.key or k in shared:
            continue
        h = wk * (abs(v - zk) - abs(x - zk))
        if h > 0:
            if brow is None:
                brow = model.blame[model.aidx[actor.key]].tolist()
            n -= beta * (1.0 - brow[ik]) * h
    breaches = model.registry.breached_by(actor.key, model.issue_ids[j], x, v)
    n -= model.spec.agreements.breach_cost * len(breaches)
    if actor.key in model._cond_targets:            # a demand it meets, left unmet (7.16)
        n -= crossing_loss(model, actor.key, j, x, v)
    return n, breaches


def _reason(model, actor, j, x, v, n, relief, calls, cost, breaches) -> str:
    """N_i(v) of a move the actor makes, term by term, in its own words."""
    z, w = float(actor.ideal[j]), float(actor.w[j])
    parts = [f"its position {w * (abs(x - z) - abs(v - z)):+.3f}",
             f"the crisis and the threats or promises aimed at it {relief * (v - x):+.3f}"]
    if calls:
        parts.append(f"its public call {sum(c * (abs(x - g) - abs(v - g)) for g, c in calls):+.3f}")
    parts.append(f"cost {-cost * abs(v - x):+.3f}")
    rest = n - (w * (abs(x - z) - abs(v - z)) + relief * (v - x)
                + sum(c * (abs(x - g) - abs(v - g)) for g, c in calls) - cost * abs(v - x))
    if abs(rest) > 5e-4:
        parts.append(f"harm to others, breaches and threats {rest:+.3f}")
    if breaches:
        parts.append(f"breaking {len(breaches)} agreement(s)")
    return (f"{actor.label} moves {model.issue_ids[j]} {x:.2f}->{v:.2f} alone: worth {n:+.3f} to it "
            f"({', '.join(parts)})")


def plan(model, actor) -> list[tuple]:
    """The actor's movable issues with what its decision needs that does not change
    within a day: (j, step, interval days, own cost, z_ij, w_ij, public calls).
    Built when the model's rules or stances change (:meth:`NegotiationModel._rebuild`)."""
    out = []
    for j in model.movable(actor.key):
        issue = model.spec.issues[model.issue_ids[j]]
        out.append((j, issue.unilateral_step, issue.unilateral_interval_days,
                    model.unilateral_cost(actor.key, j), float(actor.ideal[j]), float(actor.w[j]),
                    tuple(model.commitments(actor.key, j))))
    return out


def act_alone(model, actor) -> None:
    """The actor's unilateral moves of the day (at most one per issue)."""
    if not model.spec.unilateral.enabled:
        return
    min_change = model.spec.protocol.min_change - 1e-12
    for j, step, interval_days, cost, z, w, calls in model.unilateral_plan(actor.key):
        key = (actor.key, j)
        if model.day < model.next_move.get(key, 0):
            continue
        relief = model.relief_tuple(actor)
        x = float(model.x[j])
        own_lo, own_hi = model.bounds(actor.key, j)
        # the other terms of N only subtract: skip the issue unless a step pays on its own
        up, down = min(x + step, own_hi, 1.0), max(x - step, own_lo, 0.0)
        if not ((abs(up - x) >= min_change and own_value(x, up, z, w, relief[j], calls, cost) > 1e-9)
                or (abs(down - x) >= min_change and own_value(x, down, z, w, relief[j], calls, cost) > 1e-9)):
            continue
        box = interval(model, j, (actor.key,))
        if box is None:
            continue
        lo, hi = max(box[0], own_lo), min(box[1], own_hi)
        best = None
        for v in (min(x + step, hi), max(x - step, lo)):
            if abs(v - x) < min_change:
                continue
            n, breaches = net_value(model, actor, j, v, relief)
            if n > 1e-9 and (best is None or n > best[0]):
                best = (n, v, breaches)
        if best is None:
            continue
        n, v, breaches = best
        issue = model.issue_ids[j]
        reason = _reason(model, actor, j, x, v, n, relief[j], calls, cost, breaches)
        model.move_issue(j, v, movers=(actor.key,))
        model.next_move[key] = model.day + interval_days
        model.registry.record.append(Act(model.day, "unilateral", (actor.key,), {issue: (x, v)},
                                         kind=model.spec.issues[issue].kind, reason=reason,
                                         cost=cost * abs(v - x)))
        for ag, wronged in breaches:
            model.registry.breach(model.day, actor.key, ag, wronged, issue)
            model.add_blame(wronged, actor.key, model.spec.agreements.breach_blame)
