"""Figures of an experiment (a batch, a sweep, an ablation, a sensitivity analysis, a
protocol comparison), drawn from its tables; each takes an optional ``ax``/``axes`` and
returns the Axes or Figure."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.viz.style import BAD, GOOD, NEUTRAL, SCENARIO_PALETTE, _date_axis, _wrap, distinct_colors, protocol_color

# +1: a larger value is better for the crisis, -1: smaller is better, 0: neither. A
# stock's cumulative, peak or final level (people at a border, ...) counts as a cost.
GOOD_DIRECTION = {"any_political": 1, "any_agreement": 1, "days_to_first_agreement": -1,
                  "time_to_first_agreement": -1, "pressure_cumulative": -1, "pressure_peak": -1,
                  "stalemate": -1}


def good_direction(outcome: str) -> int:
    """+1, -1 or 0: the registry's ``good`` (:mod:`sim.outcomes`)."""
    from sim.outcomes import get

    return get(outcome).good


def ablation_outcomes(eff: pd.DataFrame, k: int = 4) -> list[str]:
    """The ``k`` outcomes an ablation shows (figure panels, headline columns): among any
    deal, any political deal, the day of the first deal, unilateral moves, the first
    stock's cumulative level and the pairs' deals, those some stance moves (an
    interval that excludes 0) first, in that order, pairs by their largest effect."""
    have = list(dict.fromkeys(eff["outcome"]))
    stocks = sorted(o for o in have if str(o).startswith("stock_cumulative:"))
    base = [o for o in ("any_agreement", "any_political", "days_to_first_agreement", "n_unilateral",
                        "pressure_cumulative") if o in have] + stocks[:1]
    pairs = [o for o in have if str(o).startswith("pair:")]
    big = eff[eff["outcome"].isin(pairs)].assign(a=lambda d: d["effect"].abs()).groupby("outcome")["a"].max()
    pairs = sorted(pairs, key=lambda o: -big.get(o, 0.0))
    moves = eff.assign(m=(eff["ci_low"] > 0) | (eff["ci_high"] < 0)).groupby("outcome")["m"].any()
    moving = [o for o in base + pairs if moves.get(o, False)]
    still = [o for o in base if o not in moving]
    return (moving + still)[:k]


def plot_ablation(effects: pd.DataFrame, outcomes=None, top: int = 10, axes=None,
                  actor_names: dict | None = None):
    """What each stance does: the paired (common random numbers) effect of removing
    or reversing it on each outcome, 95% intervals, stances ranked by effect, each
    labelled with the article's sentence that grounds it. Bars are blue where the
    change is good for the crisis (more deals, sooner, less of a crisis stock), red
    where it is bad, grey where the interval covers zero or the outcome has no good side."""
    if outcomes is None:                  # the outcomes some stance moves, first
        outcomes = tuple(ablation_outcomes(effects))
    e = effects[effects["outcome"].isin(outcomes)]
    ranked = e.drop_duplicates("variant").sort_values("rank")["variant"].tolist()
    order = ranked[:top]
    names = actor_names or {}
    if axes is None:
        fig, axes = plt.subplots(1, len(outcomes), figsize=(3.0 * len(outcomes) + 4.4, 0.62 * len(order) + 1.9),
                                 sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    ypos = list(range(len(order)))[::-1]
    for ax, outcome in zip(axes, outcomes):
        d = e[e["outcome"] == outcome].set_index("variant").loc[order]
        scale = 100.0 if outcome.startswith(("any_", "pair:", "agreed:")) else 1.0
        eff, lo, hi = d["effect"] * scale, d["ci_low"] * scale, d["ci_high"] * scale
        sign = good_direction(outcome)
        # grey where the interval covers zero (no detectable change) or the outcome has no good side
        colors = [NEUTRAL if not sign or lo_ <= 0 <= hi_ else (GOOD if v * sign > 0 else BAD)
                  for v, lo_, hi_ in zip(eff, lo, hi)]
        ax.barh(ypos, eff, color=colors, alpha=0.9)
        ax.errorbar(eff, ypos, xerr=[(eff - lo).clip(lower=0), (hi - eff).clip(lower=0)], fmt="none",
                    ecolor="black", capsize=3, lw=1)
        ax.axvline(0, color="black", lw=0.8)
        unit = " (percentage points)" if scale == 100 else ""
        ax.set_xlabel(_wrap(f"change in {d['outcome_label'].iloc[0]}{unit}", 36, 2), fontsize=8)
        ax.tick_params(axis="x", labelsize=8)
        ax.grid(axis="x", alpha=0.3)
    labels = []
    for v in order:
        row = e[e["variant"] == v].iloc[0]
        who = names.get(row["actor"], row["actor"])
        labels.append(f"{_wrap(row['operation'] + ' ' + who + ': ' + row['stance_rule'], 52, 2)}\n"
                      + (f"\u201c{_wrap(row['quote'], 52, 2)}\u201d" if isinstance(row['quote'], str) and row['quote']
                       else '(no quote: the record or an assumption)'))
    axes[0].set_yticks(ypos)
    axes[0].set_yticklabels(labels, fontsize=7.5)
    from matplotlib.patches import Patch

    neutral = "no detectable change (95% CI covers 0), or an outcome with no better side (unilateral moves)"
    fig.legend(handles=[Patch(color=GOOD, label="better for the crisis (more deals, sooner, less pressure)"),
                        Patch(color=BAD, label="worse"), Patch(color=NEUTRAL, label=neutral)],
               loc="lower center", ncol=3, fontsize=8, frameon=False)
    shown = f"the {len(order)} largest of {len(ranked)} variants" if len(order) < len(ranked) else \
        f"all {len(ranked)} variants"
    fig.suptitle(f"What each stance does: removing (or reversing) it, vs the unchanged scenario \u2013 {shown}\n"
                 "(same random streams; bars: mean change, whiskers: 95% CI)", fontsize=9)
    fig.tight_layout(rect=(0, 0.05, 1, 1))
    return fig


def plot_sensitivity(indices: pd.DataFrame, axes=None, labels: dict | None = None):
    """Sobol' first-order and total indices (or Morris mu* and sigma) per parameter,
    one panel per outcome, 95% intervals; ``labels`` maps a parameter path to a
    readable name."""
    outcomes = [o for o in indices["outcome"].unique()
                if indices.loc[indices["outcome"] == o, "value"].notna().any()]
    kinds = list(dict.fromkeys(indices["index"]))
    n_params = indices["parameter"].nunique()
    if axes is None:
        # two lines of 8-point label per parameter, and room for the note under the panels
        fig, axes = plt.subplots(1, max(1, len(outcomes)), figsize=(2.6 * max(1, len(outcomes)) + 4,
                                                                    max(4.4, 0.36 * n_params + 2.0)),
                                 sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    # largest first (on top): the parameter's largest main index (ST or mu*) over the outcomes
    main_kind = next((k for k in ("ST", "mu_star") if k in kinds), kinds[0])
    main = indices[indices["index"] == main_kind].groupby("parameter", sort=False)["value"].max().fillna(-1.0)
    params = main.sort_values(ascending=False, kind="stable").index.tolist()
    y = np.arange(len(params))[::-1]
    h = 0.38
    for ax, outcome in zip(axes, outcomes):
        d = indices[indices["outcome"] == outcome]
        for n, (kind, color) in enumerate(zip(kinds, ["#0072B2", "#E69F00"])):
            k = d[d["index"] == kind].set_index("parameter").loc[params]
            off = (0.5 - n) * h
            err = np.vstack([(k["value"] - k["ci_low"]).clip(lower=0), (k["ci_high"] - k["value"]).clip(lower=0)])
            ax.barh(y + off, k["value"], height=h, color=color, label=kind,
                    xerr=None if np.isnan(err).all() else np.nan_to_num(err), capsize=2)
        ax.set_title(_wrap(d["outcome_label"].iloc[0], 28, 2), fontsize=9)
        ax.axvline(0, color="black", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels([_wrap((labels or {}).get(p, p), 34, 2) for p in params], fontsize=8)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Which modelling choices the outcome hangs on (global sensitivity, SALib; 95% CI)", fontsize=9)
    constant = [indices.loc[indices["outcome"] == o, "outcome_label"].iloc[0]
                for o in indices["outcome"].unique() if o not in outcomes]
    if constant:
        width_chars = int(fig.get_figwidth() * 72 / 7 * 1.6)      # ~ characters of 7-point text per line
        note = _wrap("Constant over the sample (nothing to attribute): " + "; ".join(constant), width_chars, 3)
        fig.text(0.01, 0.005, note, fontsize=7, va="bottom")
        lines = note.count("\n") + 1
        fig.tight_layout(rect=(0, (lines * 7 * 1.3 + 6) / 72 / fig.get_figheight(), 1, 1))
    else:
        fig.tight_layout()
    return fig


def plot_protocol_comparison(table: pd.DataFrame, forecasts: pd.DataFrame, ax=None):
    """One scenario under several protocols (``compare-protocols``): one block of rows
    per issue, one row per protocol; each dot a replication's forecast of the issue
    (runs that split into groups show as groups), a bar at the median, the status quo
    as a grey line. ``table`` and ``forecasts`` are the comparison's
    (:func:`sim.experiments.compare.compare_protocols`). The axis is the issues' own
    scale when they share one, else each issue's range mapped to [0, 1]."""
    issues = list(dict.fromkeys(table["issue"]))
    protocols = list(dict.fromkeys(table["protocol"]))
    n = len(protocols)
    lo = table.groupby("issue")["scale_low"].first() if "scale_low" in table else pd.Series(0.0, index=issues)
    hi = table.groupby("issue")["scale_high"].first() if "scale_high" in table else pd.Series(1.0, index=issues)
    shared = lo.nunique() == 1 and hi.nunique() == 1

    def x_of(issue, v):
        v = np.asarray(v, dtype=float)
        return v if shared else (v - lo[issue]) / (hi[issue] - lo[issue])

    if ax is None:
        fig, ax = plt.subplots(figsize=(8.5, 0.32 * n * len(issues) + 0.35 * len(issues) + 1.4))
    rng = np.random.default_rng(0)            # jitter only: fixed, so the figure is reproducible
    ticks, labels = [], []
    for b, issue in enumerate(issues):
        top = b * (n + 1)
        for m, p in enumerate(protocols):
            y = -(top + m)
            v = forecasts[(forecasts["issue"] == issue) & (forecasts["protocol"] == p)]["forecast"].to_numpy(float)
            color = protocol_color(p) or distinct_colors(m + 1)[m]
            ax.scatter(x_of(issue, v), y + rng.uniform(-0.28, 0.28, len(v)), s=10, color=color, alpha=0.45,
                       linewidths=0, label=p.replace("_", " ") if b == 0 else "_")
            if len(v):
                ax.vlines(x_of(issue, np.median(v)), y - 0.4, y + 0.4, color=color, lw=2.4)
        sq = table[table["issue"] == issue]["status_quo"].iloc[0]
        ax.vlines(x_of(issue, sq), -(top + n - 0.5), -(top - 0.5), color="grey", lw=2.5, alpha=0.45,
                  label="status quo" if b == 0 else "_")
        ticks.append(-(top + (n - 1) / 2))
        labels.append(issue)
        if b:
            ax.axhline(-(top - 1), color="#dddddd", lw=0.8)
    ax.set_yticks(ticks)
    ax.set_yticklabels(labels, fontsize=8)
    ax.set_xlabel("forecast, on the issue's scale" if shared else "forecast (each issue's range mapped to [0, 1])")
    ax.set_title("Each protocol's forecast of each issue: dots are replications (the same parameter draws\n"
                 "and random streams for every protocol), bars the medians; the compromise model is the yardstick",
                 fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="x", alpha=0.3)
    ax.figure.tight_layout()
    return ax


def _scenario_colors(names):
    return dict(zip(names, distinct_colors(len(names), SCENARIO_PALETTE)))


def plot_agreement_probability(runs: pd.DataFrame, axes=None, actor_names: dict | None = None,
                               top_pairs: int = 15):
    """The headline comparison: per scenario, the probability (share of runs, 95%
    Wilson interval) of any / any political agreement, of an agreement on each issue,
    and of an agreement between each pair of actors (named by ``actor_names``) that
    agreed in some run (the ``top_pairs`` most likely; the count of the others is
    said). Horizontal bars, one panel under the other, so long names read level."""
    from sim.experiments.stats import wilson_interval

    ok = runs[runs["status"] == "ok"]
    scen = list(dict.fromkeys(ok["scenario"]))
    issue_cols = [c for c in ok.columns if c.startswith("agreed:")]
    pair_all = sorted(c for c in ok.columns if c.startswith("pair:"))
    share = {c: float((ok[c].fillna(0).astype(float) > 0).groupby(ok["scenario"]).mean().max()) for c in pair_all}
    pair_cols = sorted((c for c in pair_all if share[c] > 0), key=lambda c: (-share[c], c))[:top_pairs]
    hidden = len(pair_all) - len(pair_cols)
    groups = [("any agreement", ["any_agreement", "any_political"]), ("agreement on each issue", issue_cols),
              ("agreement between each pair" + (f" (the {len(pair_cols)} most likely)"
                                                if sum(v > 0 for v in share.values()) > len(pair_cols) else ""),
               pair_cols)]
    groups = [g for g in groups if g[1]]
    rows = [len(cols) for _, cols in groups]
    height_of = 0.16 * max(1, len(scen)) + 0.12            # inches per row of bars
    if axes is None:
        fig, axes = plt.subplots(len(groups), 1, figsize=(9, sum(rows) * height_of + 0.75 * len(groups) + 1.5),
                                 gridspec_kw={"height_ratios": rows}, squeeze=False, sharex=True)
        axes = axes[:, 0]
    fig = axes[0].figure
    colors = _scenario_colors(scen)
    h = 0.8 / max(1, len(scen))
    for ax, (title, cols) in zip(axes, groups):
        for n, sname in enumerate(scen):
            g = ok[ok["scenario"] == sname]
            est, lo, hi = [], [], []
            for c in cols:
                v = (g[c].fillna(0).astype(float) > 0) if c in g else pd.Series([], dtype=bool)
                k, m = int(v.sum()), len(v)
                a, b = wilson_interval(k, m)
                est.append(k / m if m else np.nan)
                lo.append(a)
                hi.append(b)
            y = -np.arange(len(cols)) - (n - (len(scen) - 1) / 2) * h
            est, lo, hi = map(np.asarray, (est, lo, hi))
            ax.barh(y, est, height=h, color=colors[sname], label=sname, alpha=0.9)
            ax.errorbar(est, y, xerr=[est - lo, hi - est], fmt="none", ecolor="black", lw=0.8, capsize=2)
        ax.set_yticks(-np.arange(len(cols)), [_wrap(_tick(c, actor_names), 40, 1) for c in cols], fontsize=8)
        ax.set_xlim(0, 1.02)
        ax.set_ylim(-len(cols) + 0.5, 0.5)
        ax.set_title(title, fontsize=9, loc="left")
        ax.grid(axis="x", alpha=0.3)
    xlabel = "probability (share of runs, 95% CI)"
    if hidden:
        never = sum(1 for c in pair_all if share[c] == 0)
        said = [f"{hidden - never} less likely" if hidden > never else "",
                f"{never} that never agreed in these runs" if never else ""]
        xlabel += "\npairs not shown: " + ", ".join(x for x in said if x)
    axes[-1].set_xlabel(xlabel, fontsize=9)
    handles, names = axes[0].get_legend_handles_labels()
    axes[0].legend(handles, [_wrap(x, 28, 2) for x in names], loc="upper left", bbox_to_anchor=(1.01, 1.0),
                   fontsize=8, frameon=False)
    n_runs = ok.groupby("scenario").size().min()
    fig.suptitle(f"Which scenario makes a deal most likely? ({n_runs} runs per scenario)", fontsize=11)
    fig.tight_layout()
    return fig


def _tick(col: str, actor_names: dict | None = None) -> str:
    """A column name as a tick label: ``agreed:migrant_flow`` -> ``migrant flow``,
    ``pair:poland-belarus`` -> ``Poland–Belarus``."""
    kind, _, rest = col.partition(":")
    if not rest:
        return {"any_agreement": "any", "any_political": "political"}.get(col, col.replace("_", " "))
    if kind == "pair" and actor_names:
        from sim.viz.labels import pair_label

        return pair_label(rest, {"actors": {a: {"name": n} for a, n in actor_names.items()}})
    return rest.replace("_", " ")


def plot_pressure_band(series: pd.DataFrame, runs: pd.DataFrame, start_dates: dict | None = None, ax=None,
                       label: str | None = None):
    """The environment's first stock (pressure at the border in the Belarus scenarios)
    over the days: median and 5-95% band per scenario; ``label`` names the stock."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4))
    stocks = sorted(v for v in series["variable"].unique() if str(v).startswith("stock:"))
    p = series[series["variable"] == (stocks[0] if stocks else "")].merge(runs[["run_id", "scenario"]], on="run_id")
    scen = list(dict.fromkeys(runs["scenario"]))
    colors = _scenario_colors(scen)
    for sname in scen:
        g = p[p["scenario"] == sname].groupby("day")["value"]
        q = g.quantile([0.05, 0.5, 0.95]).unstack()
        x = q.index
        if start_dates and sname in start_dates:
            x = pd.Timestamp(start_dates[sname]) + pd.to_timedelta(q.index, unit="D")
        ax.fill_between(x, q[0.05], q[0.95], color=colors[sname], alpha=0.2)
        ax.plot(x, q[0.5], color=colors[sname], lw=2, label=sname)
    name = label or (stocks[0].split(":", 1)[1] if stocks else "stock")
    ax.set_ylabel(_wrap(f"{name} (0-1)", 40, 2), fontsize=8)
    ax.set_ylim(0, 1.05)
    if start_dates:
        _date_axis(ax)
    else:
        ax.set_xlabel("day")
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(alpha=0.3)
    ax.set_title(_wrap(f"{name[:1].upper() + name[1:]}: median and 5-95% of runs per scenario", 90, 2), fontsize=9)
    ax.figure.tight_layout()
    return ax


def plot_first_agreement_ecdf(runs: pd.DataFrame, ax=None):
    """Time to first agreement: empirical CDF per scenario (runs without any
    agreement never arrive, so a curve can end below 1)."""
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4))
    ok = runs[runs["status"] == "ok"]
    scen = list(dict.fromkeys(ok["scenario"]))
    colors = _scenario_colors(scen)
    t_all = ok["time_to_first_agreement"].to_numpy(dtype=float)
    t_all = t_all[~np.isnan(t_all)]
    first, last = (t_all.min(), t_all.max()) if len(t_all) else (0.0, 1.0)
    for sname in scen:
        t = ok.loc[ok["scenario"] == sname, "time_to_first_agreement"].to_numpy(dtype=float)
        n = len(t)
        days = np.sort(t[~np.isnan(t)])
        y = np.arange(1, len(days) + 1) / n
        # the curve starts at 0 just before the earliest first agreement of any scenario
        ax.step(np.r_[first - 1, days, last + 1], np.r_[0, y, y[-1] if len(y) else 0], where="post",
                color=colors[sname], lw=2, label=f"{sname} ({len(days)}/{n} with a deal)")
    ax.set_xlim(first - 1, last + 1)
    ax.set_xlabel("day of the first agreement")
    ax.set_ylabel("share of runs with an agreement by then")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, loc="upper left")
    ax.set_title("When does the first agreement come? (empirical CDF)", fontsize=9)
    ax.figure.tight_layout()
    return ax


def plot_final_values(runs: pd.DataFrame, ax=None, issue_labels: dict | None = None):
    """Final implemented value of each issue, per scenario: one dot per run (jittered
    sideways, so runs that split into groups show as groups) and a black bar at the
    median. ``issue_labels`` maps an issue to its tick label."""
    ok = runs[runs["status"] == "ok"]
    scen = list(dict.fromkeys(ok["scenario"]))
    cols = [c for c in ok.columns if c.startswith("final:")]
    if ax is None:
        fig, ax = plt.subplots(figsize=(min(11.0, max(7.0, 1.6 * len(cols) + 3)), 4.6))
    colors = _scenario_colors(scen)
    w = 0.8 / max(1, len(scen))
    rng = np.random.default_rng(0)            # jitter only: fixed, so the figure is reproducible
    for n, sname in enumerate(scen):
        g = ok[ok["scenario"] == sname]
        x0 = np.arange(len(cols)) + (n - (len(scen) - 1) / 2) * w
        for x, c in zip(x0, cols):
            v = g[c].dropna().to_numpy(dtype=float)
            if not len(v):
                continue
            ax.scatter(x + rng.uniform(-0.35, 0.35, len(v)) * w, v, s=9, color=colors[sname], alpha=0.55,
                       linewidths=0, label=sname if x == x0[0] else "_")
            ax.hlines(np.median(v), x - 0.4 * w, x + 0.4 * w, color="black", lw=1.6)
    ticks = [(issue_labels or {}).get(c.split(":", 1)[1], c.split(":", 1)[1].replace("_", " ")) for c in cols]
    ax.set_xticks(range(len(cols)), [_wrap(t, 12, 3) for t in ticks], fontsize=8)
    for x in np.arange(len(cols) - 1) + 0.5:
        ax.axvline(x, color="#dddddd", lw=0.8)
    ax.set_ylabel("final implemented value (0 = low end, 1 = high end)", fontsize=8)
    ax.set_ylim(-0.05, 1.05)
    ax.legend(fontsize=8, markerscale=2, loc="upper left", bbox_to_anchor=(1.0, 1.0), frameon=False)
    ax.grid(axis="y", alpha=0.3)
    ax.set_title("Where each issue ends: final implemented value of each run (dots), median (bar)", fontsize=9)
    ax.figure.tight_layout()
    return ax


def _is_grid(ok: pd.DataFrame, params: list[str]) -> bool:
    """Design points form a full grid over the varied parameters (not a Latin hypercube)."""
    n_points = ok[params].drop_duplicates().shape[0]
    return int(np.prod([ok[p].nunique() for p in params])) == n_points and n_points > 1


def plot_sweep(runs: pd.DataFrame, outcome: str | None = None, ax=None, labels: dict | None = None):
    """A sweep: the outcome's mean (95% CI) per design point against one varied
    parameter; over two, a heatmap if the points form a grid, else (a Latin
    hypercube) a scatter of the design points coloured by the outcome's mean.
    ``outcome`` defaults to the first stock's cumulative level, else the day of the
    first agreement; ``labels`` maps ``param:FIELD`` (or the outcome) to a readable name."""
    from sim.experiments.stats import mean_interval

    labels = labels or {}
    from sim.experiments.jobs import design_columns

    ok = runs[runs["status"] == "ok"].copy()
    params = design_columns(runs)      # the varied fields, not the per-replicate draws
    if not params:
        raise ValueError("these runs vary no parameter (not a sweep)")
    if outcome is None:      # the first stock's cumulative level, else days to the first agreement
        stocks = [c for c in ok.columns if c.startswith("stock_cumulative:")]
        outcome = stocks[0] if stocks else "time_to_first_agreement"
    y = ok[outcome].astype(float)
    name = labels.get(outcome, outcome)
    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.5))
    if len(params) == 1:
        p = params[0]
        stats = [(v, *mean_interval(g.to_numpy())) for v, g in y.groupby(ok[p])]
        v, m, lo, hi = map(np.asarray, zip(*stats))
        ax.fill_between(v, lo, hi, alpha=0.25, color=SCENARIO_PALETTE[0])
        ax.plot(v, m, marker="o", color=SCENARIO_PALETTE[0])
        ax.set_xlabel(labels.get(p, p[6:]))
        ax.set_ylabel(f"{name}\n(mean, 95% CI)", fontsize=8)
        ax.grid(alpha=0.3)
    elif _is_grid(ok, params[:2]) and len(params) == 2:
        p1, p2 = params[:2]
        grid = y.groupby([ok[p2], ok[p1]]).mean().unstack()
        share = outcome.startswith(("any_", "agreed:", "pair:")) or outcome == "stalemate"
        im = ax.imshow(grid.to_numpy(), origin="lower", aspect="auto", cmap="viridis",
                       vmin=0 if share else None, vmax=1 if share else None)
        step = max(1, grid.shape[1] // 8)
        ax.set_xticks(range(0, grid.shape[1], step), [f"{v:.3g}" for v in grid.columns[::step]], fontsize=8)
        step = max(1, grid.shape[0] // 8)
        ax.set_yticks(range(0, grid.shape[0], step), [f"{v:.3g}" for v in grid.index[::step]], fontsize=8)
        ax.set_xlabel(labels.get(p1, p1[6:]))
        ax.set_ylabel(labels.get(p2, p2[6:]))
        ax.figure.colorbar(im, ax=ax, label=f"mean {name}").ax.yaxis.label.set_size(8)
    else:
        p1, p2 = params[:2]
        pts = ok.groupby("point").agg(x=(p1, "first"), y=(p2, "first"))
        pts["m"] = y.groupby(ok["point"]).mean()
        share = outcome.startswith(("any_", "agreed:", "pair:")) or outcome == "stalemate"
        sc = ax.scatter(pts["x"], pts["y"], c=pts["m"], cmap="viridis", s=60, edgecolors="black", linewidths=0.4,
                        vmin=0 if share else None, vmax=1 if share else None)
        ax.set_xlabel(labels.get(p1, p1[6:]))
        ax.set_ylabel(labels.get(p2, p2[6:]))
        ax.grid(alpha=0.3)
        ax.figure.colorbar(sc, ax=ax, label=f"mean {name}").ax.yaxis.label.set_size(8)
        if len(params) > 2:
            ax.text(0.0, -0.16, f"{len(params) - 2} more varied parameter(s) not shown on the axes",
                    transform=ax.transAxes, fontsize=7)
    ax.set_title(f"Sweep: {name} against the varied parameter{'s' if len(params) > 1 else ''} "
                 f"({ok['point'].nunique()} design points)", fontsize=9)
    return ax
