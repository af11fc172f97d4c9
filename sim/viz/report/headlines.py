"""The headline tables of an experiment: a batch (scenarios as columns, paired
differences), a sweep, an ablation, a sensitivity analysis."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from sim.viz import plots
from sim.viz.labels import actor_names, outcome_label, param_label
from sim.viz.report.page import _cell, _dec, _diff_cell, _e, _table
from sim.viz.report.reading import _reference

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
