"""The figures' common style: palettes and colours (actors, scenarios, protocols,
good and bad), text drawn as written, and the small layout helpers every figure uses."""

from __future__ import annotations

import matplotlib
import matplotlib.dates as mdates

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


def protocol_color(name: str) -> str:
    """A protocol's colour: the one its module declares (``COLOR``; the Okabe-Ito order for
    the four shipped, the compromise model green), else "" (the caller picks a free one)."""
    from sim.protocols import PROTOCOLS, color

    return color(name) if name in PROTOCOLS else ""


LEVEL_STYLE = {"political": ("solid", 2.2), "technical": ("dashed", 1.6), "closed": ("dotted", 1.0)}

