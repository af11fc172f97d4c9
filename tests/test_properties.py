"""Model properties, tested statistically over many seeds with stated tolerances."""

import numpy as np

import sim
from sim.experiments.stats import mean_interval, wilson_interval

from conftest import build, mirror_trade

SEEDS = range(50)


def _outcome(scenario, key, seeds=SEEDS):
    sc = sim.load_scenario(scenario) if isinstance(scenario, str) else scenario
    return np.array([sim.run(sc, seed=s, series=False).outcomes[key] for s in seeds], dtype=float)


def test_political_talks_with_minsk_raise_the_chance_of_a_political_agreement():
    """Dropping Poland's technical-only stance: the share of runs with a political
    agreement rises, and the two 95% Wilson intervals do not overlap."""
    base = _outcome("baseline", "any_political")
    talks = _outcome("poland_political_talks", "any_political")
    lo_talks, _ = wilson_interval(int(talks.sum()), len(talks))
    _, hi_base = wilson_interval(int(base.sum()), len(base))
    assert lo_talks > hi_base, (base.mean(), talks.mean())


def test_symmetric_actors_settle_symmetrically():
    """Two mirror-image actors: over 50 seeds the mean settlement of each one's
    concession issue is the same within 0.05, and so are their utilities."""
    sc = build(mirror_trade())
    runs = [sim.run(sc, seed=s, series=False).outcomes for s in SEEDS]
    i1 = np.mean([r["final:i1"] for r in runs])
    i2 = np.mean([r["final:i2"] for r in runs])
    ua = np.mean([r["utility:a"] for r in runs])
    ub = np.mean([r["utility:b"] for r in runs])
    assert all(r["any_agreement"] for r in runs)
    assert abs(i1 - i2) <= 0.05 and abs(ua - ub) <= 0.05, (i1, i2, ua, ub)


def test_a_boulware_actor_facing_a_conceder_gets_more():
    """Same mirror case, A Boulware (e = 0.2) and B Conceder (e = 3): A's mean
    utility exceeds B's, the lower end of the 95% interval of the difference > 0.1."""
    sc = build(mirror_trade(actors={"a": {"tactic": {"e": 0.2}}, "b": {"tactic": {"e": 3.0}}}))
    runs = [sim.run(sc, seed=s, series=False).outcomes for s in SEEDS]
    diff = [r["utility:a"] - r["utility:b"] for r in runs]
    _, lo, _ = mean_interval(diff)
    assert lo > 0.1, lo


def test_a_harder_line_in_minsk_delays_the_first_agreement():
    """A more Boulware Belarus (e = 0.15 instead of 0.4) reaches its first agreement
    later: the 95% interval of the mean delay lies above 0 days."""
    hard = sim.load_scenario("baseline", overrides={"actors": {"belarus": {"tactic": {"e": 0.15}}}})
    t_base = _outcome("baseline", "time_to_first_agreement", range(30))
    t_hard = _outcome(hard, "time_to_first_agreement", range(30))
    t_hard = np.where(np.isnan(t_hard), 91.0, t_hard)        # no deal counts as after the horizon
    _, lo, _ = mean_interval(t_hard - t_base)
    assert lo > 0, lo


def test_blame_raises_the_price_of_conceding():
    """With Belarus's public blame of Poland removed, the first Poland-Belarus deal
    comes earlier on average (mean difference's 95% interval below 0)."""
    d = sim.load_scenario("baseline").model_dump(by_alias=True)
    d["stances"].pop("belarus_blames_poland")
    no_blame = sim.Scenario.model_validate(d)
    t_base = _outcome("baseline", "time_to_first_agreement", range(30))
    t_free = _outcome(no_blame, "time_to_first_agreement", range(30))
    _, _, hi = mean_interval(t_free - t_base)
    assert hi < 0, hi


def test_crisis_pressure_makes_deals_come_sooner():
    """Half the arrival rate at the border (less pressure, less cost) delays the
    first agreement: mean delay's 95% interval above 0."""
    calm = sim.load_scenario("baseline", overrides={"crisis": {"inflow_rate": 0.015}})
    t_base = _outcome("baseline", "time_to_first_agreement", range(30))
    t_calm = _outcome(calm, "time_to_first_agreement", range(30))
    t_calm = np.where(np.isnan(t_calm), 91.0, t_calm)
    _, lo, _ = mean_interval(t_calm - t_base)
    assert lo > 0, lo
