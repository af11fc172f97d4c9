"""One scenario under several protocols, issue by issue, next to the compromise model.

Every protocol runs as one scenario variant of a single experiment job (named
``SCENARIO~PROTOCOL``), so replicate r of every protocol draws the same parameters from
the priors and the same crisis noise (common random numbers, as in any batch): the
differences between protocols are differences of protocol, not of luck. The compromise
model (Thomson et al. 2006) is always among them: it is the yardstick a heavier protocol
has to beat, and each protocol's forecast is reported as its distance from it.

How sure: a replicate's distance of a protocol from the yardstick is the mean over issues
of |forecast - compromise forecast| / the issue's scale width (the same run's draw).
:func:`distances` gives each protocol's mean distance and every pair's mean paired
difference with 95% paired-bootstrap intervals (percentile; the replicates resampled
together for every protocol, so the pairing is kept); a pair whose interval covers 0 is
*not told apart*, and :func:`markdown` ranks no protocols that are not. These intervals
are of a *mean* (they shrink with more replications); the table's cells are the spread
of the runs (5-95%).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.analysis.rounds import to_scale
from sim.experiments.jobs import ExperimentError, execute, make_job
from sim.protocols import PROTOCOLS, available
from sim.runner import with_protocol
from sim.scenario import Scenario

YARDSTICK = "compromise"
BOOT_STREAM = 0x424F4F54       # "BOOT": the bootstrap's branch of the root seed
N_BOOT = 2000


def parse_protocols(text: str | None, sc: Scenario) -> list[str]:
    """The protocols of ``--protocols a,b,c`` (default: every protocol the scenario can
    run: mediation only if it names a mediator), the compromise model always included."""
    if text:
        names = [t.strip() for t in text.split(",") if t.strip()]
        bad = [n for n in names if n not in PROTOCOLS]
        if bad:
            raise ExperimentError(f"--protocols: unknown protocol(s) {', '.join(bad)} "
                                  f"(protocols: {', '.join(PROTOCOLS)})")
        if len(set(names)) != len(names):
            raise ExperimentError("--protocols: a protocol is named twice")
    else:
        names = [n for n in PROTOCOLS if n != YARDSTICK and available(n, sc)]
    return names + ([YARDSTICK] if YARDSTICK not in names else [])


def variants(sc: Scenario, protocols: list[str]) -> list[Scenario]:
    """The scenario under each protocol, named ``SCENARIO~PROTOCOL``."""
    return [with_protocol(sc, p).model_copy(update={"name": f"{sc.name}~{p}"}) for p in protocols]


def compare_protocols(sc: Scenario, protocols: list[str] | None = None, reps: int = 100, seed: int = 0,
                      executor=None, fixed: bool = False, days: int | None = None, out=None,
                      resume: bool = False, progress=None, command=None, yes: bool = False,
                      series: bool = False):
    """Run ``sc`` under each protocol and return ``(table, forecasts, experiment result)``.

    ``forecasts``: one row per (protocol, replicate, issue): the protocol's forecast of
    the issue (``forecast:ISSUE``) on the issue's own scale, and the compromise model's
    forecast for the same replicate (same parameter draw). ``table``: one row per (issue,
    protocol): the median, mean and 5-95% range of the forecast over the replicates, and
    ``vs_compromise``, the median over replicates of |forecast - compromise forecast|
    (0 for the compromise model itself)."""
    protocols = protocols or parse_protocols(None, sc)
    if YARDSTICK not in protocols:
        protocols = [*protocols, YARDSTICK]
    job = make_job(variants(sc, protocols), reps, seed, series=series, days=days, fixed=fixed, yes=yes)
    res = execute(job, executor, out, resume=resume, command=command, progress=progress)
    runs = res.runs
    failed = runs[runs["status"] != "ok"]
    if len(failed):
        raise ExperimentError(f"{len(failed)} of {len(runs)} runs failed (first: {failed['error'].iloc[0]})")
    forecasts = tidy_forecasts(runs, sc, protocols)
    return forecast_table(forecasts, sc), forecasts, res


def tidy_forecasts(runs: pd.DataFrame, sc: Scenario, protocols: list[str]) -> pd.DataFrame:
    rows = []
    cm = runs[runs["scenario"] == f"{sc.name}~{YARDSTICK}"].set_index(["point", "replicate"])
    for p in protocols:
        g = runs[runs["scenario"] == f"{sc.name}~{p}"].set_index(["point", "replicate"])
        for j in sc.issues:
            col = f"forecast:{j}"
            rows.append(pd.DataFrame({
                "protocol": p, "replicate": g.index.get_level_values("replicate"), "issue": j,
                "forecast": to_scale(sc, j, g[col].to_numpy(dtype=float)),
                "compromise": to_scale(sc, j, cm.loc[g.index, col].to_numpy(dtype=float)),
            }))
    return pd.concat(rows, ignore_index=True)


def forecast_table(forecasts: pd.DataFrame, sc: Scenario) -> pd.DataFrame:
    rows = []
    for (j, p), g in forecasts.groupby(["issue", "protocol"], sort=False):
        v = g["forecast"].to_numpy(dtype=float)
        p05, p50, p95 = np.percentile(v, [5, 50, 95])
        lo, hi = sc.issues[j].scale or (0.0, 1.0)
        rows.append({"issue": j, "kind": sc.issues[j].kind, "scale_low": lo, "scale_high": hi,
                     "status_quo": float(to_scale(sc, j, sc.day0(j))), "protocol": p,
                     "n": len(v), "median": p50, "mean": float(v.mean()), "p05": p05, "p95": p95,
                     "vs_compromise": float(np.median(np.abs(v - g["compromise"].to_numpy(dtype=float))))})
    return pd.DataFrame(rows)


def markdown(table: pd.DataFrame, caption: str = "") -> str:
    """The comparison as a Markdown table: issues as rows, protocols as columns (median
    [5-95% of runs] of the forecast; beside each but the yardstick its median distance
    from the compromise model). The protocols' overall distances, with intervals, are
    :func:`differences_markdown`'s (a mean of per-issue medians would rank protocols
    whose paired differences cannot be told from 0)."""
    protocols = list(dict.fromkeys(table["protocol"]))
    head = "| issue | status quo | " + " | ".join(p.replace("_", " ") for p in protocols) + " |"
    lines = ([caption, ""] if caption else []) + [head, "|" + "---|" * (len(protocols) + 2)]
    for issue, g in table.groupby("issue", sort=False):
        g = g.set_index("protocol")
        cells = []
        for p in protocols:
            r = g.loc[p]
            cell = f"{r['median']:.2f} [{r['p05']:.2f}, {r['p95']:.2f}]"
            if p != YARDSTICK:
                cell += f" (Δ {r['vs_compromise']:.2f})"
            cells.append(cell)
        lines.append(f"| {issue} | {g['status_quo'].iloc[0]:.2f} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def _per_replicate(forecasts: pd.DataFrame, sc: Scenario | None = None) -> pd.DataFrame:
    """Replicates as rows, protocols (not the yardstick) as columns: the mean over issues
    of the distance from the compromise model, in shares of each issue's scale."""
    f = forecasts[forecasts["protocol"] != YARDSTICK].copy()
    width = 1.0
    if sc is not None:
        width = f["issue"].map(lambda j: float(np.subtract(*(sc.issues[j].scale or (0.0, 1.0))[::-1])))
    f["d"] = (f["forecast"] - f["compromise"]).abs() / width
    return f.pivot_table(index="replicate", columns="protocol", values="d", aggfunc="mean", sort=False)


def distances(forecasts: pd.DataFrame, sc: Scenario | None = None, seed: int = 0,
              n_boot: int = N_BOOT) -> pd.DataFrame:
    """Each protocol's mean distance from the compromise model (``kind`` = distance) and
    each pair's mean paired difference (``kind`` = difference, ``a - b``), with 95%
    paired-bootstrap intervals of the mean over replicates; ``differs`` when the interval
    excludes 0 (for a difference) -- otherwise the pair is not told apart."""
    d = _per_replicate(forecasts, sc)
    protocols = list(d.columns)
    x = d.to_numpy(dtype=float)
    n = len(x)
    rng = np.random.default_rng([seed, BOOT_STREAM])
    idx = rng.integers(0, n, size=(n_boot, n))
    boot = x[idx].mean(axis=1)                  # (n_boot, protocols): the same resample for every protocol
    rows = []
    for k, p in enumerate(protocols):
        lo, hi = np.percentile(boot[:, k], [2.5, 97.5])
        rows.append({"kind": "distance", "a": p, "b": YARDSTICK, "mean": float(x[:, k].mean()), "low": float(lo),
                     "high": float(hi), "n": n, "differs": bool(lo > 0)})
    for i, a in enumerate(protocols):
        for j, b in enumerate(protocols[i + 1:], i + 1):
            diff = boot[:, i] - boot[:, j]
            lo, hi = np.percentile(diff, [2.5, 97.5])
            rows.append({"kind": "difference", "a": a, "b": b, "mean": float((x[:, i] - x[:, j]).mean()),
                         "low": float(lo), "high": float(hi), "n": n, "differs": bool(lo > 0 or hi < 0)})
    return pd.DataFrame(rows)


def nearest(dist: pd.DataFrame) -> list[str]:
    """The protocols nearest the compromise model that the replicates can tell apart from
    none nearer: those no other protocol is (credibly) nearer than. More than one name
    means they are not told apart."""
    diffs = dist[dist["kind"] == "difference"]
    names = list(dist.loc[dist["kind"] == "distance", "a"])
    beaten = set()
    for r in diffs.itertuples():
        if r.differs:
            beaten.add(r.a if r.mean > 0 else r.b)        # the one farther from the yardstick
    return [p for p in names if p not in beaten]


def differences_markdown(dist: pd.DataFrame) -> str:
    """The distances and paired differences as Markdown lines, with what they allow one to say."""
    if dist.empty:
        return ""
    lines = ["Distance from the compromise model per replicate (mean over issues of |forecast - compromise| in "
             "shares of the issue's scale), averaged over replicates [95% paired-bootstrap interval of the mean, "
             "which shrinks with more replications]:", ""]
    for r in dist[dist["kind"] == "distance"].itertuples():
        lines.append(f"- {r.a.replace('_', ' ')}: {r.mean:.3f} [{r.low:.3f}, {r.high:.3f}]")
    pairs = dist[dist["kind"] == "difference"]
    if len(pairs):
        lines += ["", "Paired differences (first minus second, replicate by replicate):", ""]
        for r in pairs.itertuples():
            verdict = "**told apart**" if r.differs else "not told apart (the interval covers 0)"
            lines.append(f"- {r.a.replace('_', ' ')} − {r.b.replace('_', ' ')}: {r.mean:+.3f} "
                         f"[{r.low:+.3f}, {r.high:+.3f}]: {verdict}")
        near = nearest(dist)
        lines += ["", ("Nearest the compromise model: " + near[0].replace("_", " ") if len(near) == 1 else
                       "No single protocol is nearest the compromise model: "
                       + ", ".join(p.replace("_", " ") for p in near) + " are not told apart")
                  + "."]
    return "\n".join(lines)
