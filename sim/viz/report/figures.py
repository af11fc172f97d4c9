"""Every figure of a results folder, drawn from its saved files alone, so ``run_sim.py
plot DIR`` redraws them without re-running."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.viz import plots
from sim.viz.labels import actor_names, issue_label, outcome_label, param_label
from sim.viz.report.calibration import calibration_figure
from sim.viz.report.headlines import _headline_values, _sweep_outcomes
from sim.viz.report.reading import _base_spec, _calibration_state, _manifest, _ok_runs, check_protocol, kind_of


def draw_figures(folder, protocol: str | None = None) -> dict:
    """name -> (Figure, caption), from the saved files of ``folder``; ``protocol`` keeps
    a comparison to that protocol and the compromise yardstick."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    kind = kind_of(folder)
    figs = {}
    if kind == "run":
        from sim.results import load_result

        res = load_result(folder)
        if res.series is not None:
            figs["positions"] = (plots.plot_positions(res),
                                 "Stated positions and implemented values per issue; stars mark agreements.")
            figs["crisis"] = (plots.plot_crisis(res).figure, "Pressure at the border and the sanctions level, "
                                                             "with scheduled events and agreements.")
            figs["blame"] = (plots.plot_blame(res), "Who blames whom, at the start and at the end.")
            if (res.series["variable"] == "belief").any():
                figs["beliefs"] = (plots.plot_beliefs(res).figure,
                                   "What each actor believed the other needed from a deal (its floor), day by day, "
                                   "against the true floor (dashed).")
        figs["channels"] = (plots.plot_channels(res).figure, "The channel network at the end of the run.")
        if res.series is not None and len(res.moves):
            figs["trajectories"] = (plots.plot_eu_trajectories(res),
                                    f"{res.protocol.replace('_', ' ').capitalize()}: each actor's position per "
                                    "round (one a day), the weighted median (the forecast) and mean.")
    elif kind == "calibration":
        state = _calibration_state(folder)
        figs["posterior_predictive"] = (calibration_figure(pd.read_csv(folder / "predictive.csv"),
                                                           state.get("scenario", folder.name)),
                                        "Observed data (dots) over the prior's and the posterior's predictive "
                                        "5-95% bands.")
    elif kind == "compare":
        table, forecasts = _compared(folder, protocol)
        figs["comparison"] = (plots.plot_protocol_comparison(table, forecasts).figure,
                              "Each protocol's forecast of each issue, one dot per replication (the same parameter "
                              "draws and random streams for every protocol), a bar at the median; grey: the status "
                              "quo.")
    elif kind == "ablation":
        eff = pd.read_csv(folder / "ablation.csv").fillna({"quote": ""})
        spec = _base_spec(_manifest(folder))
        figs["ablation"] = (plots.plot_ablation(eff, actor_names=actor_names(spec)),
                            "What each stance does (common random numbers, 95% CI).")
    elif kind == "sensitivity":
        table = pd.read_csv(folder / "sensitivity.csv").fillna({"note": ""})
        spec = _base_spec(_manifest(folder))
        labels = {p: param_label(p, spec) for p in table["parameter"]}
        figs["sensitivity"] = (plots.plot_sensitivity(table, labels=labels),
                               "Global sensitivity indices with 95% intervals.")
    else:
        manifest = _manifest(folder)
        runs = _ok_runs(folder, params=kind == "sweep")
        spec = _base_spec(manifest)
        names = actor_names(spec)
        if kind == "sweep":
            figs["sweep"] = (_sweep_panels(runs, spec, manifest["job"].get("days")),
                             "Each headline outcome against the varied parameters "
                                                        "(one mean per design point).")
        else:
            figs["agreement"] = (plots.plot_agreement_probability(runs, actor_names=names),
                                 "Probability of agreement (share of runs, 95% Wilson intervals), "
                                 "per issue and per pair.")
        series = pd.read_parquet(folder / "series.parquet") if (folder / "series.parquet").exists() else None
        stocks = sorted(((spec.get("environment") or {}).get("stocks") or {}))
        if series is not None and stocks:          # a scenario without an environment has no stock to draw
            starts = {n: d.get("start_date") for n, d in manifest["job"]["scenarios"].items()}
            label = (spec["environment"]["stocks"][stocks[0]] or {}).get("label") or stocks[0]
            figs["pressure"] = (plots.plot_pressure_band(series, runs, starts, label=label).figure,
                                "The first stock of the environment over the days: median and 5-95% band of runs.")
        if kind == "batch":
            figs["first_agreement"] = (plots.plot_first_agreement_ecdf(runs).figure,
                                       "Time to the first agreement (empirical CDF).")
            figs["final_values"] = (plots.plot_final_values(runs, issue_labels={
                i: issue_label(i, spec, long=False) for i in spec.get("issues", {})}).figure,
                "Final implemented value of each issue, one dot per run.")
    return figs


def _sweep_panels(runs: pd.DataFrame, spec: dict, days: int | None = None):
    import matplotlib.pyplot as plt

    ok = runs[runs["status"] == "ok"].copy()
    h = _headline_values(ok, {n: spec for n in ok["scenario"].unique()}, days)
    outcomes = _sweep_outcomes(h.columns, h)
    for o in outcomes:                       # the registry's values: yes/no as 0/1, no deal as H + 1
        ok[o] = h[o].to_numpy()
    fig, axes = plt.subplots(1, len(outcomes), figsize=(3.9 * len(outcomes), 4.1), squeeze=False)
    labels = {c: param_label(c, spec) for c in runs.columns if c.startswith("param:")}
    for ax, o in zip(axes[0], outcomes):
        plots.plot_sweep(ok, o, ax=ax, labels={**labels, o: outcome_label(o, spec)})
        ax.set_title(plots._wrap(outcome_label(o, spec), 40, 2), fontsize=9)
        ax.xaxis.label.set_size(8)
        ax.yaxis.label.set_size(8)
    fig.tight_layout()
    return fig


def _compared(folder: Path, protocol: str | None):
    """A comparison's tables, kept to ``protocol`` and the compromise yardstick if given."""
    table, forecasts = pd.read_csv(folder / "comparison.csv"), pd.read_csv(folder / "forecasts.csv")
    if protocol:
        keep = {protocol, "compromise"}
        table, forecasts = table[table["protocol"].isin(keep)], forecasts[forecasts["protocol"].isin(keep)]
    return table, forecasts


def save_figures(folder, protocol: str | None = None) -> list[Path]:
    import matplotlib.pyplot as plt

    folder = Path(folder)
    check_protocol(folder, protocol)
    out = []
    for name, (fig, _) in draw_figures(folder, protocol).items():
        path = folder / f"{name}.png"
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=110)
        plt.close(fig)
        tmp.replace(path)
        out.append(path)
    return out

