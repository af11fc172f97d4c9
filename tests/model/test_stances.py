"""Every stance type changes the model in its defined way, and removing it undoes that."""

import pytest
from conftest import build, mirror_trade

import sim
from sim.model import NegotiationModel
from sim.model.stances import STANCE_TYPES


def _model(data):
    return NegotiationModel(build(data), rng=0)


def _with_stance(stance=None, **over):
    d = mirror_trade(**over)
    if stance:
        d["stances"] = {"s": stance}
    return d


def _channel(m, a, b):
    return next((c for c in m.channels if {c.a, c.b} == {a, b}), None)


def test_every_stance_type_is_exercised_here():
    tested = {"open_to_talks", "technical_only", "refuses_talks", "political_counterpart",
              "denies_responsibility", "calls_for", "blames", "guarantor"}
    # threatens and promises: tests/model/test_commitments.py (credibility, checks, costs)
    assert set(STANCE_TYPES) == tested | {"threatens", "promises"}


def test_open_to_talks_opens_a_channel_that_the_scenario_lacks():
    d = _with_stance({"actor": "a", "type": "open_to_talks", "with": "b", "level": "technical"},
                     channels={"a-b": None})
    assert _channel(_model(d), "a", "b").level == "technical"
    d.pop("stances")
    assert _channel(_model(d), "a", "b") is None


def test_technical_only_caps_the_level():
    d = _with_stance({"actor": "a", "type": "technical_only", "with": "b"}, channels={"a-b": "political"})
    assert _channel(_model(d), "a", "b").level == "technical"
    d.pop("stances")
    assert _channel(_model(d), "a", "b").level == "political"


def test_refuses_talks_closes_even_an_opened_channel():
    d = mirror_trade(channels={"a-b": "political"})
    d["stances"] = {"open": {"actor": "a", "type": "open_to_talks", "with": "b"},
                    "no": {"actor": "b", "type": "refuses_talks", "with": "a"}}
    assert _channel(_model(d), "a", "b") is None


def _three_actor():
    d = mirror_trade()
    d["actors"]["c"] = {"name": "C", "capability": 0.2, "position": {"i1": 0.5, "i2": 0.5},
                        "salience": {"i1": 1, "i2": 1}}
    d["issues"]["i3"] = {"kind": "political", "low": "l", "high": "h", "status_quo": 0.5, "control": ["a"]}
    for a in d["actors"].values():
        a["position"]["i3"] = 0.5
        a["salience"]["i3"] = 1
    d["channels"] = {"a-b": "political", "a-c": "political"}
    return d


def test_political_counterpart_dedicates_a_channel_and_excludes_the_issue_elsewhere():
    d = _three_actor()
    m = _model(d)
    i3 = m.idx["i3"]
    assert i3 in _channel(m, "a", "b").issues and i3 in _channel(m, "a", "c").issues
    d["stances"] = {"s": {"actor": "a", "type": "political_counterpart", "issue": "i3", "with": "c"}}
    m = _model(d)
    assert i3 not in _channel(m, "a", "b").issues           # not with anyone else
    assert _channel(m, "a", "c").issues == (i3,)            # only that issue with c


def test_denies_responsibility_bounds_the_issue_at_its_status_quo():
    d = _with_stance({"actor": "b", "type": "denies_responsibility", "issue": "i2", "hard": True})
    m = _model(d)
    assert m.bounds("b", m.idx["i2"]) == (0.0, 0.0)
    res = sim.run(build(d), seed=0, series=False)
    assert res.outcomes["final:i2"] == 0.0
    d.pop("stances")
    assert sim.run(build(d), seed=0, series=False).outcomes["final:i2"] > 0.5


def test_calls_for_forbids_moving_away_from_the_demand():
    d = _with_stance({"actor": "a", "type": "calls_for", "issue": "i1", "value": 0.0, "hard": True},
                     issues={"i1": {"status_quo": 0.3}})
    m = _model(d)
    assert m.bounds("a", m.idx["i1"]) == (0.0, 0.3)
    res = sim.run(build(d), seed=0, series=False)
    assert res.outcomes["final:i1"] <= 0.3
    d.pop("stances")
    assert sim.run(build(d), seed=0, series=False).outcomes["final:i1"] > 0.3


def test_blames_sets_initial_blame_and_hardens_the_blamer():
    d = _with_stance({"actor": "a", "type": "blames", "target": "b", "weight": 0.9},
                     blame={"decay": 0.0})
    m = _model(d)
    assert m.blame[m.aidx["a"], m.aidx["b"]] == 0.9 and m.blame[m.aidx["b"], m.aidx["a"]] == 0.0
    blamed = sim.run(build(d), seed=0, series=False).outcomes
    d.pop("stances")
    free = sim.run(build(d), seed=0, series=False).outcomes
    # conceding to a blamed counterpart costs more: the blamer keeps more of its utility
    assert blamed["utility:a"] > free["utility:a"] + 0.02


def test_guarantor_can_commit_on_an_issue_it_does_not_control_up_to_its_leverage():
    from sim.model.control import interval

    d = _three_actor()
    d["channels"] = {"b-c": "technical"}
    m = _model(d)
    assert m.idx["i1"] not in _channel(m, "b", "c").issues       # a controls i1, neither b nor c
    d["stances"] = {"g": {"actor": "c", "type": "guarantor", "issue": "i1", "leverage": 0.4, "cost": 0.1}}
    m = _model(d)
    assert m.idx["i1"] in _channel(m, "b", "c").issues
    # i1's status quo is 0: the guarantor delivers at most 0.4 of the way to 1
    assert interval(m, m.idx["i1"], ("b", "c")) == pytest.approx((0.0, 0.4))
    # with the controller at the table, the leverage does not bind
    assert interval(m, m.idx["i1"], ("a", "c")) == (0.0, 1.0)


def test_political_counterpart_gives_the_counterpart_a_veto():
    """Without the stance, a (sole controller of i3) moves i3 anywhere; with it, c's
    consent is part of the rule: only values no worse for c than the current one."""
    from sim.model.control import interval

    d = _three_actor()
    d["actors"]["c"]["position"]["i3"] = 0.7
    m = _model(d)
    assert interval(m, m.idx["i3"], ("a", "b")) == (0.0, 1.0)
    d["stances"] = {"s": {"actor": "a", "type": "political_counterpart", "issue": "i3", "with": "c"}}
    m = _model(d)
    lo, hi = interval(m, m.idx["i3"], ("a",))
    assert (lo, hi) == pytest.approx((0.5, 0.9))          # |v - 0.7| <= |0.5 - 0.7|


def test_stance_events_change_the_run_on_their_day():
    d = mirror_trade()
    d["events"] = [{"day": 5, "type": "set_channel", "between": ["a", "b"], "level": "closed",
                    "label": "talks suspended"}]
    res = sim.run(build(d), seed=0)
    assert len(res.agreements) == 0
    assert res.events.iloc[0]["label"] == "talks suspended"
    d["events"][0]["day"] = 50                 # after the deal (day ~22): the deal stands
    late = sim.run(build(d), seed=0)
    assert len(late.agreements) >= 1 and late.agreements["day"].max() < 50


def test_weighted_control_moves_an_issue_only_by_the_parties_share_without_a_ratchet():
    """Under the explicit ``weighted`` rule, parties holding capability share s of an
    issue's controllers move it at most s of the way from the status quo; the bound
    is the same after a deal moved the issue (repeated deals do not ratchet)."""
    d = _three_actor()
    d["issues"]["i3"]["control"] = ["a", "c"]
    d["issues"]["i3"]["decision"] = "weighted"
    m = _model(d)
    share = 0.5 / 0.7
    lo, hi = m.box(_channel(m, "a", "b"))
    n = _channel(m, "a", "b").issues.index(m.idx["i3"])
    assert hi[n] == pytest.approx(0.5 + share * 0.5) and lo[n] == pytest.approx(0.5 - share * 0.5)
    m.x[m.idx["i3"]] = 0.5 + share * 0.5                  # a first deal went as far as it could
    m._changed()
    lo2, hi2 = m.box(_channel(m, "a", "b"))
    assert hi2[n] == pytest.approx(hi[n])                  # no further: the bound is from the status quo
