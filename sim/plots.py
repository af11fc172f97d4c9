"""Figures of a run. Every function takes a :class:`sim.results.RunResult`, an
optional matplotlib ``ax``/``axes`` to draw into, and returns the Axes or Figure,
so a notebook can place it in its own layout and the CLI can save it."""

from __future__ import annotations

import matplotlib.dates as mdates
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

# Okabe-Ito: a colour-blind-safe palette; actors get colours in scenario order.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]


def actor_colors(result) -> dict[str, str]:
    return {a: PALETTE[n % len(PALETTE)] for n, a in enumerate(result.actor_labels)}


def _need_series(result):
    if result.series is None:
        raise ValueError("this result has no daily series: run with series=True")
    return result.series


def _date_axis(ax):
    loc = mdates.AutoDateLocator(maxticks=6)
    ax.xaxis.set_major_locator(loc)
    ax.xaxis.set_major_formatter(mdates.ConciseDateFormatter(loc))


def plot_positions(result, axes=None):
    """Per issue: each actor's stated position (its latest offer) and the implemented
    value over the days; agreements marked and labelled with their parties."""
    s = _need_series(result)
    issues = list(result.issues["issue"])
    if axes is None:
        fig, axes = plt.subplots(len(issues), 1, figsize=(9, 2.1 * len(issues) + 0.6),
                                 sharex=True, squeeze=False)
        axes = axes[:, 0]
    fig = axes[0].figure
    colors = actor_colors(result)
    pos = s[s["variable"] == "position"]
    val = s[s["variable"] == "value"]
    for ax, issue in zip(axes, issues):
        for actor, label in result.actor_labels.items():
            d = pos[(pos["issue"] == issue) & (pos["actor"] == actor)]
            ax.plot(d["date"], d["value"], color=colors[actor], lw=1.2, alpha=0.85, label=label)
        d = val[val["issue"] == issue]
        ax.plot(d["date"], d["value"], color="black", lw=2.4, label="implemented")
        ags = result.agreements[result.agreements[issue].notna()] if len(result.agreements) else []
        for _, ag in (ags.iterrows() if len(ags) else []):
            date = pd.Timestamp(ag["date"])
            ax.axvline(date, color="grey", ls=":", lw=1)
            ax.plot([date], [ag[issue]], marker="*", ms=13, color="gold", mec="black",
                    zorder=5, label="_agreement")
            who = f"{result.actor_labels[ag['party_a']]}–{result.actor_labels[ag['party_b']]}"
            ax.annotate(who, (date, ag[issue]), xytext=(4, 4), textcoords="offset points",
                        fontsize=7)
        row = result.issues.set_index("issue").loc[issue]
        ax.set_ylim(-0.05, 1.05)
        ax.set_ylabel(f"{issue}\n({row['kind']})", fontsize=8)
        ax.grid(alpha=0.3)
    _date_axis(axes[-1])
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    axes[0].set_title(f"{result.scenario}: stated positions and implemented values "
                      f"(0 = low end, 1 = high end; ★ = agreement)", fontsize=10)
    fig.tight_layout()
    return fig


def plot_crisis(result, ax=None):
    """Migration pressure (left axis) and sanctions level (right axis) over the days,
    scheduled events annotated, agreements marked."""
    s = _need_series(result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4))
    p = s[s["variable"] == "pressure"]
    sa = s[s["variable"] == "sanctions"]
    ax.plot(p["date"], p["value"], color="#D55E00", lw=2, label="migration pressure")
    ax.set_ylabel("pressure (1 = border zone full)")
    ax.set_ylim(0, 1.05)
    ax2 = ax.twinx()
    ax2.step(sa["date"], sa["value"], where="post", color="#0072B2", lw=1.8, label="sanctions level")
    ax2.set_ylabel("sanctions level (0-1)")
    ax2.set_ylim(0, 1.05)
    start = pd.Timestamp(result.start_date)
    for n, ev in enumerate(result.events.itertuples()):
        date = start + pd.Timedelta(days=int(ev.day))
        ax.axvline(date, color="#555555", ls="--", lw=1)
        ax.annotate(ev.label, (date, 1.0 - 0.07 * (n % 4)), xytext=(3, -2),
                    textcoords="offset points", fontsize=7, va="top")
    for ag in result.agreements.itertuples():
        date = pd.Timestamp(ag.date)
        ax.axvline(date, color="gold", lw=1.5, alpha=0.8)
        ax.annotate(f"{result.actor_labels[ag.party_a]}–{result.actor_labels[ag.party_b]} "
                    f"({ag.level})", (date, 0.03), rotation=90, fontsize=7, va="bottom",
                    xytext=(2, 0), textcoords="offset points")
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    ax.legend(h1 + h2, l1 + l2, loc="upper right", fontsize=8)
    ax.set_title(f"{result.scenario}: pressure at the border and sanctions "
                 f"(dashed: scheduled events; gold: agreements)", fontsize=10)
    ax.grid(alpha=0.3)
    _date_axis(ax)
    ax.figure.tight_layout()
    return ax


def _wrap(text: str, width: int = 70, lines: int = 2) -> str:
    import textwrap

    parts = textwrap.wrap(text, width)
    return "\n".join(parts[:lines]) + ("…" if len(parts) > lines else "")


def plot_ablation(effects: pd.DataFrame, outcomes=("any_political", "days_to_first_agreement",
                                                   "pressure_cumulative"), top: int = 10, axes=None):
    """What each stance does: the paired (common random numbers) effect of removing
    or reversing it on each outcome, 95% intervals, stances ranked by effect, each
    labelled with the article's sentence that grounds it."""
    e = effects[effects["outcome"].isin(outcomes)]
    order = (e.drop_duplicates("variant").sort_values("rank")["variant"].tolist())[:top]
    if axes is None:
        fig, axes = plt.subplots(1, len(outcomes), figsize=(5.2 * len(outcomes) + 3.5, 0.75 * len(order) + 1.8),
                                 sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    ypos = list(range(len(order)))[::-1]
    for ax, outcome in zip(axes, outcomes):
        d = e[e["outcome"] == outcome].set_index("variant").loc[order]
        scale = 100.0 if outcome.startswith(("any_", "pair:")) else 1.0
        eff, lo, hi = d["effect"] * scale, d["ci_low"] * scale, d["ci_high"] * scale
        colors = ["#0072B2" if v < 0 else "#D55E00" for v in eff]
        ax.barh(ypos, eff, color=colors, alpha=0.85)
        ax.errorbar(eff, ypos, xerr=[eff - lo, hi - eff], fmt="none", ecolor="black", capsize=3, lw=1)
        ax.axvline(0, color="black", lw=0.8)
        unit = " (percentage points)" if scale == 100 else ""
        ax.set_xlabel(f"change in {d['outcome_label'].iloc[0]}{unit}", fontsize=8)
        ax.grid(axis="x", alpha=0.3)
    labels = []
    for v in order:
        row = e[e["variant"] == v].iloc[0]
        labels.append(f"{row['operation']} {row['actor']}: {row['stance_rule']}\n\u201c{_wrap(row['quote'] or '(no quote)', 60, 2)}\u201d")
    axes[0].set_yticks(ypos)
    axes[0].set_yticklabels(labels, fontsize=7)
    fig.suptitle("What each stance of the article does: effect of removing (or reversing) it, "
                 "vs the unchanged scenario (same random streams; bars: mean, whiskers: 95% CI)", fontsize=9)
    fig.tight_layout()
    return fig


def plot_sensitivity(indices: pd.DataFrame, axes=None):
    """Sobol' first-order and total indices (or Morris mu* and sigma) per parameter,
    one panel per outcome, 95% intervals."""
    outcomes = [o for o in indices["outcome"].unique()
                if indices.loc[indices["outcome"] == o, "value"].notna().any()]
    kinds = list(dict.fromkeys(indices["index"]))
    if axes is None:
        fig, axes = plt.subplots(1, max(1, len(outcomes)), figsize=(4.6 * max(1, len(outcomes)) + 3, 4.2),
                                 sharey=True, squeeze=False)
        axes = axes[0]
    fig = axes[0].figure
    params = list(dict.fromkeys(indices["parameter"]))
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
        ax.set_title(d["outcome_label"].iloc[0], fontsize=9)
        ax.axvline(0, color="black", lw=0.8)
        ax.grid(axis="x", alpha=0.3)
    axes[0].set_yticks(y)
    axes[0].set_yticklabels(params, fontsize=8)
    axes[0].legend(fontsize=8, loc="lower right")
    fig.suptitle("Which modelling choices the outcome hangs on (global sensitivity, SALib; 95% CI)", fontsize=9)
    constant = [indices.loc[indices["outcome"] == o, "outcome_label"].iloc[0]
                for o in indices["outcome"].unique() if o not in outcomes]
    fig.tight_layout()
    if constant:
        fig.text(0.01, 0.005, "Constant over the sample (nothing to attribute): " + "; ".join(constant),
                 fontsize=7, va="bottom")
        fig.subplots_adjust(bottom=0.16)
    return fig


def plot_eu_trajectories(eu, axes=None):
    """Expected-utility model: each actor's position per round (thin), the weighted
    median (forecast, thick) and weighted mean (dashed), one panel per issue, on the
    issue's own scale."""
    issues = list(eu.forecast["issue"])
    if axes is None:
        fig, axes = plt.subplots(len(issues), 1, figsize=(8, 2.2 * len(issues) + 0.8), squeeze=False)
        axes = axes[:, 0]
    fig = axes[0].figure
    actors = list(dict.fromkeys(eu.positions["actor"]))
    colors = {a: PALETTE[n % len(PALETTE)] for n, a in enumerate(actors)}
    for ax, issue in zip(axes, issues):
        p = eu.positions[eu.positions["issue"] == issue]
        for a in actors:
            d = p[p["actor"] == a]
            ax.plot(d["round"], d["position"], color=colors[a], lw=1, alpha=0.7, label=a)
        r = eu.rounds[eu.rounds["issue"] == issue]
        ax.plot(r["round"], r["median"], color="black", lw=2.6, label="weighted median (forecast)")
        ax.plot(r["round"], r["mean"], color="black", lw=1.4, ls="--", label="weighted mean")
        f = eu.forecast.set_index("issue").loc[issue]
        ax.set_ylabel(issue, fontsize=8)
        ax.set_title(f"{issue}: forecast {f['median']:.3g} (mean {f['mean']:.3g}), {f['status']} "
                     f"after {int(f['rounds'])} rounds", fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("round")
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


def plot_protocol_comparison(table: pd.DataFrame, ao_values: pd.DataFrame, ax=None):
    """Per issue: the distribution of final implemented values under alternating offers
    (box, over replications) beside the expected-utility forecast (median: diamond,
    mean: cross) and the status quo (grey bar)."""
    issues = list(table["issue"])
    if ax is None:
        fig, ax = plt.subplots(figsize=(1.6 * len(issues) + 3, 4.2))
    data = [ao_values[i].dropna().to_numpy() for i in issues]
    ax.boxplot(data, positions=range(len(issues)), widths=0.5, showfliers=False,
               patch_artist=True, boxprops={"facecolor": "#56B4E9", "alpha": 0.6})
    t = table.set_index("issue")
    ax.scatter(range(len(issues)), t.loc[issues, "eu_median"], marker="D", s=60, color="#D55E00",
               zorder=5, label="expected utility: weighted median")
    ax.scatter(range(len(issues)), t.loc[issues, "eu_mean"], marker="x", s=60, color="black",
               zorder=5, label="expected utility: weighted mean")
    ax.hlines(t.loc[issues, "status_quo"], [i - 0.3 for i in range(len(issues))],
              [i + 0.3 for i in range(len(issues))], color="grey", lw=3, alpha=0.6, label="status quo")
    ax.set_xticks(range(len(issues)))
    ax.set_xticklabels(issues, rotation=20, fontsize=8)
    ax.set_ylabel("value on the issue's scale")
    ax.set_title("Two models, one scenario: alternating offers (box: final implemented value over "
                 "replications) vs expected utility (forecast)", fontsize=9)
    ax.legend(fontsize=7, loc="best")
    ax.grid(axis="y", alpha=0.3)
    ax.figure.tight_layout()
    return ax
