"""Stance ablation (common random numbers) and global sensitivity (SALib)."""

import math
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

import sim
from sim.experiments import ablation, sensitivity
from sim.experiments.jobs import Vary
from sim.model.stances import STANCE_TYPES

from conftest import build, mirror_trade

ROOT = Path(__file__).resolve().parent.parent


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
