"""Small SVG charts for the interactive app's day panels.

Why not matplotlib or Vega-Lite here: a matplotlib PNG takes 80-250 ms per figure on
the 2-core reference machine, and the app redraws four figures a day (the target is
a whole step under 200 ms); Solara's Vega-Lite widget loads its JavaScript from a CDN,
and the app must work offline. These functions take the plain tables of
:mod:`sim.viz.live` and return an SVG string (microseconds to build; the browser
draws it). The figures of reports stay in :mod:`sim.viz.plots`.
"""

from __future__ import annotations

import math
from html import escape

import numpy as np
import pandas as pd

from sim.viz.style import distinct_colors

W, H = 480, 270
FONT = 'font-family="sans-serif"'
LEVEL_STYLE = {"political": ("#444444", 2.5, ""), "technical": ("#888888", 1.8, "6 4"),
               "closed": ("#BBBBBB", 1.0, "2 3")}
AGREEMENT = "#E69F00"


def _svg(body: list[str], title: str, w: int = W, h: int = H, cls: str = "") -> str:
    return (f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {w} {h}" width="100%" '
            f'class="{cls}" role="img" aria-label="{escape(title)}" style="max-width:{w * 1.4:.0f}px">'
            f'<text x="{w / 2}" y="16" text-anchor="middle" font-size="13" font-weight="bold" {FONT}>'
            f'{escape(title)}</text>' + "".join(body) + "</svg>")


def _text(x, y, s, size=10, anchor="middle", color="#222", extra="") -> str:
    return (f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" fill="{color}" '
            f'{FONT} {extra}>{escape(str(s))}</text>')


def network(g, colors: dict[str, str], day: int) -> str:
    """Actors on a circle (area ~ capability), channels by level, agreements in gold
    (width ~ number), a red badge counting each actor's moves made alone."""
    nodes = list(g.nodes)
    cx, cy, r = W / 2 + 30, H / 2 + 4, 88
    ang = np.linspace(-math.pi / 2, 1.5 * math.pi, len(nodes), endpoint=False)
    pos = {a: (cx + r * math.cos(t), cy + r * math.sin(t)) for a, t in zip(nodes, ang)}
    body = ['<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" '
            'markerHeight="6" orient="auto"><path d="M0,0 L10,5 L0,10 z" fill="#D55E00"/></marker></defs>']
    for a, b, e in g.edges(data=True):
        (x0, y0), (x1, y1) = pos[a], pos[b]
        if e["agreements"]:
            body.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{AGREEMENT}" '
                        f'stroke-opacity="0.6" stroke-width="{4 + 3 * e["agreements"]}"/>')
        col, width, dash = LEVEL_STYLE[e["level"]]
        body.append(f'<line x1="{x0:.1f}" y1="{y0:.1f}" x2="{x1:.1f}" y2="{y1:.1f}" stroke="{col}" '
                    f'stroke-width="{width}" stroke-dasharray="{dash}"><title>{escape(a)}-{escape(b)}: '
                    f'{e["level"]}, carries {escape(", ".join(e["issues"]) or "nothing")}</title></line>')
        if e["agreements"]:
            held = f", {e['in_force']} in force" if e.get("in_force") is not None else ""
            mx, my = x0 + 0.55 * (x1 - x0), y0 + 0.55 * (y1 - y0)
            label = f"{e['agreements']} deal(s){held}, last day {e['last_day']}"
            body.append(_text(mx + (10 if mx >= cx else -10), my - 6, label,
                              9, "start" if mx >= cx else "end", color="#8a5a00", extra='font-weight="bold"'))
    for a in nodes:
        x, y = pos[a]
        rad = 8 + 22 * math.sqrt(g.nodes[a]["capability"])
        body.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="{rad:.1f}" fill="{colors[a]}" stroke="white"/>')
        body.append(_text(x, y + rad + 11, g.nodes[a]["label"], 10))
        if g.nodes[a].get("unilateral"):
            body.append(f'<circle cx="{x + rad * 0.8:.1f}" cy="{y - rad * 0.8:.1f}" r="8" fill="#D55E00">'
                        f'<title>{escape(g.nodes[a]["label"])}: {g.nodes[a]["unilateral"]} move(s) made alone'
                        f'</title></circle>')
            body.append(_text(x + rad * 0.8, y - rad * 0.8 + 3.5, g.nodes[a]["unilateral"], 9, color="white"))
    legend = [("political", "political channel"), ("technical", "technical channel")]
    for n, (lvl, txt) in enumerate(legend):
        col, width, dash = LEVEL_STYLE[lvl]
        y = 34 + 14 * n
        body.append(f'<line x1="8" y1="{y}" x2="30" y2="{y}" stroke="{col}" stroke-width="{width}" '
                    f'stroke-dasharray="{dash}"/>')
        body.append(_text(34, y + 3, txt, 9, "start"))
    body.append(f'<line x1="8" y1="62" x2="30" y2="62" stroke="{AGREEMENT}" stroke-opacity="0.6" stroke-width="7"/>')
    body.append(_text(34, 65, "agreement", 9, "start"))
    body.append('<circle cx="19" cy="78" r="6" fill="#D55E00"/>')
    body.append(_text(34, 81, "moves made alone", 9, "start"))
    return _svg(body, f"Channels, day {day}", cls="chart-network")


def issues(iv: pd.DataFrame, pos: pd.DataFrame, colors: dict[str, str]) -> str:
    """Per issue: a 0-1 track, the status quo (grey bar), the implemented value (black
    diamond) and each actor's stated position (coloured dots, one row per actor)."""
    left, right, top = 130, W - 14, 40
    n = len(iv)
    row = (H - top - 34) / max(n, 1)
    actors = list(dict.fromkeys(pos["actor"]))
    labels = dict(zip(pos["actor"], pos["label"]))
    where = dict(zip(zip(pos["actor"], pos["issue"]), pos["position"]))
    x = lambda v: left + (right - left) * float(v)  # noqa: E731
    body = []
    for k, r in enumerate(iv.itertuples()):
        yc = top + row * (k + 0.5)
        body.append(f'<line x1="{left}" y1="{yc:.1f}" x2="{right}" y2="{yc:.1f}" stroke="#E4E4E4" '
                    f'stroke-width="{row * 0.8:.1f}"/>')
        body.append(f'<text x="{left - 6}" y="{yc + 3:.1f}" font-size="10" text-anchor="end" {FONT}>'
                    f'{escape(r.issue.replace("_", " "))}<title>0: {escape(r.low)}; 1: {escape(r.high)}</title></text>')
        sq = x(r.status_quo)
        body.append(f'<line x1="{sq:.1f}" y1="{yc - row * 0.42:.1f}" x2="{sq:.1f}" y2="{yc + row * 0.42:.1f}" '
                    f'stroke="#777" stroke-width="3"><title>status quo {r.status_quo:.2f}</title></line>')
        for m, a in enumerate(actors):
            p = where[(a, r.issue)]
            dy = (m - (len(actors) - 1) / 2) * row * 0.7 / max(len(actors) - 1, 1)
            body.append(f'<circle cx="{x(p):.1f}" cy="{yc + dy:.1f}" r="3.6" fill="{colors[a]}">'
                        f'<title>{escape(labels[a])}: {p:.2f}</title></circle>')
        v = x(r.value)
        body.append(f'<path d="M{v:.1f},{yc - 7:.1f} l7,7 l-7,7 l-7,-7 z" fill="black">'
                    f'<title>implemented {r.value:.2f}</title></path>')
    for t in (0, 0.5, 1):
        body.append(_text(x(t), H - 22, f"{t:g}", 9))
    lx = 8
    for a in actors:
        body.append(f'<circle cx="{lx + 4}" cy="{H - 8}" r="4" fill="{colors[a]}"/>')
        body.append(_text(lx + 11, H - 5, labels[a], 9, "start"))
        lx += 16 + 4.4 * len(labels[a])
    body.append(f'<path d="M{left - 70},{top - 9} l5,5 l-5,5 l-5,-5 z" fill="black"/>')
    body.append(_text(left - 62, top - 1, "implemented", 9, "start"))
    body.append(f'<line x1="{left + 6}" y1="{top - 10}" x2="{left + 6}" y2="{top}" stroke="#777" stroke-width="3"/>')
    body.append(_text(left + 12, top - 1, "status quo", 9, "start"))
    body.append(_text(left + 70, top - 1, "\u25cf stated position (one row per actor)", 9, "start"))
    return _svg(body, "Issues: implemented, status quo, stated positions", cls="chart-issues")


STOCK_COLORS = ["#D55E00", "#0072B2", "#009E73", "#CC79A7", "#56B4E9", "#E69F00"]


def stocks(hist: pd.DataFrame, horizon: int, now: dict[str, float]) -> str:
    """The environment's stocks (and cost issues) over the days, all on [0, 1]."""
    left, right, top, bottom = 34, W - 12, 30, H - 40
    x = lambda d: left + (right - left) * d / max(horizon, 1)  # noqa: E731
    y = lambda v: bottom - (bottom - top) * v  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#CCC"/>']
    for t in (0, 0.5, 1):
        body.append(_text(left - 4, y(t) + 3, f"{t:g}", 9, "end"))
    for d in range(0, horizon + 1, max(10, horizon // 9 // 10 * 10 or 10)):
        body.append(_text(x(d), bottom + 12, d, 9))
    body.append(_text((left + right) / 2, bottom + 24, "day", 9))
    lx = left
    for k, (name, grp) in enumerate(hist.groupby("stock", sort=False)):
        col = STOCK_COLORS[k % len(STOCK_COLORS)]
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(grp["day"], grp["value"]))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="2"/>')
        label = f"{name} {now.get(name, float('nan')):.2f}"
        body.append(f'<line x1="{lx}" y1="{H - 6}" x2="{lx + 16}" y2="{H - 6}" stroke="{col}" stroke-width="2"/>')
        body.append(_text(lx + 20, H - 3, label, 9, "start"))
        lx += 30 + 6 * len(label)
    return _svg(body, "Crisis stocks", cls="chart-stocks")


def blame(df: pd.DataFrame) -> str:
    """Public blame as a heat map: the row blames the column (0 white, 1 dark red)."""
    n = len(df)
    left, top = 120, 60
    cell = min((W - left - 10) / max(n, 1), (H - top - 10) / max(n, 1))
    body = []
    for j, name in enumerate(df.columns):
        short = name if len(name) <= 10 else name[:9] + "\u2026"
        body.append(_text(left + cell * (j + 0.5), top - 6, short, 8, "start",
                          extra=f'transform="rotate(-35 {left + cell * (j + 0.5):.1f} {top - 6})"'))
    for i, name in enumerate(df.index):
        body.append(_text(left - 6, top + cell * (i + 0.6), name, 9, "end"))
        for j in range(n):
            v = float(df.iat[i, j])
            fill = "rgb({},{},{})".format(*(round(255 + (c - 255) * v) for c in (178, 24, 43)))
            body.append(f'<rect x="{left + cell * j:.1f}" y="{top + cell * i:.1f}" width="{cell - 1:.1f}" '
                        f'height="{cell - 1:.1f}" fill="{fill}"><title>{escape(name)} blames '
                        f'{escape(df.columns[j])}: {v:.2f}</title></rect>')
            if v >= 0.05:
                body.append(_text(left + cell * (j + 0.5), top + cell * (i + 0.5) + 3, f"{v:.2f}", 9,
                                  color="white" if v > 0.6 else "#222"))
    return _svg(body, "Blame (row blames column)", cls="chart-blame")


def beliefs(hist: pd.DataFrame, horizon: int) -> str:
    """What actors believed about each other's floor (the mean of each belief), day by
    day, each against the true floor (dashed): the pairs whose belief moved most."""
    left, right, top, bottom = 40, W - 12, 30, H - 52
    if hist.empty:
        return _svg([_text(W / 2, H / 2, "No belief has moved yet.", 11)], "Beliefs about the others' floors",
                    cls="chart-beliefs")
    ymax = max(0.05, float(hist[["value", "truth"]].to_numpy(float).max()) * 1.1)
    x = lambda d: left + (right - left) * d / max(horizon, 1)  # noqa: E731
    y = lambda v: bottom - (bottom - top) * v / ymax  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#CCC"/>']
    for t in (0, ymax / 2, ymax):
        body.append(_text(left - 4, y(t) + 3, f"{t:.2f}", 9, "end"))
    for d in range(0, horizon + 1, max(10, horizon // 9 // 10 * 10 or 10)):
        body.append(_text(x(d), bottom + 12, d, 9))
    body.append(_text((left + right) / 2, bottom + 24, "day", 9))
    for k, (pair, grp) in enumerate(hist.groupby("pair", sort=False)):
        col = STOCK_COLORS[k % len(STOCK_COLORS)]
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v in zip(grp["day"], grp["value"]))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="2"/>')
        t = float(grp["truth"].iloc[0])
        body.append(f'<line x1="{left}" y1="{y(t):.1f}" x2="{right}" y2="{y(t):.1f}" stroke="{col}" '
                    f'stroke-width="1" stroke-dasharray="4 3"><title>true floor {t:.2f}</title></line>')
        short = pair if len(pair) <= 34 else pair[:33] + "\u2026"
        lx, ly = left + (k % 2) * (W - left) / 2, H - 16 + 11 * (k // 2)
        body.append(f'<line x1="{lx}" y1="{ly - 3}" x2="{lx + 14}" y2="{ly - 3}" stroke="{col}" stroke-width="2"/>')
        body.append(_text(lx + 18, ly, f"{short} {float(grp['value'].iloc[-1]):.2f}", 8, "start"))
    return _svg(body, "Beliefs about the others' floors (dashed: the truth)", cls="chart-beliefs")


H_SMALL = 200       # the trust and resolve charts share one card, one above the other


def _day_lines(hist: pd.DataFrame, horizon: int, lo: float, hi: float, ref=None, band: bool = False,
               note=None, h: int = H_SMALL) -> list[str]:
    """The body of a small chart of ``pair`` lines over the days on [lo, hi]: the box,
    the axes' numbers, each pair's line (its ``value``; with ``band``, value +- ``sd``
    shaded; ``ref(grp, colour, x, y, left, right)`` draws its reference) and a legend
    with each pair's last value and ``note(grp)`` (two a row if they fit, else one)."""
    left, right, top = 40, W - 12, 26
    pairs = list(dict.fromkeys(hist["pair"]))
    per_row = 2 if max(len(p) for p in pairs) <= 44 else 1
    rows = -(-len(pairs) // per_row)
    bottom = h - 26 - 11 * rows
    x = lambda d: left + (right - left) * d / max(horizon, 1)  # noqa: E731
    y = lambda v: bottom - (bottom - top) * (v - lo) / (hi - lo)  # noqa: E731
    body = [f'<rect x="{left}" y="{top}" width="{right - left}" height="{bottom - top}" fill="none" stroke="#CCC"/>']
    step = 0.5 if hi - lo > 1.0 else 0.25
    for t in np.arange(lo, hi + 1e-9, step):
        body.append(_text(left - 4, y(t) + 3, f"{t:g}", 9, "end"))
    for d in range(0, horizon + 1, max(10, horizon // 9 // 10 * 10 or 10)):
        body.append(_text(x(d), bottom + 11, d, 9))
    body.append(_text(right, bottom + 21, "day", 9, "end"))
    colors = distinct_colors(len(pairs))
    for k, (pair, grp) in enumerate(hist.groupby("pair", sort=False)):
        col = colors[k]
        d, v = grp["day"].to_numpy(), grp["value"].to_numpy(float)
        if band:
            sd = grp["sd"].to_numpy(float)
            up = " ".join(f"{x(a):.1f},{y(min(hi, b + s)):.1f}" for a, b, s in zip(d, v, sd))
            down = " ".join(f"{x(a):.1f},{y(max(lo, b - s)):.1f}" for a, b, s in zip(d[::-1], v[::-1], sd[::-1]))
            body.append(f'<polygon points="{up} {down}" fill="{col}" fill-opacity="0.15" stroke="none"/>')
        pts = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(d, v))
        body.append(f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="2">'
                    f'<title>{escape(pair)}: {v[-1]:.2f} on day {d[-1]}</title></polyline>')
        if ref is not None:
            body.append(ref(grp, col, x, y, left, right))
        short = pair if len(pair) <= 90 else pair[:89] + "\u2026"
        lx, ly = 8 + (k % per_row) * (W - 8) / 2, bottom + 34 + 11 * (k // per_row)
        body.append(f'<line x1="{lx}" y1="{ly - 3}" x2="{lx + 12}" y2="{ly - 3}" stroke="{col}" stroke-width="2"/>')
        body.append(_text(lx + 15, ly, f"{short} {v[-1]:.2f}{note(grp) if note else ''}", 8, "start"))
    return body


def trust(hist: pd.DataFrame, horizon: int) -> str:
    """Each party's trust in each gradual term (docs/ODD.md 7.19): the mean share it
    expects carried out in the end, +-1 sd shaded, against the most the controllers can
    carry out (dashed). ``hist``: :func:`sim.viz.live.trust_history`."""
    vals = hist["value"].to_numpy(float)
    lo = min(0.0, math.floor(float((vals - hist["sd"].to_numpy(float)).min()) * 2) / 2)
    hi = max(1.0, math.ceil(float((vals + hist["sd"].to_numpy(float)).max()) * 2) / 2)

    def cap(grp, col, x, y, left, right):
        c = float(grp["capacity"].iloc[0])
        return (f'<line x1="{left}" y1="{y(c):.1f}" x2="{right}" y2="{y(c):.1f}" stroke="{col}" stroke-width="1" '
                f'stroke-dasharray="4 3"><title>capacity {c:.2f}: the most the controllers can carry out'
                f'</title></line>')

    title = "Trust in delivery: share expected, \u00b11 sd (dashed: capacity)"
    body = _day_lines(hist, horizon, lo, hi, ref=cap, band=True)
    return _svg(body, title, h=H_SMALL, cls="chart-trust")


def resolve(hist: pd.DataFrame, horizon: int) -> str:
    """The credibility each target gave each threat or promise aimed at it (docs/ODD.md
    7.20), on the days it weighed it, against the truth (dashed: 1 if the maker would
    carry it out). ``hist``: :func:`sim.viz.live.resolve_history`."""
    def truth(grp, col, x, y, left, right):
        pts = " ".join(f"{x(a):.1f},{y(b):.1f}" for a, b in zip(grp["day"], grp["truth"]))
        out = (f'<polyline points="{pts}" fill="none" stroke="{col}" stroke-width="1" stroke-dasharray="4 3">'
               f'<title>the truth: 1 if the maker would carry it out</title></polyline>')
        what, day = grp["outcome"].iloc[0], int(grp["outcome_day"].iloc[0])
        if what:            # the day it came due: a dot at 1 (done) or 0 (backed down); the legend says what
            v = 1.0 if what in ("carried out", "kept") else 0.0
            out += (f'<circle cx="{x(day):.1f}" cy="{y(v):.1f}" r="4" fill="{col}"><title>{escape(what)} on day '
                    f'{day}</title></circle>')
        return out

    def outcome(grp):
        what = grp["outcome"].iloc[0]
        return f" \u2014 {what} on day {int(grp['outcome_day'].iloc[0])} (dot)" if what else ""

    title = "Threats, promises: credibility to the target (dashed: truth)"
    body = _day_lines(hist, horizon, 0.0, 1.0, ref=truth, note=outcome)
    return _svg(body, title, h=H_SMALL, cls="chart-resolve")
