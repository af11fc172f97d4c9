"""Models on one scenario: alternating offers (a distribution over replications)
against the expected-utility model (a deterministic forecast), both next to the
compromise model's baseline forecast (capability x salience weighted mean and median)."""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.jobs import execute, make_job
from sim.protocols.compromise import run_compromise
from sim.protocols.expected_utility import run_expected_utility, to_scale
from sim.runner import with_protocol
from sim.scenario import Scenario


def compare_protocols(sc: Scenario, reps: int = 100, seed: int = 0, executor=None, fixed: bool = False):
    """(table, AO final values per run and issue, EU result). ``agree`` says whether the
    EU forecast (weighted median) lies within the 5-95% range of the AO final values;
    ``cm_mean`` and ``cm_median`` are the compromise model's forecast (the baseline).
    The AO replicates draw the uncertain parameters from their priors unless ``fixed``;
    the EU and compromise models (deterministic) run at the point values."""
    ao_sc = with_protocol(sc, "alternating_offers")
    eu = run_expected_utility(with_protocol(sc, "expected_utility"))
    runs = execute(make_job([ao_sc], reps, seed, fixed=fixed), executor).runs
    runs = runs[runs["status"] == "ok"]
    values = pd.DataFrame({j: to_scale(sc, j, runs[f"final:{j}"].to_numpy()) for j in sc.issues})
    f = eu.forecast.set_index("issue")
    cm = run_compromise(sc).forecast.set_index("issue")
    rows = []
    for j, spec in sc.issues.items():
        v = values[j].to_numpy()
        p05, p50, p95 = np.percentile(v, [5, 50, 95])
        med = float(f.loc[j, "median"])
        rows.append({"issue": j, "kind": spec.kind, "status_quo": float(to_scale(sc, j, spec.status_quo)),
                     "ao_mean": float(v.mean()), "ao_p05": p05, "ao_median": p50, "ao_p95": p95,
                     "eu_median": med, "eu_mean": float(f.loc[j, "mean"]), "eu_status": f.loc[j, "status"],
                     "eu_rounds": int(f.loc[j, "rounds"]),
                     "cm_mean": float(cm.loc[j, "mean"]), "cm_median": float(cm.loc[j, "median"]),
                     "agree": "yes" if p05 - 1e-9 <= med <= p95 + 1e-9 else "no"})
    return pd.DataFrame(rows), values, eu
