"""Renewal as a negotiation, exit before term and mirror documents (docs/ODD.md 7.17,
sim/model/agreements.py): properties checked at every decision of real runs (shipped
scenarios and generated cases), not on one seed's numbers."""

import math
from pathlib import Path

import numpy as np
import pytest
from conftest import build, mirror_trade
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.model import NegotiationModel
from sim.model.agreements import Registry
from sim.runner import with_protocol
from sim.scenario import ScenarioError


class Checked:
    """Wraps the registry's exit and term decisions and checks each against an
    independent recomputation at the moment it is taken."""

    def __init__(self, monkeypatch):
        self.exits, self.terms = [], []
        exit_, term_ = Registry._exit, Registry._term
        checked = self

        def _exit(reg, day, group, who, gains):
            again = reg.gains(group)
            assert again == gains
            cost = reg.spec.exit_cost
            # leaving is worth more to the leaver than staying plus the exit cost ...
            assert -gains[who] > cost
            # ... and it is the party that gains most by leaving
            assert all(-gains[who] >= -g for g in gains.values())
            standing = reg.standing(group[0])
            exit_(reg, day, group, who, gains)
            m = reg.model
            for j in standing:      # the terms that stood are back at their values before
                assert float(m.x[m.idx[j]]) == group[0].previous[j]
            checked.exits.append((day, who, dict(gains)))
            assert m.actors[who].exits_paid >= cost

        def _term(reg, group, gains, day):
            t, held = term_(reg, group, gains, day)
            terms = sorted(reg.spec.terms or [reg.spec.duration_days], reverse=True)
            then = {p: g for a in group for p, g in a.gain_then.items()}
            elapsed = max(day - group[0].since, 1)

            def passes(length):
                return all(g + (g - then.get(p, g)) / elapsed * length >= -1e-12 for p, g in gains.items())

            ok = [u for u in terms if passes(u)]
            assert t == (ok[0] if ok else terms[-1])          # the longest that passes, else the shortest
            checked.terms.append((day, t))
            return t, held

        monkeypatch.setattr(Registry, "_exit", _exit)
        monkeypatch.setattr(Registry, "_term", _term)


def _consistent(model):
    """No agreement both in force and ended; every ended one says when."""
    for a in model.registry.all:
        live = a.status in ("in force", "renewed")
        assert live == (a.ended < 0), (a.status, a.ended)
        assert (a in model.registry.in_force()) == live
        if live:
            assert a.expires > model.day - 1
    exited = [r for r in model.registry.record if r.type == "exit"]
    for r in exited:
        assert any(a.status == "exited" and a.ended == r.day and r.actors[0] in a.parties
                   for a in model.registry.all)


SHIPPED = [("baseline", "alternating_offers"), ("eu_direct_channel", "alternating_offers"),
           ("poland_political_talks", "alternating_offers"), ("black_sea_grain", "alternating_offers"),
           ("black_sea_grain", "mediation"), ("baseline", "mediation")]


@pytest.mark.parametrize("name,protocol", SHIPPED)
def test_exits_and_terms_follow_their_rules_in_shipped_scenarios(monkeypatch, name, protocol):
    checked = Checked(monkeypatch)
    for seed in range(6):
        m = NegotiationModel(with_protocol(sim.load_scenario(name), protocol), rng=seed).run()
        _consistent(m)
    if name == "black_sea_grain":
        assert checked.terms, "the grain deal is renewed in some run"


def test_belarus_leaves_deals_whose_value_to_it_fell_below_the_exit_cost(monkeypatch):
    """eu_direct_channel over 20 seeds: Belarus signs to stop the flow and, in some runs,
    leaves when keeping the terms is worth less to it than the exit cost; raising the
    exit cost tenfold leaves it fewer exits (a property over seeds, not one run)."""
    checked = Checked(monkeypatch)
    low = sum(sim.run("eu_direct_channel", seed=s).outcomes["n_exits"] for s in range(20))
    assert low >= 3 and checked.exits
    assert all(who == "belarus" for _, who, _ in checked.exits)
    sc = sim.load_scenario("eu_direct_channel")
    dear = sc.model_copy(update={"agreements": sc.agreements.model_copy(update={"exit_cost": 0.5})})
    high = sum(sim.run(dear, seed=s).outcomes["n_exits"] for s in range(20))
    assert high < low


def test_no_exit_when_exit_is_off():
    sc = sim.load_scenario("eu_direct_channel")
    off = sc.model_copy(update={"agreements": sc.agreements.model_copy(update={"exit": False})})
    assert all(sim.run(off, seed=s).outcomes["n_exits"] == 0 for s in range(8))


def _eroding(exposure_b, exit_cost, rate, terms):
    """The mirror trade with a crisis stock that b's concession drains: b's gain from the
    trade is mostly crisis relief, which falls as the stock drains."""
    return mirror_trade(
        horizon_days=200,
        agreements={"duration_days": 40, "terms": terms, "exit_cost": exit_cost, "breach_cost": 5.0},
        actors={"b": {"salience": {"i1": 0.2, "i2": 0.3}, "exposure": {"stress": exposure_b}}},
        environment={"stocks": {"stress": {"label": "stress", "initial": 1.0,
                                           "inflows": [{"rate": rate, "driven_by": {"i2": -1}}],
                                           "outflows": [{"rate": 0.05, "driven_by": {"i2": 1}}],
                                           "noise": 0.0}},
                     "anticipation_days": 30, "urgency": 0.02},
        protocol={"cooldown_days": 5, "deadline_days": 200})


@settings(max_examples=25, deadline=None)
@given(exposure=st.floats(0.0, 3.0), exit_cost=st.floats(0.0, 0.3), rate=st.floats(0.0, 0.05),
       terms=st.lists(st.integers(5, 60), min_size=1, max_size=3, unique=True), seed=st.integers(0, 3))
def test_exit_and_term_rules_hold_in_generated_cases(exposure, exit_cost, rate, terms, seed):
    with pytest.MonkeyPatch.context() as mp:
        Checked(mp)
        m = NegotiationModel(build(_eroding(exposure, exit_cost, rate, terms)), rng=seed).run()
        _consistent(m)
        for r in m.registry.record:
            if r.type == "renewal":
                assert int(r.label.rsplit(" for ", 1)[1].split()[0]) in terms


def test_the_grain_deal_is_two_mirror_documents_linked_by_the_mediator():
    """Under mediation Russia and Ukraine each sign the UN's text with Turkey and the UN,
    never with each other: two agreements with one link, renewed together."""
    res = sim.run("black_sea_grain", seed=0, protocol="mediation")
    ag = res.agreements
    first = ag[ag["day"] == ag["day"].min()]
    assert sorted(first["parties"]) == ["russia;turkey;un", "ukraine;turkey;un"]
    assert first["link"].nunique() == 1 and not math.isnan(first["link"].iloc[0])
    assert (first["mediator"] == "un").all()
    assert res.outcomes["n_mirror_texts"] >= 1 and res.outcomes["any_mirror"]
    assert res.outcomes.get("pair:russia-ukraine", 0) == 0
    renewals = res.record[res.record["type"] == "renewal"]
    assert len(renewals) >= 1 and "2 mirror documents" in renewals.iloc[0]["label"]


def test_without_co_mediators_each_party_signs_with_the_mediator_alone():
    sc = with_protocol(sim.load_scenario("black_sea_grain"), "mediation")
    plain = sc.model_copy(update={"protocol": sc.protocol.model_copy(update={"co_mediators": []})})
    ag = sim.run(plain, seed=0).agreements
    first = ag[ag["day"] == ag["day"].min()]
    assert sorted(first["parties"]) == ["russia;un", "turkey;un", "ukraine;un"]


def test_a_shortened_renewal_names_who_held_it_short():
    found = 0
    for seed in range(12):          # the first run of the grain scenario with a shortened renewal
        res = sim.run("black_sea_grain", seed=seed, series=False, protocol="mediation")
        short = res.record[(res.record["type"] == "renewal") & res.record["reason"].str.contains("term shortened")]
        assert res.outcomes["n_shortened"] == len(short)
        if len(short):
            found += 1
            break
    assert found, "no shortened renewal in 12 runs of black_sea_grain"
    assert "would lose from the terms within 120 days" in short.iloc[0]["reason"]
    assert short.iloc[0]["label"].endswith("for 60 days")


def test_renewal_and_exit_fields_are_validated():
    d = mirror_trade(agreements={"terms": [0]})
    with pytest.raises(ScenarioError, match="agreements.terms.0"):
        build(d)
    sc = sim.load_scenario("black_sea_grain")
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["protocol"]["co_mediators"] = ["nobody"]
    with pytest.raises(ScenarioError, match="protocol.co_mediators.0: unknown actor 'nobody'"):
        build(data)
    data["protocol"]["co_mediators"] = ["un"]
    with pytest.raises(ScenarioError, match="protocol.co_mediators.0: the mediator is not its own co-mediator"):
        build(data)


def test_grain_record_scores_under_both_protocols():
    """The record's every fact is an outcome of the scenario under both protocols."""
    from sim.experiments.scoring import evaluate, forecast, load_record

    rec = load_record(Path(__file__).parents[2] / "data" / "black_sea_grain_record.yaml")
    for protocol in ("alternating_offers", "mediation"):
        sc = with_protocol(sim.load_scenario("black_sea_grain"), protocol)
        runs, _, _ = forecast(sc, rec, reps=16, seed=0)         # under the priors, as make grain-table
        table, totals = evaluate(sc, rec, runs, None)
        assert len(table) == len(rec) and np.isfinite(table["score"]).all()


def test_the_pattern_table_counts_matching_runs():
    """make grain-table's table at a small size: one row per fact, each share of runs
    matching recomputed here from the same runs."""
    from sim.experiments.patterns import markdown, match_table
    from sim.experiments.scoring import forecast, load_record

    rec = load_record(Path(__file__).parents[2] / "data" / "black_sea_grain_record.yaml")
    sc = sim.load_scenario("black_sea_grain")
    table = match_table(sc, rec, ["alternating_offers"], reps=6)
    assert list(table["fact"]) == [o.name for o in rec]
    runs, _, _ = forecast(sc, rec, reps=6)
    for o, row in zip(rec, table.itertuples(index=False)):
        col = runs[o.outcome].astype(float)
        if "day" in o.outcome:
            want = float((abs(col - o.observed) <= 15).sum()) / len(runs)
        else:
            want = float((col == o.observed).sum()) / len(runs)
        assert getattr(row, "_2") == pytest.approx(want)
    text = markdown(table, ["alternating_offers"], 6)
    assert text.count("\n|") == len(rec) + 1 and "share of runs matching" in text


def test_the_pattern_table_command_gives_one_line_and_exit_2_on_bad_input(capsys):
    from sim.experiments.patterns import main

    assert main(["black_sea_grian", "data/black_sea_grain_record.yaml"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "did you mean 'black_sea_grain'" in err
    assert main(["black_sea_grain", "/nonexistent.yaml"]) == 2
    assert "cannot read" in capsys.readouterr().err


def test_a_renegotiated_renewal_scales_the_terms_back_until_every_party_keeps_them():
    """Over a grid of eroding mirror trades: whenever a renewal changes the terms, each
    changed term moved back toward its value before the agreement by one of the offered
    shares, and every party's S_i at the new terms is >= 0 (so renewing was voluntary);
    it happens in some cases, and never with ``agreements.renegotiate: false``."""
    seen = 0
    original = Registry._rescale

    def checked(self, day, group, lam, changes, text):
        assert lam in Registry.SCALES
        ag = group[0]
        for j, (old, new) in changes.items():
            assert new == pytest.approx(ag.previous[j] + lam * (old - ag.previous[j]))
        gains = original(self, day, group, lam, changes, text)
        assert all(g >= -1e-12 for g in gains.values())
        return gains

    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(Registry, "_rescale", checked)
        for exposure in (0.5, 1.0, 2.0, 3.0):
            for rate in (0.01, 0.03, 0.05):
                for seed in range(3):
                    data = _eroding(exposure, 0.3, rate, [40])
                    m = NegotiationModel(build(data), rng=seed).run()
                    _consistent(m)
                    seen += len(m.registry.renegotiated)
                    data["agreements"]["renegotiate"] = False
                    off = NegotiationModel(build(data), rng=seed).run()
                    assert off.registry.renegotiated == []
    assert seen >= 1
