"""The report of a calibration: the answer (how far the data narrowed each prior), the
posterior-predictive figure, the diagnostics."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import numpy as np
import pandas as pd

from sim.viz.labels import num, param_label
from sim.viz.report.page import Page, _e, _img, _links, _table
from sim.viz.report.reading import _calibration_state
from sim.viz.style import _date_axis


def calibration_figure(pred: pd.DataFrame, name: str, check: dict | None = None):
    """Observed points over the prior's and the posterior's predictive 5-95% bands, one
    panel per data variable (a log scale where a wide prior band would hide the
    posterior's misfit); with ``check``, the misfit statistics in the title."""
    import matplotlib.pyplot as plt
    from matplotlib.ticker import FuncFormatter, NullFormatter

    variables = list(dict.fromkeys(pred["variable"]))
    fig, axes = plt.subplots(len(variables), 1, figsize=(8, 3.0 * len(variables) + 0.6), squeeze=False)
    for ax, v in zip(axes[:, 0], variables):
        g = pred[pred["variable"] == v].sort_values("date")
        x = pd.to_datetime(g["date"])
        ax.fill_between(x, g["prior_q05"], g["prior_q95"], color="0.85", label="prior predictive 5-95%")
        ax.fill_between(x, g["posterior_q05"], g["posterior_q95"], color="#0072B2", alpha=0.35,
                        label="posterior predictive 5-95%")
        ax.plot(x, g["posterior_q50"], color="#0072B2", lw=1, label="posterior predictive median")
        ax.plot(x, g["value"], "o", color="black", ms=5, label="observed")
        lows = g[["prior_q05", "posterior_q05", "value"]].to_numpy(float)
        if (lows > 0).all() and g["prior_q95"].max() > 20 * lows.min():
            ax.set_yscale("log")          # a wide prior band would hide the posterior's misfit
            ax.yaxis.set_minor_formatter(NullFormatter())      # log ticks are mathtext; mathtext is off
        ax.set_title(v + (" (log scale)" if ax.get_yscale() == "log" else ""), fontsize=10)
        ax.yaxis.set_major_formatter(FuncFormatter(lambda y, _: num(y)))
        ax.grid(alpha=0.3)
        _date_axis(ax)
    axes[0, 0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    title = f"{name}: observed data over the simulated bands"
    if check is not None:
        title += (f"\n{check['inside_90']} of {check['n']} inside the posterior-predictive 90% band, "
                  f"p-value {check['p_value']:.3f}" + (": MISSPECIFIED" if check["misspecified"] else ""))
    fig.suptitle(title, fontsize=11, color="#a00" if check and check["misspecified"] else "black")
    fig.tight_layout()
    return fig


def save_calibration_figure(pred: pd.DataFrame, path: Path, name: str, check: dict | None = None) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig = calibration_figure(pred, name, check)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def _num_table(df: pd.DataFrame) -> str:
    cols = list(df.columns)
    rows = [[_e(num(v)) if isinstance(v, (int, float, np.integer, np.floating)) and not isinstance(v, bool)
             else _e(v) for v in r] for r in df.itertuples(index=False, name=None)]
    return _table([_e(c.replace("_", " ")) for c in cols], rows)


def write_calibration_report(out, name: str, gens: pd.DataFrame, intervals: pd.DataFrame, pred: pd.DataFrame,
                             settings: dict, command=None, check: dict | None = None) -> Path:
    """report.html of a calibration folder, in the style of every other report: the
    answer first (how far the data narrowed each prior), then the figure, then the
    tables (counts as whole numbers, never 1.73e+04)."""
    from sim.results import atomic_write

    page = calibration_page(out, name, gens, intervals, pred, settings, command, check)
    return atomic_write(Path(out) / "report.html", page.render())


def calibration_page(out, name: str, gens: pd.DataFrame, intervals: pd.DataFrame, pred: pd.DataFrame,
                     settings: dict, command=None, check: dict | None = None) -> Page:
    """The calibration report's :class:`Page`."""
    out = Path(out)
    if command is None and (out / "state.json").exists():
        command = _calibration_state(out).get("command")
    if check is None and (out / "check.json").is_file():
        check = json.loads((out / "check.json").read_text(encoding="utf-8"))
    png = out / "posterior_predictive.png"
    if png.exists():
        src = "data:image/png;base64," + base64.b64encode(png.read_bytes()).decode("ascii")
    else:
        src = _img(calibration_figure(pred, name))
    rows = [[_e(param_label(r.parameter)) + f"<br><small><code>{_e(r.parameter)}</code></small>",
             f"{num(r.prior_q05)} \u2013 {num(r.prior_q95)}",
             f"{num(r.posterior_median)} <small>[{num(r.posterior_q05)}, {num(r.posterior_q95)}]</small>",
             f"{float(r.width_ratio):.2f}" if r.width_ratio == r.width_ratio else "\u2013"]
            for r in intervals.itertuples()]
    inside = int(pred["inside_posterior_90"].astype(bool).sum())
    pop, alpha = settings.get("population", "?"), settings.get("alpha", 0.5)
    keep = int(float(alpha) * int(pop)) if str(pop).isdigit() else "?"
    sims = int(gens["simulations"].sum()) if "simulations" in gens else None
    head = ("<h2>Headline</h2><p>How far the data narrowed each prior: the posterior's median and 90% interval "
            "against the prior's, and the width ratio (posterior interval over prior interval; 1 = the data "
            f"say nothing about it). {inside} of {len(pred)} observed values lie inside the posterior-predictive "
            "90% band.</p>"
            + _table(["parameter", "prior 90%", "posterior median [90%]", "width ratio"], rows, num_from=1))
    method = (f"<p>ABC-SMC (adaptive population Monte Carlo, Lenormand, Jabot &amp; Deffuant 2013) on the "
              f"scenario's priors: population {_e(pop)}, keeping {_e(keep)} per generation, stopping when the "
              f"acceptance rate falls below {_e(settings.get('min_acceptance', '?'))} or after "
              f"{_e(settings.get('max_generations', '?'))} generations; root seed {_e(settings.get('seed', 0))}; "
              f"{len(gens)} generations" + (f", {sims:,} simulations" if sims is not None else "") + ".</p>")
    if check:
        red = ' style="color:#a00"'
        method += (f"<h2>Why it stopped</h2><p{red if check['stop_reason'] == 'cap' else ''}>"
                   f"{_e(stop_sentence(check))} Final effective sample size {check['final_ess']:.1f} "
                   f"(acceptance and ESS of every generation: the diagnostics table).</p>"
                   f"<p{red if check['misspecified'] else ''}>{_e(misfit_sentence(check))}</p>")
    diag = ("<h2>Generations (diagnostics)</h2><p>epsilon: the tolerance (largest distance kept); acceptance: "
            "the share of a generation's new simulations closer than the previous tolerance (the stopping rule); "
            "ess: the effective sample size of the weights.</p>" + _num_table(gens))
    data = ("<details><summary>The observed data and the predictive bands</summary>"
            + _num_table(pred.drop(columns=[c for c in ("source",) if c in pred])) + "</details>")
    body = (f"{method}\n<h2>Posterior-predictive check</h2><figure id=\"fig-posterior_predictive\">"
            f"<img alt=\"posterior predictive\" src=\"{src}\">\n<figcaption>Observed data (dots) over the prior's "
            "and the posterior's predictive 5-95% bands.</figcaption></figure>\n"
            f"{diag}{data}\n"
            + _links(out, ["posterior.parquet", "intervals.csv", "generations.csv", "predictive.csv"]))
    return Page(f"Calibration of {name}", head, body, command or ["(Python API)"],
                css="\ntable{max-width:100%;display:block;overflow-x:auto}")


def calibration_section(folder: Path, protocol: str | None = None) -> Page:
    """The page of a calibration folder, from its saved files."""
    state = _calibration_state(folder)
    return calibration_page(folder, state.get("scenario", folder.name), pd.read_csv(folder / "generations.csv"),
                            pd.read_csv(folder / "intervals.csv"), pd.read_csv(folder / "predictive.csv"),
                            state.get("settings") or {}, state.get("command"))


def stop_sentence(check: dict) -> str:
    """Which rule ended the calibration, in words."""
    if check["stop_reason"] == "rule":
        return (f"Stopped by its stopping rule after {check['generations']} generations: the acceptance rate "
                f"fell to {check['final_acceptance']:.3f}, below {check['min_acceptance']}.")
    return (f"Stopped by the generation cap ({check['max_generations']} generations), not by the stopping rule: "
            f"the acceptance rate was still {check['final_acceptance']:.3f} (the rule stops below "
            f"{check['min_acceptance']}). The posterior may still be too wide.")


def misfit_sentence(check: dict) -> str:
    """The posterior-predictive check, in words; says *misspecified* when it is."""
    s = (f"{check['inside_90']} of {check['n']} observed values lie inside the posterior-predictive 90% band "
         f"(if the band were right, this few or fewer with probability {check['coverage_p']:.3f}); "
         f"posterior-predictive p-value of the discrepancy {check['p_value']:.3f}. ")
    if check["misspecified"]:
        return s + ("The model is misspecified for these data: no parameter set in the priors reproduces them; "
                    "read the posterior as the best compromise, not as the truth.")
    return s + (f"No evidence of misfit at the {check['level']:g} level (with {check['n']} observations the check "
                "is weak).")
