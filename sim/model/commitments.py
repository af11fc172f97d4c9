"""Stances as costly commitments (docs/ODD.md 7.15).

What an actor has *said* (talk to Minsk only technically, deny any role, call for
sanctions, negotiate Belarus's future only with the opposition) binds it the way a hard
bound would, until backing down pays: breaking it costs the actor an audience cost
(Fearon 1994; Tomz 2007), and it does so when the best package that breaking it opens
is worth more than that price. Law and physics (a stance marked ``hard``, decision
rules, who controls what) are never broken.

**Price.** Stance s of actor i costs, on day d,

    pi_s(d) = pi_s * (1 + kappa * B_s(d)),   B_s(d) = max_{k in audience(s)} b_ik(d)

with pi_s the stance's ``price`` (default ``commitments.price``), kappa
``commitments.blame_gain`` and b_ik actor i's public blame of k: a government that has
blamed the counterpart loudly pays more at home to concede to it. The audience of a
stance toward an actor (``technical_only``, ``refuses_talks``, ``political_counterpart``)
is that actor; of ``denies_responsibility``, those who demand the acknowledgement; of
``calls_for``, those who want the issue on the other side.

**Review.** Every ``commitments.review_days`` days (day 7, 14, ...), before the day's
negotiation, each actor in turn (scenario order; no random draw) weighs every set S of
its breakable stances (up to three at once: a political channel is worth something only
if the issue it would carry is also unlocked):

    Delta_i(S) = R_i(stances without S) - R_i(stances now)
    break S*  = argmax_S Delta_i(S) - sum_{s in S} pi_s(d),   if that is > 0

R_i is the value to i of the best package it can reach on any of its channels: on a
channel with counterpart k, i's best package p in the box [L, U] (both parties' stance
bounds and the decision rules) conceded along the log-rolling path toward k's best q
until k gains at least max(r_k, 0) (:func:`sim.protocols.boa.concede_until`); R_i is
g_i of that package (0 if no package gives both their floors). It is what the
commitment costs the actor in deals; unilateral moves are not counted.

**Breaking.** The stances in S* are removed (the channel or issue they held back becomes
available the same day), the actor pays sum pi_s(d) (``Actor.commitments_paid``; the
run's ``utility:ACTOR`` outcome is u_i(x) less what it paid), and the record gets one
``commitment_broken`` act per stance with the day, the price and the reason.
"""

from __future__ import annotations

from itertools import combinations

from sim.model.agreements import Act
from sim.model.control import interval
from sim.protocols.boa import best_values, concede_until, gain

MAX_AT_ONCE = 3     # stances weighed together (subsets of up to this size)


def price(model, st) -> float:
    """pi_s(d): the stance's price today, raised by the actor's blame of its audience."""
    spec = model.spec.commitments
    base = spec.price if st.price is None else st.price
    aud = st.audience(model.ideals_by_actor, {j: float(model.x[n]) for n, j in enumerate(model.issue_ids)})
    i = model.aidx[st.actor]
    b = max((float(model.blame[i, model.aidx[k]]) for k in aud if k in model.aidx), default=0.0)
    return base * (1.0 + spec.blame_gain * b)


def breakable(model, actor: str) -> list[str]:
    """Ids of the actor's stances in force that it can back down from."""
    return [sid for sid, st in model.stances.items()
            if st.actor == actor and st.breakable and not st.hard]


def channel_value(model, actor: str, channel) -> float:
    """The value to ``actor`` of the best package it can reach on ``channel`` (the
    counterpart gets at least its floor), 0 if none."""
    other = channel.other(actor)
    a, k = model.actors[actor], model.actors[other]
    C = channel.issues
    x = [float(model.x[j]) for j in C]
    lo, hi = [], []
    for n, j in enumerate(C):
        la, ha = model.bounds(actor, j)
        lk, hk = model.bounds(other, j)
        holders = model.registry.holders(model.issue_ids[j], channel.key)
        ra, rb = interval(model, j, channel.key, holders, package=True) or (x[n], x[n])
        L, U = max(la, lk, ra), min(ha, hk, rb)
        if L > U:
            L = U = x[n]
        lo.append(L)
        hi.append(U)
    ra_, rk_ = model.relief_tuple(a), model.relief_tuple(k)
    own = ([float(a.ideal[j]) for j in C], [float(a.w[j]) for j in C], [ra_[j] for j in C])
    opp = ([float(k.ideal[j]) for j in C], [float(k.w[j]) for j in C], [rk_[j] for j in C])
    p = best_values(*own, lo, hi)
    q = best_values(*opp, lo, hi)
    floor_a = max(a.reservation_value(), 0.0)
    got = concede_until(own, opp, x, p, q, max(k.reservation_value(), 0.0))
    if got is None:
        return 0.0
    value = gain(own[1], own[0], x, got[0], own[2])
    return value if value >= floor_a else 0.0


def reachable(model, actor: str, known: dict | None = None, touched: frozenset = frozenset()) -> float:
    """R_i: the best value the actor can reach in a deal on any of its channels.
    ``known``: channel -> value already computed at the same state; reused for a channel
    that is unchanged and carries none of the ``touched`` issues (a counterfactual that
    removed stances on those issues leaves the others' boxes as they were)."""
    best = 0.0
    for ch in model.channels_of(actor):
        v = known.get(ch) if known is not None and touched.isdisjoint(ch.issues) else None
        if v is None:
            v = channel_value(model, actor, ch)
        if v > best:
            best = v
    return best


def review(model) -> None:
    """The day's review of every actor's commitments (module docstring): break the set
    whose release is worth most above its price, if any."""
    spec = model.spec.commitments
    if not spec.enabled or model.day % spec.review_days:
        return
    for actor in model.actor_ids:
        ids = breakable(model, actor)
        if not ids:
            continue
        known = {ch: channel_value(model, actor, ch) for ch in model.channels_of(actor)}
        now = max(known.values(), default=0.0)
        prices = {sid: price(model, model.stances[sid]) for sid in ids}
        best = None
        for size in range(1, min(MAX_AT_ONCE, len(ids)) + 1):
            for subset in combinations(ids, size):
                cost = sum(prices[s] for s in subset)
                touched = frozenset(model.idx[st.issue] for st in (model.stances[s] for s in subset)
                                    if getattr(st, "issue", None) in model.idx)
                with model.without(subset):
                    after = reachable(model, actor, known, touched)
                net = after - now - cost
                if net > 1e-9 and (best is None or net > best[0]):
                    best = (net, subset, after, cost)
        if best is not None:
            _break(model, actor, best[1], now, best[2], prices)


def _break(model, actor: str, subset, now: float, after: float, prices: dict) -> None:
    a = model.actors[actor]
    cost = sum(prices[s] for s in subset)
    names = ", ".join(subset)
    for sid in subset:
        st = model.stances.pop(sid)
        a.commitments_paid += prices[sid]
        reason = (f"{a.label} backs down from {st.describe()}: the best deal it opens is worth "
                  f"{after:.3f} against {now:.3f} while it holds; the gain, {after - now:.3f}, is more than "
                  f"the price of breaking {names} ({cost:.3f})")
        model.registry.record.append(Act(model.day, "commitment_broken", (actor,), label=sid,
                                         reason=reason, cost=prices[sid]))
    model._rebuild()
