"""Binding agreements (sim/model/agreements.py): terms hold for their duration, renew or
expire, and undoing them alone is a breach that costs the breaker and is logged."""

import pytest
from conftest import build, mirror_trade

import sim
from sim.model import NegotiationModel
from sim.model.control import interval


def _trade(**over):
    # the mirror trade (a gives i1, b gives i2) with unilateral action on
    d = mirror_trade(**over)
    d.setdefault("unilateral", {}).setdefault("cost", 0.0)
    return d


def test_agreements_renew_while_both_still_gain_and_expire_otherwise():
    d = _trade(agreements={"duration_days": 15, "renew": True, "breach_cost": 1.0}, horizon_days=120)
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


def test_an_expired_agreement_stops_vetoing_new_deals_the_day_it_ends():
    """While a-b's agreement on i1 is in force, a deal of a with a third actor c on i1
    needs b's consent (b is a holder: the box of channel a-c is narrowed by b's consent
    interval). The day the agreement expires (no renewal) the veto lapses at once: the
    box the protocol uses that day equals one computed from scratch, without b."""
    d = _trade(agreements={"duration_days": 5, "renew": False})
    d["actors"]["c"] = {"name": "C", "capability": 0.3, "position": {"i1": 0.0, "i2": 0.5},
                        "salience": {"i1": 1.0, "i2": 0.1}}
    d["channels"]["a-c"] = "technical"
    d["unilateral"] = {"enabled": False}
    m = NegotiationModel(build(d), rng=0, collect=False)
    ab = next(ch for ch in m.channels if ch.key == ("a", "b"))
    ac = next(ch for ch in m.channels if ch.key == ("a", "c"))
    m.implement(ab, "a", (1.0, 0.0))                     # a concedes i1 fully to b
    ag = m.agreements[0]
    assert m.registry.holders("i1", ac.key) == ["b"]
    narrowed = m.protocol.negotiator.box(ac)                       # cached with b's veto on i1
    assert narrowed[0][0] == 1.0                         # b consents to nothing below 1.0
    seen = {}
    opening = m.protocol.begin_day

    def begin_day():                                     # the box the day's turns will use
        opening()
        seen["box"] = m.protocol.negotiator.box(ac)
        seen["fresh"] = type(m.protocol)(m, m.spec.protocol).negotiator.box(ac)
    m.protocol.begin_day = begin_day
    m.day = ag.expires - 1
    m.step()                                             # the agreement ends today
    assert ag.status == "expired" and m.registry.holders("i1", ac.key) == []
    assert seen["box"] == seen["fresh"] and seen["box"][0][0] < 1.0
