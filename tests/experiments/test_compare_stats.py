"""compare-protocols' statistics (issue 22, D8): paired-bootstrap intervals of each
protocol's distance from the compromise model and of every pairwise difference, and no
ranking of protocols the replicates cannot tell apart."""

import numpy as np
import pandas as pd
import pytest

from sim.experiments.compare import YARDSTICK, differences_markdown, distances, markdown, nearest


def _forecasts(dist_by_protocol: dict, n: int = 100) -> pd.DataFrame:
    """Forecasts of two issues whose distance from the yardstick is given per replicate."""
    rows = []
    for p, d in dist_by_protocol.items():
        for r in range(n):
            for j in ("i", "k"):
                rows.append({"protocol": p, "replicate": r, "issue": j, "forecast": 0.5 + d[r], "compromise": 0.5})
    for r in range(n):
        for j in ("i", "k"):
            rows.append({"protocol": YARDSTICK, "replicate": r, "issue": j, "forecast": 0.5, "compromise": 0.5})
    return pd.DataFrame(rows)


def test_a_paired_difference_is_told_apart_only_when_its_interval_excludes_0():
    rng = np.random.default_rng(0)
    common = rng.uniform(0.0, 0.4, 100)              # large run-to-run spread, shared by both protocols
    f = _forecasts({"a": common, "b": common + 0.01, "c": common + rng.normal(0, 0.05, 100)})
    d = distances(f, seed=0)
    ab = d[(d["kind"] == "difference") & (d["a"] == "a") & (d["b"] == "b")].iloc[0]
    # paired: the 0.01 gap is certain although each protocol's own interval is wide
    assert ab["mean"] == pytest.approx(-0.01) and ab["differs"] and ab["high"] < 0
    da = d[(d["kind"] == "distance") & (d["a"] == "a")].iloc[0]
    db = d[(d["kind"] == "distance") & (d["a"] == "b")].iloc[0]
    assert da["high"] > db["low"]                     # unpaired intervals overlap
    ac = d[(d["kind"] == "difference") & (d["a"] == "a") & (d["b"] == "c")].iloc[0]
    assert ac["low"] < 0 < ac["high"] and not ac["differs"]
    assert set(nearest(d)) == {"a", "c"}              # b is farther than a; a and c are not told apart
    text = differences_markdown(d)
    assert "not told apart" in text and "No single protocol is nearest" in text
    assert distances(f, seed=0).equals(d)             # seeded: the same intervals every time


def test_the_comparison_table_no_longer_ranks_by_a_mean_of_medians():
    """D8: the old last row averaged per-issue medians (of mostly two-valued outcomes)
    and put protocols in order whatever the paired differences said."""
    from sim.experiments.compare import forecast_table
    from sim.scenario import load_scenario

    sc = load_scenario("baseline")
    rng = np.random.default_rng(1)
    rows = []
    for p, shift in (("alternating_offers", 0.0), ("mediation", 0.0), (YARDSTICK, 0.0)):
        for r in range(50):
            for j in sc.issues:
                x = float(rng.choice([0.1, 0.8])) if p != YARDSTICK else 0.5
                rows.append({"protocol": p, "replicate": r, "issue": j, "forecast": x + shift, "compromise": 0.5})
    f = pd.DataFrame(rows)
    md = markdown(forecast_table(f, sc))
    assert "mean Δ" not in md
    d = distances(f, sc, seed=0)
    diff = d[d["kind"] == "difference"].iloc[0]
    assert not diff["differs"] and len(nearest(d)) == 2
