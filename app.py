"""The interactive app (Mesa SolaraViz): watch a crisis unfold, flip a stance, see the odds move.

    make app                 # or: solara run app.py

Pick a scenario; its controls appear on the left (the ``uncertain:`` parameters as
sliders within their ranges, each stance as a toggle labelled with its quote, the
protocol, the seed). Reset applies them; Step, ▶ and "Run to the end" advance the days.
The odds panel runs the settings as a small batch next to the scenario as written.

This file only wires components, as Mesa's own examples do: SolaraViz gives the
controls (model parameters, Reset / ▶ / Step); the panels are in
:mod:`sim.viz.app_components`, and all they read from the model goes through
:mod:`sim.viz.live`. The day panels are one component (``DayView``) placed after
SolaraViz rather than six entries of ``components=``: each entry re-renders the page
on its own after a step, and six made a step too slow (see ``benchmarks/bench_app.py``).
"""

import functools

import solara
from mesa.visualization import SolaraViz

from sim.viz import live
from sim.viz.app_components import DayView, OddsPanel


def _value_always_shown(slider):
    """Mesa's controls call ``solara.SliderFloat``/``SliderInt`` without a thumb label:
    every slider of the page shows its value on its thumb."""
    @functools.wraps(slider)
    def wrapped(*args, **kwargs):
        kwargs.setdefault("thumb_label", "always")
        return slider(*args, **kwargs)
    wrapped.value_always_shown = True
    return wrapped


if not getattr(solara.SliderFloat, "value_always_shown", False):
    solara.SliderFloat = _value_always_shown(solara.SliderFloat)
    solara.SliderInt = _value_always_shown(solara.SliderInt)

scenario = solara.reactive(live.DEFAULT_SCENARIO)


@solara.component
def Page():
    # the server decides: a name the page sends that is not a scenario of the list (a
    # path, anything) shows the default scenario
    name = scenario.value if scenario.value in live.scenario_names() else live.DEFAULT_SCENARIO
    # One reactive model per scenario: SolaraViz's Reset puts the new model in it.
    model = solara.use_memo(lambda: solara.Reactive(live.LiveModel(scenario_name=name)), [name])
    with solara.Sidebar():
        with solara.Card("Scenario"):
            solara.Select("Scenario", value=scenario, values=live.scenario_names())
    with solara.Column(style={"padding": "8px"}):
        SolaraViz(model, components=[], model_params=live.model_params(name),
                  name="diplosim: a crisis, day by day", play_interval=50).key(f"viz-{name}")
        DayView(model)
        with solara.Card("What did the flip do? The odds", margin=0):
            # keyed by scenario: switching scenario starts a fresh panel (no odds of the last one)
            OddsPanel(model.value).key(f"odds-{name}")
