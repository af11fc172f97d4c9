"""Global sensitivity analysis with SALib, run through the experiment runner.

The uncertain parameters are dotted paths into the scenario with a range: given with
``--vary FIELD=LO:HI`` or, by default, the scenario's ``uncertain:`` mapping (the
modelling choices the article does not fix). SALib draws the sample (Sobol' /
Saltelli, or Morris trajectories) in the unit cube of the priors' quantiles, and each
column goes through its prior's inverse CDF (``Prior.ppf``): a log-uniform, normal, beta
or triangular prior is sampled as that distribution, not as a uniform over its range
(Sobol' indices are variance shares under the input distribution, so they depend on
it; ``--vary FIELD=LO:HI`` is a uniform prior). Each sample point is a design point of
an experiment (so it streams to disk, resumes and runs on any executor); each point's
outcome is its mean over ``reps`` replications (common random numbers across points);
SALib then computes first-order and total Sobol' indices, or Morris mu* and sigma (per
unit of quantile), with 95% bootstrap intervals, for each headline outcome. The
bootstrap is seeded from ``--seed`` (a seed SALib can use: it treats 0 as "no seed").

How sure: every index is printed with its interval; :func:`warnings_of` flags intervals
wider than :data:`WIDE` (half-width) and negative indices (estimation noise: a true
index is >= 0), and :func:`ranks` gives factors whose intervals overlap the same rank,
so nothing is ranked that the sample cannot tell apart. :func:`convergence` recomputes
the indices on the first n base points (n = 2^k <= N, prefixes of the same Saltelli
sample) for a plot of the indices against N.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.jobs import (
    ExperimentError,
    Vary,
    check_size,
    check_vary,
    execute,
    headline,
    headline_labels,
    make_job,
    scenario_data,
)
from sim.scenario import Scenario


def outcomes_of(columns) -> dict[str, str]:
    """The outcomes sensitivity attributes: the headline ones (P(any political deal),
    days to the first deal, unilateral moves, each stock's cumulative level)."""
    return {k: v for k, v in headline_labels(columns).items()
            if k != "any_agreement" and not k.startswith("final:")}
METHODS = ("sobol", "morris")


BOOTSTRAP_STREAM = 0x534F424C     # "SOBL": the bootstrap's branch of the root seed
WIDE = 0.1                        # a 95% half-width above this is "wide" (indices live on [0, 1])


def default_varies(sc: Scenario) -> list[Vary]:
    if not sc.uncertain:
        raise ExperimentError(f"scenario '{sc.name}' declares no uncertain parameters: give --vary "
                              "FIELD=LO:HI, or add an 'uncertain:' mapping to the scenario file")
    from sim.scenario.priors import priors_of

    # a prior's range: its support (the 0.1% and 99.9% quantiles where unbounded)
    return [Vary(path, *p.bounds()) for path, p in priors_of(sc).items()]


def priors_for(sc: Scenario, varies: list[Vary], given: bool) -> dict:
    """The prior each varied field is sampled from: the scenario's own prior (default
    varies), or a uniform prior on ``--vary``'s range; integer fields stay integer."""
    from sim.scenario.priors import Prior, PriorSpec, priors_of

    own = priors_of(sc)
    data = scenario_data(sc)
    out = {}
    for v in varies:
        if not given and v.path in own:
            out[v.path] = own[v.path]
        else:
            out[v.path] = Prior(v.path, PriorSpec(lo=v.lo, hi=v.hi), check_vary(data, v))
    return out


def problem_of(varies: list[Vary]) -> dict:
    """SALib's problem, in the unit cube of quantiles (each column goes through its
    prior's inverse CDF before it reaches the model)."""
    return {"num_vars": len(varies), "names": [v.path for v in varies],
            "bounds": [[0.0, 1.0] for _ in varies]}


def _values(prior, us) -> list:
    """The prior's value at each quantile in ``us``, an unbounded side cut at the 0.1%
    tail (Morris levels reach u = 0 and 1); one quantile-function call for the whole
    column (the same numbers and Python types as one call per value: a Sobol' design of
    600 points was 10,000 scalar SciPy calls, 5% of the job's wall time at 2 workers)."""
    lo, hi = prior.support()
    u = np.asarray(us, dtype=float)
    if not np.isfinite(lo):
        u = np.maximum(u, 1e-3)
    if not np.isfinite(hi):
        u = np.minimum(u, 1 - 1e-3)
    return np.asarray(prior.ppf(u)).reshape(-1).tolist()


def bootstrap_seed(seed: int) -> int:
    """The seed of SALib's bootstrap for root ``seed``: never 0, which SALib's Sobol'
    analysis takes for "no seed" (it then draws from numpy's global state)."""
    return int(np.random.SeedSequence([seed, BOOTSTRAP_STREAM]).generate_state(1)[0]) | 1


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

        r = sobol.analyze(problem, Y, calc_second_order=False, conf_level=0.95, seed=bootstrap_seed(seed))
        return {"S1": (r["S1"], r["S1_conf"]), "ST": (r["ST"], r["ST_conf"])}
    from SALib.analyze import morris

    r = morris.analyze(problem, X, Y, conf_level=0.95, num_levels=4, seed=bootstrap_seed(seed))
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
                note = []
                if index in ("S1", "ST") and np.isfinite(c) and c > WIDE:
                    note.append(f"wide interval (±{c:.2f})")
                if index in ("S1", "ST") and v < 0:
                    note.append("negative (estimation noise)")
                rows.append({"outcome": outcome, "outcome_label": label,
                             "parameter": name, "index": index, "value": float(v),
                             "ci_low": float(v - c) if np.isfinite(c) else np.nan,
                             "ci_high": float(v + c) if np.isfinite(c) else np.nan, "note": "; ".join(note)})
    table = pd.DataFrame(rows)
    if len(table):
        table["rank"] = ranks(table)
    return table


def ranks(table: pd.DataFrame) -> pd.Series:
    """Each index's rank among the parameters of its outcome and index: 1 + the number
    of parameters whose interval lies wholly above its own. Parameters whose intervals
    overlap share a rank (the sample cannot tell them apart); NaN without a value."""
    out = pd.Series(np.nan, index=table.index)
    for _, g in table.groupby(["outcome", "index"], sort=False):
        lo = g["ci_low"].fillna(g["value"]).to_numpy(float)
        hi = g["ci_high"].fillna(g["value"]).to_numpy(float)
        for i, k in enumerate(g.index):
            if np.isfinite(g.loc[k, "value"]):
                out[k] = 1 + int(np.sum(lo > hi[i]))
    return out


def warnings_of(table: pd.DataFrame) -> list[str]:
    """One line per outcome whose Sobol' indices are unsure: how many intervals are wide
    (half-width > :data:`WIDE`) and how many indices are negative."""
    out = []
    t = table[table["index"].isin(["S1", "ST"]) & table["value"].notna()]
    for outcome, g in t.groupby("outcome", sort=False):
        half = (g["ci_high"] - g["ci_low"]) / 2
        wide, neg = int((half > WIDE).sum()), int((g["value"] < 0).sum())
        if wide or neg:
            parts = []
            if wide:
                parts.append(f"{wide} of {len(g)} intervals wider than ±{WIDE:g} (median ±{half.median():.2f})")
            if neg:
                parts.append(f"{neg} negative indices (estimation noise)")
            out.append(f"{outcome}: " + "; ".join(parts) + ": increase --n (or --reps) before reading the ranks")
    return out


def convergence(problem: dict, Y_by_outcome: dict[str, np.ndarray], n: int, seed: int = 0,
                smallest: int = 16) -> pd.DataFrame:
    """Sobol' indices on the first m base points of the sample, m = smallest, 2 smallest,
    ... n (prefixes of one Saltelli sample are Saltelli samples of size m): one row per
    m, outcome, parameter and index, with the 95% interval."""
    d = problem["num_vars"]
    rows = []
    m = min(smallest, n)
    while m <= n:
        Ym = {k: np.asarray(Y, float)[: m * (d + 2)] for k, Y in Y_by_outcome.items()}
        t = indices_table(problem, None, Ym, "sobol", seed)
        if len(t):
            rows.append(t.assign(n=m))
        m *= 2
    return pd.concat(rows, ignore_index=True) if rows else pd.DataFrame()


def run_sensitivity(scenario: Scenario, varies: list[Vary] | None = None, method: str = "sobol",
                    n: int = 64, reps: int = 1, seed: int = 0, executor=None, out=None,
                    resume: bool = False, days: int | None = None, command=None, progress=None,
                    yes: bool = False, fixed: bool = False):
    """(indices table, sample X, execute result). ``yes`` lifts the size limits of
    :func:`make_job` (checked here before the sample is drawn). Uncertain fields not in
    the sample are drawn per replicate from their priors (unless ``fixed``)."""
    if method not in METHODS:
        raise ExperimentError(f"unknown method '{method}' (use {' or '.join(METHODS)})")
    given = bool(varies)
    varies = varies or default_varies(scenario)
    data = scenario_data(scenario)
    for v in varies:
        check_vary(data, v)
    priors = priors_for(scenario, varies, given)
    problem = problem_of(varies)
    if not yes:
        check_size(n * (len(varies) + (2 if method == "sobol" else 1)), reps)
    U = sample(problem, method, n, seed)
    names = problem["names"]
    cols = [_values(priors[name], U[:, k]) for k, name in enumerate(names)]
    points = [dict(zip(names, row)) for row in zip(*cols)]
    job = make_job([scenario], reps, seed, varies, design=method, days=days, points=points, yes=yes,
                   fixed=fixed)
    res = execute(job, executor, out, resume=resume, command=command, progress=progress)
    # the values the runs used (integer fields are rounded by make_job)
    Xused = np.array([[p[name] for name in problem["names"]] for p in job.points], dtype=float)
    per_point = point_outcomes(res.runs, days or scenario.horizon_days, len(job.points))
    Y = {k: per_point[k].to_numpy() for k in per_point.columns}
    table = indices_table(problem, U, Y, method, seed)
    if method == "sobol" and out is not None:
        from pathlib import Path

        from sim.results import atomic_write

        conv = convergence(problem, Y, n, seed)
        if len(conv):
            atomic_write(Path(out) / "convergence.csv", conv.to_csv(index=False))
    return table, Xused, res


def plot_convergence(csv, path):
    """Each parameter's total (and first-order) Sobol' index against the base sample
    size N, with its 95% interval, one panel per outcome that varies: indices still
    moving at the largest N, or intervals that do not shrink, say the N is too small."""
    import matplotlib

    matplotlib.use("Agg")
    from pathlib import Path

    import matplotlib.pyplot as plt

    conv = pd.read_csv(csv)
    conv = conv[conv["value"].notna() & (conv["index"] == "ST")]
    outcomes = list(dict.fromkeys(conv["outcome"]))
    ncol = 2 if len(outcomes) > 1 else 1
    nrow = max(1, -(-len(outcomes) // ncol))
    fig, axes = plt.subplots(nrow, ncol, figsize=(6.2 * ncol, 3.0 * nrow), squeeze=False)
    for ax, outcome in zip(axes.flat, outcomes):
        g = conv[conv["outcome"] == outcome]
        last = g[g["n"] == g["n"].max()].sort_values("value", ascending=False)
        for k, p in enumerate(last["parameter"].head(5)):
            h = g[g["parameter"] == p].sort_values("n")
            x = h["n"] * (1 + 0.04 * (k - 2))          # a small offset: intervals do not hide each other
            ax.errorbar(x, h["value"], yerr=[h["value"] - h["ci_low"], h["ci_high"] - h["value"]],
                        marker="o", ms=3, capsize=2, lw=1, label=p if len(p) <= 40 else "…" + p[-39:])
        ax.axhline(0, color="0.6", lw=0.6)
        ax.set_xscale("log", base=2)
        ns = sorted(g["n"].unique())
        ax.set_xticks(ns, [str(int(n)) for n in ns])     # plain numbers: mathtext is off (issue 26)
        ax.minorticks_off()
        ax.set_title(str(g["outcome_label"].iloc[0])[:60], fontsize=9)
        ax.set_xlabel("base sample size N", fontsize=8)
        ax.set_ylabel("total index ST [95%]", fontsize=8)
        ax.tick_params(labelsize=7)
        ax.legend(fontsize=6, loc="best")
        ax.grid(alpha=0.3)
    for ax in list(axes.flat)[len(outcomes):]:
        ax.set_visible(False)
    fig.suptitle("Sobol' total indices against the sample size (five largest per outcome)", fontsize=10)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=100)
    plt.close(fig)
    tmp.replace(path)
    return path
