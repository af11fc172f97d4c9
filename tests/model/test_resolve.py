"""Beliefs about resolve (docs/ODD.md 7.20): proper distributions, Bayes' rule on public
acts, and threats weighed at the probability the target believes they will be carried out."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sim
from sim.model import NegotiationModel
from sim.model.resolve import Resolve
from sim.model.threats import assess, at_stake, target_stake

_BASE: list = []


def _model(resolve=True, seed=0, name="baseline"):
    sc = sim.load_scenario(name)
    sc = sc.model_copy(update={"beliefs": sc.beliefs.model_copy(update={"resolve": resolve})})
    return NegotiationModel(sc, rng=seed)


def test_with_nothing_seen_every_belief_is_the_uniform_prior():
    m = _model()
    r = m.resolve
    assert np.allclose(r.p, 1.0 / len(r.grid)) and not r.n_seen.any()
    # P(net + rho price >= 0) under the prior: the share of grid points where it holds
    assert r.credibility("poland", "belarus", -0.5, 1.0) == pytest.approx(np.mean(r.grid >= 0.5))


@settings(max_examples=60, deadline=None)
@given(acts=st.lists(st.tuples(st.sampled_from(["carried_out", "backed_down", "broke"]),
                               st.floats(-2.0, 2.0), st.floats(0.0, 2.0)), max_size=12))
def test_beliefs_stay_proper_distributions_whatever_is_seen(acts):
    m = _BASE[0] if _BASE else _BASE.append(_model()) or _BASE[0]     # one model; a fresh belief each case
    r = m.resolve = Resolve(m)
    for kind, a, b in acts:
        getattr(r, kind)("belarus", a, b)
    p = r.p[:, m.aidx["belarus"]]
    others = [m.aidx[k] for k in m.actor_ids if k != "belarus"]
    assert np.all(r.p >= 0) and np.allclose(r.p.sum(axis=2), 1.0)
    assert np.allclose(p[m.aidx["belarus"]], 1.0 / len(r.grid))        # its own belief of itself: untouched
    assert all(r.n_seen[o, m.aidx["belarus"]] == len(acts) for o in others)


def test_carrying_out_moves_belief_toward_resolve_and_backing_down_away():
    m = _model()
    r = m.resolve
    before = r.mean("poland", "belarus")
    r.carried_out("belarus", -0.8, 1.0)            # it carried out what cost it 0.8 at a price of 1
    assert r.mean("poland", "belarus") > before
    assert r.credibility("poland", "belarus", -0.8, 1.0) > 0.9
    m2 = _model()
    m2.resolve.backed_down("belarus", -0.3, 1.0)   # it backed down from what cost it 0.3
    assert m2.resolve.mean("poland", "belarus") < before
    prior = _model().resolve.credibility("poland", "belarus", -0.3, 1.0)
    assert m2.resolve.credibility("poland", "belarus", -0.3, 1.0) < 0.3 < prior


def test_without_resolve_beliefs_a_threat_counts_in_full_iff_credible():
    m = _model(resolve=False)
    conds = m.conditionals()
    assert conds, "the baseline has threats or promises"
    for _sid, cm in conds:
        ok, mv, net, pr = assess(m, cm)
        if mv is None:
            continue
        stake = target_stake(m, cm, *mv)
        full = max(0.0, -stake if cm.kind == "threat" else stake)
        assert at_stake(m, cm) == pytest.approx(full if ok else 0.0)


def test_under_uncertainty_a_target_weighs_a_threat_at_most_in_full():
    """Day by day over the first 60 days of baseline runs (the two models kept in step by
    weighing in one and reading the other before either acts): each threat's weight is
    its full stake times P(credible) <= 1, and below the full stake when its maker would
    lose by carrying it out (net < 0: only its price holds it) and nobody saw it act yet."""
    lower = 0
    for seed in range(3):
        on = _model(seed=seed)
        for _ in range(60):
            off_view = on.resolve.enabled
            for sid, cm in on.conditionals():
                ok, mv, net, pr = assess(on, cm)
                if mv is None:
                    continue
                stake = target_stake(on, cm, *mv)
                full = max(0.0, -stake if cm.kind == "threat" else stake) if ok else 0.0
                a = at_stake(on, cm)
                assert a <= full + 1e-12 or not ok
                seen = on.resolve.n_seen[on.aidx[cm.target], on.aidx[cm.actor]]
                if off_view and ok and net < 0 and full > 0 and not seen:
                    assert a < full
                    lower += 1
            on.step()
    assert lower >= 1

def test_a_threat_carried_out_in_a_run_teaches_the_others_its_makers_resolve():
    """Over 10 baseline runs: in each run where a threat is carried out, every other
    actor's belief that its maker holds to such a price rose above the prior's."""
    seen = 0
    for seed in range(10):
        m = _model(seed=seed).run()
        for r in m.registry.record:
            if r.type != "threat_carried_out":
                continue
            maker = r.actors[0]
            b = m.aidx[maker]
            prior = 1.0 / len(m.resolve.grid)
            for a in range(len(m.actor_ids)):
                if a != b:
                    assert m.resolve.n_seen[a, b] >= 1
                    assert m.resolve.p[a, b, -1] > prior      # the most resolved end gained weight
            seen += 1
    assert seen >= 3
