"""The page every report is: its template (:func:`render`), its style sheet, and the
HTML parts the sections are made of (tables, cells, links, embedded figures)."""

from __future__ import annotations

import base64
import datetime as dt
import html
import io
import math
from dataclasses import dataclass
from pathlib import Path

import pandas as pd


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


PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title><style>{css}</style></head>
<body><h1>{title}</h1>
<section class="headline">{head}</section>
{body}
<p class="meta">Command: <code>{command}</code><br>
Written {written} by diplosim. Everything above is in this file; the raw
tables it links sit beside it.</p>
</body></html>
"""
"""The one page template: the title, the answer first (the headline), the body (figures,
tables, the scenario), then the command that made the results."""


@dataclass
class Page:
    """A report page: its title, headline and body (HTML), the command that made the
    results, and any style rules of its own."""

    title: str
    head: str
    body: str
    command: list
    css: str = ""

    def render(self) -> str:
        return PAGE.format(title=_e(self.title), css=CSS + self.css, head=self.head, body=self.body,
                           command=_e(" ".join(map(str, self.command))),
                           written=dt.datetime.now().strftime("%Y-%m-%d %H:%M"))


@dataclass
class Section:
    """What a section builder (one per result kind) says of a results folder: the
    title, the headline, what follows the figures, the scenarios (with the reference one
    the others are shown against), the command, and the parameter mode."""

    title: str
    head: str
    after: list
    specs: dict
    command: list
    ref_name: str | None = None
    mode_label: str = ""


def figures_html(figs: dict) -> str:
    """The figures of ``figs`` (name -> (Figure, caption)), embedded as PNG."""
    return "".join(f'<figure id="fig-{_e(n)}"><img alt="{_e(n)}" src="{_img(f)}">'
                   f"<figcaption>{_e(c)}</figcaption></figure>" for n, (f, c) in figs.items())
