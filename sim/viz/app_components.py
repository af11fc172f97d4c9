"""The app's panels (Solara components), wired together by the top-level ``app.py``.

Each panel takes the model and reads it only through :mod:`sim.viz.live`. The day
panels are plain functions ``panel(model) -> element`` (Mesa's SolaraViz re-renders
them after every step); figures are small SVG charts (:mod:`sim.viz.svg`: fast, and
no JavaScript library to fetch, so the app works offline). :func:`OddsPanel` is a Solara component
with its own state: it runs the odds batch in a thread, with progress and cancel.
"""

from __future__ import annotations

import reacton.ipyvuetify as v
import solara
from mesa.visualization.utils import force_update, update_counter

from sim.viz import live, svg
from sim.viz.plots import actor_colors as _actor_colors

EMPHASIS = {"strong": "font-weight: 700", "em": "font-style: italic"}


def _p(*parts):
    """A paragraph of plain text and ("strong" | "em", text) pieces. (Not Markdown:
    solara's Markdown loads KaTeX from a CDN, and the app must work offline.)"""
    return v.Html(tag="p", style_="margin: 0 0 4px 0", children=[
        p if isinstance(p, str) else v.Html(tag=p[0], style_=EMPHASIS[p[0]], children=[p[1]]) for p in parts])


def _colors(model) -> dict[str, str]:
    return _actor_colors(list(model.actor_ids))


# =============================================================== the day panels
def Status(model):
    """Day, date, what is being run, input problems; a button to run to the end."""
    st = live.status(model)

    def run_to_end():
        while model.running:
            model.step()
        force_update()

    off = ", ".join(st["off"]) or "none"
    names = {c.path: c.name or c.path for c in live.controls(st["scenario"]).params}
    moved = ", ".join(f"{names.get(k, k)} = {v:.3g}" for k, v in st["pinned"].items()) or "none"
    with solara.Column(gap="4px") as col:
        _p(("strong", f"Day {st['day']} of {st['horizon']}"),
           f" \u2014 {st['date']:%d %b %Y} \u00b7 {st['agreements']} agreement(s)")
        _p(("em", st["title"]), f" \u00b7 seed {st['seed']} \u00b7 {st['protocol']} \u00b7 "
           f"stances off: {off} \u00b7 parameters moved: {moved}")
        _p("Change the controls on the left, then ", ("strong", "Reset"), " to apply them.")
        for p in st["problems"]:
            solara.Error(p)
        solara.Button("Run to the end", on_click=run_to_end, disabled=not st["running"],
                      color="primary", outlined=True)
    return col


def _chart(svg_text: str):
    return solara.HTML(tag="div", unsafe_innerHTML=svg_text)


def ChannelNetwork(model):
    """Actors (size: capability), channels by level, agreements in gold."""
    return _chart(svg.network(live.channel_graph(model), _colors(model), model.day))


def IssueValues(model):
    """Each issue: status quo, implemented value, each actor's stated position."""
    return _chart(svg.issues(live.issue_values(model), live.positions(model), _colors(model)))


def Stocks(model):
    """The crisis stocks, day by day."""
    return _chart(svg.stocks(live.stock_history(model), model.horizon, live.stocks(model)))


def Blame(model):
    """Public blame (row blames column)."""
    return _chart(svg.blame(live.blame(model)))


def EventLog(model):
    """Events, channel changes and agreements in plain words, the newest on top (after
    "Run to the end" the deal is in view, not below the fold)."""
    lines = live.log_lines(model)[::-1]
    with solara.Column(gap="2px", classes=["event-log"],
                       style={"max-height": "260px", "overflow-y": "auto"}) as col:
        _p(("strong", "Log"), " (newest first)")
        if not lines:
            solara.Text("Nothing has happened yet: press Step or \u25b6.")
        for line in lines:
            solara.Text(line, classes=["log-line"])
    return col


def Beliefs(model):
    """What actors believed about each other's floor, day by day, against the truth."""
    return _chart(svg.beliefs(live.belief_history(model), model.horizon))


def _line(head: str, text: str) -> str:
    return f'<p style="margin: 0 0 6px 0"><strong style="font-weight: 700">{head}</strong> {text}</p>'


def TrustAndResolve(model):
    """The two other beliefs, one chart above the other: each party's trust that a
    gradual term will be carried out (docs/ODD.md 7.19) and the credibility each target
    gives the threats and promises aimed at it (7.20). A kind with nothing to show says
    so in one line. One HTML element, as the other day panels (no container: the
    panels are also built outside a render context, ``benchmarks/bench_app.py``)."""
    parts = [
        _history_or_line(live.trust_history(model), svg.trust, model, live.has_gradual_terms(model),
                         "Trust in delivery:", "no gradual term of an agreement has been reviewed yet.",
                         "nothing here is carried out over time (no <em>delivery:</em> terms in this scenario)."),
        _history_or_line(live.resolve_history(model), svg.resolve, model, live.has_conditionals(model),
                         "Threats and promises:", "none has been weighed by its target yet.",
                         "none in this scenario."),
    ]
    return solara.HTML(tag="div", unsafe_innerHTML="".join(parts), classes=["trust-resolve"])


def _history_or_line(hist, chart, model, present: bool, label: str, not_yet: str, absent: str) -> str:
    """The chart of a belief's history, or one line saying why there is none yet
    (``present``: the scenario has what it is about) or at all."""
    if not hist.empty:
        return chart(hist, model.horizon)
    return _line(label, not_yet if present else absent)


DAY_PANELS = (ChannelNetwork, IssueValues, Stocks, Blame, Beliefs, TrustAndResolve)


@solara.component
def DayView(model: solara.Reactive):
    """Every day panel, redrawn once after each step.

    One component listens to Mesa's step counter for all panels: each listener costs
    a render pass over the whole page (about 35 ms on the reference machine), so six
    separately wrapped panels made a step take about 260 ms, one takes about 80 ms
    (``benchmarks/bench_app.py``)."""
    update_counter.get()          # subscribe: SolaraViz's Step/Play/Reset bump it
    m = model.value
    with solara.Column(classes=["day-view"]) as col:
        with solara.Columns([1, 1]):
            with solara.Card(margin=0):
                Status(m)
            with solara.Card(margin=0):
                EventLog(m)
        with solara.GridFixed(columns=2, align_items="start"):
            for panel in DAY_PANELS:
                with solara.Card(margin=0):
                    panel(m)
    return col


# =============================================================== the odds
def _fmt(row, share: bool) -> str:
    sign = "+" if row["statistic"] == "difference" else ""
    f = ".2f" if share else ".1f"
    return f"{row['estimate']:{sign}{f}} [{row['ci_low']:{sign}{f}}, {row['ci_high']:{sign}{f}}]"


def OddsTable(table):
    """The odds as an HTML table: one row per outcome, the scenario as written next to
    the user's settings, and the paired change."""
    heads = ["outcome", live.UNCHANGED, live.CURRENT, f"{live.CHANGE} (paired)"]
    rows = []
    for outcome, g in table.groupby("outcome", sort=False):
        share = outcome.startswith("P(")
        cell = {r["side"]: _fmt(r, share) for _, r in g.iterrows()}
        rows.append([outcome, cell.get(live.UNCHANGED, ""), cell.get(live.CURRENT, ""), cell.get(live.CHANGE, "")])
    def style(col, head=False):
        align = "left" if col == 0 else "right"
        return (f"padding: 2px 10px; text-align: {align}; white-space: nowrap"
                + ("; font-weight: 700; border-bottom: 1px solid #999" if head else ""))

    return v.Html(tag="table", style_="border-collapse: collapse; font-size: 0.9em", children=[
        v.Html(tag="tr", children=[v.Html(tag="th", style_=style(k, True), children=[h]) for k, h in enumerate(heads)]),
        *(v.Html(tag="tr", children=[v.Html(tag="td", style_=style(k), children=[c]) for k, c in enumerate(r)])
          for r in rows)])


@solara.component
def OddsPanel(model, reps: int = 5, sizes: tuple[int, ...] = live.RUNS_PER_SIDE, size: int = 50,
              in_process: bool = False):
    """Runs the current settings and the scenario as written as a small batch (runs per
    side chosen among ``sizes``: draws of the uncertain parameters x ``reps``
    replications each) and shows the headline odds with 95% intervals side by side,
    and the paired change. The batch runs on worker processes (:func:`live.odds_executor`:
    a batch in the app's own process slowed its steps to 200-400 ms), or in a
    thread of this process with ``in_process=True`` (fast to start: tests)."""
    settings = model.settings
    n, set_n = solara.use_state(size)
    points = max(1, n // reps)

    def choose(value):
        """The server decides: only one of the offered sizes (a page can send anything)."""
        try:
            k = int(str(value))
        except ValueError:
            return
        if k in sizes:
            set_n(k)

    def compute():
        def tick(done, total):
            task.progress = 100.0 * done / total

        executor = None if in_process else live.odds_executor()
        try:
            table = live.run_odds(settings, points, reps, progress=tick, cancel=lambda: not task.is_current(),
                                  executor=executor)
        finally:
            if executor is not None:
                executor.shutdown(wait=False, cancel_futures=True)
        return settings, points * reps, table

    task = solara.lab.use_task(compute, dependencies=None, prefer_threaded=True, raise_error=False)
    # the session ends (tab closed, kernel culled) or the scenario changes: the panel is
    # unmounted and its batch cancelled, so no job outlives the page that asked for it
    def on_unmount():
        if task.pending:
            task.cancel()

    solara.use_effect(lambda: on_unmount, [])
    with solara.Column(gap="6px", classes=["odds-panel"]) as col:
        _p(("strong", "Odds"), f" \u2014 {points * reps} runs of your settings and as many of the scenario "
           f"as written ({points} draws of the uncertain parameters you did not move \u00d7 {reps} "
           "replications; the same draws and random streams for both sides)")
        with solara.Row(style={"align-items": "center"}):
            solara.Select("Runs per side", value=str(n), values=[str(k) for k in sizes],
                          on_value=choose, disabled=task.pending)
            solara.Button(f"Run odds ({2 * points * reps} runs)", on_click=lambda: task(),
                          disabled=task.pending, color="primary")
            solara.Button("Cancel", on_click=task.cancel, disabled=not task.pending)
        if task.pending:
            solara.ProgressLinear(task.progress if task.progress is not None else True)
            solara.Text(f"running\u2026 {task.progress or 0:.0f}%", classes=["odds-progress"])
        elif task.cancelled:
            solara.Warning("Cancelled: no odds computed.")
        elif task.error:
            solara.Error(f"The odds batch failed: {task.exception}")
        elif task.finished and task.value is not None:
            used, runs, table = task.value
            off = ", ".join(used.off) or "none"
            names = {c.path: c.name or c.path for c in live.controls(used.scenario).params}
            pinned = ", ".join(f"{names.get(k, k)} = {v:g}" for k, v in used.pinned().items()) or "none"
            _p(("em", used.scenario), f", {runs} runs per side; stances off: {off}; parameters you set: {pinned}.")
            with solara.Div(classes=["odds-table"]):
                OddsTable(table)
    return col
