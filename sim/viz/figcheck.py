"""Does every piece of text of a figure fit? Text boxes measured by matplotlib's own
renderer (``Text.get_window_extent``) against each other, against the legends they do
not belong to, and against the figure's edge.

Used by the figure tests (``tests/viz/test_figure_text.py``) on every figure of every
command; a notebook can call :func:`text_problems` on its own figures.
"""

from __future__ import annotations

from matplotlib.legend import Legend
from matplotlib.text import Text

# Glyph boxes include the font's ascent and descent: two lines of text set one under
# the other touch by a pixel or two without any ink meeting.
TOLERANCE_PX = 2.0


def _axis_texts(fig) -> tuple[set[int], set[int]]:
    """(ids of the axis texts drawn, ids of all axis texts): tick labels of ticks inside
    the view limits, axis labels and offset texts, of visible axes only (a twin's
    hidden x axis keeps its own copies of the labels; matplotlib keeps the labels of
    ticks outside the view limits as Text objects it never draws)."""
    drawn, every = set(), set()
    for ax in fig.axes:
        for axis in ax._axis_map.values():
            ticks = axis.get_major_ticks() + axis.get_minor_ticks()
            own = [axis.label, axis.get_offset_text()]
            every.update(id(x) for x in own)
            for tick in ticks:
                every.update((id(tick.label1), id(tick.label2)))
            if not (ax.get_visible() and ax.axison and axis.get_visible()):
                continue
            drawn.update(id(x) for x in own)
            for tick in axis._update_ticks():
                for lab in (tick.label1, tick.label2):
                    if lab.get_visible():
                        drawn.add(id(lab))
    return drawn, every


def _texts(fig):
    """(Text, its box in pixels, its legend or None) for each visible, non-empty text."""
    renderer = fig.canvas.get_renderer()
    drawn, axis_texts = _axis_texts(fig)
    legends = [a for a in fig.findobj(Legend) if a.get_visible()]
    owner = {}
    for leg in legends:
        for t in leg.findobj(Text):
            owner[id(t)] = leg
    out = []
    for t in fig.findobj(Text):
        if not t.get_visible() or not t.get_text().strip():
            continue
        if id(t) in axis_texts and id(t) not in drawn:
            continue
        if t.axes is not None and not t.axes.get_visible():
            continue
        bb = t.get_window_extent(renderer)
        if bb.width <= 0 or bb.height <= 0:
            continue
        out.append((t, bb, owner.get(id(t))))
    return out, legends, renderer


def _overlap(a, b) -> bool:
    w = min(a.x1, b.x1) - max(a.x0, b.x0)
    h = min(a.y1, b.y1) - max(a.y0, b.y0)
    return w > TOLERANCE_PX and h > TOLERANCE_PX


def _name(t: Text) -> str:
    s = " ".join(t.get_text().split())
    return repr(s if len(s) <= 40 else s[:37] + "...")


def text_problems(fig) -> list[str]:
    """One line per problem: a text cut by the figure's edge, two texts on top of each
    other, a legend over a text that is not its own, TeX markup drawn as plain text (a log
    axis's default labels). Empty when everything fits."""
    fig.canvas.draw()
    texts, legends, renderer = _texts(fig)
    W, H = fig.bbox.width, fig.bbox.height
    problems = []
    for t, bb, _ in texts:
        if "\\mathdefault" in t.get_text():
            # a formatter's TeX markup drawn raw (mathtext is off: sim/viz/style.py)
            problems.append(f"TeX markup shown as text: {_name(t)}")
        if bb.x0 < -TOLERANCE_PX or bb.y0 < -TOLERANCE_PX or bb.x1 > W + TOLERANCE_PX or bb.y1 > H + TOLERANCE_PX:
            problems.append(f"clipped by the figure's edge: {_name(t)} "
                            f"(box {bb.x0:.0f},{bb.y0:.0f} to {bb.x1:.0f},{bb.y1:.0f} in {W:.0f}x{H:.0f})")
    for i in range(len(texts)):
        t, bb, leg = texts[i]
        for j in range(i + 1, len(texts)):
            u, cc, leg2 = texts[j]
            if _overlap(bb, cc):
                problems.append(f"text on text: {_name(t)} and {_name(u)}")
    for leg in legends:
        if not leg.get_visible():
            continue
        box = leg.get_window_extent(renderer)
        for t, bb, own in texts:
            if own is leg:
                continue
            if _overlap(box, bb):
                problems.append(f"legend over text: {_name(t)} under the legend "
                                f"({', '.join(_name(x) for x in leg.get_texts()[:2])}...)")
    return problems
