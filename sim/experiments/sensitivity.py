"""Global sensitivity analysis with SALib, run through the experiment runner.

The uncertain parameters are dotted paths into the scenario with a range: given with
``--vary FIELD=LO:HI`` or, by default, the scenario's ``uncertain:`` mapping (the
modelling choices the article does not fix). SALib draws the sample (Sobol' /
Saltelli, or Morris trajectories); each sample point is a design point of an
experiment (so it streams to disk, resumes and runs on any executor); each point's
outcome is its mean over ``reps`` replications (common random numbers across points);
SALib then computes first-order and total Sobol' indices, or Morris mu* and sigma,
with 95% confidence intervals (bootstrap), for each headline outcome.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.jobs import (ExperimentError, Vary, check_size, check_vary, execute, headline, headline_labels,
                                  make_job, scenario_data)
from sim.scenario import Scenario

def outcomes_of(columns) -> dict[str, str]:
    """The outcomes sensitivity attributes: the headline ones (P(any political deal),
    days to the first deal, unilateral moves, each stock's cumulative level)."""
    return {k: v for k, v in headline_labels(columns).items()
            if k != "any_agreement" and not k.startswith("final:")}
METHODS = ("sobol", "morris")


def default_varies(sc: Scenario) -> list[Vary]:
    if not sc.uncertain:
        raise ExperimentError(f"scenario '{sc.name}' declares no uncertain parameters: give --vary "
                              "FIELD=LO:HI, or add an 'uncertain:' mapping to the scenario file")
    from sim.scenario.priors import priors_of

    # a prior's range: its support (the 0.1% and 99.9% quantiles where unbounded)
    return [Vary(path, *p.bounds()) for path, p in priors_of(sc).items()]


def problem_of(varies: list[Vary]) -> dict:
    return {"num_vars": len(varies), "names": [v.path for v in varies],
            "bounds": [[v.lo, v.hi] for v in varies]}


def sample(problem: dict, method: str, n: int, seed: int) -> np.ndarray:
    if method == "sobol":
        from SALib.sample import sobol

        if n < 2 or n & (n - 1):
            raise ExperimentError(f"--n {n}: Sobol' sampling needs a power of 2 (e.g. 64, 128, 256)")
        return sobol.sample(problem, n, calc_second_order=False, seed=seed)
    if method == "morris":
        from SALib.sample import morris

        if n < 2:
            raise ExperimentError(f"--n {n}: Morris needs at least 2 trajectories")
        return morris.sample(problem, n, num_levels=4, seed=seed)
    raise ExperimentError(f"unknown method '{method}' (use {' or '.join(METHODS)})")


def analyse(problem: dict, X: np.ndarray, Y: np.ndarray, method: str, seed: int = 0) -> dict:
    """SALib's analysis of one outcome: {index: (values, 95% confidence)}."""
    if np.isnan(Y).any():
        raise ExperimentError("some sample points have no outcome (failed runs); see runs.parquet")
    if method == "sobol":
        from SALib.analyze import sobol

        r = sobol.analyze(problem, Y, calc_second_order=False, conf_level=0.95, seed=seed)
        return {"S1": (r["S1"], r["S1_conf"]), "ST": (r["ST"], r["ST_conf"])}
    from SALib.analyze import morris

    r = morris.analyze(problem, X, Y, conf_level=0.95, num_levels=4, seed=seed)
    return {"mu_star": (np.asarray(r["mu_star"]), np.asarray(r["mu_star_conf"])),
            "sigma": (np.asarray(r["sigma"]), np.full(len(r["sigma"]), np.nan))}


def point_outcomes(runs: pd.DataFrame, horizon: int, n_points: int) -> pd.DataFrame:
    """Mean of each headline outcome per design point (index = point)."""
    h = headline(runs[runs["status"] == "ok"], horizon)
    h = h[["point", *outcomes_of(h.columns)]]
    return h.groupby("point").mean().reindex(range(n_points))


def indices_table(problem, X, Y_by_outcome: dict[str, np.ndarray], method, seed=0) -> pd.DataFrame:
    """One row per outcome, parameter and index; an outcome that does not vary over
    the sample has nothing to attribute: its rows say so in ``note`` (values NaN)."""
    rows = []
    labels = outcomes_of(Y_by_outcome)
    for outcome, Y in Y_by_outcome.items():
        Y = np.asarray(Y, dtype=float)
        label = labels.get(outcome, outcome)
        if not np.isnan(Y).any() and np.ptp(Y) == 0:
            names = ("S1", "ST") if method == "sobol" else ("mu_star", "sigma")
            rows += [{"outcome": outcome, "outcome_label": label, "parameter": p, "index": i,
                      "value": np.nan, "ci_low": np.nan, "ci_high": np.nan,
                      "note": f"constant ({Y[0]:g}) over the sample"} for i in names for p in problem["names"]]
            continue
        for index, (vals, conf) in analyse(problem, X, Y, method, seed).items():
            for name, v, c in zip(problem["names"], vals, conf):
                rows.append({"outcome": outcome, "outcome_label": label,
                             "parameter": name, "index": index, "value": float(v),
                             "ci_low": float(v - c) if np.isfinite(c) else np.nan,
                             "ci_high": float(v + c) if np.isfinite(c) else np.nan, "note": ""})
    return pd.DataFrame(rows)


def run_sensitivity(scenario: Scenario, varies: list[Vary] | None = None, method: str = "sobol",
                    n: int = 64, reps: int = 1, seed: int = 0, executor=None, out=None,
                    resume: bool = False, days: int | None = None, command=None, progress=None,
                    yes: bool = False, fixed: bool = False):
    """(indices table, sample X, execute result). ``yes`` lifts the size limits of
    :func:`make_job` (checked here before the sample is drawn). Uncertain fields not in
    the sample are drawn per replicate from their priors (unless ``fixed``)."""
    if method not in METHODS:
        raise ExperimentError(f"unknown method '{method}' (use {' or '.join(METHODS)})")
    varies = varies or default_varies(scenario)
    data = scenario_data(scenario)
    for v in varies:
        check_vary(data, v)
    problem = problem_of(varies)
    if not yes:
        check_size(n * (len(varies) + (2 if method == "sobol" else 1)), reps)
    X = sample(problem, method, n, seed)
    points = [dict(zip(problem["names"], row)) for row in X]
    job = make_job([scenario], reps, seed, varies, design=method, days=days, points=points, yes=yes,
                   fixed=fixed)
    res = execute(job, executor, out, resume=resume, command=command, progress=progress)
    # the values the runs used (integer fields are rounded by make_job)
    Xused = np.array([[p[name] for name in problem["names"]] for p in job.points], dtype=float)
    per_point = point_outcomes(res.runs, days or scenario.horizon_days, len(job.points))
    table = indices_table(problem, Xused, {k: per_point[k].to_numpy() for k in per_point.columns}, method, seed)
    return table, Xused, res
