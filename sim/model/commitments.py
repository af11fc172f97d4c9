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
until k gains at least the floor i believes k holds (its belief's quantile, docs/ODD.md
7.18; max(r_k, 0) when beliefs are off) (:func:`sim.protocols.boa.concede_until`); R_i is
g_i of that package (0 if no package gives both their floors). It is what the
commitment costs the actor in deals; unilateral moves are not counted.

**Breaking.** The stances in S* are removed (the channel or issue they held back becomes
available the same day), the actor pays sum pi_s(d) (``Actor.commitments_paid``; the
run's ``utility:ACTOR`` outcome is u_i(x) less what it paid), and the record gets one
``commitment_broken`` act per stance with the day, the price and the reason.
"""

from __future__ import annotations

from itertools import combinations

from sim.model.control import can_deliver
from sim.model.records import Act
from sim.model.stances import Stance
from sim.protocols.boa import best_values, concede_until, gain

MAX_AT_ONCE = 3     # stances weighed together (subsets of up to this size)


def price(model, st, x: dict | None = None) -> float:
    """pi_s(d): the stance's price today, raised by the actor's blame of its audience
    (``x``: issue -> current value, if the caller has it)."""
    spec = model.spec.commitments
    base = spec.price if st.price is None else st.price
    if x is None:
        x = {j: float(model.x[n]) for n, j in enumerate(model.issue_ids)}
    aud = st.audience(model.ideals_by_actor, x)
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
    lo, hi = model.box(channel)
    ra_, rk_ = model.relief_tuple(a), model.relief_tuple(k)
    own = ([float(a.ideal[j]) for j in C], [float(a.w[j]) for j in C], [ra_[j] for j in C])
    opp = ([float(k.ideal[j]) for j in C], [float(k.w[j]) for j in C], [rk_[j] for j in C])
    p = best_values(*own, lo, hi)
    q = best_values(*opp, lo, hi)
    floor_a = max(a.reservation_value(), 0.0)
    got = concede_until(own, opp, x, p, q, model.beliefs.floor(actor, other))    # what it believes k needs (7.18)
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
    xd = None
    for actor in model.actor_ids:
        ids = breakable(model, actor)
        if not ids:
            continue
        if xd is None:
            xd = {j: float(model.x[n]) for n, j in enumerate(model.issue_ids)}
        prices = {sid: price(model, model.stances[sid], xd) for sid in ids}
        cap = _issue_caps(model, actor)
        capbox = {ch: _box_caps(model, actor, ch) for ch in model.channels_of(actor)}
        sets = [(subset, sum(prices[s] for s in subset), touched, relevel)
                for subset, touched, relevel in _sets(model, ids)]
        # Upper bounds before any value (exact pruning): with each channel's value
        # bounded by its box (upper) and R_i(now) >= 0, a set that cannot pay even so is
        # dropped; an actor with no set left is done without computing a deal.
        upper = {ch: sum(c) for ch, c in capbox.items()}
        sets = [t for t in sets if _bound(model, actor, t[3], t[2], upper, capbox, cap) - t[1] > 1e-9]
        if not sets:
            continue
        known = {ch: channel_value(model, actor, ch) for ch in capbox}
        now = max(known.values(), default=0.0)
        best = None
        for subset, cost, touched, relevel in sets:
            if _bound(model, actor, relevel, touched, known, capbox, cap) - now - cost <= 1e-9:
                continue
            with model.without(subset):
                after = reachable(model, actor, known, touched)
            net = after - now - cost
            if net > 1e-9 and (best is None or net > best[0]):
                best = (net, subset, after, cost)
        if best is not None:
            _break(model, actor, best[1], now, best[2], prices)


def _sets(model, ids: list[str]) -> list[tuple[tuple[str, ...], frozenset, frozenset]]:
    """The sets of up to MAX_AT_ONCE of the stances ``ids``, each with the issues its
    stances name and the pairs whose level they set (cached per set of ids: stances do
    not change between reviews unless one breaks, and then the ids differ)."""
    key = tuple(ids)
    got = model._commitment_sets.get(key)
    if got is None:
        got = []
        for size in range(1, min(MAX_AT_ONCE, len(ids)) + 1):
            for subset in combinations(ids, size):
                removed = [model.stances[s] for s in subset]
                touched = frozenset(model.idx[st.issue] for st in removed
                                    if getattr(st, "issue", None) in model.idx)
                relevel = frozenset(frozenset((st.actor, st.with_)) for st in removed
                                    if type(st).open_level is not Stance.open_level
                                    or type(st).cap_level is not Stance.cap_level)
                got.append((subset, touched, relevel))
        model._commitment_sets[key] = got
    return got


def _issue_caps(model, actor: str) -> list[float]:
    """Per issue, the most a deal could give the actor on it: the largest of
    w_j (|x_j - z_j| - |v - z_j|) + r_j (v - x_j) over v in [0, 1] (at 0, 1 or z_j: the
    function is concave and piecewise linear; never below 0, its value at x_j). Their
    sum over a channel's issues bounds the channel's value from above, whatever the box."""
    a = model.actors[actor]
    r = model.relief_tuple(a)
    out = []
    for x, z, w, c in zip(model.x.tolist(), a.ideal.tolist(), a.w.tolist(), r):
        d = abs(x - z)
        # at v = x the gain is 0; at z it is w d + c (z - x); at 0 and 1 likewise
        best = 0.0
        for v in (0.0, 1.0, z):
            g = w * (d - abs(v - z)) + c * (v - x)
            if g > best:
                best = g
        out.append(best)
    return out


def _bound(model, actor, relevel, touched, known, capbox, cap) -> float:
    """An upper bound of R_i without a set of stances, without building that
    counterfactual. A pair whose level the set may change (``relevel``: a stance that
    opens or caps it) is bounded by the actor's most (:func:`_issue_caps`) on every
    issue the pair could deliver at any level. Any other channel keeps its level; its
    box changes on the ``touched`` issues only (the issues of the set's stances), which
    it may also gain (an exclusion lifted): bounded by its box on the untouched issues
    (:func:`_box_caps`) and the most on the touched ones; with no touched issue its
    value is the known one."""
    bound = 0.0
    for ch in model.channels_of(actor):
        if frozenset(ch.key) in relevel:
            continue
        extra = ()
        if touched:
            extra = [j for j in touched if j not in ch.issues and j in _deliverable(model, ch.key)
                     and (ch.level == "political" or not model.political[j])]
        if not extra and touched.isdisjoint(ch.issues):
            v = known[ch]
        else:
            v = (sum(cap[j] if j in touched else c for j, c in zip(ch.issues, capbox[ch]))
                 + sum(cap[j] for j in extra))
        if v > bound:
            bound = v
    if touched:     # an open channel that carries nothing now may gain a touched issue
        for ch in model.channels:
            if not ch.issues and actor in ch.key and frozenset(ch.key) not in relevel:
                v = sum(cap[j] for j in touched if j in _deliverable(model, ch.key)
                        and (ch.level == "political" or not model.political[j]))
                if v > bound:
                    bound = v
    for k in relevel:
        if actor not in k:
            continue
        v = sum(cap[j] for j in _deliverable(model, k))
        if v > bound:
            bound = v
    return bound


def _deliverable(model, pair) -> tuple[int, ...]:
    """Issues the pair can deliver in a deal at any level (cached with the rules:
    removing a breakable stance never changes who controls or guarantees an issue)."""
    cache = model._deliverable
    got = cache.get(pair)
    if got is None:
        got = cache[pair] = tuple(j for j, rule in enumerate(model.rules) if can_deliver(rule, tuple(pair)))
    return got


def _box_caps(model, actor: str, channel) -> list[float]:
    """Per carried issue, the most the actor can gain on it inside the channel's box
    (the box of an issue depends on the stances and rules of that issue only, so it
    bounds the channel's value in a counterfactual that touches other issues)."""
    a = model.actors[actor]
    r = model.relief_tuple(a)
    lo, hi = model.box(channel)
    x_, z_, w_ = model.x, a.ideal, a.w
    out = []
    for j, L, U in zip(channel.issues, lo, hi):
        x, z, w, c = float(x_[j]), float(z_[j]), float(w_[j]), r[j]
        d = abs(x - z)
        zc = L if z < L else (U if z > U else z)
        best = w * (d - abs(L - z)) + c * (L - x)
        for v in (U, zc):
            g = w * (d - abs(v - z)) + c * (v - x)
            if g > best:
                best = g
        out.append(best)
    return out


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
    model.resolve.broke(actor, after - now, cost)       # the others learn its resolve (7.20)
    model._rebuild()
