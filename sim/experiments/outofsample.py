"""Out-of-sample checks inside the record (``make holdout-table``): fit the history on
the months before a cut, forecast the months after it, score each held-out month.

    python -m sim.experiments.outofsample history_2021 data/attempted_crossings_pl_2021.csv \\
        --cuts 2021-09-01,2021-10-01 --population 100 --predictive 100 --out out/holdout

For each cut date, :func:`sim.experiments.calibration.holdout` calibrates on the rows
dated before it (ABC-SMC, stopping by its rule) and forecasts the later rows from the
posterior and from the prior; the table gives, per held-out row, the observed value, the
posterior forecast (median and 90% band), its CRPS, and its skill against two references
that can each win: the prior predictive (did fitting help?) and persistence (the last
fitted value carried forward). A cut whose later rows the record lacks is named, not
skipped silently: the 2021 record has no count for 1-22 November, so "fit August-October,
forecast November" cannot be made from it.
"""

from __future__ import annotations

import argparse
import concurrent.futures as cf
import math
import sys
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ExperimentError
from sim.experiments.calibration import (
    CALIB_STREAM,
    CalibrationResult,
    Settings,
    _Runner,
    calibrate,
    check_data,
    read_data,
)
from sim.experiments.design import scenario_data
from sim.scenario import Scenario
from sim.scenario.priors import priors_of


def checks(scenario, data_file, cuts, out: Path, settings, executor=None) -> tuple[pd.DataFrame, list[str]]:
    """(the scores of every held-out row, one row per row and cut; notes on cuts that
    could not be made)."""
    from sim.experiments.calibration import read_data
    from sim.experiments.jobs import ExperimentError

    data = read_data(data_file)
    frames, notes = [], []
    for cut in cuts:
        c = pd.Timestamp(cut).date()
        if not (pd.to_datetime(data["date"]).dt.date >= c).any():
            notes.append(f"fit before {c}, forecast from {c}: the record has no row from {c} on "
                         f"({Path(data_file).name} ends {max(data['date'])}); not possible from it")
            continue
        try:
            res, table = holdout(scenario, data_file, c, out / f"fit-until-{c}", settings, executor)
        except ExperimentError as exc:
            notes.append(f"fit before {c}: {exc}")
            continue
        fitted = data[pd.to_datetime(data["date"]).dt.date < c]
        table.insert(0, "fitted_months", ", ".join(pd.to_datetime(fitted["date"]).dt.strftime("%b %Y")))
        table["stopped"] = f"{res.check['stop_reason']} after {res.check['generations']} generations"
        frames.append(table)
    return (pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()), notes


def markdown(table: pd.DataFrame, notes: list[str], settings) -> str:
    lines = ["| fitted on | forecast | observed | posterior median [90%] | in 90% | CRPS | "
             "skill vs prior predictive (its CRPS) | skill vs persistence (its CRPS) |",
             "|---|---|---|---|---|---|---|---|"]
    for r in table.itertuples(index=False):
        lines.append(f"| {r.fitted_months} | {pd.Timestamp(r.date):%b %Y} | {r.observed:,.0f} | "
                     f"{r.median:,.0f} [{r.q05:,.0f}, {r.q95:,.0f}] | {'yes' if r.inside_90 else 'no'} | "
                     f"{r.crps:,.0f} | {r.skill_vs_prior_predictive:+.2f} ({r.crps_prior_predictive:,.0f}) | "
                     f"{r.skill_vs_persistence:+.2f} ({r.crps_persistence:,.0f}) |")
    lines.append("")
    lines.append(f"ABC-SMC population {settings.population} (the README's full calibration uses 200), "
                 f"{settings.predictive} forecast runs from the posterior and {settings.predictive} from the prior "
                 "per cut; skill = 1 - CRPS / reference CRPS (positive beats the reference).")
    for n in notes:
        lines.append(f"Not made: {n}.")
    return "\n".join(lines)


def main(argv=None) -> int:
    from sim.experiments.calibration import Settings
    from sim.experiments.jobs import ExperimentError
    from sim.scenario import ScenarioError, load_scenario

    ap = argparse.ArgumentParser(prog="python -m sim.experiments.outofsample", description=__doc__.split("\n\n")[0])
    ap.add_argument("scenario")
    ap.add_argument("data")
    ap.add_argument("--cuts", default="2021-09-01,2021-10-01,2021-11-01",
                    help="fit before each date, forecast from it (comma-separated)")
    ap.add_argument("--population", type=int, default=100)
    ap.add_argument("--predictive", type=int, default=100)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--workers", type=int, default=2)
    ap.add_argument("--out", type=Path, default=Path("out/holdout"))
    a = ap.parse_args(argv)
    try:
        sc = load_scenario(a.scenario)
        settings = Settings(population=a.population, predictive=a.predictive, seed=a.seed)
        settings.check()
        cuts = [c.strip() for c in a.cuts.split(",") if c.strip()]
        for c in cuts:
            pd.Timestamp(c)
        with cf.ProcessPoolExecutor(a.workers) as ex:
            table, notes = checks(sc, a.data, cuts, a.out, settings, ex)
    except (ScenarioError, ExperimentError, ValueError) as exc:
        print(f"error: {str(exc).splitlines()[0]}", file=sys.stderr)      # one line, exit 2 (the CLI's rule)
        return 2
    text = markdown(table, notes, settings)
    a.out.mkdir(parents=True, exist_ok=True)
    (a.out / "holdout.md").write_text(text + "\n", encoding="utf-8")
    print(text)
    return 0




def holdout(scenario: Scenario, data: pd.DataFrame | str | Path, fit_until, out: str | Path,
            settings: Settings | None = None, executor=None, resume: bool = False, progress=None,
            command: list[str] | None = None) -> tuple[CalibrationResult, pd.DataFrame]:
    """An out-of-sample check inside the record: calibrate on the data rows dated before
    ``fit_until`` (into ``out``, as :func:`calibrate`), then forecast the later rows
    with ``settings.predictive`` runs drawn from the posterior and as many from the prior,
    and score each held-out row: the CRPS of the posterior forecast, and its skill
    against two references that can be beaten and lost to: the prior predictive (did
    fitting the earlier months help?) and persistence (the variable's last fitted value
    carried forward). Writes ``holdout.csv``; returns (the calibration, that table)."""
    from sim.experiments.scoring import crps_ensemble, skill
    from sim.results import atomic_write

    settings = settings or Settings()
    file = str(data) if isinstance(data, (str, Path)) else "data"
    data = read_data(data) if isinstance(data, (str, Path)) else data
    cut = pd.Timestamp(fit_until).date()
    data = data.assign(date=pd.to_datetime(data["date"]).dt.date)
    fit, held = data[data["date"] < cut], data[data["date"] >= cut]
    if not len(fit) or not len(held):
        raise ExperimentError(f"--fit-until {cut}: {file} needs rows before it (to fit) and from it on (to "
                              f"forecast); it has {len(fit)} and {len(held)}")
    res = calibrate(scenario, fit.reset_index(drop=True), out, settings, executor, resume, progress, command)
    full = check_data(scenario, data.reset_index(drop=True), file)
    sc_data = scenario_data(scenario)
    priors = priors_of(sc_data)
    fields = list(priors)
    rows = list(zip(full["variable"], full["period_key"]))
    runner = _Runner(sc_data, rows, fields, priors, settings, executor, progress)
    post = res.posterior
    u = post[[f"u:{f}" for f in fields]].to_numpy(float)
    w = post["weight"].to_numpy(float)
    rng = np.random.default_rng([settings.seed, CALIB_STREAM, 20_000])
    S_post = runner.simulate(u[rng.choice(len(u), size=settings.predictive, p=w / w.sum())], 20_000)
    S_prior = runner.simulate(rng.random((settings.predictive, len(fields))), 20_001)
    out_rows = []
    for k, r in full.iterrows():
        if r["date"] < cut:
            continue
        y = float(r["value"])
        x, xp = S_post[:, k][~np.isnan(S_post[:, k])], S_prior[:, k][~np.isnan(S_prior[:, k])]
        last = fit[fit["variable"] == r["variable"]].sort_values("date")
        persist = float(last["value"].iloc[-1]) if len(last) else math.nan
        q05, med, q95 = np.percentile(x, [5, 50, 95])
        crps, crps_prior = crps_ensemble(x, y), crps_ensemble(xp, y)
        out_rows.append({"date": r["date"], "variable": r["variable"], "observed": y, "fitted_until": cut,
                         "median": med, "q05": q05, "q95": q95, "inside_90": bool(q05 <= y <= q95),
                         "crps": crps, "crps_prior_predictive": crps_prior,
                         "skill_vs_prior_predictive": skill(crps, crps_prior),
                         "persistence": persist, "crps_persistence": abs(persist - y),
                         "skill_vs_persistence": skill(crps, abs(persist - y))})
    table = pd.DataFrame(out_rows)
    atomic_write(Path(out) / "holdout.csv", table.to_csv(index=False))
    res.written.append(Path(out) / "holdout.csv")
    return res, table


if __name__ == "__main__":
    sys.exit(main())
