"""The Python API's result object and the two run figures."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import pandas as pd  # noqa: E402
import pytest  # noqa: E402

import sim  # noqa: E402
from sim.viz import plots  # noqa: E402


@pytest.fixture(scope="module")
def res():
    # the EU's channel to Minsk: a deal in every run, unilateral moves, and an event-free start
    return sim.run(sim.load_scenario("eu_direct_channel"), seed=1)


def test_result_tables(res):
    assert isinstance(res.summary, pd.DataFrame) and "stock_peak:pressure" in res.summary.index
    assert set(res.issues["issue"]) == set(sim.load_scenario("baseline").issues)
    assert {"day", "date", "party_a", "party_b", "level", "kind", "changes"} <= set(res.agreements.columns)
    o = res.outcomes
    for key in ("any_political", "any_technical", "time_to_first_agreement", "stock_peak:pressure",
                "stock_final:pressure", "stock_cumulative:pressure", "final:sanctions", "stalemate",
                "n_unilateral", "unilateral:sanctions", "n_breaches", "n_renewals",
                "blame_received:russia", "utility:poland", "pair:poland-belarus", "agreed:migrant_flow"):
        assert key in o, key
    assert o["n_agreements"] == len(res.agreements) > 0
    assert o["stock_peak:pressure"] >= o["stock_final:pressure"] and o["stock_peak:pressure"] >= 0.5
    assert list(res.record["type"].unique()) != [] and set(res.record["type"]) <= {
        "agreement", "unilateral", "breach", "expiry", "renewal", "event", "commitment_broken",
        "threat_carried_out", "threat_abandoned", "promise_kept", "promise_broken", "history", "exit", "no_offer"}


def test_series_is_tidy(res):
    s = res.series
    assert list(s.columns) == ["day", "date", "variable", "actor", "target", "issue", "value"]
    n_days = res.horizon + 1
    assert (s[s.variable == "stock:pressure"].day.to_numpy() == range(n_days)).all()
    pos = s[s.variable == "position"]
    assert len(pos) == n_days * len(res.actor_labels) * len(res.issues)        # day x actor x issue
    assert s[s.variable == "date"].empty and str(s["date"].iloc[0].date()) == "2021-11-23"


def test_positions_figure_holds_a_line_per_actor_and_marks_agreements(res):
    fig = plots.plot_positions(res)
    axes = fig.axes
    assert len(axes) == len(res.issues)
    for ax in axes:
        labelled = [ln for ln in ax.get_lines() if ln.get_label() in res.actor_labels.values()]
        assert len(labelled) == len(res.actor_labels)
        assert any(ln.get_label() == "implemented" for ln in ax.get_lines())
    stars = sum(1 for ax in axes for ln in ax.get_lines() if ln.get_marker() == "*")
    expected = sum(res.agreements[j].notna().sum() for j in res.issues["issue"])
    assert stars == expected and stars > 0
    plt.close(fig)


def test_crisis_figure_annotates_events_and_agreements(res):
    fig, ax = plt.subplots()
    out = plots.plot_crisis(res, ax=ax)
    assert out is ax
    texts = [t.get_text() for t in ax.texts]
    pairs = [f"{res.actor_labels[a.party_a]}–{res.actor_labels[a.party_b]}" for a in res.agreements.itertuples()]
    assert sum(any(p in t for p in pairs) for t in texts) == len(res.agreements) > 0
    moves = res.record[res.record["type"] == "unilateral"]
    assert sum(t.startswith(tuple(f"{res.actor_labels[m]}:" for m in moves["actors"])) for t in texts) == len(moves) > 0
    assert ax.get_lines()[0].get_label().startswith("people at the border")
    plt.close(fig)


def test_plots_need_series():
    r = sim.run("baseline", seed=1, days=5, series=False)
    with pytest.raises(ValueError, match="series=True"):
        plots.plot_crisis(r)
