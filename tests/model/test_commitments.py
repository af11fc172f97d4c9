"""Stances as costly commitments (sim/model/commitments.py, docs/ODD.md 7.15) and
package consent of the other deciders (sim/model/control.py, docs/ODD.md 7.4)."""

import math

import numpy as np
import pytest
from conftest import build, institution, mirror_trade
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

import sim
from sim.experiments.stats import mean_interval
from sim.model import NegotiationModel, commitments
from sim.model.control import package_vetoes

SHIPPED = [p.stem for p in sim.scenario.SCENARIO_DIR.glob("*.yaml")]


def _denier(price=None, **over):
    """The mirror trade with b denying any move of its own issue i2: the trade that gains
    both is blocked by b's stance alone."""
    stance = {"actor": "b", "type": "denies_responsibility", "issue": "i2"}
    if price is not None:
        stance["price"] = price
    return mirror_trade(stances={"deny": stance}, **over)


def _gain_of_breaking(data, day=7):
    """Delta_b on ``day``: what b's best reachable deal gains without its stance."""
    m = NegotiationModel(build(data), rng=0)
    for _ in range(day - 1):
        m.step()
    # the review runs inside step() of `day`, after the day's stock update: replay it
    m.day += 1
    m._apply_events(m.day)
    m.env.update(m.x)
    m._clear_relief()
    now = commitments.reachable(m, "b")
    with m.without(("deny",)):
        after = commitments.reachable(m, "b")
    return after - now


def _breaks(res):
    return res.record[res.record["type"] == "commitment_broken"]


def test_the_stance_binds_while_its_price_exceeds_what_breaking_it_opens():
    delta = _gain_of_breaking(_denier(price=0.0))
    assert delta > 0.05                                   # the blocked trade is worth something to b
    kept = sim.run(build(_denier(price=delta * 1.1)), seed=0, series=False)
    assert _breaks(kept).empty and kept.outcomes["final:i2"] == 0.0
    broken = sim.run(build(_denier(price=delta * 0.9)), seed=0, series=False)
    b = _breaks(broken)
    assert list(b["day"]) == [7] and list(b["label"]) == ["deny"]
    assert b["cost"].iloc[0] == pytest.approx(delta * 0.9)
    assert "backs down" in b["reason"].iloc[0] and f"({delta * 0.9:.3f})" in b["reason"].iloc[0]
    assert broken.outcomes["final:i2"] > 0.5             # the deal it blocked follows


def test_a_hard_stance_or_disabled_commitments_never_break():
    d = _denier(price=0.0)
    d["stances"]["deny"]["hard"] = True
    res = sim.run(build(d), seed=0, series=False)
    assert _breaks(res).empty and res.outcomes["final:i2"] == 0.0
    d = _denier(price=0.0, commitments={"enabled": False})
    res = sim.run(build(d), seed=0, series=False)
    assert _breaks(res).empty and res.outcomes["final:i2"] == 0.0


def test_blame_of_the_audience_raises_the_price():
    d = _denier(price=0.1, commitments={"blame_gain": 2.0})
    d["stances"]["b_blames_a"] = {"actor": "b", "type": "blames", "target": "a", "weight": 0.5}
    m = NegotiationModel(build(d), rng=0)
    assert commitments.price(m, m.stances["deny"]) == pytest.approx(0.1 * (1 + 2.0 * 0.5))
    d["stances"].pop("b_blames_a")
    m = NegotiationModel(build(d), rng=0)
    assert commitments.price(m, m.stances["deny"]) == pytest.approx(0.1)


def _check_paid(res, model=None):
    """Every broken commitment is paid: its cost is its price (>= the base price, never
    negative), the actor's paid total is the sum, and the utility outcome nets it out."""
    b = _breaks(res)
    assert (b["cost"] >= 0).all()
    backed = res.record[res.record["type"].isin(["commitment_broken", "threat_abandoned", "promise_broken"])]
    for a in res.outcomes:
        if not a.startswith("commitments_paid:"):
            continue
        actor = a.split(":", 1)[1]
        # the maker is the first actor of an abandoned threat's act, the only one of a break's
        paid = backed.loc[backed["actors"].str.split(";").str[0] == actor, "cost"].sum()
        assert res.outcomes[a] == pytest.approx(paid, abs=1e-12)
    return b


@pytest.mark.parametrize("name", SHIPPED)
def test_every_broken_commitment_in_every_shipped_scenario_is_paid(name):
    """At price 0 every stance whose release opens anything is broken, so every shipped
    scenario exercises the rule; at any price the paid total equals the recorded costs,
    each broken stance stays out of force, and no agreement is signed against it after."""
    sc = sim.load_scenario(name)
    for price in (0.0, 0.05):
        d = sc.model_dump(by_alias=True)
        d["commitments"]["price"] = price
        for st_ in d["stances"].values():
            st_["price"] = None
        res = sim.run(sim.Scenario.model_validate(d), seed=1, series=False)
        b = _check_paid(res)
        assert b["label"].is_unique          # a stance broken once is gone


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price=st.floats(0.0, 0.3), gain=st.floats(0.0, 3.0), seed=st.integers(0, 10_000))
@example(price=0.03125, gain=1.0, seed=3517)     # a run where an agreement lapses after a break
def test_paid_for_any_price_and_blame_gain(price, gain, seed):
    sc = sim.load_scenario("baseline", overrides={"commitments": {"price": price, "blame_gain": gain}})
    res = sim.run(sc, seed=seed, series=False)
    b = _check_paid(res)
    for row in b.itertuples():
        st_ = sc.stances[row.label]
        base = price if st_.price is None else st_.price
        assert base - 1e-12 <= row.cost <= base * (1 + gain) + 1e-12   # blame in [0, 1]
    # the utility outcome is u_i(x) at the end less what i paid (prices, coercion, exits)
    from sim.runner import _model

    m = _model(sc, seed, None, False, False)       # built and run for the horizon
    for a, actor in m.actors.items():
        want = (actor.utility(m.x) - res.outcomes[f"commitments_paid:{a}"] - res.outcomes[f"coercion_paid:{a}"]
                - res.outcomes[f"exits_paid:{a}"])
        assert res.outcomes[f"utility:{a}"] == pytest.approx(want, abs=1e-12)


def test_political_agreement_in_the_baseline_comes_from_the_price():
    """The baseline's political deals come from backing down: at price 0 the EU breaks
    its technical-only line and its call for sanctions in a share of runs and trades
    sanctions for the flow; at a high price no run has a political deal (30 seeds,
    fixed parameters, common random numbers; difference's 95% interval above 0)."""
    def share(price):
        sc = sim.load_scenario("baseline", overrides={"commitments": {"price": price}})
        return np.array([sim.run(sc, seed=s, series=False).outcomes["any_political"] for s in range(30)],
                        dtype=float)
    cheap, dear = share(0.0), share(0.5)
    assert dear.sum() == 0
    _, lo, _ = mean_interval(cheap - dear)
    assert lo > 0, lo


def test_a_member_consents_to_a_package_worth_something_to_it():
    """Unanimity with package consent: member m2 (ideal 0.4 on s) vetoes moving s to 1
    on its own, but not when the move comes with something it values more."""
    d = institution("unanimity")
    d["issues"]["t"] = {"kind": "technical", "low": "no", "high": "yes", "status_quo": 0.0, "control": ["o"]}
    for a in d["actors"].values():
        a["position"]["t"] = 1.0
        a["salience"]["t"] = 0.1
    d["actors"]["m2"]["salience"]["t"] = 3.0
    m = NegotiationModel(build(d), rng=0)
    s, t = m.idx["s"], m.idx["t"]
    assert [k for k, _ in package_vetoes(m, ("eu", "o"), (s,), (1.0,))] == ["m2"]
    assert package_vetoes(m, ("eu", "o"), (s, t), (1.0, 1.0)) == []
    # m1 (ideal 1) loses nothing on s moving to 1, so only m2 was asked; moving s down
    # is m1's to veto, alone
    assert [k for k, _ in package_vetoes(m, ("eu", "o"), (s,), (0.45,))] == ["m1"]
    v = package_vetoes(m, ("eu", "o"), (s,), (1.0,))[0][1]
    assert v < 0 and math.isfinite(v)


# ------------------------------------------------------------------ threats and promises
def _coercion(kind="threatens", cost=None, price=None, **over):
    """Mirror trade with no channel: b controls i2 (ideal 0; it can move it 0.5 at once),
    a controls i1 (status quo and a's ideal 0.5, b's ideal 1). a demands i2 >= 0.5; its
    threat moves i1 to 0, its promise to 1: either costs a 0.125 of utility, so only the
    price of backing down makes it credible."""
    st = {"actor": "a", "type": kind, "target": "b", "issue": "i2", "at_least": 0.5,
          "then_issue": "i1", "then_to": 0.0 if kind == "threatens" else 1.0, "first_day": 7, "every_days": 7}
    if cost is not None:
        st["cost"] = cost
    if price is not None:
        st["price"] = price
    base = {"issues": {"i1": {"status_quo": 0.5}, "i2": {"unilateral_step": 0.5}},
            "actors": {"a": {"position": {"i1": 0.5}}},
            "channels": {"a-b": "closed"}, "stances": {"c": st},
            "unilateral": {"cost": 0.0}, "blame": {"harm_aversion": 0.0}}
    return mirror_trade(**{**base, **over})


def _acts(res, *types):
    return res.record[res.record["type"].isin(types)]


def test_a_credible_threat_is_weighed_by_its_target_and_it_complies():
    with_threat = sim.run(build(_coercion(price=0.2)), seed=0, series=False)
    d = _coercion(price=0.2)
    d.pop("stances")
    without = sim.run(build(d), seed=0, series=False)
    assert without.outcomes["final:i2"] == 0.0                    # b has no reason to move
    assert with_threat.outcomes["final:i2"] >= 0.5                # b meets the demand to avert the threat
    assert _acts(with_threat, "threat_carried_out", "threat_abandoned").empty   # never due
    # the same threat without the price behind it is not credible: b ignores it
    cheap = sim.run(build(_coercion(price=0.05)), seed=0, series=False)
    assert cheap.outcomes["final:i2"] == 0.0
    assert list(_acts(cheap, "threat_abandoned")["day"]) == [7]


def test_a_threat_that_costs_more_than_backing_down_is_abandoned_and_its_price_paid():
    d = _coercion(cost=5.0, price=0.05)          # moving i1 by 0.5 costs a 2.5 > its gain + price
    m = NegotiationModel(build(d), rng=0)
    from sim.model import threats

    ok, mv, net, pr = threats.assess(m, m.stances["c"])
    assert not ok and net + pr < 0 and pr == pytest.approx(0.05)
    res = sim.run(build(d), seed=0, series=False)
    ab = _acts(res, "threat_abandoned")
    assert list(ab["day"]) == [7] and ab["cost"].iloc[0] == pytest.approx(0.05)
    assert res.outcomes["commitments_paid:a"] == pytest.approx(0.05)
    assert res.outcomes["final:i1"] == 0.5                        # not carried out
    assert "backs down" in ab["reason"].iloc[0]


def test_a_promise_is_kept_only_when_keeping_it_costs_less_than_its_price():
    kept = sim.run(build(_coercion("promises", price=5.0, unilateral={"enabled": False})), seed=0, series=False)
    assert kept.outcomes["final:i2"] == 0.0                       # demand not met (no move by b): not due
    assert _acts(kept, "promise_kept", "promise_broken").empty
    d = _coercion("promises", price=5.0, issues={"i1": {"status_quo": 0.5}, "i2": {"status_quo": 0.6}})
    res = sim.run(build(d), seed=0, series=False)
    k = _acts(res, "promise_kept")
    assert list(k["day"]) == [7] and res.outcomes["final:i1"] == 1.0
    assert k["cost"].iloc[0] == pytest.approx(0.0)                # unilateral cost 0 here
    d = _coercion("promises", price=0.05, issues={"i1": {"status_quo": 0.5}, "i2": {"status_quo": 0.6}})
    res = sim.run(build(d), seed=0, series=False)
    assert list(_acts(res, "promise_broken")["day"]) == [7] and res.outcomes["final:i1"] == 0.5


def test_a_conditional_move_needs_one_demand_and_one_move():
    d = _coercion()
    d["stances"]["c"]["at_most"] = 0.2
    with pytest.raises(Exception, match="exactly one of at_least and at_most"):
        build(d)
    d = _coercion()
    d["stances"]["c"].pop("then_to")
    with pytest.raises(Exception, match="exactly one of then_to and then_by"):
        build(d)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_threat_carried_out_costs_what_the_scenario_says(name):
    """In every shipped scenario (and the baseline with cheap commitments): each threat
    or promise carried out costs its maker its unit cost times the distance moved; each
    one abandoned costs its price; the paid totals add up."""
    for over in ({}, {"commitments": {"price": 0.0}}):
        sc = sim.load_scenario(name, overrides=over or None)
        for seed in (1, 2):
            m = NegotiationModel(sc, rng=seed, collect=False)
            m.run()
            paid = {a: 0.0 for a in m.actor_ids}
            for act in m.registry.record:
                if act.type in ("threat_carried_out", "promise_kept"):
                    st = sc.stances[act.label]
                    (issue, (x, v)), = act.changes.items()
                    unit = st.cost if st.cost is not None else m.unilateral_cost(st.actor, m.idx[issue])
                    assert act.cost == pytest.approx(unit * abs(v - x), abs=1e-12)
                    paid[st.actor] += act.cost
            for a, actor in m.actors.items():
                assert actor.coercion_paid == pytest.approx(paid[a], abs=1e-12)


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(price=st.floats(0.0, 0.4), cost=st.floats(0.0, 0.6), seed=st.integers(0, 10_000))
def test_threats_and_promises_cost_what_they_say_for_any_price_and_cost(price, cost, seed):
    """Hypothesis over the baseline's threat and promise: whatever their price and cost
    per unit, a move carried out costs cost x distance (to coercion_paid), one abandoned
    costs its price raised by blame (base <= paid <= base x (1 + blame_gain)), and a
    maker never carries out a move worth less to it than minus its price."""
    over = {"stances": {sid: {"price": price, "cost": cost} for sid in ("eu_threatens_listings",
                                                                       "eu_promises_returns")}}
    sc = sim.load_scenario("baseline", overrides=over)
    m = NegotiationModel(sc, rng=seed, collect=False)
    m.run()
    gain = sc.commitments.blame_gain
    coerced = paid = 0.0
    for act in m.registry.record:
        if act.type in ("threat_carried_out", "promise_kept"):
            (_, (x, v)), = act.changes.items()
            assert act.cost == pytest.approx(cost * abs(v - x), abs=1e-12)
            coerced += act.cost
            net = float(act.reason.split("worth ")[1].split(" to it")[0])
            assert net >= -price * (1 + gain) - 1e-3          # credible: N_m + price >= 0 (3 decimals)
        elif act.type in ("threat_abandoned", "promise_broken"):
            assert price - 1e-12 <= act.cost <= price * (1 + gain) + 1e-12
            paid += act.cost
    assert m.actors["eu"].coercion_paid == pytest.approx(coerced, abs=1e-12)
    assert m.actors["eu"].commitments_paid >= paid - 1e-12       # plus any commitment it broke
