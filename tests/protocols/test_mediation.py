"""Single-text mediation (sim/protocols/mediation.py, docs/ODD.md 8.3): the revision
vote, the table (who sits at it, at which level, on which issues), signatures, mirror
agreements between parties who will not sign with each other, the decision rules, and
the scenario errors of its fields."""

import math

import numpy as np
import pytest
from conftest import build
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.cli import main
from sim.model import NegotiationModel
from sim.protocols.mediation import Mediation
from sim.scenario import ScenarioError


def three(**over) -> dict:
    """A mediator ``m`` between ``a`` and ``b`` who refuse to talk to each other. Issue
    ``i`` is a's to concede (b wants it), ``j`` b's (a wants it), ``k`` the mediator's
    (political). Each side cares three times more about what the other concedes: a
    trade gains both, and the mediator wants it done."""
    d = {
        "name": "three", "description": "a mediator between two parties who will not talk",
        "start_date": "2022-01-01", "horizon_days": 40,
        "protocol": {"name": "mediation", "mediator": "m", "cooldown_days": 100},
        "issues": {
            "i": {"kind": "technical", "low": "l", "high": "h", "status_quo": 0.0, "control": ["a"]},
            "j": {"kind": "technical", "low": "l", "high": "h", "status_quo": 0.0, "control": ["b"]},
            "k": {"kind": "political", "low": "l", "high": "h", "status_quo": 0.0, "control": ["m"]},
        },
        "actors": {
            "a": {"name": "A", "capability": 0.4, "position": {"i": 0.0, "j": 1.0, "k": 1.0},
                  "salience": {"i": 0.2, "j": 0.6, "k": 0.2}, "reservation": 0.02},
            "b": {"name": "B", "capability": 0.4, "position": {"i": 1.0, "j": 0.0, "k": 0.5},
                  "salience": {"i": 0.6, "j": 0.2, "k": 0.2}, "reservation": 0.02},
            "m": {"name": "M", "capability": 0.2, "position": {"i": 1.0, "j": 1.0, "k": 0.5},
                  "salience": {"i": 0.4, "j": 0.4, "k": 0.2}, "reservation": 0.0},
        },
        "stances": {"a_no": {"actor": "a", "type": "refuses_talks", "with": "b"}},
        "channels": {"a-m": "political", "b-m": "political"},
        "unilateral": {"enabled": False},
    }
    return sim.scenario.deep_merge(d, over)


def run(data, seed=0, **kw):
    return sim.run(build(data), seed=seed, **kw)


def test_a_mediated_text_is_signed_by_parties_who_will_not_talk():
    """No channel joins a and b (a refuses talks), yet the mediator's text trades i for j
    and both sign it with the mediator: two mirror documents (a-m, b-m) of one text,
    linked, with the same terms; a and b sign nothing with each other."""
    m = NegotiationModel(build(three()), rng=0)
    assert not any({c.a, c.b} == {"a", "b"} for c in m.channels)
    res = run(three())
    ag = res.agreements
    assert list(ag["parties"]) == ["a;m", "b;m"] and ag["link"].nunique() == 1
    for _, r in ag.iterrows():
        assert r["mediator"] == "m" and r["proposer"] == "m"
        assert r["i"] > 0.5 and r["j"] > 0.5      # each side conceded what the other wanted
        assert r["pareto_gap"] <= 1e-6            # the final text cannot be improved for all
    assert (ag[["i", "j", "k"]].nunique() == 1).all()     # one text
    assert res.outcomes.get("pair:a-b", 0) == 0 and res.outcomes["n_mirror_texts"] == 1
    o = res.offers
    assert (o["from"] == "m").all() and set(o["outcome"]) == {"revised", "signed"}


def test_every_revision_passes_the_vote():
    """Replaying the run, each day's revision leaves no signatory worse off than the text
    it replaced (at that day's values) and someone better off."""
    m = NegotiationModel(build(three(horizon_days=25)), rng=0)
    med = m.protocol
    revisions = 0
    for _ in range(25):
        before = med.text
        m.step()
        if before is not None and med.text is not None and med.text != before and not m.agreements:
            gains = [med.value(k, med.text) - med.value(k, before) for k in med.table.key]
            assert min(gains) >= -1e-12 and max(gains) > 1e-12
            revisions += 1
    assert revisions >= 3


@st.composite
def texts(draw):
    n = draw(st.integers(1, 4))
    k = draw(st.integers(1, 4))
    unit = st.floats(0.0, 1.0)
    prefs = {f"p{q}": (tuple(draw(unit) for _ in range(n)), tuple(draw(st.floats(0.0, 0.5)) for _ in range(n)),
                       tuple(draw(st.floats(-0.2, 0.2)) for _ in range(n))) for q in range(k)}
    lo, hi, text = [], [], []
    for _ in range(n):
        a, b = sorted((draw(unit), draw(unit)))
        lo.append(a)
        hi.append(b)
        text.append(draw(st.floats(a, b)) if b > a else a)
    step = draw(st.sampled_from([0.2, 0.1, 0.05]))
    return prefs, tuple(lo), tuple(hi), tuple(text), step


@settings(max_examples=300, deadline=None, derandomize=True)
@given(case=texts())
def test_the_revision_rule(case):
    """The mediator's revision, on generated signatories and boxes: a revision stays in
    the box, moves at most two issues, leaves nobody worse off and somebody better off,
    and maximises the least gain among the candidates of its step (one issue by d; two
    by d and d, d/2 or d/2 and d); no revision means no candidate of any step passes the
    vote (checked by brute force)."""
    prefs, lo, hi, text, step = case
    med = Mediation.__new__(Mediation)
    med.lo, med.hi, med.steps = lo, hi, (step, step / 2)
    new = med._revise(prefs, text)

    def gains(t):
        return [sum(Mediation._term(p, j, text[j], t[j]) for j in range(len(text))) for p in prefs.values()]

    cands = []
    for d in med.steps:
        level = []
        n = len(text)
        full = [{v for v in (min(text[j] + d, hi[j]), max(text[j] - d, lo[j])) if abs(v - text[j]) > 1e-12}
                for j in range(n)]
        half = [{v for v in (min(text[j] + d / 2, hi[j]), max(text[j] - d / 2, lo[j]))
                 if abs(v - text[j]) > 1e-12} - full[j] for j in range(n)]
        for j in range(n):
            for v in full[j]:
                level.append({j: v})
            for k in range(j + 1, n):
                level += [{j: v, k: u} for v in full[j] | half[j] for u in full[k] | half[k]
                          if v in full[j] or u in full[k]]
        passing = []
        for c in level:
            t = tuple(c.get(j, text[j]) for j in range(n))
            g = gains(t)
            if min(g) >= -1e-12 and max(g) > 1e-12:
                passing.append((min(g), t))
        if passing:
            cands = passing
            break
    if new is None:
        assert not cands
        return
    assert all(a - 1e-12 <= v <= b + 1e-12 for v, a, b in zip(new, lo, hi))
    assert sum(abs(a - b) > 1e-12 for a, b in zip(new, text)) <= 2
    g = gains(new)
    assert min(g) >= -1e-12 and max(g) > 1e-12
    assert min(g) >= max(c[0] for c in cands) - 1e-12


def test_refusing_the_mediator_leaves_the_table():
    """b refuses talks with the mediator: b leaves the table, so no text moves j (b's);
    what a and the mediator still sign is theirs alone (i against the mediator's k)."""
    res = run(three(stances={"b_no_m": {"actor": "b", "type": "refuses_talks", "with": "m"}}))
    assert "j" not in res.offers.columns or res.offers["j"].isna().all()
    assert res.outcomes["final:j"] == 0.0
    assert set(res.agreements["parties"]) <= {"a;m"}


def test_a_technical_stance_between_parties_keeps_the_table_technical():
    """a talks to b only at the technical level: the political issue k leaves the text,
    whatever the table's level; without the stance k can be in it."""
    tech = run(three(stances={"a_tech": {"actor": "a", "type": "technical_only", "with": "b"}}))
    assert (tech.agreements["level"] == "technical").all() and tech.agreements["k"].isna().all()
    plain = NegotiationModel(build(three()), rng=0)
    plain.step()
    assert plain.protocol.table.level == "political"
    assert plain.idx["k"] in plain.protocol.table.issues


def test_a_table_level_set_in_the_scenario():
    res = run(three(protocol={"table_level": "technical"}))
    assert (res.agreements["level"] == "technical").all()
    assert res.agreements["k"].isna().all()


def test_a_denier_is_never_moved_by_a_text():
    """a denies any role on k (its ceiling is the status quo, 0): no text raises k."""
    res = run(three(stances={"a_denies": {"actor": "a", "type": "denies_responsibility", "issue": "k"}}))
    assert not len(res.offers) or (res.offers["k"].fillna(0.0) <= 1e-12).all()
    assert res.outcomes["final:k"] == 0.0


def test_decision_rules_hold_at_the_table():
    """j needs b's and an outsider o's consent (unanimity); o, not at the table, loses by
    any rise of j: the text never moves j, whatever else it trades."""
    d = three()
    d["issues"]["j"]["control"] = ["b", "o"]
    d["actors"]["o"] = {"name": "O", "capability": 0.3, "position": {"i": 0.5, "j": 0.0, "k": 0.5},
                        "salience": {"i": 0.1, "j": 0.8, "k": 0.1}}
    d["protocol"]["table"] = ["a", "b"]
    res = run(d)
    assert res.outcomes["final:j"] == 0.0
    assert not len(res.offers) or (res.offers["j"].fillna(0.0) <= 1e-12).all()


def test_a_signed_text_is_voluntary_for_every_signatory():
    res = run(three())
    values, floors = {}, {}
    for _, r in res.agreements.iterrows():       # the mirror documents of the one text
        values.update(kv.split("=") for kv in r["values_to"].split(";"))
        floors.update(kv.split("=") for kv in r["floors"].split(";"))
    assert set(values) == {"a", "b", "m"}
    assert all(float(values[k]) >= float(floors[k]) - 1e-12 for k in values)


def test_the_grain_deal_under_mediation():
    """black_sea_grain under mediation: the UN's text opens the corridor for Ukraine and
    Russia, who refuse to talk to each other, with Turkey's inspections and the UN's
    help for Russian exports; one text of all four, signed as two mirror documents
    (Russia-Turkey-UN, Ukraine-Turkey-UN), on the Pareto frontier."""
    res = sim.run("black_sea_grain", seed=0, protocol="mediation")
    ag = res.agreements
    assert len(ag) >= 2
    assert list(ag["parties"][:2]) == ["russia;turkey;un", "ukraine;turkey;un"]
    first = ag.iloc[0]
    assert first["mediator"] == "un"
    assert first["corridor"] >= 0.8 and first["russian_exports"] > 0.3
    assert abs(first["pareto_gap"]) <= 1e-6 and math.isnan(first["nash_share"])    # 4 signatories: no Nash point


def test_mediation_needs_a_mediator():
    with pytest.raises(ScenarioError, match="protocol.mediator: the mediation protocol needs a mediator"):
        sim.run("ec_emissions", protocol="mediation")
    bad = three(protocol={"mediator": "nobody"})
    with pytest.raises(ScenarioError, match="protocol.mediator: unknown actor 'nobody'"):
        build(bad)
    with pytest.raises(ScenarioError, match="protocol.table.0: the mediator is not one of the parties"):
        build(three(protocol={"table": ["m", "a"]}))
    with pytest.raises(ScenarioError, match="protocol.table.1: 'a' is at the table twice"):
        build(three(protocol={"table": ["a", "a"]}))


def test_cli_mediation_without_a_mediator_is_bad_input(capsys):
    rc = main(["run", "ec_emissions", "--protocol", "mediation", "--no-plots", "--out", "/tmp/never"])
    err = capsys.readouterr().err
    assert rc == 2 and "protocol.mediator" in err and "Traceback" not in err


def test_hostility_with_the_mediator_downgrades_the_table():
    """a blames the mediator above the threshold: the pair is hostile, so a's level at
    the table (and the table's) drops to technical, and k leaves the text."""
    res = run(three(stances={"a_blames": {"actor": "a", "type": "blames", "target": "m", "weight": 1.0}},
                    blame={"decay": 0.0}))
    assert (res.agreements["level"] == "technical").all() and res.agreements["k"].isna().all()


def test_mediation_is_deterministic_and_reproducible():
    a, b = run(three(), seed=1), run(three(), seed=1)
    assert a.outcomes == b.outcomes or all(
        (a.outcomes[k] == b.outcomes[k]) or (isinstance(a.outcomes[k], float) and math.isnan(a.outcomes[k]))
        for k in a.outcomes)
    assert np.array_equal(a.agreements[["i", "j"]].to_numpy(), b.agreements[["i", "j"]].to_numpy())


def test_mediation_stops_halving_its_step_when_min_change_is_zero():
    """min_change may be 0 (the schema allows it): the mediator's steps still end (at
    0.001), and a run finishes."""
    sc = build(three(protocol={"min_change": 0.0}))
    m = NegotiationModel(sc, rng=0)
    assert 1 <= len(m.protocol.steps) <= 10 and min(m.protocol.steps) >= 1e-3
    res = sim.run(sc, seed=0, days=15, series=False)
    assert res.outcomes["n_agreements"] >= 0


def test_a_controller_named_twice_is_an_error():
    with pytest.raises(ScenarioError, match="issues.i.control.1: 'a' is named twice"):
        build(three(issues={"i": {"control": ["a", "a"]}}))
