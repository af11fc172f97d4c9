"""Unilateral action (sim/model/unilateral.py): moves happen when their cost is low
and not when it is high, are logged and counted, and can be switched off."""

import numpy as np

import sim
from sim.experiments.stats import mean_interval

SEEDS = range(20)


def _moves(sc, key="n_unilateral", seeds=SEEDS):
    return np.array([sim.run(sc, seed=s, series=False).outcomes[key] for s in seeds], dtype=float)


def test_moves_happen_when_cheap_and_not_when_dear():
    """The baseline with unilateral action free (cost 0) against very dear (cost 5 per
    unit moved, far above any gain): over 20 seeds the cheap case makes more moves
    (95% interval of the paired difference above 0) and the dear one makes none."""
    cheap = sim.load_scenario("baseline", overrides={"unilateral": {"cost": 0.0}})
    dear = sim.load_scenario("baseline", overrides={"unilateral": {"cost": 5.0}})
    a, b = _moves(cheap), _moves(dear)
    _, lo, _ = mean_interval(a - b)
    assert lo > 0, (a.mean(), b.mean())
    assert (b == 0).all()


def test_a_third_party_restricts_routes_when_the_crisis_costs_it_enough():
    """Turkey, the UAE and the airlines close routes when their exposure to the pressure
    at the border is high (2.0) and not when it is low (0.2): mean final value of
    ``routes`` higher, 95% interval of the paired difference above 0 (each restricts
    only its own share of the routes, a weighted rule, so the aggregate moves less than
    the single "transit" actor of the second round did: above 0.1 then)."""
    # without the EU's threat and promise, which end the pressure early in most runs
    quiet = {"eu_threatens_listings": None, "eu_promises_returns": None}

    def exposed(e):
        return {a: {"exposure": {"pressure": e}} for a in ("turkey", "uae", "carriers")}
    hi = sim.load_scenario("baseline", overrides={"actors": exposed(2.0), "stances": quiet})
    lo = sim.load_scenario("baseline", overrides={"actors": exposed(0.2), "stances": quiet})
    a, b = _moves(hi, "final:routes"), _moves(lo, "final:routes")
    _, low, _ = mean_interval(a - b)
    assert low > 0, (a.mean(), b.mean())


def test_unilateral_action_is_ablatable_and_logged():
    off = sim.load_scenario("baseline", overrides={"unilateral": {"enabled": False}})
    assert (_moves(off, seeds=range(5)) == 0).all()
    res = sim.run("baseline", seed=0)
    moves = res.record[res.record["type"] == "unilateral"]
    assert len(moves) == res.outcomes["n_unilateral"] > 0
    per_issue = sum(res.outcomes[f"unilateral:{j}"] for j in res.issues["issue"])
    assert per_issue == len(moves)
    # every move is by a controller of the issue, at most one step, and at least min_change
    sc = sim.load_scenario("baseline")
    for mv in moves.itertuples():
        spec = sc.issues[mv.issues]
        a, b = (float(v) for v in mv.changes.split()[1].split("->"))
        assert mv.actors in spec.control
        assert sc.protocol.min_change - 0.006 <= abs(b - a) <= spec.unilateral_step + 0.006


def test_blame_licenses_harm_to_the_blamed():
    """The EU's sanctions moves harm Belarus; the EU's blame of Minsk licenses them.
    Without the blame stance the EU adopts fewer packages (paired over 20 seeds)."""
    base = sim.load_scenario("baseline")
    noblame = sim.load_scenario("baseline", overrides={"stances": {"eu_blames_belarus": None}})
    a, b = _moves(base, "unilateral:sanctions"), _moves(noblame, "unilateral:sanctions")
    _, lo, _ = mean_interval(a - b)
    assert lo > 0, (a.mean(), b.mean())
