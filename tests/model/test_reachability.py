"""Reachability instead of built-in zeros (issue 20): every issue of every shipped scenario
moves in some run - under the priors, with cheap commitments, or in a named region of the
parameters and stances - or a rule of the scenario forbids it, named here. A headline that
is 0 or 1 only because no code path can produce anything else fails this test.

The value checked is the implemented one (``final:``) under protocols that make agreements,
the forecast (``forecast:``) under those that only forecast (expected utility, compromise)."""

import pytest

import sim
from sim.experiments.jobs import batch
from sim.protocols import protocol_class

SHIPPED = sorted(p.stem for p in sim.scenario.SCENARIO_DIR.glob("*.yaml"))

# Russia acknowledges a role only if it has something to gain for it: with its stake in the
# denial low, its commitment cheap, a guarantee over Minsk's flow to trade (as in
# russia_engages) and the flow not already settled by the EU's threat and promise.
RUSSIA_TRADES = {
    "actors": {"russia": {"salience": {"russia_role": 0.05}}}, "commitments": {"price": 0.0},
    "channels": {"eu-belarus": "closed"},
    "stances": {"eu_threatens_listings": None, "eu_promises_returns": None,
                "russia_guarantees_flow": {"actor": "russia", "type": "guarantor", "issue": "migrant_flow",
                                           "leverage": 0.5, "cost": 0.05}}}
# Recognition moves when Poland's two pledges are gone (poland_political_talks' question).
POLAND_TALKS = {"stances": {"poland_technical_only_belarus": None, "poland_opposition_counterpart": None}}

REGIONS = {
    **{(name, "russia_role"): RUSSIA_TRADES
       for name in ("baseline", "eu_direct_channel", "opposition_at_table", "poland_political_talks",
                    "russia_engages", "sanctions_escalation")},
    **{(name, "regime_legitimacy"): POLAND_TALKS
       for name in ("baseline", "opposition_at_table", "sanctions_escalation")},
}
# Issues a rule of the scenario keeps where they are, and the rule.
LAW = {
    ("history_2021", j): "history_2021 replays the record: every channel closed and unilateral moves disabled "
                         "(unilateral.enabled: false), so an issue moves only by a dated event, and the record has "
                         "none on it before 23 Nov 2021 (return_assistance and repatriation move by the "
                         "record's events of 15 and 18 Nov)"
    for j in ("regime_legitimacy", "russia_role")
}


def _moved(runs, sc, issue: str) -> int:
    makes = protocol_class(sc.protocol.name).classifier.get("makes_agreements", True)
    col = f"{'final' if makes else 'forecast'}:{issue}"
    return int((abs(runs[col].astype(float) - sc.issues[issue].status_quo) > 1e-9).sum())


@pytest.mark.slow
@pytest.mark.parametrize("name", SHIPPED)
def test_every_issue_moves_somewhere_or_a_rule_forbids_it(name):
    sc = sim.load_scenario(name)
    plain = batch(sc, reps=20, seed=3)
    cheap = batch(sim.load_scenario(name, overrides={"commitments": {"price": 0.0}}), reps=20, seed=3)
    for issue in sc.issues:
        if _moved(plain, sc, issue) or _moved(cheap, sc, issue):
            assert (name, issue) not in LAW, f"{name}.{issue} moves: the rule named in LAW is stale"
            continue
        if (name, issue) in REGIONS:
            region = sim.load_scenario(name, overrides=REGIONS[(name, issue)])
            assert _moved(batch(region, reps=20, seed=3), region, issue), f"{name}.{issue}: the region is stale"
            continue
        assert (name, issue) in LAW, f"{name}.{issue} never moves and no rule or region says why"
