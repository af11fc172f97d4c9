"""Figures of a run. Every function takes a :class:`sim.results.RunResult`, an
optional matplotlib ``ax``/``axes`` to draw into, and returns the Axes or Figure,
so a notebook can place it in its own layout and the CLI can save it."""

from __future__ import annotations

import matplotlib
import matplotlib.dates as mdates
import numpy as np
import matplotlib.pyplot as plt
import pandas as pd

# Every text is drawn as written: a `$` in a scenario's name or label is a dollar sign,
# never TeX for matplotlib's mathtext parser (which fails, or recurses, on bad TeX).
matplotlib.rcParams["text.parse_math"] = False

# Okabe-Ito: a colour-blind-safe palette; actors get colours in scenario order.
PALETTE = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000"]
# Scenarios get colours of their own (Paul Tol's "muted" set, minus the hues close to an
# actor's), so a colour never means both an actor and a scenario.
SCENARIO_PALETTE = ["#332288", "#882255", "#999933", "#CC6677", "#44AA99", "#DDCC77", "#AA4499", "#777777"]
# good vs bad for the outcome (ablation): blue and red ends of ColorBrewer's RdBu
GOOD, BAD, NEUTRAL = "#2166AC", "#B2182B", "#777777"


# After the first eight: the hues of matplotlib's tab10 furthest from Okabe-Ito's
# (brown, grey, olive, purple, ...), then Paul Tol's dark and light sets, then evenly
# spaced hues, so no figure ever shows one colour for two actors.
EXTRA_COLORS = ["#8C564B", "#7F7F7F", "#BCBD22", "#9467BD", "#17BECF", "#E377C2", "#2CA02C", "#222255",
                "#225555", "#663333", "#666633", "#77AADD", "#EE8866", "#FFAABB", "#44BB99", "#AAAA00"]


def distinct_colors(n: int, first=None) -> list[str]:
    """``n`` different colours: ``first`` (default :data:`PALETTE`) in order, then
    :data:`EXTRA_COLORS`, then hues spaced by the golden angle at three lightnesses."""
    import colorsys

    out: list[str] = []
    for c in [*(PALETTE if first is None else first), *EXTRA_COLORS]:
        if len(out) == n:
            return out
        if c.lower() not in {x.lower() for x in out}:
            out.append(c)
    k = 0
    while len(out) < n:
        h = (k * 0.381966) % 1.0
        light = (0.35, 0.5, 0.65)[k % 3]
        r, g, b = colorsys.hls_to_rgb(h, light, 0.65)
        c = f"#{round(r * 255):02X}{round(g * 255):02X}{round(b * 255):02X}"
        if c.lower() not in {x.lower() for x in out}:
            out.append(c)
        k += 1
    return out


def actor_colors(result_or_ids) -> dict[str, str]:
    """Actor id -> colour, in scenario order, never one colour for two actors. Takes a
    result (its ``actor_labels``) or a list of actor ids."""
    ids = list(getattr(result_or_ids, "actor_labels", result_or_ids))
    return dict(zip(ids, distinct_colors(len(ids))))


def _need_series(result):
    if result.series is None:
        raise ValueError("this result has no daily series: run with series=True")
    return result.series


def _legend_height(entries: int, fontsize: float = 8) -> float:
    """Inches a one-column legend of ``entries`` lines needs, with the figure's margins."""
    return entries * fontsize * 1.55 / 72 + 1.0


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
        # tall enough for the legend beside the top panel (one line per actor)
        fig, axes = plt.subplots(len(issues), 1, figsize=(9, max(2.1 * len(issues) + 0.6,
                                                                 _legend_height(len(result.actor_labels) + 1))),
                                 sharex=True, squeeze=False)
        axes = axes[:, 0]
    fig = axes[0].figure
    colors = actor_colors(result)
    pos = s[s["variable"] == "position"]
    val = s[s["variable"] == "value"]
    for ax, issue in zip(axes, issues):
        for actor, label in result.actor_labels.items():
            d = pos[(pos["issue"] == issue) & (pos["actor"] == actor)]
            # dots, not a line: an actor that alternates between channels with different
            # room on an issue states two positions, which a line would draw as a zigzag
            ax.plot(d["date"], d["value"], color=colors[actor], lw=0, marker=".", ms=3, alpha=0.85, label=label)
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
    axes[0].legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False, markerscale=3)
    axes[0].set_title(f"{result.scenario}: stated positions (dots: latest offer), implemented value (line), "
                      f"★ agreement", fontsize=9, loc="left")
    fig.tight_layout()
    return fig


def plot_crisis(result, ax=None):
    """The environment's stocks (left axis) and the cost issues' values (right axis)
    over the days, scheduled events annotated, agreements and unilateral moves marked.
    The labels of events, agreements and moves stand upright at their day; where two
    would meet, the later one moves right (:func:`_place_upright`), so none covers another."""
    s = _need_series(result)
    if ax is None:
        fig, ax = plt.subplots(figsize=(9, 4.6))
    env = (result.spec or {}).get("environment", {})
    stock_colors = ["#D55E00", "#CC79A7", "#E69F00"]
    for n, v in enumerate(sorted(x for x in s["variable"].unique() if str(x).startswith("stock:"))):
        p = s[s["variable"] == v]
        name = v.split(":", 1)[1]
        label = env.get("stocks", {}).get(name, {}).get("label") or name
        ax.plot(p["date"], p["value"], color=stock_colors[n % 3], lw=2, label=label)
    ax.set_ylabel("stock level (0-1)")
    ax.set_ylim(0, 1.05)
    ax2 = ax.twinx()
    for j in env.get("cost_issues", []):
        sa = s[(s["variable"] == "value") & (s["issue"] == j)]
        ax2.step(sa["date"], sa["value"], where="post", color="#0072B2", lw=1.8, label=f"{j} (right axis)")
    ax2.set_ylabel("issue value (0-1)")
    ax2.set_ylim(0, 1.05)
    start = pd.Timestamp(result.start_date)
    labels = []                       # (date, text, top?, colour, fontsize): placed at the end
    for ev in result.events.itertuples():
        date = start + pd.Timedelta(days=int(ev.day))
        ax.axvline(date, color="#555555", ls="--", lw=1)
        labels.append((date, _wrap(str(ev.label), 48, 1), True, "#333333", 6.5))
    for ag in result.agreements.itertuples():
        date = pd.Timestamp(ag.date)
        ax.axvline(date, color="gold", lw=1.5, alpha=0.8)
        labels.append((date, f"{result.actor_labels[ag.party_a]}–{result.actor_labels[ag.party_b]} "
                             f"({ag.level})", False, "black", 7))
    rec = getattr(result, "record", None)
    if rec is not None and len(rec) and "type" in rec:
        # unilateral moves (green), threats and promises carried out (red), commitments
        # broken or threats abandoned (purple)
        marks = {"unilateral": ("#009E73", "#006B4F", ""), "threat_carried_out": ("#D55E00", "#A04000", "threat: "),
                 "promise_kept": ("#D55E00", "#A04000", "promise: "),
                 "commitment_broken": ("#CC79A7", "#8E3F72", "breaks "),
                 "threat_abandoned": ("#CC79A7", "#8E3F72", "backs down: "),
                 "promise_broken": ("#CC79A7", "#8E3F72", "reneges: ")}
        for mv in rec[rec["type"].isin(list(marks))].itertuples():
            color, text_color, prefix = marks[mv.type]
            date = pd.Timestamp(mv.date)
            who = result.actor_labels.get(str(mv.actors).split(";")[0], mv.actors)
            what = mv.changes if isinstance(mv.changes, str) and mv.changes else mv.label
            ax.plot([date], [1.02], marker="v", color=color, ms=6, clip_on=False)
            labels.append((date, _wrap(f"{prefix}{who}: {what}", 48, 1), True, text_color, 6))
    h1, l1 = ax.get_legend_handles_labels()
    h2, l2 = ax2.get_legend_handles_labels()
    if h1 + h2:                       # below the axes: never over a label or a line
        ax.legend(h1 + h2, [_wrap(x, 60, 1) for x in l1 + l2], loc="upper left", bbox_to_anchor=(0.0, -0.1),
                  fontsize=8, frameon=False, ncol=2 if len(h1 + h2) > 2 else 1)
    ax.set_title(f"{result.scenario}: the crisis environment "
                 f"(dashed: events; gold: agreements; ▼ green: unilateral moves,\nred: threats and promises "
                 f"carried out, purple: commitments broken or abandoned)", fontsize=9)
    ax.grid(alpha=0.3)
    _date_axis(ax)
    ax.figure.tight_layout()
    _place_upright(ax, labels)
    return ax


def _place_upright(ax, labels) -> None:
    """Upright labels at their dates: ``top`` ones hang from the top of the axes, the
    others stand on its bottom. In date order, each goes just right of its date's line,
    or further right past every placed label it would touch; a label that would leave
    the axes gets a smaller font, and (at the smallest) is left out with a count in the
    corner. Call after the layout is final (positions are in pixels)."""
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    box = ax.get_window_extent(renderer)
    pt = fig.dpi / 72.0
    placed: list = []                 # pixel boxes (x0, y0, x1, y1) of the placed labels
    left_out = 0
    for date, text, top, color, size in sorted(labels, key=lambda x: (x[0], not x[2])):
        x_date = ax.transData.transform((mdates.date2num(date), 0))[0]
        for fs in (size, size - 1, size - 2):
            t = ax.annotate(text, (date, 1.0 if top else 0.0), xycoords=("data", "axes fraction"),
                            xytext=(2, -8 if top else 3), textcoords="offset points", rotation=90,
                            fontsize=fs, va="top" if top else "bottom", ha="left", color=color,
                            annotation_clip=False)
            t.set_in_layout(False)
            bb = t.get_window_extent(renderer)
            x0, w = bb.x0, bb.width
            moved = True
            while moved:
                moved = False
                for p in placed:
                    if x0 < p[2] + 1 and x0 + w > p[0] - 1 and bb.y0 < p[3] + 1 and bb.y1 > p[1] - 1:
                        x0, moved = p[2] + 1, True
            if x0 + w <= box.x1 - 1 and bb.y0 >= box.y0 and bb.y1 <= box.y1 + 1:
                t.xyann = (2 + (x0 - bb.x0) / pt, t.xyann[1])
                placed.append((x0, bb.y0, x0 + w, bb.y1))
                break
            t.remove()
        else:
            left_out += 1
        del x_date
    if left_out:
        ax.text(0.995, 0.01, f"{left_out} label{'s' if left_out > 1 else ''} left out (no room)",
                transform=ax.transAxes, ha="right", va="bottom", fontsize=6, color="#555555")


def _short(name, limit: int = 40) -> str:
    """A name cut to ``limit`` characters (an ellipsis marks the cut): tick labels size the figure."""
    name = str(name)
    return name if len(name) <= limit else name[: limit - 1] + "…"


def _wrap(text: str, width: int = 70, lines: int = 2) -> str:
    import textwrap

    parts = textwrap.wrap(text, width)
    return "\n".join(parts[:lines]) + ("…" if len(parts) > lines else "")


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

    fig.legend(handles=[Patch(color=GOOD, label="better for the crisis (more deals, sooner, less pressure)"),
                        Patch(color=BAD, label="worse"), Patch(color=NEUTRAL, label="no detectable change (95% CI covers 0), or an outcome with no better side (unilateral moves)")],
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


def plot_eu_trajectories(result, axes=None):
    """A protocol that moves positions in rounds (expected utility, one round a day):
    each actor's position per round (thin), the protocol's forecast (the weighted
    median, thick) and the weighted mean of the positions (dashed), one panel per
    issue, on the issue's own scale. Takes a :class:`sim.results.RunResult` with series."""
    from sim.analysis.rounds import rounds_table, to_scale
    from sim.scenario import Scenario

    s = _need_series(result)
    sc = Scenario.model_validate(result.spec)
    rt = rounds_table(result, sc)
    issues = list(sc.issues)
    if axes is None:
        fig, axes = plt.subplots(len(issues), 1, figsize=(8, max(2.2 * len(issues) + 0.8,
                                                                 _legend_height(len(sc.actors) + 2, 7))),
                                 squeeze=False)
        axes = axes[:, 0]
    fig = axes[0].figure
    actors = list(sc.actors)
    colors = actor_colors(actors)
    rows = result.issues.set_index("issue")
    last = int(rows["forecast_rounds"].max()) if rows["forecast_rounds"].notna().any() else int(s["day"].max())
    pos = s[(s["variable"] == "position") & (s["day"] <= last)]
    for ax, issue in zip(axes, issues):
        p = pos[pos["issue"] == issue].pivot(index="day", columns="actor", values="value")[actors]
        for a in actors:
            ax.plot(p.index, to_scale(sc, issue, p[a]), color=colors[a], lw=1, alpha=0.7,
                    label=result.actor_labels.get(a, a))
        r = rt[(rt["issue"] == issue) & (rt["round"] <= last)]
        ax.plot(r["round"], r["median"], color="black", lw=2.6, label="weighted median (forecast)")
        ax.plot(r["round"], r["mean"], color="black", lw=1.4, ls="--", label="weighted mean")
        r = rows.loc[issue]
        rounds = "" if r["forecast_rounds"] != r["forecast_rounds"] else f" after {int(r['forecast_rounds'])} rounds"
        ax.set_ylabel(issue, fontsize=8)
        ax.set_title(f"{issue}: forecast {float(to_scale(sc, issue, r['forecast'])):.3g}, "
                     f"{r['forecast_status']}{rounds}", fontsize=9)
        ax.grid(alpha=0.3)
    axes[-1].set_xlabel("round (day)")
    axes[0].legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    fig.tight_layout()
    return fig


# Protocols get fixed colours (the Okabe-Ito order), the compromise model a neutral one.
PROTOCOL_COLORS = {"alternating_offers": "#0072B2", "expected_utility": "#D55E00", "mediation": "#CC79A7",
                   "compromise": "#009E73"}


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
            color = PROTOCOL_COLORS.get(p) or distinct_colors(m + 1)[m]
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


# ====================================================================== more of a run
LEVEL_STYLE = {"political": ("solid", 2.2), "technical": ("dashed", 1.6), "closed": ("dotted", 1.0)}


def plot_channels(result, ax=None, when: str = "end"):
    """The channel network: actors as nodes (area ~ capability), channels as edges
    styled by level (political solid, technical dashed; pairs the scenario lists as
    closed dotted grey), pairs that reached an agreement in gold with the count."""
    import networkx as nx

    if ax is None:
        fig, ax = plt.subplots(figsize=(7.5, 6.6))
    labels = result.actor_labels
    caps = {a: v.get("capability", 0.1) for a, v in result.spec.get("actors", {}).items()}
    g = nx.Graph()
    g.add_nodes_from(labels)
    chans = result.channels_end if when == "end" else result.channels_start
    for c in chans:
        g.add_edge(c["a"], c["b"], level=c["level"])
    for key, level in result.spec.get("channels", {}).items():
        a, _, b = key.partition("-")
        if level == "closed" and a in labels and b in labels and not g.has_edge(a, b):
            g.add_edge(a, b, level="closed")
    pos = nx.circular_layout(sorted(labels, key=list(labels).index))
    counts = {}
    for ag in result.agreements.itertuples():
        k = frozenset((ag.party_a, ag.party_b))
        counts[k] = counts.get(k, 0) + 1
    colors = actor_colors(result)
    for (a, b, d) in g.edges(data=True):
        style, width = LEVEL_STYLE[d["level"]]
        n = counts.get(frozenset((a, b)), 0)
        color = "gold" if n else ("#999999" if d["level"] == "closed" else "#333333")
        nx.draw_networkx_edges(g, pos, edgelist=[(a, b)], style=style, width=width + 3 * bool(n),
                               edge_color=color, ax=ax)
        if n:
            xm, ym = (pos[a] + pos[b]) / 2
            ax.text(xm, ym, f"{n} agreement{'s' if n > 1 else ''}", fontsize=7, ha="center",
                    bbox={"facecolor": "white", "edgecolor": "gold", "alpha": 0.9})
    nx.draw_networkx_nodes(g, pos, nodelist=list(labels), node_color=[colors[a] for a in labels],
                           node_size=[300 + 4000 * caps.get(a, 0.1) for a in labels], ax=ax)
    # names outside the circle, away from the edges that run inside it
    for a, (x, y) in pos.items():
        r = float(np.hypot(x, y)) or 1.0
        ux, uy = x / r, y / r
        ax.annotate(_wrap(str(labels[a]), 22, 2), (x, y), xytext=(ux * 30, uy * 30), textcoords="offset points",
                    ha="left" if ux > 0.3 else ("right" if ux < -0.3 else "center"),
                    va="bottom" if uy > 0.3 else ("top" if uy < -0.3 else "center"), fontsize=8)
    from matplotlib.lines import Line2D

    handles = [Line2D([], [], color="#333333", ls=LEVEL_STYLE["political"][0], lw=2, label="political channel"),
               Line2D([], [], color="#333333", ls=LEVEL_STYLE["technical"][0], lw=2, label="technical channel"),
               Line2D([], [], color="#999999", ls=LEVEL_STYLE["closed"][0], lw=1, label="closed (scenario)"),
               Line2D([], [], color="gold", lw=5, label="agreement reached")]
    # the legend below the network, never over a name
    ax.legend(handles=handles, fontsize=7, loc="upper center", bbox_to_anchor=(0.5, 0.0), ncol=2, frameon=False)
    ax.set_title(f"{result.scenario}: channels at the {when} of the run (node size: capability)", fontsize=9)
    ax.set_axis_off()
    # fixed limits: the nodes lie on the unit circle (two actors lie on a line, whose
    # height autoscaling would make ~1e-16 and send the names to the edge of the raster)
    ax.set_xlim(-1.3, 1.3)
    ax.set_ylim(-1.3, 1.3)
    ax.set_aspect("equal")
    ax.figure.tight_layout()
    return ax


def plot_blame(result, axes=None):
    """Who blames whom (row blames column, 0-1), at the start and at the end of the run."""
    s = _need_series(result)
    b = s[s["variable"] == "blame"]
    actors = list(result.actor_labels)
    if axes is None:
        # cells large enough for "0.00", the layout engine makes room for the names
        side = max(4.0, 0.5 * len(actors))
        longest = max((len(_short(v)) for v in result.actor_labels.values()), default=4)
        fig, axes = plt.subplots(1, 2, figsize=(2 * side + 0.11 * longest + 1.6, side + 0.07 * longest + 1.2),
                                 layout="constrained")
    fig = axes[0].figure
    first, last = b["day"].min(), b["day"].max()
    im = None
    for ax, day, title in ((axes[0], first, "start"), (axes[1], last, "end")):
        d = b[b["day"] == day].pivot_table(index="actor", columns="target", values="value", aggfunc="first")
        m = d.reindex(index=actors, columns=actors).fillna(0.0).to_numpy()
        im = ax.imshow(m, vmin=0, vmax=1, cmap="Reds")
        for i in range(len(actors)):
            for j in range(len(actors)):
                if i != j:
                    ax.text(j, i, f"{m[i, j]:.2f}", ha="center", va="center", fontsize=7,
                            color="white" if m[i, j] > 0.6 else "black")
        names = [_short(result.actor_labels[a]) for a in actors]
        ax.set_xticks(range(len(actors)), names, rotation=90, fontsize=7)
        ax.set_yticks(range(len(actors)), names, fontsize=7)
        ax.set_xlabel("blamed")
        if ax is axes[0]:
            ax.set_ylabel("blames")
        else:
            ax.set_yticklabels([])
        ax.set_title(f"blame at the {title} (day {int(day)})", fontsize=9)
    fig.colorbar(im, ax=list(axes), shrink=0.8, aspect=30, label="blame (0-1)")
    fig.suptitle(f"{result.scenario}: public blame, who blames whom", fontsize=10)
    # the layout engine's first pass places the axis labels before the rotated names
    # are measured; a second pass (here) makes the first save right
    fig.draw_without_rendering()
    return fig


def plot_beliefs(result, ax=None, top: int = 6):
    """What actors believed about each other's floor (reservation value) day by day, the
    mean of each belief (docs/ODD.md 7.18), for the ``top`` pairs whose belief moved most,
    each against the counterpart's true floor (dashed)."""
    s = _need_series(result)
    b = s[s["variable"] == "belief"]
    if ax is None:
        _, ax = plt.subplots(figsize=(9, 4.6))
    if b.empty:
        ax.text(0.5, 0.5, "no belief moved in this run", ha="center", va="center", transform=ax.transAxes)
        ax.set_axis_off()
        return ax
    moved = (b.groupby(["actor", "target"])["value"].agg(lambda v: abs(v.iloc[-1] - v.iloc[0]))
             .sort_values(ascending=False, kind="stable"))
    pairs = list(moved.index[:top])
    actors = (result.spec or {}).get("actors", {})
    names = result.actor_labels
    for n, (a, k) in enumerate(pairs):
        color = PALETTE[n % len(PALETTE)]
        d = b[(b["actor"] == a) & (b["target"] == k)]
        ax.plot(d["date"], d["value"], color=color, lw=1.8,
                label=_wrap(f"{names.get(a, a)} about {names.get(k, k)}", 40, 2))
        true = actors.get(k, {}).get("reservation")
        if true is not None:
            ax.axhline(max(float(true), 0.0), color=color, lw=1, ls="--")
    ax.set_ylabel("believed floor (mean of the belief)")
    ax.set_title(_wrap(f"{result.scenario}: what each actor believed the other needed from a deal "
                       "(dashed: the true floor)", 100, 2), fontsize=9)
    ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False)
    ax.figure.autofmt_xdate()
    ax.figure.tight_layout()
    return ax


# ====================================================================== batches and sweeps
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
