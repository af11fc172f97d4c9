"""One scenario under several protocols, issue by issue, next to the compromise model.

Every protocol runs as one scenario variant of a single experiment job (named
``SCENARIO~PROTOCOL``), so replicate r of every protocol draws the same parameters from
the priors and the same crisis noise (common random numbers, as in any batch): the
differences between protocols are differences of protocol, not of luck. The compromise
model (Thomson et al. 2006) is always among them: it is the yardstick a heavier protocol
has to beat, and each protocol's forecast is reported as its distance from it.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from sim.experiments.jobs import ExperimentError, execute, make_job
from sim.protocols import PROTOCOLS
from sim.protocols.expected_utility import to_scale
from sim.runner import with_protocol
from sim.scenario import Scenario

YARDSTICK = "compromise"


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
        names = [n for n in PROTOCOLS if n != YARDSTICK and (n != "mediation" or sc.protocol.mediator)]
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
    [5-95%] of the forecast; under each but the yardstick its median distance from the
    compromise model), then a row of each protocol's mean distance over the issues."""
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
    d = table.groupby("protocol", sort=False)["vs_compromise"].mean()
    lines.append("| *mean Δ from the compromise model* | | "
                 + " | ".join("—" if p == YARDSTICK else f"{d[p]:.3f}" for p in protocols) + " |")
    return "\n".join(lines)
