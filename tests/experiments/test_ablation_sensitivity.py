"""Stance ablation (common random numbers) and global sensitivity (SALib)."""

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from conftest import build, mirror_trade

import sim
from sim.experiments import ablation, sensitivity
from sim.experiments.jobs import Vary
from sim.model.stances import STANCE_TYPES

ROOT = Path(__file__).resolve().parents[2]


def cli(*args):
    return subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=600)


# ------------------------------------------------------------------ ablation
@pytest.fixture(scope="module")
def ablated():
    """The baseline plus a stance built to change nothing (a zero-weight blame)."""
    sc = sim.load_scenario("baseline", overrides={"stances": {"noop": {
        "actor": "opposition", "type": "blames", "target": "russia", "weight": 0.0}}})
    eff, res = ablation.run_ablation(sc, reps=30, days=60)
    return eff, res


@pytest.mark.slow
def test_a_stance_that_changes_nothing_shows_exactly_zero(ablated):
    eff, _ = ablated
    noop = eff[eff["stance"] == "noop"]
    assert len(noop) >= 5
    assert (noop["effect"] == 0).all() and (noop["ci_low"] == 0).all() and (noop["ci_high"] == 0).all()
    assert ablation.noop_check(eff)[noop["variant"].iloc[0]]


@pytest.mark.slow
def test_every_seeded_stance_acts_or_is_declared_inert_with_a_reason(ablated):
    """Each stance of seeds/stances.yaml changes some headline outcome of the baseline
    (95% interval excluding 0, common random numbers) - unless the table declares it
    ``inert_in_baseline`` with a reason, in which case it must indeed change none (a
    declaration that went stale fails here too)."""
    eff, _ = ablated
    table = sim.load_stance_table()
    moved = eff[(eff["ci_low"] > 1e-12) | (eff["ci_high"] < -1e-12)].groupby("stance").size()
    for sid, entry in table.stances.items():
        if entry.get("inert_in_baseline"):
            assert sid not in moved.index, f"{sid} is declared inert but acts: update seeds/stances.yaml"
        else:
            assert sid in moved.index, f"{sid} changes no headline outcome and is not declared inert"
    r = eff[(eff["stance"] == "eu_calls_for_sanctions") & (eff["outcome"] == "final:sanctions")].iloc[0]
    assert r["ci_high"] < 0 and r["quote"] == "call for the imposition of sanctions"


@pytest.mark.slow
def test_variants_share_the_base_random_streams(ablated):
    _, res = ablated
    keys = res.runs.groupby("scenario")["seed_spawn_key"].apply(list)
    assert all(k == keys.iloc[0] for k in keys)


def test_removal_is_defined_for_every_stance_type():
    d = mirror_trade()
    d["issues"]["i3"] = {"kind": "political", "low": "l", "high": "h", "status_quo": 0.0, "control": ["a"]}
    for a in d["actors"].values():
        a["position"]["i3"] = 0.5
        a["salience"]["i3"] = 1
    d["channels"] = {"a-b": "political"}
    d["stances"] = {
        "t1": {"actor": "a", "type": "open_to_talks", "with": "b"},
        "t2": {"actor": "a", "type": "technical_only", "with": "b"},
        "t3": {"actor": "b", "type": "refuses_talks", "with": "a"},
        "t4": {"actor": "a", "type": "political_counterpart", "issue": "i3", "with": "b"},
        "t5": {"actor": "b", "type": "denies_responsibility", "issue": "i2"},
        "t6": {"actor": "a", "type": "calls_for", "issue": "i1", "value": 0.0},
        "t7": {"actor": "a", "type": "blames", "target": "b"},
        "t8": {"actor": "b", "type": "guarantor", "issue": "i1"},
        "t9": {"actor": "a", "type": "threatens", "target": "b", "issue": "i2", "at_least": 0.5,
               "then_issue": "i1", "then_by": -0.2, "first_day": 2},
        "t10": {"actor": "a", "type": "promises", "target": "b", "issue": "i2", "at_least": 0.5,
                "then_issue": "i1", "then_to": 1.0, "first_day": 2},
    }
    d["events"] = [{"day": 3, "type": "remove_stance", "id": "t7"}]
    sc = build(d)
    assert {s.type for s in sc.stances.values()} == set(STANCE_TYPES)
    vs = ablation.variants(sc)
    assert {v.stance for v in vs if v.operation == "remove"} == set(sc.stances)
    assert {v.stance for v in vs if v.operation == "reverse"} == {"t1", "t3"}
    for v in vs:
        assert (v.stance in v.scenario.stances) == (v.operation == "reverse")
        sim.run(v.scenario, seed=0, days=5, series=False)      # every variant runs


@pytest.mark.slow
def test_ablate_cli_writes_table_and_figure(tmp_path):
    r = cli("ablate", "baseline", "--reps", 4, "--days", 20, "--workers", 1, "--out", tmp_path / "a")
    assert r.returncode == 0, r.stderr
    eff = pd.read_csv(tmp_path / "a" / "ablation.csv")
    assert set(eff["stance"]) == set(sim.load_scenario("baseline").stances)
    assert (tmp_path / "a" / "ablation.png").stat().st_size > 10_000
    assert "Stances ranked by effect" in r.stdout and "\u201c" in r.stdout


# ------------------------------------------------------------------ sensitivity
ISHIGAMI_S1 = {"x1": 0.3139, "x2": 0.4424, "x3": 0.0}
ISHIGAMI_ST = {"x1": 0.5576, "x2": 0.4424, "x3": 0.2437}
FIELDS = {"x1": "blame.audience_cost", "x2": "blame.escalation_gain", "x3": "environment.stocks.pressure.noise"}


def _fake_model(fn):
    """A stand-in for the model's outcomes, read from the scenario's varied fields
    (each on [0, 2], mapped to [-pi, pi]); everything else of the runner is real."""
    def run_outcomes(sc, seed, days=None):
        noise = sc.environment.stocks["pressure"].noise
        x = [math.pi * (v - 1.0) for v in (sc.blame.audience_cost, sc.blame.escalation_gain, noise)]
        return {"any_political": False, "any_agreement": True, "time_to_first_agreement": 10.0, "n_unilateral": 3,
                "stock_cumulative:pressure": fn(*x)}
    return run_outcomes


@pytest.mark.slow          # ~40 s of wall time: `make test-all` (CI) runs it, `make test` does not
def test_sobol_indices_of_the_ishigami_function_through_the_runner(monkeypatch):
    import sim.runner

    def ishigami(x1, x2, x3):
        return math.sin(x1) + 7 * math.sin(x2) ** 2 + 0.1 * x3 ** 4 * math.sin(x1)

    monkeypatch.setattr(sim.runner, "run_outcomes", _fake_model(ishigami))
    varies = [Vary(FIELDS[k], 0.0, 2.0) for k in ("x1", "x2", "x3")]
    table, X, res = sensitivity.run_sensitivity(sim.load_scenario("baseline"), varies, "sobol", n=1024)
    assert len(res.runs) == 1024 * 5 and res.n_failed == 0
    t = table[table["outcome"] == "stock_cumulative:pressure"].set_index(["index", "parameter"])["value"]
    for k in ("x1", "x2", "x3"):
        assert t[("S1", FIELDS[k])] == pytest.approx(ISHIGAMI_S1[k], abs=0.06), k
        assert t[("ST", FIELDS[k])] == pytest.approx(ISHIGAMI_ST[k], abs=0.06), k
    const = table[table["outcome"] == "n_unilateral"]
    assert const["value"].isna().all() and const["note"].str.startswith("constant").all()


def test_morris_finds_the_only_parameter_that_matters(monkeypatch):
    import sim.runner

    monkeypatch.setattr(sim.runner, "run_outcomes", _fake_model(lambda x1, x2, x3: 3.0 * x2))
    varies = [Vary(FIELDS[k], 0.0, 2.0) for k in ("x1", "x2", "x3")]
    table, X, _ = sensitivity.run_sensitivity(sim.load_scenario("baseline"), varies, "morris", n=10)
    mu = table[(table["outcome"] == "stock_cumulative:pressure") & (table["index"] == "mu_star")].set_index("parameter")
    # Morris effects are per unit of the [0, 1]-scaled input: f = 3 pi (2u - 1), df/du = 6 pi
    assert mu.loc[FIELDS["x2"], "value"] == pytest.approx(6.0 * math.pi)
    assert mu.loc[FIELDS["x1"], "value"] == 0 and mu.loc[FIELDS["x3"], "value"] == 0


def test_baseline_declares_its_uncertain_parameters():
    sc = sim.load_scenario("baseline")
    assert len(sc.uncertain) >= 5
    assert [v.path for v in sensitivity.default_varies(sc)] == list(sc.uncertain)


@pytest.mark.parametrize("args,needle", [
    (["--method", "fast"], "invalid choice: 'fast'"),
    (["--n", "48"], "power of 2"),
    (["--vary", "environment.stocks.pressure.noise=0.5:3"], "3 is not allowed"),
    (["--vary", "actors.poland.tactics.e=0:1"], "no field 'tactics'"),
])
def test_bad_sensitivity_input_exits_2(tmp_path, args, needle):
    r = cli("sensitivity", "baseline", *args, "--out", tmp_path / "s")
    assert r.returncode == 2 and needle in r.stderr, r.stderr
    assert "Traceback" not in r.stderr


def test_a_scenario_without_uncertain_parameters_needs_vary(tmp_path):
    f = tmp_path / "plain.yaml"
    f.write_text("extends: baseline\nname: plain\nuncertain: null\n", encoding="utf-8")   # null deletes
    r = cli("sensitivity", f, "--out", tmp_path / "s")
    assert r.returncode == 2 and "declares no uncertain parameters" in r.stderr


def test_uncertain_paths_are_validated_with_the_scenario(tmp_path):
    f = tmp_path / "u.yaml"
    f.write_text("extends: baseline\nname: u\nuncertain:\n  environment.inflow: [0, 1]\n", encoding="utf-8")
    r = cli("validate", f)
    assert r.returncode == 2 and "uncertain.environment.inflow" in r.stderr


# ------------------------------------------------------------------ how sure the indices are (issue 22)
def _noisy_sobol_outcome(n, d, seed=1):
    """An outcome with one strong factor and noise, on a Saltelli sample of n base points."""
    import numpy as np

    problem = sensitivity.problem_of([Vary(f"p{k}", 0.0, 1.0) for k in range(d)])
    U = sensitivity.sample(problem, "sobol", n, 0)
    y = 3 * U[:, 0] + U[:, 1] + np.random.default_rng(seed).normal(0, 1.0, len(U))
    return problem, U, y


def test_sobol_intervals_are_the_same_in_identical_runs_at_seed_0():
    """D3: SALib treats seed 0 as "no seed" and bootstraps from numpy's global state."""
    import numpy as np

    problem, U, y = _noisy_sobol_outcome(64, 3)
    a = sensitivity.indices_table(problem, U, {"y": y}, "sobol", seed=0)
    np.random.seed(12345)                       # whatever else drew from the global state
    b = sensitivity.indices_table(problem, U, {"y": y}, "sobol", seed=0)
    assert a["ci_low"].tolist() == b["ci_low"].tolist() and a["ci_high"].tolist() == b["ci_high"].tolist()
    c = sensitivity.indices_table(problem, U, {"y": y}, "sobol", seed=1)
    assert c["ci_low"].tolist() != a["ci_low"].tolist()        # the seed does reach the bootstrap


def test_sensitivity_samples_each_factor_through_its_prior(monkeypatch, tmp_path):
    """D4: a log-uniform prior is sampled log-uniformly (median sqrt(lo hi)), not uniformly
    over its range (median (lo + hi) / 2); a triangular one by its own quantiles."""
    import numpy as np
    from scipy import stats

    import sim.runner

    monkeypatch.setattr(sim.runner, "run_outcomes", _fake_model(lambda x1, x2, x3: x1 + x2))
    f = tmp_path / "lu.yaml"
    f.write_text("extends: baseline\nname: lu\nuncertain: null\n", encoding="utf-8")
    sc = sim.load_scenario(f).model_copy()
    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["uncertain"] = {"blame.audience_cost": {"dist": "loguniform", "lo": 0.01, "hi": 2.0},
                         "blame.escalation_gain": {"dist": "triangular", "lo": 0.0, "mode": 0.0, "hi": 1.0}}
    sc = sim.scenario.validate_mapping(data, "lu")
    table, X, res = sensitivity.run_sensitivity(sc, None, "sobol", n=128, fixed=True)
    lu, tri = X[:, 0], X[:, 1]
    assert np.median(lu) == pytest.approx(math.sqrt(0.01 * 2.0), rel=0.15)        # uniform: 1.005
    assert stats.kstest(lu, stats.loguniform(0.01, 2.0).cdf).pvalue > 1e-3
    assert stats.kstest(tri, stats.triang(0.0, loc=0.0, scale=1.0).cdf).pvalue > 1e-3
    assert np.median(tri) == pytest.approx(1 - math.sqrt(0.5), abs=0.05)           # uniform: 0.5


def test_wide_or_negative_indices_are_flagged_and_overlapping_ones_not_ranked():
    """D5: a small sample gives wide intervals and negative S1; the table says so, a
    warning says what to do, and factors whose intervals overlap share a rank."""
    problem, U, y = _noisy_sobol_outcome(16, 6)
    t = sensitivity.indices_table(problem, U, {"y": y}, "sobol", seed=0)
    half = (t["ci_high"] - t["ci_low"]) / 2
    assert (half > sensitivity.WIDE).any() and (t["value"] < 0).any()
    assert t.loc[half > sensitivity.WIDE, "note"].str.contains("wide interval").all()
    assert t.loc[t["value"] < 0, "note"].str.contains("negative").all()
    w = sensitivity.warnings_of(t)
    assert len(w) == 1 and "increase --n" in w[0] and "negative" in w[0]
    for _, g in t.groupby("index"):
        for a in g.itertuples():
            for b in g.itertuples():
                if a.ci_low > b.ci_high:                 # told apart: a is ranked ahead of b
                    assert a.rank < b.rank
                if b.ci_low <= a.ci_high and a.ci_low <= b.ci_high and not (g["ci_low"] > a.ci_high).any() \
                        and not (g["ci_low"] > b.ci_high).any():
                    assert a.rank == b.rank == 1         # overlapping at the top: no order among them
    st = t[t["index"] == "ST"].set_index("parameter")["rank"]
    assert st["p0"] == 1 and st.nunique() < len(st)         # the strong factor leads; the rest tie
    # a large sample of the same function: narrow intervals, no warning about width
    problem, U, y = _noisy_sobol_outcome(2048, 2)
    t = sensitivity.indices_table(problem, U, {"y": 3 * U[:, 0] + U[:, 1]}, "sobol", seed=0)
    assert not t["note"].str.contains("wide").any() and t.set_index(["index", "parameter"])["rank"].loc["ST", "p1"] == 2


def test_convergence_recomputes_the_indices_on_prefixes_of_the_sample():
    problem, U, y = _noisy_sobol_outcome(128, 3)
    conv = sensitivity.convergence(problem, {"y": y}, 128, seed=0)
    assert sorted(conv["n"].unique()) == [16, 32, 64, 128]
    full = sensitivity.indices_table(problem, U, {"y": y}, "sobol", seed=0)
    last = conv[conv["n"] == 128].reset_index(drop=True)
    assert last["value"].tolist() == full["value"].tolist()
    width = conv[conv["index"] == "ST"].assign(w=lambda d: d["ci_high"] - d["ci_low"]).groupby("n")["w"].median()
    assert width[128] < width[16]


def test_the_convergence_figure_labels_its_axis_in_plain_numbers(tmp_path, monkeypatch):
    """A log-2 axis labels its ticks in TeX ($\\mathdefault{2^{4}}$); with mathtext off
    (issue 26) that markup was drawn as text. The figure shows 16, 32, 64, 128 and the
    text checker finds nothing."""
    import matplotlib.pyplot as plt

    from sim.viz.figcheck import text_problems

    problem, U, y = _noisy_sobol_outcome(128, 3)
    conv = sensitivity.convergence(problem, {"y": y}, 128, seed=0)
    csv = tmp_path / "convergence.csv"
    conv.to_csv(csv, index=False)
    drawn = []
    monkeypatch.setattr(plt, "close", lambda fig=None: drawn.append(fig))
    sensitivity.plot_convergence(csv, tmp_path / "convergence.png")
    fig = drawn[-1]
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    assert labels == ["16", "32", "64", "128"]
    assert text_problems(fig) == []


def test_an_ablation_checks_each_scenarios_prior_extremes_once(monkeypatch):
    """Issue 25: the variants are validated without the priors' check, which the job makes
    once per scenario (it was made twice, half of the parent's own time)."""
    import sim.experiments.design as design
    import sim.scenario.loading as loading
    from sim.experiments.jobs import make_job
    from sim.scenario.priors import priors_of

    base = sim.load_scenario("baseline")
    checked, whole = [], []
    real_check, real_whole = design.check_priors, loading._uncertain_problems
    monkeypatch.setattr(design, "check_priors", lambda data: checked.append(data["name"]) or real_check(data))
    monkeypatch.setattr(loading, "_uncertain_problems", lambda sc: whole.append(sc.name) or real_whole(sc))
    vs = ablation.variants(base)
    assert whole == [] and len(vs) > 10
    assert all(priors_of(v.scenario) == priors_of(base) for v in vs)     # the same priors to check
    monkeypatch.setattr("sim.experiments.job.check_priors", design.check_priors, raising=False)
    make_job([base, *[v.scenario for v in vs]], 2, 1)
    assert sorted(checked) == sorted([base.name, *[v.name for v in vs]])   # each scenario once, in the job


def _value_one_at_a_time(prior, u: float):
    """The design's value of one quantile as it was computed before issue 25 (one SciPy
    call per value): the reference for the column-at-once version."""
    import numpy as np

    lo, hi = prior.support()
    u = float(u)
    if not np.isfinite(lo):
        u = max(u, 1e-3)
    if not np.isfinite(hi):
        u = min(u, 1 - 1e-3)
    return prior.ppf(u)


def _every_kind_of_prior():
    from sim.scenario.priors import Prior, PriorSpec

    specs = [{"dist": "uniform", "lo": 0.1, "hi": 2.0}, {"dist": "loguniform", "lo": 0.01, "hi": 3.0},
             {"dist": "normal", "mean": 0.4, "sd": 0.2},                          # unbounded both sides
             {"dist": "normal", "mean": 0.4, "sd": 0.2, "lo": 0.0, "hi": 1.0},
             {"dist": "beta", "a": 2.0, "b": 5.0}, {"dist": "triangular", "lo": 0.0, "hi": 1.0, "mode": 0.3}]
    out = {f"{d['dist']}{n}": Prior(f"f{n}", PriorSpec(**d)) for n, d in enumerate(specs)}
    out["integer uniform"] = Prior("protocol.deadline_days", PriorSpec(lo=20, hi=60), integer=True)
    out["integer normal"] = Prior("protocol.deadline_days", PriorSpec(dist="normal", mean=40, sd=9),
                                  integer=True)
    return out


@pytest.mark.parametrize("name", ["baseline", "black_sea_grain", "every kind"])
def test_a_designs_values_at_once_are_the_values_one_at_a_time(name):
    """Every field of a default design (and a prior of every kind, bounded or not,
    integer or not), at random quantiles and both ends: the same numbers, bit for bit,
    and the same Python types (ints for integer fields)."""
    import numpy as np

    if name == "every kind":
        priors = _every_kind_of_prior()
    else:
        sc = sim.load_scenario(name)
        priors = sensitivity.priors_for(sc, sensitivity.default_varies(sc), None)
    us = np.concatenate([[0.0, 1.0, 1e-12, 1 - 1e-12, 0.5], np.random.default_rng(7).random(200)])
    assert priors
    for path, prior in priors.items():
        fast = sensitivity._values(prior, us)
        slow = [_value_one_at_a_time(prior, u) for u in us]
        assert [type(v) for v in fast] == [type(v) for v in slow], path
        assert np.array_equal(np.array(fast, dtype=float), np.array(slow, dtype=float)), path
        assert all(np.signbit(a) == np.signbit(b) for a, b in zip(fast, slow)), path
