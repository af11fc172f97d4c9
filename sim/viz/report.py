"""Self-contained HTML reports of a results folder (figures embedded, no network).

A folder is recognised by what it holds: ``summary.json`` (one run), ``manifest.json``
(a batch or a sweep), plus ``ablation.csv`` / ``sensitivity.csv`` when present.
:func:`draw_figures` returns the figures (name -> matplotlib Figure) from the saved
files alone, so ``run_sim.py plot DIR`` can redraw them without re-running.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
from pathlib import Path

import pandas as pd

from sim.viz import plots


class ReportError(ValueError):
    pass


def kind_of(folder: Path) -> str:
    if (folder / "summary.json").exists():
        return "run"
    if (folder / "manifest.json").exists():
        try:
            status = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            raise ReportError(f"{folder}/manifest.json is unreadable") from None
        if status != "complete" or not (folder / "runs.parquet").exists():
            raise ReportError(f"{folder} holds an unfinished experiment (status {status}); finish it with --resume")
        return "experiment"
    raise ReportError(f"{folder} holds no results (no summary.json or manifest.json)")


def draw_figures(folder) -> dict:
    """name -> (Figure, caption)."""
    import matplotlib

    matplotlib.use("Agg")
    folder = Path(folder)
    figs = {}
    if kind_of(folder) == "run":
        from sim.results import load_result

        res = load_result(folder)
        if res.series is not None:
            figs["positions"] = (plots.plot_positions(res), "Stated positions and implemented values per issue; stars mark agreements.")
            figs["crisis"] = (plots.plot_crisis(res).figure, "Pressure at the border and the sanctions level, with scheduled events and agreements.")
            figs["blame"] = (plots.plot_blame(res), "Who blames whom, at the start and at the end.")
        figs["channels"] = (plots.plot_channels(res).figure, "The channel network at the end of the run.")
    else:
        runs = pd.read_parquet(folder / "runs.parquet")
        from sim.experiments.jobs import design_columns

        params = design_columns(runs)     # a sweep's varied fields (drawn parameters vary within a point)
        manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        if params and not (folder / "sensitivity.csv").exists():
            figs["sweep"] = (plots.plot_sweep(runs).figure, "The outcome against the varied parameters.")
        figs["agreement"] = (plots.plot_agreement_probability(runs),
                             "Probability of agreement (share of runs, 95% Wilson intervals), per issue and per pair.")
        if (folder / "series.parquet").exists():
            series = pd.read_parquet(folder / "series.parquet")
            starts = {n: d.get("start_date") for n, d in manifest["job"]["scenarios"].items()}
            figs["pressure"] = (plots.plot_pressure_band(series, runs, starts).figure,
                                "The first stock of the environment over the days: median and 5-95% band of runs.")
        figs["first_agreement"] = (plots.plot_first_agreement_ecdf(runs).figure, "Time to the first agreement (empirical CDF).")
        figs["final_values"] = (plots.plot_final_values(runs).figure, "Final implemented value of each issue.")
    if (folder / "ablation.csv").exists():
        eff = pd.read_csv(folder / "ablation.csv").fillna({"quote": ""})
        figs = {"ablation": (plots.plot_ablation(eff), "What each stance does (common random numbers, 95% CI).")}
    if (folder / "sensitivity.csv").exists():
        figs = {"sensitivity": (plots.plot_sensitivity(pd.read_csv(folder / "sensitivity.csv").fillna({"note": ""})),
                                "Global sensitivity indices with 95% intervals.")}
    return figs


def save_figures(folder) -> list[Path]:
    import matplotlib.pyplot as plt

    folder = Path(folder)
    out = []
    for name, (fig, _) in draw_figures(folder).items():
        path = folder / f"{name}.png"
        tmp = folder / f".{name}.tmp.png"
        fig.savefig(tmp, dpi=110)
        plt.close(fig)
        tmp.replace(path)
        out.append(path)
    return out


def _img(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1100px;margin:2em auto;
padding:0 1em;color:#222}h1{font-size:1.5em}h2{font-size:1.2em;margin-top:1.6em;border-bottom:1px solid #ddd}
table{border-collapse:collapse;font-size:.85em;margin:.5em 0}td,th{border:1px solid #ccc;padding:3px 7px;text-align:left}
th{background:#f4f4f4}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}img{max-width:100%}
code,pre{background:#f6f6f6;padding:2px 4px}blockquote{margin:.3em 0 .3em 1em;color:#444;font-style:italic}"""


def _stances_table(spec: dict) -> str:
    rows = []
    for st in (spec.get("stances") or {}).values():
        params = ", ".join(f"{k}={v}" for k, v in st.items()
                           if k not in ("actor", "type", "quote", "start", "end", "note"))
        where = f"[{st['start']}:{st['end']}]" if st.get("start") is not None else ""
        rows.append(f"<tr><td>{html.escape(st['actor'])}</td><td><code>{html.escape(st['type'])}({html.escape(params)})</code>"
                    f"</td><td>\u201c{html.escape(st.get('quote', '') or '(no quote: a scenario assumption)')}\u201d "
                    f"<small>{where}</small></td></tr>")
    return ("<table><tr><th>actor</th><th>stance</th><th>the article's words</th></tr>" + "".join(rows) + "</table>"
            if rows else "<p>No stances.</p>")


def write_report(folder) -> Path:
    """Write ``folder/report.html`` (a temporary name, then a rename) and return its path."""
    from sim.results import atomic_write

    folder = Path(folder)
    kind = kind_of(folder)
    figs = draw_figures(folder)
    parts = []
    if kind == "run":
        s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        spec = s.get("scenario_spec", {})
        specs = {s["scenario"]: spec}
        title = f"Run of {s['scenario']} (seed {s['seed']}, {s['horizon_days']} days from {s['start_date']})"
        command = s.get("command") or ["run_sim.py", "run", s["scenario"], "--seed", str(s["seed"])]
        o = s["outcomes"]
        summary = pd.DataFrame({"outcome": list(o), "value": [o[k] for k in o]})
        ag = pd.read_csv(folder / "agreements.csv")
        parts.append("<h2>Agreements</h2>" + (ag[["day", "date", "party_a", "party_b", "level", "changes"]]
                                               .to_html(index=False) if len(ag) else "<p>None.</p>"))
        parts.append("<h2>Issues at the end</h2>" + pd.DataFrame(s["issues"]).to_html(index=False))
    else:
        m = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
        specs = m["job"]["scenarios"]
        from sim.experiments.jobs import parameters_label

        mode = m["job"].get("parameters", "fixed")
        title = (f"Experiment: {', '.join(specs)} - {m['n_runs']} runs, {m['job']['reps']} replications, "
                 f"root seed {m['root_seed']}, {parameters_label(mode)}")
        command = m.get("command") or ["(Python API)"]
        summary = pd.read_csv(folder / "summary.csv")
        head = summary[summary["outcome"].isin(["any_agreement", "any_political", "time_to_first_agreement",
                                                "n_unilateral", "stalemate"])
                       | summary["outcome"].str.startswith("stock_cumulative:")]
        summary = head if len(head) else summary
    parts.insert(0, "<h2>Summary</h2>" + summary.to_html(index=False, float_format=lambda v: f"{v:.3f}"))
    fig_html = "".join(f'<figure id="fig-{n}"><img alt="{html.escape(n)}" src="{_img(f)}">'
                       f"<figcaption>{html.escape(c)}</figcaption></figure>" for n, (f, c) in figs.items())
    stance_html = "".join(f"<h3>{html.escape(n)}</h3><p>{html.escape(' '.join(str(d.get('description', '')).split()))}</p>"
                          + _stances_table(d) for n, d in specs.items())
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{html.escape(title)}</title><style>{CSS}</style></head>
<body><h1>{html.escape(title)}</h1>
<p>Command: <code>{html.escape(' '.join(map(str, command)))}</code><br>
Written {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by diplosim. Everything below is in this file.</p>
{''.join(parts)}
<h2>Figures</h2>{fig_html}
<h2>Scenario and the stances that ground it</h2>{stance_html}
</body></html>
"""
    return atomic_write(folder / "report.html", doc)
