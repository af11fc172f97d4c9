"""Figures of one run. Every function takes a :class:`sim.results.RunResult`, an
optional matplotlib ``ax``/``axes`` to draw into, and returns the Axes or Figure, so a
notebook can place it in its own layout and the CLI can save it."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np
import pandas as pd

from sim.viz.style import (
    LEVEL_STYLE,
    PALETTE,
    _date_axis,
    _legend_height,
    _need_series,
    _place_upright,
    _short,
    _wrap,
    actor_colors,
)


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
        # a pair's deals close in time and value are named once (renewed or renegotiated
        # terms would otherwise print the same name over itself)
        near_days = max(30, (val["date"].max() - val["date"].min()).days / 8) if len(val) else 30
        named: dict[str, tuple] = {}
        for _, ag in (ags.iterrows() if len(ags) else []):
            date = pd.Timestamp(ag["date"])
            ax.axvline(date, color="grey", ls=":", lw=1)
            ax.plot([date], [ag[issue]], marker="*", ms=13, color="gold", mec="black",
                    zorder=5, label="_agreement")
            who = f"{result.actor_labels[ag['party_a']]}–{result.actor_labels[ag['party_b']]}"
            last = named.get(who)
            if last is not None and (date - last[0]).days < near_days and abs(ag[issue] - last[1]) < 0.12:
                continue
            named[who] = (date, ag[issue])
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

