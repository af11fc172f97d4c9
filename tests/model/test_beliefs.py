"""Beliefs about the counterparts' floors (sim/model/beliefs.py, docs/ODD.md 7.18):
proper distributions, Bayes' rule checked against an independent computation, the prior
when nothing is seen, the offer rule respected at every offer of real runs, and the
effect measured over seeds."""

import math

import numpy as np
import pytest
from conftest import build, mirror_trade
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.model import NegotiationModel
from sim.protocols.boa import concede_until
from sim.protocols.negotiator import Negotiator
from sim.runner import run_outcomes

OBS = st.lists(st.tuples(st.sampled_from(["rejected", "accepted", "offered"]), st.floats(-0.5, 1.5)),
               max_size=30)


def _model(**beliefs):
    d = mirror_trade(beliefs=beliefs) if beliefs else mirror_trade()
    return NegotiationModel(build(d), rng=0)


@settings(max_examples=60, deadline=None)
@given(obs=OBS, rho=st.floats(0.01, 1.0), eps=st.floats(0.001, 1.0), grid=st.integers(2, 60))
def test_beliefs_stay_proper_and_follow_bayes_rule(obs, rho, eps, grid):
    m = _model(tactical=rho, noise=eps, grid=grid)
    b = m.beliefs
    g = b.grid
    want = b.p[0, 1].copy()
    for kind, v in obs:
        getattr(b, kind)("a", "b", v)
        # an independent posterior: the prior times each likelihood, normalised once at the end
        if kind == "rejected":
            like = [1.0 if r > v + 1e-12 else rho for r in g]
        else:
            like = [1.0 if r <= v + 1e-12 else eps for r in g]
        want = want * np.array(like)
    want = want / want.sum()
    p = b.p[0, 1]
    assert np.all(p >= 0) and math.isclose(float(p.sum()), 1.0, abs_tol=1e-9)
    assert np.allclose(p, want, rtol=1e-9, atol=1e-12)
    assert b.n_seen[0, 1] == len(obs)
    assert np.array_equal(b.p[1, 0], b.prior[0])       # b's belief about a saw nothing: the prior


def test_with_nothing_seen_a_belief_is_its_prior_in_every_run():
    for name in ("baseline", "black_sea_grain"):
        m = NegotiationModel(sim.load_scenario(name), rng=3).run()
        b = m.beliefs
        unseen = b.n_seen == 0
        for i, k in zip(*np.nonzero(unseen)):
            if i != k:
                assert np.array_equal(b.p[i, k], b.prior[k])
        assert (b.n_seen > 0).any()


def test_the_prior_is_the_scenarios_range_for_a_reservation():
    d = mirror_trade(uncertain={"actors.b.reservation": [0.02, 0.3]}, beliefs={"prior_high": 0.1})
    m = NegotiationModel(build(d), rng=0)
    b = m.beliefs
    support_b = b.grid[b.prior[1] > 0]
    support_a = b.grid[b.prior[0] > 0]
    assert support_b.min() >= 0.02 - 1e-12 and support_b.max() <= 0.3 + 1e-12 and b.grid.max() == 0.3
    assert support_a.max() <= 0.1 + 1e-12
    assert math.isclose(float(b.prior[1].sum()), 1.0)


def test_directions_of_learning():
    m = _model()
    b = m.beliefs
    before = b.mean("a", "b")
    b.rejected("a", "b", 0.05)
    assert b.mean("a", "b") > before            # a refusal of 0.05 makes a higher floor likelier
    mid = b.mean("a", "b")
    b.offered("a", "b", 0.08)
    assert b.mean("a", "b") < mid               # offering 0.08 to itself: its floor is at most that


def test_complete_information_when_beliefs_are_off():
    m = _model(enabled=False)
    assert m.beliefs.floor("a", "b") == max(m.actors["b"].reservation_value(), 0.0)
    out = run_outcomes(build(mirror_trade(beliefs={"enabled": False})), seed=0)
    assert out["n_no_offer"] == 0


@pytest.mark.parametrize("name", ["baseline", "eu_direct_channel", "black_sea_grain"])
def test_every_offer_keeps_to_the_belief_rule(monkeypatch, name):
    """At every offer of real runs, no offer is made where the proposer believes no deal
    is possible (recomputed here from its belief and the log-rolling path), and offers are
    made."""
    made = []
    orig = Negotiator.propose

    def checked(self, actor, other, channel):
        p = orig(self, actor, other, channel)
        m = self.model
        floor = m.beliefs.floor(actor.key, other.key)
        own, opp = self.prefs(actor, channel), self._opp_prefs(actor, other, channel)
        xs = self.xs(channel)
        best, gmax = self.best(actor, channel)
        got = concede_until(own, opp, xs, best, self._opp_best(actor, other, channel), floor)
        rv = actor.reservation_value()
        possible = got is not None and gmax - got[1] >= rv - 1e-12
        if p is not None:
            assert possible
            made.append(p)
        elif gmax >= rv and not possible:
            made.append(None)
        return p

    monkeypatch.setattr(Negotiator, "propose", checked)
    for seed in range(3):
        NegotiationModel(sim.load_scenario(name), rng=seed).run()
    assert any(p is not None for p in made)


def test_a_wrong_belief_breaks_down_a_deal_that_a_right_one_makes():
    """The mirror trade over seeds: when each side believes the other's floor is far
    above what the trade can give (prior on [0.8, 1]), nobody offers and no deal is made,
    each refusal to offer marked a deal missed by a wrong belief; with a belief that
    holds the truth (prior on [0, 0.06] around the true 0.05) the deal is the one made
    under complete information, on the same day."""
    wrong = build(mirror_trade(uncertain={"actors.a.reservation": [0.8, 1.0], "actors.b.reservation": [0.8, 1.0]}))
    right = build(mirror_trade(uncertain={"actors.a.reservation": [0.0, 0.06], "actors.b.reservation": [0.0, 0.06]}))
    full = build(mirror_trade(beliefs={"enabled": False}))
    for seed in range(8):
        w, r, f = (run_outcomes(sc, seed=seed) for sc in (wrong, right, full))
        assert f["any_agreement"] and r["time_to_first_agreement"] == f["time_to_first_agreement"]
        assert not w["any_agreement"] and w["n_missed_by_belief"] >= 1


def test_a_missed_deal_says_so_in_the_record():
    res = None
    for seed in range(10):
        res = sim.run("baseline", seed=seed)
        if res.outcomes["n_missed_by_belief"]:
            break
    rec = res.record[res.record["type"] == "no_offer"]
    missed = rec[rec["label"].str.startswith("a deal missed by a wrong belief")]
    assert len(missed) == res.outcomes["n_missed_by_belief"] >= 1
    assert missed.iloc[0]["reason"].startswith(res.actor_labels[missed.iloc[0]["actors"].split(";")[0]])
    s = res.series
    assert (s["variable"] == "belief").any()


def test_beliefs_fields_are_validated():
    from sim.scenario import ScenarioError

    for bad, field in (({"quantile": 1.0}, "beliefs.quantile"), ({"grid": 1}, "beliefs.grid"),
                       ({"noise": 0.0}, "beliefs.noise"), ({"tactical": 1.5}, "beliefs.tactical")):
        with pytest.raises(ScenarioError, match=field):
            build(mirror_trade(beliefs=bad))
