"""Self-contained HTML reports of a results folder (figures embedded, no network).

Each report opens with its answer (the *headline*), then the figures, then the
scenario, with raw per-point tables linked as CSV files or folded away:

* a run: the story of the run (agreements, unilateral moves, events, the final state
  against the status quo), then its parameters and events;
* a batch: scenarios as columns, each headline outcome's estimate, 95% interval and
  paired difference (common random numbers) from the baseline or the first scenario;
* a sweep: the outcomes against the varied parameters;
* an ablation: the effects table with the article's quotes;
* a sensitivity analysis: the table of indices with their intervals;
* ``compare-protocols``: each protocol's forecast of each issue, against the
  compromise model's.

A run is a run whatever its protocol: its story, then each issue's implemented value
beside the protocol's forecast and the compromise model's (and, for a protocol that
moves positions in rounds, the trajectories of the positions).

A folder is recognised by what it holds (:func:`kind_of`). :func:`draw_figures`
returns the figures from the saved files alone, so ``run_sim.py plot DIR`` redraws them
without re-running.
"""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import json
import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ReportError  # noqa: F401  (raised here, caught by the CLI)
from sim.viz import plots
from sim.viz.labels import (actor_names, fmt, issue_label, num, outcome_label, param_label,
                            plural)

KINDS = ("run", "compare", "batch", "sweep", "ablation", "sensitivity", "calibration")




# ============================================================================ reading
def kind_of(folder: Path) -> str:
    """One of :data:`KINDS`, from the files the folder holds."""
    folder = Path(folder)
    if (folder / "summary.json").exists():
        return "run"
    if (folder / "comparison.csv").exists() and (folder / "forecasts.csv").exists():
        return "compare"
    if (folder / "manifest.json").exists():
        try:
            status = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            raise ReportError(f"{folder}/manifest.json is unreadable") from None
        if status != "complete" or not (folder / "runs.parquet").exists():
            raise ReportError(f"{folder} holds an unfinished experiment (status {status}); finish it with --resume")
        if (folder / "ablation.csv").exists():
            return "ablation"
        if (folder / "sensitivity.csv").exists():
            return "sensitivity"
        if _manifest(folder)["job"].get("varies"):
            return "sweep"
        return "batch"
    if (folder / "state.json").exists() and (folder / "generations").is_dir():
        if not (folder / "predictive.csv").exists() or not (folder / "posterior.parquet").exists():
            raise ReportError(f"{folder} holds an unfinished calibration; finish it with the same calibrate "
                              "command and --resume")
        return "calibration"
    raise ReportError(f"{folder} holds no results (no summary.json, manifest.json or comparison.csv); give a "
                      "folder written by run, batch, sweep, ablate, sensitivity, compare-protocols, table or "
                      "calibrate")


def folder_protocols(folder: Path) -> list[str]:
    """The protocols whose runs a results folder holds (in the order they appear)."""
    folder = Path(folder)
    kind = kind_of(folder)
    if kind == "run":
        s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return [s.get("protocol") or (s.get("scenario_spec", {}).get("protocol") or {}).get("name",
                                                                                         "alternating_offers")]
    if kind == "compare":
        return list(dict.fromkeys(pd.read_csv(folder / "comparison.csv")["protocol"]))
    if kind == "calibration":
        return [(_calibration_state(folder).get("protocol")) or "alternating_offers"]
    specs = _manifest(folder)["job"]["scenarios"]
    return list(dict.fromkeys((d.get("protocol") or {}).get("name", "alternating_offers") for d in specs.values()))


def check_protocol(folder: Path, protocol: str | None) -> None:
    """``--protocol`` of ``report``/``plot``: the folder must hold runs of that protocol."""
    if protocol is None:
        return
    have = folder_protocols(folder)
    if protocol not in have:
        raise ReportError(f"{folder} holds runs of {', '.join(have)}, not of {protocol}")


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


def _ok_runs(folder: Path) -> pd.DataFrame:
    runs = pd.read_parquet(folder / "runs.parquet")
    return runs[runs["status"] == "ok"]


def _reference(names: list[str]) -> str:
    return "baseline" if "baseline" in names else names[0]


# ============================================================================ figures
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
            figs["positions"] = (plots.plot_positions(res), "Stated positions and implemented values per issue; stars mark agreements.")
            figs["crisis"] = (plots.plot_crisis(res).figure, "Pressure at the border and the sanctions level, with scheduled events and agreements.")
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
        figs["sensitivity"] = (plots.plot_sensitivity(table, labels={p: param_label(p, spec) for p in table["parameter"]}),
                               "Global sensitivity indices with 95% intervals.")
    else:
        manifest = _manifest(folder)
        runs = pd.read_parquet(folder / "runs.parquet")
        spec = _base_spec(manifest)
        names = actor_names(spec)
        if kind == "sweep":
            figs["sweep"] = (_sweep_panels(runs, spec, manifest["job"].get("days")), "Each headline outcome against the varied parameters "
                                                        "(one mean per design point).")
        else:
            figs["agreement"] = (plots.plot_agreement_probability(runs, actor_names=names),
                                 "Probability of agreement (share of runs, 95% Wilson intervals), per issue and per pair.")
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


SWEEP_OUTCOMES = ("any_agreement", "any_political", "days_to_first_agreement", "pressure_cumulative")


def _sweep_outcomes(columns, h: pd.DataFrame | None = None, k: int = 3) -> list[str]:
    """``k`` of: any deal, any political deal, the day of the first deal (no deal =
    H + 1), the first stock's cumulative level (or the first round's cumulative
    pressure); with per-run values ``h`` (design points in ``point``), those whose mean
    changes across the design points first."""
    from sim.outcomes import moving_first

    stocks = sorted(c for c in columns if str(c).startswith("stock_cumulative:"))
    names = [o for o in SWEEP_OUTCOMES[:3] if o in columns or o == "days_to_first_agreement"] + (
        stocks[:1] or [o for o in SWEEP_OUTCOMES[3:] if o in columns])
    if h is not None and "point" in h:
        names = moving_first({o: h.groupby("point")[o].mean() for o in names if o in h})
    return names[:k]


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


def _img(fig) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=100)
    plt.close(fig)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode("ascii")


# ============================================================================ HTML parts
CSS = """body{font-family:system-ui,-apple-system,Segoe UI,Roboto,sans-serif;max-width:1300px;margin:1em auto;
padding:0 1em;color:#222;line-height:1.35}h1{font-size:1.35em;margin:.2em 0}h2{font-size:1.12em;margin-top:1.4em;
border-bottom:1px solid #ddd}.lede{margin:.2em 0 .6em;color:#333}
table{border-collapse:collapse;font-size:.85em;margin:.4em 0}td,th{border:1px solid #ccc;padding:3px 7px;
text-align:left;vertical-align:top}th{background:#f4f4f4}td.num{text-align:right;white-space:nowrap}
.headline{background:#fbfbf4;border:1px solid #e4e2c8;padding:.3em .9em .6em;margin:.4em 0 1em}
.headline h2{margin-top:.3em;border:0}.d{display:block;font-size:.85em;color:#555}.good{color:#2166AC;font-weight:600}
.bad{color:#B2182B;font-weight:600}.muted{color:#777}figure{margin:1em 0}figcaption{font-size:.85em;color:#555}
img{max-width:100%}code,pre{background:#f6f6f6;padding:2px 4px}details{margin:.5em 0}summary{cursor:pointer;color:#245}
blockquote{margin:.3em 0 .3em 1em;color:#444;font-style:italic}.meta{font-size:.8em;color:#666}
ul.story{margin:.3em 0}ul.story li{margin:.15em 0}"""


def _e(x) -> str:
    return html.escape(str(x))


def _table(header: list[str], rows: list[list[str]], num_from: int | None = None) -> str:
    """An HTML table from already-escaped cells; columns from ``num_from`` right-aligned."""
    head = "".join(f"<th>{h}</th>" for h in header)
    body = "".join("<tr>" + "".join(
        f'<td class="num">{c}</td>' if num_from is not None and i >= num_from else f"<td>{c}</td>"
        for i, c in enumerate(r)) + "</tr>" for r in rows)
    return f"<table><tr>{head}</tr>{body}</table>"


def _frame_html(df: pd.DataFrame, digits: int = 3) -> str:
    return df.to_html(index=False, na_rep="\u2013", float_format=lambda v: f"{v:.{digits}f}", border=0)


def _links(folder: Path, names: list[str]) -> str:
    have = [n for n in names if (folder / n).exists()]
    if not have:
        return ""
    return ("<p>Raw tables (in this folder): " + ", ".join(f'<a href="{_e(n)}">{_e(n)}</a>' for n in have)
            + ".</p>")


def _stance_rows(spec: dict, only: set | None = None, tag: dict | None = None) -> list[list[str]]:
    names = actor_names(spec)
    rows = []
    for sid, st in (spec.get("stances") or {}).items():
        if only is not None and sid not in only:
            continue
        params = ", ".join(f"{k}={v}" for k, v in st.items()
                           if k not in ("actor", "type", "quote", "start", "end", "note"))
        quote = st.get("quote") or ""
        note = st.get("note") or ""
        if quote:
            words = f"\u201c{_e(quote)}\u201d"
        elif note:
            words = f'<span class="muted">{_e(note)}</span>'
        else:
            words = '<span class="muted">(no quote: a scenario assumption)</span>'
        rows.append([(tag or {}).get(sid, "") + _e(names.get(st["actor"], st["actor"])),
                     f"<code>{_e(st['type'])}({_e(params)})</code><br><small>{_e(sid)}</small>", words])
    return rows


def _stances_table(spec: dict) -> str:
    rows = _stance_rows(spec)
    return _table(["actor", "stance", "the article's words"], rows) if rows else "<p>No stances.</p>"


def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    else:
        out[prefix[:-1]] = d
    return out


def _scenario_diff(spec: dict, ref: dict, ref_name: str) -> str:
    """What ``spec`` changes with respect to ``ref``: stances removed, added or changed,
    events added or removed, other fields changed."""
    a, b = ref.get("stances") or {}, spec.get("stances") or {}
    removed = [s for s in a if s not in b]
    added = [s for s in b if s not in a]
    changed = [s for s in b if s in a and a[s] != b[s]]
    parts = []
    if removed:
        parts.append("<p>Stances removed:</p>" + _table(["actor", "stance", "the article's words"],
                                                        _stance_rows(ref, set(removed))))
    if added or changed:
        tag = {s: "<b>new</b> " for s in added} | {s: "<b>changed</b> " for s in changed}
        parts.append("<p>Stances added or changed:</p>" + _table(["actor", "stance", "the article's words"],
                                                                  _stance_rows(spec, set(added + changed), tag)))
    ev_a, ev_b = ref.get("events") or [], spec.get("events") or []
    gone = [e for e in ev_a if e not in ev_b]
    new = [e for e in ev_b if e not in ev_a]
    if gone or new:
        rows = [["removed", _e(e.get("day")), _e(e.get("label") or e.get("type"))] for e in gone]
        rows += [["added", _e(e.get("day")), _e(e.get("label") or e.get("type"))] for e in new]
        parts.append("<p>Events:</p>" + _table(["", "day", "event"], rows))
    skip = ("stances", "events", "name", "description", "title")
    fa = _flatten({k: v for k, v in ref.items() if k not in skip})
    fb = _flatten({k: v for k, v in spec.items() if k not in skip})
    other = [k for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]
    if other:
        rows = [[_e(param_label(k, spec)) + f" <small><code>{_e(k)}</code></small>", _e(fmt(fa.get(k))),
                 _e(fmt(fb.get(k)))] for k in other]
        parts.append("<p>Other fields:</p>" + _table(["field", ref_name, spec.get("name", "")], rows))
    if not parts:
        return f"<p>Same stances, events and fields as <code>{_e(ref_name)}</code>.</p>"
    return f"<p>Differs from <code>{_e(ref_name)}</code>:</p>" + "".join(parts)


def _scenario_section(specs: dict, ref_name: str | None = None) -> str:
    """The first (or reference) scenario in full; every other as what it changes."""
    if not specs:
        return ""
    ref_name = ref_name if ref_name in specs else next(iter(specs))
    ref = specs[ref_name]
    out = ["<h2>Scenario and the stances that ground it</h2>"]
    for name, d in [(ref_name, ref), *[(n, d) for n, d in specs.items() if n != ref_name]]:
        desc = " ".join(str(d.get("description", "")).split())
        out.append(f"<h3>{_e(name)}</h3><p>{_e(desc)}</p>")
        out.append(_stances_table(d) if name == ref_name else _scenario_diff(d, ref, ref_name))
    return "".join(out)


def _base_spec(manifest: dict) -> dict:
    specs = manifest["job"]["scenarios"]
    base = [n for n in specs if "~" not in n]
    return specs[base[0] if base else next(iter(specs))]


def _cell(est, lo, hi, share: bool) -> str:
    """A share as a percentage with its interval, a number with its range; an interval
    that cannot be computed (one run) is left out, never printed as [nan, nan]."""
    if est is None or (isinstance(est, float) and math.isnan(est)):
        return "\u2013"
    if share:
        ci = "" if lo != lo or hi != hi else f" <small>[{lo * 100:.0f}, {hi * 100:.0f}]</small>"
        return f"{est * 100:.0f}%{ci}"
    ci = "" if lo != lo or hi != hi else f" <small>[{lo:.3g}, {hi:.3g}]</small>"
    return f"{est:.3g}{ci}"


def _diff_cell(m, lo, hi, share: bool, good: int = 0) -> str:
    if m is None or math.isnan(m):
        return ""
    scale, unit = (100, " pp") if share else (1, "")
    if share:                                   # a difference of shares lies in [-1, 1]
        lo, hi = max(lo, -1.0), min(hi, 1.0)
    cls = ""
    if good and not (lo <= 0 <= hi) and not (lo == hi == 0):
        cls = "good" if m * good > 0 else "bad"
    elif lo == hi == 0:
        cls = "muted"
    return (f'<span class="d {cls}">\u0394 {_signed(m * scale)}{unit} '
            f"<small>[{_signed(lo * scale)}, {_signed(hi * scale)}]</small></span>")


def _dec(x: float) -> str:
    """Two decimals, never -0.00."""
    t = f"{x:.2f}"
    return "0.00" if t == "-0.00" else t


def _signed(x: float) -> str:
    """+1.2 / -1.2, and +0.0 for a value that rounds to zero (never -0.0)."""
    t = f"{x:+.1f}"
    return "+0.0" if t == "-0.0" else t


# ============================================================================ headlines
BATCH_OUTCOMES = ["any_agreement", "any_political", "days_to_first_agreement", "n_unilateral",
                  "pressure_cumulative", "sanctions_final", "stalemate"]   # those a runs table has


def _batch_outcomes(columns, h: pd.DataFrame | None = None) -> list[str]:
    """The headline outcomes a runs table has: the fixed ones, then each stock's
    cumulative level (the round-2 environment), stalemate last; with the headline
    values ``h``, those that vary across the runs first (:func:`sim.outcomes.moving_first`)."""
    from sim.outcomes import moving_first

    cols = set(columns) | {"days_to_first_agreement"}
    fixed = [o for o in BATCH_OUTCOMES if o in cols and o != "stalemate"]
    stocks = sorted(c for c in columns if str(c).startswith("stock_cumulative:"))
    names = fixed + stocks + (["stalemate"] if "stalemate" in cols else [])
    if h is None:
        return names
    return moving_first({o: h[o] for o in names if o in h})


def _headline_values(runs: pd.DataFrame, specs: dict, days) -> pd.DataFrame:
    from sim.experiments.jobs import headline

    parts = []
    for name, g in runs.groupby("scenario", sort=False):
        horizon = days or (specs.get(name) or {}).get("horizon_days") or 0
        h = headline(g, int(horizon))
        h["stalemate"] = g["stalemate"].astype(float).to_numpy() if "stalemate" in g else np.nan
        parts.append(h)
    return pd.concat(parts, ignore_index=True)


def batch_headline(runs: pd.DataFrame, specs: dict, days=None) -> tuple[str, str]:
    """(HTML table, reference scenario): scenarios as columns; per headline outcome the
    share of runs with its Wilson 95% interval (of the share), or the median with the
    5-95% range *of the runs* (their spread, which does not shrink with more runs), and
    the mean paired difference from the reference with its 95% interval (of a mean)."""
    from sim.experiments.stats import mean_interval

    h = _headline_values(runs, specs, days)
    names = list(dict.fromkeys(h["scenario"]))
    ref = _reference(names)
    names = [ref, *[n for n in names if n != ref]]
    base = h[h["scenario"] == ref].set_index(["point", "replicate"])
    header = ["outcome"] + [f"<code>{_e(n)}</code><br><small>{_e((specs.get(n) or {}).get('title', ''))}</small>"
                            + (" <small>(reference)</small>" if n == ref else "") for n in names]
    from sim.outcomes import get, summary

    rows = []
    for o in _batch_outcomes(h.columns, h):
        share = get(o).kind == "share"
        good = plots.good_direction(o)
        row = [_e(outcome_label(o))]
        for n in names:
            spec = specs.get(n) or {}
            window = (spec.get("protocol") or {}).get("stalemate_window", 30)
            if o == "stalemate" and (days or spec.get("horizon_days") or window) < window:
                row.append(f"<span class='muted'>n/a (runs shorter than the {window}-day window)</span>")
                continue
            g = h[h["scenario"] == n].set_index(["point", "replicate"])
            est, lo, hi, k = summary(g[o])          # a share [Wilson], or a median [5-95% of runs]
            cell = _cell(est, lo, hi, share) if k else "<span class='muted'>n/a</span>"
            if n != ref:
                common = base.index.intersection(g.index)
                d = (g.loc[common, o] - base.loc[common, o]).dropna().to_numpy(dtype=float)
                m, lo, hi = mean_interval(d) if len(d) > 1 else (math.nan,) * 3
                cell += _diff_cell(m, lo, hi, share, good) if lo == lo else ""
            row.append(cell)
        rows.append(row)
    return _table(header, rows, num_from=1), ref


def sensitivity_headline(table: pd.DataFrame, spec: dict) -> str:
    main = "ST" if "ST" in set(table["index"]) else "mu_star"
    second = "S1" if main == "ST" else "sigma"
    outcomes = [o for o in table["outcome"].unique() if table.loc[table["outcome"] == o, "value"].notna().any()]
    constant = [o for o in table["outcome"].unique() if o not in outcomes]
    t = table[table["index"] == main]
    order = (t[t["outcome"].isin(outcomes)].groupby("parameter")["value"].max()
             .sort_values(ascending=False).index.tolist())
    order += [p for p in dict.fromkeys(table["parameter"]) if p not in order]
    labels = {o: table.loc[table["outcome"] == o, "outcome_label"].iloc[0] for o in table["outcome"].unique()}
    header = ["parameter"] + [_e(labels[o]) for o in outcomes]
    rows = []
    for p in order:
        row = [_e(param_label(p, spec)) + f"<br><small><code>{_e(p)}</code></small>"]
        for o in outcomes:
            cell = []
            for idx in (main, second):
                r = table[(table["outcome"] == o) & (table["parameter"] == p) & (table["index"] == idx)]
                if not len(r) or pd.isna(r["value"].iloc[0]):
                    cell.append("\u2013")
                    continue
                r = r.iloc[0]
                ci = (f" <small>[{_dec(r['ci_low'])}, {_dec(r['ci_high'])}]</small>"
                      if pd.notna(r["ci_low"]) and pd.notna(r["ci_high"]) else "")
                cell.append(f"{idx} {_dec(r['value'])}{ci}")
            row.append(f"<b>{cell[0]}</b><span class='d'>{cell[1]}</span>")
        rows.append(row)
    note = ""
    if constant:
        note = ("<p class='muted'>Constant over the sample, so nothing to attribute: "
                + "; ".join(_e(labels[o]) for o in constant) + ".</p>")
    what = ("total-order Sobol' index ST (share of the outcome's variance the parameter takes part in; "
            "S1: its share alone)" if main == "ST" else
            "Morris \u03bc* (mean absolute elementary effect; \u03c3: its spread, interactions)")
    return (f"<p>Rows: the uncertain parameters, largest effect first. Cells: the {what}, with 95% "
            f"intervals.</p>" + _table(header, rows, num_from=1) + note)


ABLATION_COLUMNS = [("any_political", True), ("days_to_first_agreement", False), ("n_unilateral", False),
                    ("pressure_cumulative", False)]


def _ablation_columns(outcomes, eff: pd.DataFrame | None = None) -> list[tuple[str, bool]]:
    from sim.outcomes import get

    if eff is not None:
        return [(o, get(o).kind == "share") for o in plots.ablation_outcomes(eff)]
    have = set(outcomes)
    stocks = sorted(o for o in have if str(o).startswith("stock_cumulative:"))
    return [(o, s) for o, s in ABLATION_COLUMNS if o in have] + [(o, False) for o in stocks[:1]]


def ablation_headline(eff: pd.DataFrame, spec: dict, top: int = 10) -> tuple[str, str]:
    """(headline table of the ``top`` variants, the rest as a table)."""
    names = actor_names(spec)
    order = eff.drop_duplicates("variant").sort_values("rank")["variant"].tolist()
    columns = _ablation_columns(eff["outcome"], eff)

    def rows_of(variants):
        rows = []
        for v in variants:
            g = eff[eff["variant"] == v].set_index("outcome")
            r0 = g.iloc[0]
            quote = r0["quote"] if isinstance(r0["quote"], str) else ""
            row = [str(int(r0["rank"])),
                   f"{_e(r0['operation'])} <b>{_e(names.get(r0['actor'], r0['actor']))}</b>: "
                   f"<code>{_e(r0['stance_rule'])}</code>",
                   f"\u201c{_e(quote)}\u201d" if quote else "<span class='muted'>(no quote)</span>"]
            for o, share in columns:
                if o not in g.index:
                    row.append("\u2013")
                    continue
                r = g.loc[o]
                row.append(_diff_cell(r["effect"], r["ci_low"], r["ci_high"], share,
                                      plots.good_direction(o)).replace("\u0394 ", ""))
            rows.append(row)
        return rows

    header = ["#", "stance removed (or reversed)", "the article's words"] + [
        _e("change in " + outcome_label(o, spec)) for o, _ in columns]
    head = _table(header, rows_of(order[:top]))
    rest = _table(header, rows_of(order[top:])) if len(order) > top else ""
    return head, rest


def sweep_headline(runs: pd.DataFrame, spec: dict, days: int | None = None) -> tuple[str, str]:
    """(the extremes of each outcome over the design points, the table of every point).
    A design point is named by the fields the sweep varied (not the per-replicate draws
    of the others); outcomes that change across the points come first."""
    from sim.experiments.jobs import design_columns
    from sim.outcomes import get, summary

    ok = runs[runs["status"] == "ok"]
    params = design_columns(runs) or [c for c in ok.columns if c.startswith("param:")][:1]
    h = _headline_values(ok, {n: spec for n in ok["scenario"].unique()}, days)
    h[params] = ok[params].to_numpy()
    outs = _sweep_outcomes(h.columns, h)
    pts = []
    for point, g in h.groupby("point"):
        row = {p: g[p].iloc[0] for p in params}
        for o in outs:
            row[o] = summary(g[o])[:3]
        pts.append(row)
    share = {o: get(o).kind == "share" for o in outs}

    def cells(r):
        return [_e(f"{r[p]:.3g}") for p in params] + [_cell(*r[o], share[o]) for o in outs]

    header = [_e(param_label(p, spec)) for p in params] + [_e(outcome_label(o, spec)) for o in outs]
    every = _table(header, [cells(r) for r in pts], num_from=0)
    ext = []
    for o in outs:
        ms = [r[o][0] for r in pts]
        if all(m != m for m in ms):
            continue
        lo_r, hi_r = pts[int(np.nanargmin(ms))], pts[int(np.nanargmax(ms))]
        if np.nanmin(ms) == np.nanmax(ms):
            ext.append([_e(outcome_label(o, spec)), f"the same at every design point: {_cell(*lo_r[o], share[o])}", ""])
            continue
        at = lambda r: ", ".join(f"{param_label(p, spec)} = {r[p]:.3g}" for p in params)  # noqa: E731
        ext.append([_e(outcome_label(o, spec)), _cell(*lo_r[o], share[o]) + f"<span class='d'>{_e(at(lo_r))}</span>",
                    _cell(*hi_r[o], share[o]) + f"<span class='d'>{_e(at(hi_r))}</span>"])
    head = _table(["outcome (share of runs, or median [5-95% of runs])", "lowest design point",
                   "highest design point"], ext)
    return head, every


# ============================================================================ the run story
def _unilateral(ag: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(agreements, unilateral moves) of a record table; a ``type`` column equal to
    ``unilateral`` marks a move (the model may or may not write one)."""
    if "type" in ag.columns:
        uni = ag["type"].astype(str).str.lower() == "unilateral"
        return ag[~uni], ag[uni]
    return ag, ag.iloc[0:0]


def _bench(r) -> str:
    """The agreement's bargaining benchmark in words (sim/analysis/bargaining.py), if the
    table has it."""
    gap, share = getattr(r, "pareto_gap", None), getattr(r, "nash_share", None)
    if gap is None or gap != gap:
        return ""
    where = ("on the Pareto frontier" if abs(gap) < 1e-6
             else f"{gap:.3f} below the Pareto frontier (every signatory could have gained that much more)")
    nash = "" if share is None or share != share else f"; Nash product {share:.2f} of the Nash solution's"
    return f" — {where}{nash}"


def run_story(s: dict, ag: pd.DataFrame, record: pd.DataFrame | None = None) -> str:
    """The run in day order: agreements, unilateral moves (from ``record`` - the run's
    record.csv - or from a ``type`` column of the agreements), scheduled events; then
    each issue against its status quo."""
    spec = s.get("scenario_spec", {})
    names = {**actor_names(spec), **(s.get("actor_labels") or {})}
    o = s["outcomes"]
    agreements, moves = _unilateral(ag)
    has_moves = "type" in ag.columns
    if record is not None and "type" in record.columns:
        moves, has_moves = _unilateral(record)[1], True
    items = []                                  # (day, order, html): the story in day order
    for r in agreements.itertuples():
        parties = str(getattr(r, "parties", "") or "")
        keys = parties.split(";") if parties and parties != "nan" else [r.party_a, r.party_b]
        mediator = str(getattr(r, "mediator", "") or "")
        mediator = "" if mediator == "nan" else mediator
        who = "\u2013".join(names.get(k, k) for k in keys if k != mediator)
        if mediator:
            who += f", through {names.get(mediator, mediator)}'s text"
        changes = str(r.changes).replace("->", " \u2192 ")
        items.append((int(r.day), 1, f"Day {int(r.day)} ({_e(r.date)}): <b>{_e(who)}</b> agree "
                                     f"[{_e(getattr(r, 'level', ''))}]: {_e(changes)}{_e(_bench(r))}"))
    for r in moves.itertuples():
        actor = (getattr(r, "actor", None) or str(getattr(r, "actors", "") or "").split(";")[0]
                 or getattr(r, "party_a", ""))
        what = getattr(r, "changes", "") or getattr(r, "label", "")
        items.append((int(r.day), 2, f"Day {int(r.day)}: <b>{_e(names.get(actor, actor))}</b> acts alone: "
                                     f"{_e(str(what).replace('->', ' \u2192 '))}"))
    for ev in s.get("events") or []:
        items.append((int(ev.get("day", 0)), 0, f"Day {_e(ev.get('day'))}: scheduled event \u2013 "
                                                 f"{_e(ev.get('label') or ev.get('type'))}"))
    items = [t for _, _, t in sorted(items, key=lambda x: x[:2])]
    if not len(agreements):
        items.insert(0, "No agreement in the run.")
    items = [f"<li>{t}</li>" for t in items]
    n_ag, n_mv = len(agreements), len(moves)
    lede = (f"{plural(n_ag, 'agreement')}"
            + (f", {plural(n_mv, 'unilateral move')}" if has_moves else "")
            + f", {plural(len(s.get('events') or []), 'scheduled event')} in {s['horizon_days']} days.")
    issues = []
    for r in s["issues"]:
        delta = r["final_value"] - r["status_quo"]
        agreed = f"day {int(r['first_agreed_day'])}" if r.get("agreed") else "no"
        forecast = []
        if "forecast" in r:                     # results of the second round on
            rounds = r.get("forecast_rounds")
            how = _e(r.get("forecast_status", "")) + (f" <small>({int(rounds)} rounds)</small>"
                                                      if rounds is not None and rounds == rounds and rounds > 0 else "")
            forecast = [fmt(r["forecast"]), how, fmt(r.get("cm_mean"))]
        issues.append([_e(issue_label(r["issue"], spec)), _e(r.get("kind", "")), fmt(r["status_quo"]),
                       fmt(r["final_value"]), f"{delta:+.2f}" if abs(delta) >= 0.005 else "0.00", agreed, *forecast])
    window = ((spec.get("protocol") or {}).get("stalemate_window")) or 30
    if s["horizon_days"] < window:
        stale = f"too short to judge a stalemate (it needs {window} days)"
    elif o.get("stalemate") is None and "stalemate" in o:
        stale = "no stalemate to judge (the protocol makes no agreements)"
    else:
        stale = "stalemate at the end" if o.get("stalemate") else "no stalemate at the end"
    first = o.get("time_to_first_agreement")
    stocks = [k.split(":", 1)[1] for k in o if k.startswith("stock_cumulative:")]
    labels = {k: (v or {}).get("label") or k for k, v in
              ((spec.get("environment") or {}).get("stocks") or {}).items()}
    levels = "".join(f"{labels.get(k, k).capitalize()}: peak {fmt(o.get(f'stock_peak:{k}'))}, final "
                     f"{fmt(o.get(f'stock_final:{k}'))}, {fmt(o.get(f'stock_cumulative:{k}'), 1)} level-days in all. "
                     for k in stocks)
    if not stocks and "pressure_cumulative" in o:            # a result of the first-round model
        levels = (f"Pressure at the border: peak {fmt(o.get('pressure_peak'))}, final "
                  f"{fmt(o.get('pressure_final'))}, {fmt(o.get('pressure_cumulative'), 1)} pressure-days in all. ")
    pressure = (f"{levels}First agreement: "
                f"{'none' if first is None or first != first else f'on day {int(first)}'}; {stale}.")
    protocol = s.get("protocol") or (spec.get("protocol") or {}).get("name", "alternating_offers")
    extra = ([f"forecast ({_e(protocol.replace('_', ' '))})", "how the protocol ended", "compromise model"]
             if issues and len(issues[0]) > 6 else [])
    return (f"<p class='lede'><b>{_e(lede)}</b> {_e(pressure)} Protocol: <code>{_e(protocol)}</code>.</p>"
            f"<ul class='story'>{''.join(items)}</ul>"
            "<p>Each issue at the end, against the status quo; the protocol's forecast beside the compromise "
            "model's (the capability × salience weighted mean of the ideal points: the yardstick):</p>"
            + _table(["issue (0 and 1 mean)", "kind", "status quo", "final", "change", "agreed", *extra], issues,
                     num_from=2))


def run_parameters(s: dict) -> str:
    spec = s.get("scenario_spec", {})
    rows = []
    for a, d in (spec.get("actors") or {}).items():
        t = d.get("tactic") or {}
        ex = ", ".join(f"{k} {fmt(v)}" for k, v in (d.get("exposure") or {}).items()) or "\u2013"
        rows.append([_e(d.get("name", a)), fmt(d.get("capability")), fmt(t.get("e")), fmt(d.get("reservation")),
                     _e(ex)])
    actors = _table(["actor", "capability", "concession exponent e", "reservation gain", "exposure (cost per unit)"],
                    rows, num_from=1)
    other = []
    for sec in ("crisis", "environment", "blame", "unilateral", "agreements", "protocol"):
        for k, v in _flatten(spec.get(sec) or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith("stocks."):
                other.append([_e(param_label(f"{sec}.{k}", spec)) + f" <small><code>{sec}.{k}</code></small>", fmt(v)])
    return "<h2>Parameters</h2>" + actors + _table(["parameter", "value"], other, num_from=1)


# ============================================================================ the page
def write_report(folder, protocol: str | None = None) -> Path:
    """Write ``folder/report.html`` (a temporary name, then a rename) and return its path;
    ``protocol`` keeps a comparison to that protocol and the compromise yardstick (and
    checks that any other folder holds runs of it)."""
    mode_label = ""
    from sim.results import atomic_write

    folder = Path(folder)
    kind = kind_of(folder)
    check_protocol(folder, protocol)
    if kind == "calibration":
        state = _calibration_state(folder)
        return write_calibration_report(folder, state.get("scenario", folder.name),
                                        pd.read_csv(folder / "generations.csv"), pd.read_csv(folder / "intervals.csv"),
                                        pd.read_csv(folder / "predictive.csv"), state.get("settings") or {},
                                        state.get("command"))
    figs = draw_figures(folder, protocol)
    head, after, specs, ref_name = "", [], {}, None
    if kind == "run":
        s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        spec = s.get("scenario_spec", {})
        specs = {s["scenario"]: spec}
        title = f"Run of {s['scenario']}: seed {s['seed']}, {s['horizon_days']} days from {s['start_date']}"
        command = s.get("command") or ["run_sim.py", "run", s["scenario"], "--seed", str(s["seed"])]
        ag = pd.read_csv(folder / "agreements.csv")
        rec = pd.read_csv(folder / "record.csv") if (folder / "record.csv").exists() else None
        head = "<h2>The story of the run</h2>" + run_story(s, ag, rec)
        after.append(run_parameters(s))
        after.append(_links(folder, ["summary.json", "agreements.csv", "offers.csv", "timeseries.csv"]))
    elif kind == "compare":
        m = _manifest(folder)
        specs = m["job"]["scenarios"]
        base = _base_spec(m)
        name = base.get("name", folder.name).split("~")[0]
        command = m.get("command") or ["(Python API)"]
        from sim.experiments.jobs import parameters_label

        mode_label = parameters_label(m["job"].get("parameters", "fixed"))
        t = _compared(folder, protocol)[0]
        protocols = list(dict.fromkeys(t["protocol"]))
        title = (f"{plural(len(protocols), 'protocol')} on {name}: {plural(m['job']['reps'], 'replication')} "
                 "each, against the compromise model")
        rows = []
        for issue, g in t.groupby("issue", sort=False):
            g = g.set_index("protocol")
            cells = [f"{g.loc[p, 'median']:.2f} <small>[{g.loc[p, 'p05']:.2f}, {g.loc[p, 'p95']:.2f}]</small>"
                     + ("" if p == "compromise" else
                        f"<span class='d'>|Δ compromise| {g.loc[p, 'vs_compromise']:.2f}</span>")
                     for p in protocols]
            rows.append([_e(issue_label(issue, base)), fmt(g["status_quo"].iloc[0]), *cells])
        diff_file = folder / "differences.csv"
        if diff_file.exists():
            import re

            from sim.experiments.compare import differences_markdown

            diffs = pd.read_csv(diff_file)           # only the protocols shown (report --protocol)
            diffs = diffs[diffs["a"].isin(protocols) & (diffs["b"].isin(protocols) | (diffs["kind"] == "distance"))]
            md = differences_markdown(diffs)
            md = re.sub(r"\*\*(.*?)\*\*", r"<b>\1</b>", _e(md))
            overall = "".join(f"<p>{ln[2:] if ln.startswith('- ') else ln}</p>" for ln in md.split("\n") if ln)
        else:
            dist = t.groupby("protocol", sort=False)["vs_compromise"].mean()
            overall = ("<p>Mean over issues of the median distance: "
                       + "; ".join(f"{_e(p)} {dist[p]:.3f}" for p in protocols if p != "compromise") + ".</p>")
        head = ("<h2>Issue by issue</h2><p>Each protocol's forecast of each issue: the median and 5–95% range "
                "over the replications (every protocol on the same parameter draws and random streams), on the "
                "issue's own scale; under it, the median distance from the compromise model's forecast of the "
                "same replication (the capability × salience weighted mean: the yardstick a heavier model "
                "has to beat). The ranges are the spread of the runs; the intervals below are of means.</p>"
                + _table(["issue", "status quo", *[_e(p.replace("_", " ")) for p in protocols]], rows, 1)
                + overall)
        after.append(_links(folder, ["comparison.csv", "forecasts.csv", "differences.csv", "runs.parquet",
                                     "manifest.json"]))
        specs = {name: {**base, "name": name}}
    else:
        m = _manifest(folder)
        specs = m["job"]["scenarios"]
        from sim.experiments.jobs import parameters_label

        mode_label = parameters_label(m["job"].get("parameters", "fixed"))
        command = m.get("command") or ["(Python API)"]
        reps, n_runs = m["job"]["reps"], m["n_runs"]
        failed = m.get("n_failed") or 0
        fail = f"; {plural(failed, 'run')} failed (runs.parquet: status, error)" if failed else ""
        raw = ["summary.csv", "runs.parquet", "manifest.json"]
        if kind == "batch":
            title = (f"Batch: {len(specs)} scenario{'s' if len(specs) != 1 else ''}, "
                     f"{plural(reps, 'replication')} each")
            table, ref_name = batch_headline(_ok_runs(folder), specs, m["job"].get("days"))
            head = (f"<h2>Headline</h2><p>Over {plural(reps, 'run')} per scenario: shares of runs with the 95% "
                    "Wilson interval of the share (it shrinks with more runs); numbers as the median with the "
                    "5–95% range of the runs (the spread a reader should expect; it does not shrink). "
                    f"\u0394: the mean difference from <code>{_e(ref_name)}</code> on the same random streams "
                    "(paired; 95% interval of the mean, which shrinks with more runs; blue better, red worse for "
                    f"the crisis){_e(fail)}.</p>" + table)
            after.append(_links(folder, [*raw, "series.parquet"]))
        elif kind == "sweep":
            spec = _base_spec(m)
            n_points = len(m["job"].get("points") or [])
            title = (f"Sweep of {next(iter(specs))}: {plural(n_points, 'design point')} "
                     f"({m['job'].get('design', 'grid')}) \u00d7 {plural(reps, 'replication')}")
            ext, every = sweep_headline(pd.read_parquet(folder / "runs.parquet"), spec, m["job"].get("days"))
            head = ("<h2>Headline</h2><p>The outcomes against the varied parameters (figure below: one mean per "
                    f"design point); the design points where each outcome is lowest and highest{_e(fail)}:</p>" + ext)
            after.append(f"<details><summary>Every design point ({n_points})</summary>{every}</details>")
            after.append(_links(folder, raw))
        elif kind == "ablation":
            eff = pd.read_csv(folder / "ablation.csv").fillna({"quote": ""})
            spec = _base_spec(m)
            base = spec.get("name", "")
            n_var = eff["variant"].nunique()
            title = f"Stance ablation of {base}: {plural(n_var, 'variant')} \u00d7 {plural(reps, 'replication')}"
            top, rest = ablation_headline(eff, spec)
            head = ("<h2>Headline</h2><p>Each stance of the scenario removed (channel stances also reversed), "
                    f"run on the same random streams as the unchanged <code>{_e(base)}</code>; the mean change "
                    "with its 95% interval, largest first (blue: better for the crisis, red: worse, grey: no "
                    f"change){_e(fail)}.</p>" + top)
            if rest:
                after.append(f"<details><summary>The other {n_var - 10} variants</summary>{rest}</details>")
            after.append(_links(folder, ["ablation.csv", *raw]))
            specs = {base: spec}
        else:
            table = pd.read_csv(folder / "sensitivity.csv").fillna({"note": ""})
            spec = _base_spec(m)
            base = spec.get("name", "")
            method = "Sobol'" if "ST" in set(table["index"]) else "Morris"
            n_points = m["n_runs"] // max(1, reps)
            title = (f"Sensitivity of {base}: {method}, {table['parameter'].nunique()} parameters, "
                     f"{n_points} sample points")
            head = "<h2>Headline</h2>" + sensitivity_headline(table, spec)
            from sim.experiments.sensitivity import warnings_of

            warn = warnings_of(table)
            if warn:
                head += ("<p style='color:#a00'><b>How sure:</b> " + "<br>".join(_e(w) for w in warn)
                         + ". Parameters whose intervals overlap are not ordered by this sample "
                           "(sensitivity.csv: rank).</p>")
            if (folder / "convergence.png").exists():
                head += (f'<figure><img alt="convergence" src="data:image/png;base64,{base64.b64encode((folder / "convergence.png").read_bytes()).decode()}">'
                         "<figcaption>The total indices against the base sample size N (prefixes of the "
                         "same sample).</figcaption></figure>")
            after.append(_links(folder, ["sensitivity.csv", "convergence.csv", *raw]))
            specs = {base: spec}
        del n_runs
    if mode_label:
        title = f"{title} \u2014 {mode_label}"
    fig_html = "".join(f'<figure id="fig-{_e(n)}"><img alt="{_e(n)}" src="{_img(f)}">'
                       f"<figcaption>{_e(c)}</figcaption></figure>" for n, (f, c) in figs.items())
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title><style>{CSS}</style></head>
<body><h1>{_e(title)}</h1>
<section class="headline">{head}</section>
<h2>Figures</h2>{fig_html}
{''.join(after)}
{_scenario_section(specs, ref_name)}
<p class="meta">Command: <code>{_e(' '.join(map(str, command)))}</code><br>
Written {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by diplosim. Everything above is in this file; the raw
tables it links sit beside it.</p>
</body></html>
"""
    return atomic_write(folder / "report.html", doc)


# ============================================================================ calibration
def _calibration_state(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ReportError(f"{folder}/state.json is unreadable") from None


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
        plots._date_axis(ax)
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

    from sim.experiments.calibration import misfit_sentence, stop_sentence

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
    title = f"Calibration of {name}"
    doc = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{_e(title)}</title><style>{CSS}
table{{max-width:100%;display:block;overflow-x:auto}}</style></head>
<body><h1>{_e(title)}</h1>
<section class="headline">{head}</section>
{method}
<h2>Posterior-predictive check</h2><figure id="fig-posterior_predictive"><img alt="posterior predictive" src="{src}">
<figcaption>Observed data (dots) over the prior's and the posterior's predictive 5-95% bands.</figcaption></figure>
{diag}{data}
{_links(out, ["posterior.parquet", "intervals.csv", "generations.csv", "predictive.csv"])}
<p class="meta">Command: <code>{_e(' '.join(map(str, command or ['(Python API)'])))}</code><br>
Written {dt.datetime.now().strftime('%Y-%m-%d %H:%M')} by diplosim. Everything above is in this file; the raw
tables it links sit beside it.</p>
</body></html>
"""
    return atomic_write(out / "report.html", doc)
