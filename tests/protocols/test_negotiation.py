"""The BOA parts on their own: tactic, bidder, acceptance."""

import numpy as np
import pytest

from sim.protocols.boa import ACNext, LogRollingBidder, TimeDependentTactic, best_values, gain


@pytest.mark.parametrize("e,t,expected", [(1.0, 0.5, 0.5), (0.5, 0.5, 0.25), (2.0, 0.25, 0.5)])
def test_time_dependent_f(e, t, expected):
    assert TimeDependentTactic(e=e).f(t) == pytest.approx(expected)


def test_target_goes_from_pmax_to_pmin():
    tac = TimeDependentTactic(e=0.5, k=0.0)
    assert tac.target(0.0, 0.1, 0.9) == pytest.approx(0.9)
    assert tac.target(1.0, 0.1, 0.9) == pytest.approx(0.1)
    boulware, conceder = TimeDependentTactic(e=0.3), TimeDependentTactic(e=3.0)
    assert boulware.target(0.5, 0, 1) > conceder.target(0.5, 0, 1)


def test_best_values_follows_the_crisis_relief_when_it_outweighs_salience():
    z, w = np.array([0.0, 0.0]), np.array([0.5, 0.5])
    lo, hi = np.zeros(2), np.ones(2)
    assert list(best_values(z, w, np.array([0.2, 0.8]), lo, hi)) == [0.0, 1.0]


def test_logrolling_concedes_where_it_is_cheap_and_spends_exactly_the_budget():
    own = (np.array([0.0, 0.0]), np.array([0.8, 0.2]), np.zeros(2))   # cares about issue 0
    opp = (np.array([1.0, 1.0]), np.array([0.2, 0.8]), np.zeros(2))   # cares about issue 1
    lo, hi = np.zeros(2), np.ones(2)
    p = LogRollingBidder().offer(own, opp, lo, hi, budget=0.1)
    assert p[0] == pytest.approx(0.0) and p[1] == pytest.approx(0.5)    # 0.1 / 0.2 on issue 1
    x = np.zeros(2)
    assert gain(own[1], own[0], x, p) == pytest.approx(-0.1)


def test_logrolling_respects_the_box():
    own = (np.array([0.0]), np.array([1.0]), np.zeros(1))
    opp = (np.array([1.0]), np.array([1.0]), np.zeros(1))
    p = LogRollingBidder().offer(own, opp, np.array([0.2]), np.array([0.6]), budget=10.0)
    assert p[0] == pytest.approx(0.6)


def test_ac_next():
    ac = ACNext()
    assert ac.accepts(0.3, 0.2, 0.05, True, True)
    assert not ac.accepts(0.1, 0.2, 0.05, True, True)        # worse than own next offer
    assert not ac.accepts(0.3, 0.2, 0.4, True, True)         # below reservation
    assert not ac.accepts(0.3, 0.2, 0.05, False, True)       # outside its stances
    assert not ac.accepts(0.3, 0.2, 0.05, True, False)       # moves nothing
