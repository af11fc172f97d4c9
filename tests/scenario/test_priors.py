"""Priors from ``uncertain:``: validation, the distributions, per-replicate draws that
keep common random numbers and bit-identical reruns, fixed mode, posterior draws."""

import json

import numpy as np
import pandas as pd
import pytest
from conftest import build, mirror_trade
from scipy import stats

from sim.cli import main
from sim.experiments import jobs as ex
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.priors import Posterior, Prior, PriorSpec, draw, priors_of

DAYS = 5            # the draws are what is tested here, not the dynamics


def cli(capsys, *args):
    """The CLI in this process (no interpreter start-up): (exit code, stdout, stderr)."""
    rc = main([str(a) for a in args])
    out = capsys.readouterr()
    return rc, out.out, out.err


def prior(**kw):
    return Prior("x", PriorSpec(**kw))


# ------------------------------------------------------------------ specs and distributions
def test_a_range_is_a_uniform_prior_and_every_family_matches_scipy():
    u = np.linspace(0.01, 0.99, 25)
    assert PriorSpec.model_validate([0.2, 1.5]) == PriorSpec(dist="uniform", lo=0.2, hi=1.5)
    cases = [(dict(dist="uniform", lo=1, hi=3), stats.uniform(1, 2)),
             (dict(dist="loguniform", lo=0.01, hi=1), stats.loguniform(0.01, 1)),
             (dict(dist="normal", mean=1, sd=2), stats.norm(1, 2)),
             (dict(dist="normal", mean=0.5, sd=0.2, lo=0, hi=1), stats.truncnorm(-2.5, 2.5, 0.5, 0.2)),
             (dict(dist="beta", a=2, b=5), stats.beta(2, 5)),
             (dict(dist="beta", a=2, b=5, lo=10, hi=20), stats.beta(2, 5, loc=10, scale=10)),
             (dict(dist="triangular", lo=0, mode=1, hi=4), stats.triang(0.25, 0, 4))]
    for kw, ref in cases:
        np.testing.assert_allclose(prior(**kw).ppf(u), ref.ppf(u), rtol=1e-12, err_msg=str(kw))


def test_samples_follow_the_prior():
    """Kolmogorov-Smirnov over 4000 draws, each family; p > 0.001 (a false alarm 1 in 1000)."""
    rng = np.random.default_rng(3)
    for kw in (dict(dist="loguniform", lo=0.01, hi=1), dict(dist="beta", a=2, b=5),
               dict(dist="triangular", lo=0, mode=1, hi=4)):
        p = prior(**kw)
        assert stats.kstest(p.sample(rng, 4000), p.dist.cdf).pvalue > 1e-3, kw


@pytest.mark.parametrize("entry, needle", [
    ({"dist": "uniform", "lo": 2, "hi": 1}, "need lo < hi"),
    ({"dist": "loguniform", "lo": 0, "hi": 1}, "lo > 0"),
    ({"dist": "normal", "mean": 0.5}, "needs sd"),
    ({"dist": "normal", "mean": 0.5, "sd": -1}, "sd must be > 0"),
    ({"dist": "beta", "a": 2, "b": 0}, "must be > 0"),
    ({"dist": "triangular", "lo": 0, "mode": 2, "hi": 1}, "lo <= mode <= hi"),
    ({"dist": "uniform", "lo": 0, "hi": 1, "sd": 1}, "sd does not apply to a uniform prior"),
    ({"dist": "gamma", "a": 1}, "uniform"),
    ([0.1, 0.2, 0.3], "a range is [lo, hi]"),
])
def test_bad_priors_are_clear_errors_naming_the_field(entry, needle):
    with pytest.raises(ScenarioError) as e:
        build(mirror_trade(uncertain={"actors.a.tactic.e": entry}))
    assert "uncertain.actors.a.tactic.e" in str(e.value) and needle in str(e.value)


def test_a_prior_reaching_outside_its_field_is_refused_before_any_run(tmp_path, capsys):
    f = tmp_path / "n.yaml"
    f.write_text("extends: baseline\nname: n\nuncertain:\n  environment.urgency: {dist: normal, mean: 0.03, sd: 0.1}\n")
    rc, _, err = cli(capsys, "batch", f, "--reps", 2, "--out", tmp_path / "o", "--workers", 1, "--quiet")
    assert rc == 2 and "Traceback" not in err
    assert "n.yaml:4: uncertain.environment.urgency" in err and "outside what the field allows" in err
    assert not (tmp_path / "o").exists()
    # the same check guards jobs built from data (no file): make_job names the prior
    data = ex.scenario_data(load_scenario("baseline"))
    data["uncertain"] = {"environment.urgency": {"dist": "normal", "mean": 0.03, "sd": 0.1}}
    with pytest.raises(ex.ExperimentError, match=r"normal\(mean=0.03, sd=0.1\)"):
        ex.check_priors(data)


def test_integer_fields_are_drawn_as_integers():
    sc = build(mirror_trade(uncertain={"protocol.cooldown_days": [3, 10], "actors.a.tactic.e": [0.5, 2]}))
    pr = priors_of(sc)
    assert pr["protocol.cooldown_days"].integer and not pr["actors.a.tactic.e"].integer
    runs = ex.execute(ex.make_job([sc], reps=40, seed=1, days=DAYS)).runs
    days = runs["param:protocol.cooldown_days"]
    assert pd.api.types.is_integer_dtype(days) and days.between(3, 10).all() and days.nunique() >= 6
    assert runs["param:actors.a.tactic.e"].nunique() == 40


# ------------------------------------------------------------------ per-replicate draws
@pytest.fixture(scope="module")
def two_scenarios():
    """Two scenarios sharing one prior (a.tactic.e), each with one of its own."""
    a = build(mirror_trade(name="s1", uncertain={"actors.a.tactic.e": [0.5, 2], "actors.b.tactic.e": [0.5, 2]}))
    b = build(mirror_trade(name="s2", uncertain={"actors.a.reservation": [0, 0.1], "actors.a.tactic.e": [0.5, 2]}))
    return a, b


def test_each_replicate_draws_its_own_parameters_common_to_scenarios(two_scenarios):
    a, b = two_scenarios
    runs = ex.execute(ex.make_job([a, b], reps=30, seed=4, days=DAYS, chunk_size=7)).runs
    e = runs.pivot(index="replicate", columns="scenario", values="param:actors.a.tactic.e")
    assert (e["s1"] == e["s2"]).all()                        # the same replicate, the same draw
    assert e["s1"].nunique() == 30 and e["s1"].between(0.5, 2).all()
    assert runs.loc[runs.scenario == "s1", "param:actors.a.reservation"].isna().all()
    # uniform draws: mean (0.5 + 2) / 2 = 1.25, sd 0.433; 30 draws: 4 standard errors = 0.32
    assert abs(e["s1"].mean() - 1.25) < 0.32


def test_draws_are_reproducible_and_independent_of_the_chunking(two_scenarios):
    a, _ = two_scenarios
    r1 = ex.execute(ex.make_job([a], reps=12, seed=9, days=DAYS, chunk_size=5)).runs
    r2 = ex.execute(ex.make_job([a], reps=12, seed=9, days=DAYS, chunk_size=12)).runs
    pd.testing.assert_frame_equal(r1, r2, check_exact=True)


def test_drawing_parameters_leaves_the_models_stream_alone():
    """A replicate of a batch equals a fixed-parameter run at its drawn values on the
    same seed: the draws come from a branch of the seed, not from the model's stream."""
    sc = load_scenario("baseline")
    runs = ex.execute(ex.make_job([sc], reps=3, seed=2, days=20)).runs
    for row in runs.to_dict(orient="records"):
        params = {k[6:]: v for k, v in row.items() if k.startswith("param:")}
        fixed_sc = ex.apply_params(ex.scenario_data(sc), params)
        seq = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=tuple(json.loads(row["seed_spawn_key"])))
        from sim.runner import run_outcomes
        out = run_outcomes(fixed_sc, seed=seq, days=20)
        for k in ("stock_cumulative:pressure", "stock_peak:pressure", "n_agreements", "n_unilateral"):
            assert out[k] == row[k]


def test_fixed_mode_runs_at_the_point_values_and_says_so(tmp_path):
    sc = load_scenario("baseline")
    job = ex.make_job([sc], reps=3, seed=0, days=DAYS, fixed=True)
    res = ex.execute(job)
    assert not [c for c in res.runs.columns if c.startswith("param:")]
    assert (res.summary["parameters"] == "fixed parameters").all()
    res2 = ex.execute(ex.make_job([sc], reps=3, seed=0, days=DAYS))
    assert (res2.summary["parameters"] == "under parameter uncertainty (priors)").all()
    assert ex.make_job([sc], 3, 0, fixed=True).fingerprint() != ex.make_job([sc], 3, 0).fingerprint()


def test_cli_batch_prints_the_mode_and_the_report_names_it(tmp_path, capsys):
    rc, out, err = cli(capsys, "batch", "baseline", "--reps", 2, "--days", DAYS, "--out", tmp_path / "p",
                       "--workers", 1)
    assert rc == 0, err
    assert "under parameter uncertainty (priors)" in out
    assert "under parameter uncertainty (priors)" in (tmp_path / "p" / "report.html").read_text()
    rc, out, _ = cli(capsys, "batch", "baseline", "--reps", 2, "--days", DAYS, "--out", tmp_path / "f",
                     "--workers", 1, "--fixed", "--no-report")
    assert rc == 0 and "fixed parameters" in out


def test_a_design_point_overrides_the_prior_of_its_field():
    sc = load_scenario("baseline")
    runs = ex.sweep(sc, ["environment.urgency=0.01:0.05:2"], reps=3, days=DAYS)
    assert sorted(runs["param:environment.urgency"].unique()) == [0.01, 0.05]
    assert runs["param:blame.audience_cost"].nunique() == 3          # the other priors still drawn
    s = ex.summarise(runs, ["param:environment.urgency"])
    assert "param:blame.audience_cost" in set(s["outcome"])          # summarised, not a design column


# ------------------------------------------------------------------ posterior draws
def test_posterior_draws_follow_the_weights():
    post = Posterior(("environment.urgency",), ((0.01,), (0.02,), (0.04,)), (0.2, 0.0, 0.8))
    seqs = np.random.SeedSequence(0).spawn(2000)
    got = pd.Series([post.draw(s)["environment.urgency"] for s in seqs]).value_counts(normalize=True)
    assert 0.02 not in got.index
    assert abs(got[0.04] - 0.8) < 4 * np.sqrt(0.8 * 0.2 / 2000)      # 4 standard errors
    assert Posterior.from_dict(post.as_dict()) == post


def test_draw_depends_only_on_the_seed_and_the_field():
    a = priors_of(build(mirror_trade(uncertain={"actors.a.tactic.e": [0.5, 2]})))
    b = priors_of(build(mirror_trade(uncertain={"actors.b.tactic.e": [0.5, 2], "actors.a.tactic.e": [0.5, 2]})))
    seq = np.random.SeedSequence(11).spawn(3)[2]
    assert draw(a, seq)["actors.a.tactic.e"] == draw(b, seq)["actors.a.tactic.e"]
    assert draw(b, seq)["actors.a.tactic.e"] != draw(b, seq)["actors.b.tactic.e"]


def test_integer_priors_give_every_value_its_full_weight():
    """Issue 22: rounding F^-1(u) gave a uniform [3, 10] integer field's end values half
    the weight of the others (1/14 instead of 1/8). Each whole number of the support now
    has probability proportional to the prior's density there: equal for a uniform,
    falling as 1/k for a log-uniform."""
    u = np.random.default_rng(0).random(80_000)
    p = Prior("days", PriorSpec(lo=3, hi=10), integer=True)
    counts = np.bincount(p.ppf(u) - 3, minlength=8)
    assert len(counts) == 8 and p.ppf(0.0) == 3 and p.ppf(1.0) == 10
    assert stats.chisquare(counts).pvalue > 1e-3                       # uniform over 3..10
    assert counts[0] / 80_000 == pytest.approx(1 / 8, abs=0.006)       # rounding: 1/14 = 0.071
    assert counts[-1] / 80_000 == pytest.approx(1 / 8, abs=0.006)
    lu = Prior("days", PriorSpec(dist="loguniform", lo=1, hi=4), integer=True)
    share = np.bincount(lu.ppf(u), minlength=5)[1:] / len(u)
    want = (1 / np.arange(1, 5)) / (1 / np.arange(1, 5)).sum()
    assert share == pytest.approx(want, abs=0.006)
    assert isinstance(p.ppf(0.5), int) and p.ppf(np.array([0.0, 1.0])).tolist() == [3, 10]
