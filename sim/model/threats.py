"""Threats and promises: conditional moves (docs/ODD.md 7.16).

A ``threatens`` or ``promises`` stance (:class:`sim.model.stances.ConditionalMove`) is a
public commitment by its actor (the *maker*) about a move it can make alone, tied to
what a *target* does on another issue (Schelling 1966; Greenhill 2010 on coercive
engineered migration; Lacy & Niou 2004 on sanctions as threats).

**The move.** Carrying out moves ``then_issue`` from x to v = ``then_to`` (or x +
``then_by``), clipped to what the maker can do alone under the issue's decision rule
and its own stance bounds (:func:`sim.model.control.interval`); fewer than
``protocol.min_change`` is no move. It costs the maker c = ``cost`` (default: its
unilateral cost on the issue) per unit moved.

**Credibility.** The maker carries out iff doing so is worth no less to it than backing
down, which costs the stance's price pi (:func:`sim.model.commitments.price`: its
``price`` or ``commitments.price``, raised by the maker's blame of the target):

    N_m = w_m (|x - z_m| - |v - z_m|) + r_m (v - x) + calls_m - c |v - x|
    credible  iff  N_m + pi >= 0

with r_m the maker's anticipated crisis relief (the environment's, §7.9) and calls_m the
credit of its public calls (§7.11), i.e. the terms of its own unilateral decision.

**Weighed by the target.** While the demand is not met, a threat's harm
H = -(w_t (|x - z_t| - |v - z_t|) + r_t (v - x)) > 0 to the target (a promise's gain G,
the same expression without the sign) is what meeting the demand averts (earns), at the
probability the target believes the maker would carry it out (its belief about the
maker's resolve, :mod:`sim.model.resolve`, 7.20; without beliefs, 1 if credible and 0
if not). The target adds it to its
anticipated relief on the demanded issue, spread over the distance
d = |threshold - x_c| still to go (at least ``min_change``):

    r_t,c += +- H / d          (+ for at_least, - for at_most)

so every choice the target makes — its unilateral moves, its offers and acceptances, the
voluntariness check — counts it, as it counts the crisis. Linear like every other term:
exact at the threshold, over-counted beyond it.

**Checks.** On day ``first_day`` and every ``every_days`` after: a threat whose demand is
not met, or a promise whose demand is met, is due; the maker carries out (the record gets
``threat_carried_out`` / ``promise_kept`` with the cost c |v - x| and the reason; the cost
goes to ``Actor.coercion_paid``) or backs down (``threat_abandoned`` / ``promise_broken``,
the price to ``Actor.commitments_paid``, and the stance is gone). A due move that would
not hurt the target (a threat) or help it (a promise) — the issue already moved past the
value by other means — is not made, and the stance stands. A move carried out
stands: the maker never moves ``then_issue`` back past v while the run lasts (its bounds,
:meth:`sim.model.NegotiationModel.bounds`), and the stance checks no more. A due move
that is no move (the issue is already there) leaves the stance standing.

**Keeping a demand met.** While the demand is met no linear term stands; instead the
target's own unilateral decision counts, as a lump, the threat it would trigger or the
promise it would forgo by a move that leaves the demand unmet (:func:`crossing_loss`).
"""

from __future__ import annotations

from sim.model.control import interval
from sim.model.records import Act, own_value

CARRIED = {"threat": "threat_carried_out", "promise": "promise_kept"}
ABANDONED = {"threat": "threat_abandoned", "promise": "promise_broken"}


def planned_move(model, st) -> tuple[int, float, float] | None:
    """(issue index, from, to) of the move the maker would make now, or None."""
    j = model.idx[st.then_issue]
    x = float(model.x[j])
    goal = st.then_to if st.then_to is not None else x + st.then_by
    box = interval(model, j, (st.actor,))
    if box is None:
        return None
    lo, hi = model.bounds(st.actor, j)
    lo, hi = max(lo, box[0], 0.0), min(hi, box[1], 1.0)
    v = min(max(goal, lo), hi)
    if abs(v - x) < model.spec.protocol.min_change - 1e-12:
        return None
    return j, x, v


def unit_cost(model, st, j: int) -> float:
    return model.unilateral_cost(st.actor, j) if st.cost is None else st.cost


def maker_net(model, st, j: int, x: float, v: float) -> float:
    """N_m: the maker's own value of carrying out (utility, relief, calls, cost)."""
    a = model.actors[st.actor]
    r = model.env.relief_values(a.exposure, model.x)[j]
    return own_value(x, v, float(a.ideal[j]), float(a.w[j]), r, model.commitments(st.actor, j),
                     unit_cost(model, st, j))


def assess(model, st):
    """(credible, move or None, N_m, price) of the conditional move now (cached with the
    actors' relief: until the state or the day changes)."""
    got = model._assessed.get(id(st))
    if got is None:
        got = model._assessed[id(st)] = _assess(model, st)
    return got


def _assess(model, st):
    from sim.model.commitments import price

    mv = planned_move(model, st)
    pr = price(model, st)
    if mv is None:
        return False, None, 0.0, pr
    net = maker_net(model, st, *mv)
    return net + pr >= 0.0, mv, net, pr


def target_stake(model, st, j: int, x: float, v: float) -> float:
    """The target's value of the maker's move (negative: a harm)."""
    t = model.actors[st.target]
    r = model.env.relief_values(t.exposure, model.x)[j]
    z = float(t.ideal[j])
    return float(t.w[j]) * (abs(x - z) - abs(v - z)) + r * (v - x)


def at_stake(model, st) -> float:
    """What meeting the demand is worth to the target now: the threat's harm averted or
    the promise's gain earned, at the probability the target believes the maker would
    carry it out (its belief about the maker's resolve, 7.20; without beliefs: in full
    if credible, else 0)."""
    _ok, mv, net, pr = assess(model, st)
    if mv is None:
        return 0.0
    p = model.resolve.credibility(st.target, st.actor, net, pr)
    if p <= 0.0:
        return 0.0
    stake = target_stake(model, st, *mv)
    return p * max(0.0, -stake if st.kind == "threat" else stake)


def relief_terms(model, actor: str, relief: list[float]) -> None:
    """Add, in place, what the credible conditional moves aimed at ``actor`` make meeting
    their demands worth to it per unit (module docstring)."""
    min_step = max(model.spec.protocol.min_change, 1e-6)
    for _sid, st in model.conditionals_on(actor):
        c = model.idx[st.issue]
        xc = float(model.x[c])
        if st.demand_met(xc):
            continue
        amount = at_stake(model, st)
        if amount <= 0:
            continue
        need = (st.at_least - xc) if st.at_least is not None else (xc - st.at_most)
        per_unit = amount / max(need, min_step)
        relief[c] += per_unit if st.at_least is not None else -per_unit


def crossing_loss(model, actor: str, j: int, x: float, v: float) -> float:
    """What the target gives up by a move of issue j from x to v that leaves a demand it
    meets unmet (the threat it would no longer avert, the promise it would no longer
    earn): a lump its own unilateral decision counts (no linear term stands for it while
    the demand is met)."""
    loss = 0.0
    for _sid, st in model.conditionals_on(actor):
        if model.idx[st.issue] != j or not st.demand_met(x) or st.demand_met(v):
            continue
        loss += at_stake(model, st)
    return loss


def check(model) -> None:
    """The day's checks of conditional moves (module docstring)."""
    spent = []
    for sid, st in model.conditionals():
        if sid in model.executed:
            continue
        d = model.day - st.first_day
        if d < 0 or d % st.every_days:
            continue
        met = st.demand_met(float(model.x[model.idx[st.issue]]))
        if met != (st.kind == "promise"):
            continue                                 # not due
        ok, mv, net, pr = assess(model, st)
        if mv is None:
            continue                                 # nothing left to move: it stands
        stake = target_stake(model, st, *mv)
        if (stake <= 0.0) if st.kind == "promise" else (stake >= 0.0):
            continue                                 # the move would not be what was promised or threatened
        maker = model.actors[st.actor]
        j, x, v = mv
        demand = (f"{st.issue} >= {st.at_least:.2f}" if st.at_least is not None
                  else f"{st.issue} <= {st.at_most:.2f}")
        state = f"met ({model.x[model.idx[st.issue]]:.2f})" if met else \
            f"not met ({model.x[model.idx[st.issue]]:.2f})"
        if ok:
            cost = unit_cost(model, st, j) * abs(v - x)
            breaches = model.registry.breached_by(st.actor, st.then_issue, x, v)
            model.executed[sid] = (st.actor, j, x, v)     # before the move: it bounds the maker from now on
            model.resolve.carried_out(st.actor, net, pr)   # the others learn its resolve (7.20)
            model.move_issue(j, v, movers=(st.actor,))
            maker.coercion_paid += cost
            reason = (f"{maker.label} carries out its {st.kind} ({sid}): the demand {demand} is {state}; "
                      f"carrying out is worth {net:+.3f} to it (cost {cost:.3f} included), backing down "
                      f"would cost {pr:.3f}")
            model.registry.record.append(Act(model.day, CARRIED[st.kind], (st.actor, st.target),
                                             {st.then_issue: (x, v)}, kind=model.spec.issues[st.then_issue].kind,
                                             label=sid, reason=reason, cost=cost))
            for ag, wronged in breaches:
                model.registry.breach(model.day, st.actor, ag, wronged, st.then_issue)
                model.add_blame(wronged, st.actor, model.spec.agreements.breach_blame)
            continue
        else:
            maker.commitments_paid += pr
            model.resolve.backed_down(st.actor, net, pr)
            reason = (f"{maker.label} backs down from its {st.kind} ({sid}): the demand {demand} is {state}; "
                      f"carrying out would cost it {-net:.3f}, more than the {pr:.3f} backing down costs")
            model.registry.record.append(Act(model.day, ABANDONED[st.kind], (st.actor, st.target),
                                             label=sid, reason=reason, cost=pr))
        spent.append(sid)
    if spent:
        for sid in spent:
            model.stances.pop(sid, None)
        model._rebuild()
