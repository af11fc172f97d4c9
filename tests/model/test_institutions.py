"""Decision rules (sim/model/control.py): a veto blocks, a qualified majority passes,
a member cannot move its bloc's issue alone, and a guarantor's reach is its leverage.

The case (tests/conftest.py ``institution``): a bloc ``eu`` with members m1 (wants the
issue at 1) and m2 (wants it at 0.4) decides issue ``s`` (status quo 0.5); the bloc
wants it at 1. Nobody negotiates; the bloc acts alone whenever its rule lets it.
"""

import numpy as np
import pytest
from conftest import build, institution

import sim
from sim.model import NegotiationModel
from sim.model.control import can_deliver, interval, movable_alone


def _model(data):
    return NegotiationModel(build(data), rng=0)


def _finals(data, seeds=range(10)):
    sc = build(data)
    return np.array([sim.run(sc, seed=s, series=False).outcomes["final:s"] for s in seeds])


def test_unanimity_a_member_vetoes_the_bloc():
    """m2 loses if s rises above 0.5, so under unanimity the bloc cannot raise it:
    the interval it can reach alone is [0.5, 0.5] and s never moves over 10 runs."""
    d = institution("unanimity")
    m = _model(d)
    assert interval(m, 0, ("eu",)) == pytest.approx((0.5, 0.5))
    assert (_finals(d) == 0.5).all()
    # without the objecting member the bloc raises it, step by step
    d["actors"]["eu"]["members"] = ["m1"]
    assert interval(_model(d), 0, ("eu",))[1] == pytest.approx(1.0)
    assert (_finals(d) >= 0.9).all()


def test_a_qualified_majority_passes_over_a_minority():
    """Weights eu 0.5, m1 0.3, m2 0.2. With threshold 0.65 the bloc and m1 (0.8) carry
    a rise over m2's objection; with threshold 0.9 they do not."""
    d = institution("qualified_majority", threshold=0.65)
    assert interval(_model(d), 0, ("eu",))[1] == pytest.approx(1.0)
    assert (_finals(d) >= 0.9).all()
    d = institution("qualified_majority", threshold=0.9)
    assert interval(_model(d), 0, ("eu",)) == pytest.approx((0.5, 0.5))
    assert (_finals(d) == 0.5).all()


def test_a_member_cannot_move_the_blocs_issue_alone():
    """m1 wants s at 1 and takes part in the decision, but it is not a controller: it
    cannot move s, nor commit it in a deal with an outsider."""
    d = institution("unanimity")
    d["actors"]["eu"]["members"] = ["m1"]
    d["channels"] = {"m1-o": "political"}
    m = _model(d)
    assert movable_alone(m, "m1") == [] and movable_alone(m, "eu") == [0]
    assert not can_deliver(m.rules[0], ("m1", "o"))
    assert all(0 not in c.issues for c in m.channels)
    d["actors"]["eu"]["capability"] = 0.01          # even a weak bloc: still its issue
    res = sim.run(build(d), seed=0, series=False)
    assert res.record[res.record["type"] == "unilateral"]["actors"].eq("eu").all()


def test_the_rule_defaults_to_sole_for_one_controller_and_unanimity_for_several():
    sc = sim.load_scenario("baseline")
    assert sc.issues["migrant_flow"].rule == "sole"
    assert sc.issues["regime_legitimacy"].rule == "unanimity"
    with pytest.raises(sim.ScenarioError, match="needs exactly one controller"):
        sim.load_scenario("baseline", overrides={"issues": {"regime_legitimacy": {"decision": "sole"}}})


def test_poland_can_block_but_not_make_eu_sanctions_in_the_baseline():
    """The baseline's sanctions are the EU's, by unanimity with Poland as a member:
    Poland cannot move them (alone or in a deal), and the EU cannot lower them below
    what Poland accepts (Poland wants 0.8 > 0.5: no relief at all)."""
    m = NegotiationModel(sim.load_scenario("baseline"), rng=0)
    j = m.idx["sanctions"]
    assert "poland" not in m.rules[j].controllers and ("poland", 0.25) in m.rules[j].deciders
    assert j not in movable_alone(m, "poland")
    assert not any(j in c.issues and "eu" not in c.key for c in m.channels)
    lo, hi = interval(m, j, ("eu", "russia"))
    assert lo == pytest.approx(0.5) and hi == pytest.approx(1.0)
