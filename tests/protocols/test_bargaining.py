"""The bargaining benchmark (sim/analysis/bargaining.py, docs/ODD.md 7.14).

The exact frontier polyline is checked against linear programmes solved by HiGHS
(scipy.optimize.linprog) on generated problems, independently of the polyline's
construction; then the benchmark's claims are checked on every agreement of every
shipped scenario that negotiates: deals lie inside the utility set, the logrolling
bidder's deals lie on the Pareto frontier, and no deal has a larger Nash product than
the Nash solution.
"""

import math

import numpy as np
import pytest
from conftest import build, mirror_trade, negotiating_scenarios
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linprog

from sim.analysis.bargaining import Space, benchmark, frontier, nash, pareto_gap, value
from sim.experiments.jobs import apply_params, scenario_data
from sim.model import NegotiationModel
from sim.scenario import load_scenario
from sim.scenario.priors import draw, priors_of

TOL = 1e-7


@st.composite
def spaces(draw):
    n = draw(st.integers(1, 4))
    unit = st.floats(0.0, 1.0)

    def prefs():
        return (tuple(draw(unit) for _ in range(n)), tuple(draw(st.floats(0.0, 0.5)) for _ in range(n)),
                tuple(draw(st.floats(-0.3, 0.3)) for _ in range(n)))

    a, b = prefs(), prefs()
    lo, hi = [], []
    for _ in range(n):
        u, v = sorted((draw(unit), draw(unit)))
        lo.append(u)
        hi.append(v)
    x = tuple(draw(st.floats(lo[j], hi[j])) if hi[j] > lo[j] else lo[j] for j in range(n))
    deal = tuple(draw(st.floats(lo[j], hi[j])) if hi[j] > lo[j] else lo[j] for j in range(n))
    return Space(a, b, x, tuple(lo), tuple(hi), deal)


def _lp(space, weights=None, floor=None):
    """LP over variables (p, e_a, e_b, t), e_i >= |p - z_i| linearised: either
    max w_a g_a + w_b g_b, or (``floor``) max t with g_i(p) >= floor_i + t."""
    n = len(space.x)
    (za, wa, ca), (zb, wb, cb), x = space.prefs_a, space.prefs_b, space.x
    ka = sum(wa[j] * abs(x[j] - za[j]) - ca[j] * x[j] for j in range(n))
    kb = sum(wb[j] * abs(x[j] - zb[j]) - cb[j] * x[j] for j in range(n))
    A, rhs = [], []
    for e_off, z in ((n, za), (2 * n, zb)):
        for j in range(n):
            row = [0.0] * (3 * n + 1)
            row[j], row[e_off + j] = 1.0, -1.0              # p - e <= z
            A.append(row)
            rhs.append(z[j])
            row = [0.0] * (3 * n + 1)
            row[j], row[e_off + j] = -1.0, -1.0             # -p - e <= -z
            A.append(row)
            rhs.append(-z[j])
    bounds = [(space.lo[j], space.hi[j]) for j in range(n)] + [(0, None)] * (2 * n) + [(None, None)]
    if floor is not None:
        for e_off, w, c, k, f in ((n, wa, ca, ka, floor[0]), (2 * n, wb, cb, kb, floor[1])):
            row = [0.0] * (3 * n + 1)                       # sum w e - sum c p + t <= k - floor
            for j in range(n):
                row[j], row[e_off + j] = -c[j], w[j]
            row[-1] = 1.0
            A.append(row)
            rhs.append(k - f)
        cost = [0.0] * (3 * n) + [-1.0]
        res = linprog(cost, A_ub=A, b_ub=rhs, bounds=bounds, method="highs")
        assert res.status == 0
        return -res.fun
    la, lb = weights
    cost = [-(la * ca[j] + lb * cb[j]) for j in range(n)] + [la * w for w in wa] + [lb * w for w in wb] + [0.0]
    bounds[-1] = (0, 0)
    res = linprog(cost, A_ub=A, b_ub=rhs, bounds=bounds, method="highs")
    assert res.status == 0
    return -res.fun + la * ka + lb * kb


@settings(max_examples=150, deadline=None, derandomize=True)
@given(space=spaces(), lam=st.floats(0.0, 1.0))
def test_frontier_supports_every_weighted_sum_as_the_lp(space, lam):
    poly = frontier(space)
    best = max(lam * a + (1 - lam) * b for a, b in poly)
    assert best == pytest.approx(_lp(space, weights=(lam, 1 - lam)), abs=TOL)
    # g_a falls and g_b rises along the frontier
    assert all(a1 <= a0 + 1e-12 and b1 >= b0 - 1e-12 for (a0, b0), (a1, b1) in zip(poly, poly[1:]))


@settings(max_examples=150, deadline=None, derandomize=True)
@given(space=spaces())
def test_pareto_gap_is_the_lp_joint_gain(space):
    da, db = value(space.prefs_a, space.x, space.deal), value(space.prefs_b, space.x, space.deal)
    gap = pareto_gap(frontier(space), da, db)
    assert gap >= -1e-9                              # a package in the box is in the utility set
    assert gap == pytest.approx(_lp(space, floor=(da, db)), abs=1e-6)


@settings(max_examples=150, deadline=None, derandomize=True)
@given(space=spaces(), seed=st.integers(0, 2**32 - 1))
def test_nash_point_is_on_the_frontier_and_beats_every_package(space, seed):
    poly = frontier(space)
    n = nash(poly)
    if n is None:                                    # then no frontier point gives both >= 0
        for (a0, b0), (a1, b1) in zip(poly, poly[1:] or poly):
            for s in np.linspace(0.0, 1.0, 101):
                assert min(a0 + s * (a1 - a0), b0 + s * (b1 - b0)) < 1e-12
        return
    assert n[0] >= -1e-12 and n[1] >= -1e-12
    assert pareto_gap(poly, *n) == pytest.approx(0.0, abs=1e-9)
    rng = np.random.default_rng(seed)
    for _ in range(50):
        p = tuple(rng.uniform(lo, hi) for lo, hi in zip(space.lo, space.hi))
        ga, gb = value(space.prefs_a, space.x, p), value(space.prefs_b, space.x, p)
        if ga >= 0 and gb >= 0:
            assert ga * gb <= n[0] * n[1] + 1e-9


def test_symmetric_problem_splits_equally():
    """Mirror images: the Nash solution gives both the same value."""
    a = ((0.0, 1.0), (0.25, 0.75), (0.0, 0.0))
    b = ((1.0, 0.0), (0.75, 0.25), (0.0, 0.0))
    space = Space(a, b, (0.0, 0.0), (0.0, 0.0), (1.0, 1.0), (1.0, 1.0))
    out = benchmark(space)
    assert out["nash_value_a"] == pytest.approx(out["nash_value_b"], abs=1e-12)
    assert out["pareto_gap"] == pytest.approx(0.0, abs=1e-12)      # the full trade is efficient
    assert out["nash_share"] == pytest.approx(1.0)                  # ... and it is the Nash solution


def test_a_dominated_deal_shows_a_positive_gap():
    a = ((0.0, 1.0), (0.25, 0.75), (0.0, 0.0))
    b = ((1.0, 0.0), (0.75, 0.25), (0.0, 0.0))
    space = Space(a, b, (0.0, 0.0), (0.0, 0.0), (1.0, 1.0), (0.5, 0.5))   # half of each concession
    out = benchmark(space)
    assert out["pareto_gap"] == pytest.approx(0.25, abs=1e-9)      # both gain 0.25 more at (1, 1)
    assert out["nash_share"] == pytest.approx(0.25, abs=1e-9)


def test_the_mirror_trade_deal_is_on_the_frontier():
    m = NegotiationModel(build(mirror_trade()), rng=np.random.default_rng(0), collect=False, log_offers=False)
    m.run()
    assert m.agreements, "the mirror trade makes a deal"
    for ag in m.agreements:
        out = benchmark(ag.space)
        assert out["pareto_gap"] == pytest.approx(0.0, abs=1e-9)
        assert out["deal_value_a"] == pytest.approx(ag.value_to[ag.parties[0]], abs=1e-12)
        assert out["deal_value_b"] == pytest.approx(ag.value_to[ag.parties[1]], abs=1e-12)


SCENARIOS = negotiating_scenarios()


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_agreement_is_inside_the_set_on_the_frontier_and_below_nash(name):
    """Over 12 runs per scenario with parameters drawn from the priors: each deal's
    values are its stored values, it lies on the Pareto frontier (the logrolling
    bidder's packages are efficient: gap <= 1e-6), and its Nash product is at most the
    Nash solution's."""
    sc = load_scenario(name)
    data, priors = scenario_data(sc), priors_of(sc)
    seeds = np.random.SeedSequence(11).spawn(12)
    n = 0
    for seq in seeds:
        model = NegotiationModel(apply_params(data, draw(priors, seq)), rng=np.random.default_rng(seq),
                                 collect=False, log_offers=False)
        model.run()
        for ag in model.agreements:
            out = benchmark(ag.space)
            n += 1
            # the stored value V_i is g_i less any guarantor cost of delivering
            assert out["deal_value_a"] >= ag.value_to[ag.parties[0]] - 1e-9
            assert out["deal_value_b"] >= ag.value_to[ag.parties[1]] - 1e-9
            assert -1e-9 <= out["pareto_gap"] <= 1e-6, (name, ag.day, ag.parties, out)
            assert out["nash_share"] <= 1 + 1e-9 or math.isnan(out["nash_share"])
    if name in ("baseline", "eu_direct_channel", "black_sea_grain"):
        assert n > 0, f"no agreement in 12 runs of {name}: the property was not exercised"


# ---------------------------------------------------------------------- many parties
@settings(max_examples=150, deadline=None, derandomize=True)
@given(space=spaces())
def test_the_many_party_gap_agrees_with_the_exact_two_party_one(space):
    """The many-party Pareto gap (a linear programme on the lifted utility set) on a
    two-party space equals the exact polyline gap to 1e-7."""
    from sim.analysis.bargaining import MultiSpace, _max_min

    exact = benchmark(space)
    multi = MultiSpace((space.prefs_a, space.prefs_b), space.x, space.lo, space.hi, space.deal)
    d = [value(space.prefs_a, space.x, space.deal), value(space.prefs_b, space.x, space.deal)]
    assert _max_min(multi, d)[0] == pytest.approx(exact["pareto_gap"], abs=1e-7)


def test_a_three_party_gap_by_hand():
    """Three parties each wanting one of three issues raised, each issue costing the
    other two a quarter of what it gives its party: u_i = p_i - (p_j + p_k)/4 on [0, 1]^3.
    The deal (0.5, 0.5, 0.5) gives each 0.25; (1, 1, 1) gives each 0.5: gap 0.25. The
    N-party Nash solution is not computed (NaN); with two signatories it is the exact one."""
    from sim.analysis.bargaining import MultiSpace, benchmark_multi

    def prefs(i):
        z = tuple(1.0 if j == i else 0.0 for j in range(3))
        w = tuple(1.0 if j == i else 0.0 for j in range(3))
        c = tuple(0.0 if j == i else -0.25 for j in range(3))
        return z, w, c

    space = MultiSpace(tuple(prefs(i) for i in range(3)), (0.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 1.0),
                       (0.5, 0.5, 0.5))
    out = benchmark_multi(space)
    assert out["pareto_gap"] == pytest.approx(0.25, abs=1e-7)
    assert math.isnan(out["nash_share"]) and math.isnan(out["nash_value_a"])
    two = MultiSpace(space.prefs[:2], (0.0, 0.0), (0.0, 0.0), (1.0, 1.0), (0.5, 0.5))
    exact = benchmark(Space(two.prefs[0], two.prefs[1], two.x, two.lo, two.hi, two.deal))
    assert benchmark_multi(two)["nash_share"] == exact["nash_share"]


MEDIATED = [n for n in ("baseline", "black_sea_grain", "poland_political_talks", "eu_direct_channel")]


@pytest.mark.parametrize("name", MEDIATED)
def test_every_mediated_text_is_inside_the_set_and_near_the_frontier(name):
    """Mediation, 8 runs per scenario under the priors: every signed text is in the
    utility set (gap >= 0) and within 0.05 of the Pareto frontier (the mediator stops
    when no step of at least min_change/2 on one or two issues pleases all: a tolerance,
    not a proof). Measured: 0.0 in every run of these scenarios until the EU's threat and
    promise entered the baseline family; since, poland_political_talks has one text
    0.049 off the frontier in these 8 runs (a five-issue table where the target's relief
    from the promise is steep: the halving steps stop short)."""
    from sim.analysis.bargaining import benchmark_multi
    from sim.runner import with_protocol

    sc = with_protocol(load_scenario(name), "mediation")
    data, priors = scenario_data(sc), priors_of(sc)
    n = 0
    for seq in np.random.SeedSequence(5).spawn(8):
        model = NegotiationModel(apply_params(data, draw(priors, seq)), rng=np.random.default_rng(seq),
                                 collect=False, log_offers=False)
        model.run()
        for ag in model.agreements:
            out = benchmark_multi(ag.space)
            n += 1
            assert -1e-9 <= out["pareto_gap"] <= 0.05, (name, ag.day, out)
    assert n > 0, f"no mediated agreement in 8 runs of {name}"
