"""Binding agreements (sim/model/agreements.py): terms hold for their duration, renew or
expire, and undoing them alone is a breach that costs the breaker and is logged."""

import pytest

import sim
from sim.model import NegotiationModel
from sim.model.control import interval

from conftest import build, mirror_trade


def _trade(**over):
    # the mirror trade (a gives i1, b gives i2) with unilateral action on
    d = mirror_trade(**over)
    d.setdefault("unilateral", {}).setdefault("cost", 0.0)
    return d


def test_agreements_renew_while_both_still_gain_and_expire_otherwise():
    d = _trade(agreements={"duration_days": 15, "renew": True, "breach_cost": 1.0})
    res = sim.run(build(d), seed=0)
    ag = res.agreements.iloc[0]
    assert res.outcomes["n_renewals"] >= 1 and ag["status"] == "renewed"
    assert (res.record["type"] == "renewal").sum() == res.outcomes["n_renewals"]
    d["agreements"]["renew"] = False
    res = sim.run(build(d), seed=0)
    assert res.outcomes["n_renewals"] == 0
    expiry = res.record[res.record["type"] == "expiry"]
    assert len(expiry) >= 1 and expiry.iloc[0]["day"] == res.agreements.iloc[0]["day"] + 15


def test_undoing_agreed_terms_alone_is_a_breach_when_it_pays_and_not_when_it_costs():
    """After the trade, each side would like its own concession back. With a breach
    cost of 0 and no harm aversion it takes it back (a breach, logged, blame from the
    wronged party); with a breach cost of 1 it keeps its word."""
    d = _trade(agreements={"breach_cost": 0.0, "breach_blame": 0.5}, blame={"harm_aversion": 0.0})
    res = sim.run(build(d), seed=0)
    breaches = res.record[res.record["type"] == "breach"]
    assert res.outcomes["n_breaches"] == len(breaches) >= 1
    assert res.agreements.iloc[0]["status"] == "breached"
    assert res.outcomes["blame_received:a"] + res.outcomes["blame_received:b"] > 0
    d["agreements"]["breach_cost"] = 1.0
    res = sim.run(build(d), seed=0)
    assert res.outcomes["n_breaches"] == 0
    assert (res.record["type"] == "unilateral").sum() == 0


def test_a_bound_party_cannot_undo_its_terms_in_a_new_deal_without_its_partner():
    """a and b agreed i1 = 1. While that holds, a deal between a and a third actor c
    may not move i1 away from it unless b consents: b becomes a veto holder."""
    d = mirror_trade()
    d["actors"]["c"] = {"name": "C", "capability": 0.2, "position": {"i1": 0.0, "i2": 0.5},
                        "salience": {"i1": 1, "i2": 1}}
    d["channels"] = {"a-b": "technical", "a-c": "technical"}
    m = NegotiationModel(build(d), rng=0)
    ch = next(c for c in m.channels if c.key == ("a", "b"))
    m.implement(ch, "a", [1.0, 1.0])
    holders = m.registry.holders("i1", ("a", "c"))
    assert holders == ["b"]
    assert interval(m, m.idx["i1"], ("a", "c"), holders) == pytest.approx((1.0, 1.0))
    assert interval(m, m.idx["i1"], ("a", "c")) == pytest.approx((0.0, 1.0))
