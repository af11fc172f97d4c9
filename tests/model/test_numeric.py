"""The speed rewrites of small arithmetic give the same bits as the code they replace
(the stored reference runs check whole runs; these check the pieces over many cases)."""

from __future__ import annotations

import functools

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from sim.model.numeric import seq_sum

finite = st.floats(min_value=-1e6, max_value=1e6, allow_nan=False, allow_infinity=False)


def _loop(v) -> float:
    s = 0.0
    for t in v:
        s += t
    return s


def _same(a: float, b: float) -> bool:
    return a == b and np.signbit(a) == np.signbit(b)


@settings(max_examples=300, deadline=None)
@given(st.lists(finite | st.sampled_from([0.0, -0.0, 1e-300, -1e-300]), min_size=0, max_size=120))
def test_seq_sum_is_the_left_to_right_loop_bit_for_bit(xs):
    v = np.array(xs, dtype=float)
    assert _same(seq_sum(v), _loop(xs))
    assert _same(seq_sum(xs), _loop(xs))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.floats(min_value=-2.0, max_value=2.0) | st.sampled_from([0.0, -0.0, 1.0]), min_size=1,
                max_size=81))
def test_blame_clip_as_two_ufuncs_equals_np_clip_bit_for_bit(xs):
    a = np.array(xs, dtype=float)
    want = np.clip(a, 0.0, 1.0)
    got = a.copy()
    np.maximum(0.0, got, out=got)
    np.minimum(got, 1.0, out=got)
    assert np.array_equal(want, got)
    assert np.array_equal(np.signbit(want), np.signbit(got))


def _slope_as_before(stock, x, j):
    """Stock.slope as it was written before its terms were precomputed."""
    total = 0.0
    for flows, mult in ((stock.inflows, 1.0), (stock.outflows, -stock.level)):
        for rate, terms in flows:
            for n, (k, s) in enumerate(terms):
                if k != j:
                    continue
                rest = stock._drive(terms[:n] + terms[n + 1:], x)
                total += mult * rate * rest * (1.0 if s > 0 else -1.0)
    return total


@functools.lru_cache(maxsize=1)
def _baseline_model():
    import sim
    from sim.model import NegotiationModel

    return NegotiationModel(sim.load_scenario("baseline"), rng=np.random.default_rng(0), collect=False,
                            log_offers=False)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(min_value=0.0, max_value=1.0), min_size=9, max_size=9),
       st.floats(min_value=0.0, max_value=1.0))
def test_stock_slope_with_precomputed_terms_is_the_old_sum_bit_for_bit(xs, level):
    m = _baseline_model()
    x = np.array((xs * 2)[: len(m.issue_ids)])
    for stock in m.env.stocks.values():
        old = stock.level
        stock.level = level
        try:
            for j in range(len(m.issue_ids)):
                assert _same(stock.slope(x, j), _slope_as_before(stock, x, j))
                assert _same(stock.slope(x.tolist(), j), _slope_as_before(stock, x, j))
        finally:
            stock.level = old


def test_the_days_cost_accounting_adds_each_actors_crisis_cost_bit_for_bit():
    import sim
    from sim.model import NegotiationModel

    for name in ("baseline", "black_sea_grain", "ec_emissions"):
        m = NegotiationModel(sim.load_scenario(name), rng=np.random.default_rng(3), collect=False, log_offers=False)
        for _ in range(5):
            m.step()
            before = {k: a.cumulative_cost for k, a in m.actors.items()}
            want = {k: before[k] + a.crisis_cost() for k, a in m.actors.items()}
            m.env.add_costs(m._actor_list, m.x)
            assert {k: a.cumulative_cost for k, a in m.actors.items()} == want


def _best_values_as_before(ideal, w, relief, lo, hi) -> list[float]:
    """sim.protocols.boa.best_values as it was written before it and its gain were fused."""
    out = []
    for z, wn, c, a, b in zip(ideal, w, relief, lo, hi):
        v = a if a > z else z
        if b < v:
            v = b
        best = -wn * abs(v - z) + c * v
        val = -wn * abs(a - z) + c * a
        if val > best:
            v, best = a, val
        val = -wn * abs(b - z) + c * b
        if val > best:
            v = b
        out.append(float(v))
    return out


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(*(st.floats(min_value=-1.0, max_value=2.0),) * 6), min_size=1, max_size=8))
def test_best_and_gain_is_best_values_then_gain_bit_for_bit(rows):
    from sim.protocols.boa import best_and_gain, best_values, gain

    z, w, c, a, b, x = (tuple(r[n] for r in rows) for n in range(6))
    lo = tuple(min(p, q) for p, q in zip(a, b))
    hi = tuple(max(p, q) for p, q in zip(a, b))
    best = _best_values_as_before(z, w, c, lo, hi)
    assert best_values(z, w, c, lo, hi) == best
    got, g = best_and_gain(z, w, c, lo, hi, x)
    assert got == best
    assert _same(g, gain(w, z, x, best, c))


def test_a_day_where_nobody_can_act_skips_the_turns_and_leaves_the_same_run():
    """A history's days (every channel closed, no unilateral moves) skip the actors'
    turns and only draw their order: the history and the run that continues it are the
    ones the turns gave, bit for bit, on several seeds."""
    import sim
    from sim.model import NegotiationModel
    from sim.model.history import end_state
    from sim.protocols.alternating_offers import AlternatingOffers
    from sim.scenario.continuation import history_scenario

    hist = history_scenario(sim.load_scenario("baseline"))
    skipped = []
    real_idle = AlternatingOffers.idle

    def counted(self):
        skipped.append(real_idle(self))
        return skipped[-1]

    def states(idle):
        AlternatingOffers.idle = idle
        try:
            out = []
            for seed in range(4):
                m = NegotiationModel(hist, rng=np.random.default_rng(seed), collect=False, log_offers=False)
                m.run()
                out.append((repr(end_state(m)), m.random.getstate(), m.rng.bit_generator.state))
            return out
        finally:
            AlternatingOffers.idle = real_idle

    fast = states(counted)
    assert skipped and all(skipped)                          # every history day skipped its turns
    assert fast == states(lambda self: False)                # the turns taken: the same state and streams
