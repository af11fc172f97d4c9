"""diplosim: a Mesa-based simulator of multi-party diplomatic negotiation.

Notebook use::

    import sim
    sc = sim.load_scenario("baseline")
    res = sim.run(sc, seed=1)
    res.summary          # outcomes, one row each
    res.agreements       # the diplomatic record
    res.series           # tidy daily series
    sim.viz.plots.plot_positions(res)
    runs = sim.batch(["baseline", "russia_engages"], reps=100)   # one row per run
"""

import importlib

# Imported on first use (PEP 562): `import sim` and the command line's --help stay light;
# a batch worker imports only what a run needs.
_LAZY = {
    "batch": "sim.experiments.jobs", "sweep": "sim.experiments.jobs",
    "NegotiationModel": "sim.model", "RunResult": "sim.results", "run": "sim.runner",
    "Scenario": "sim.scenario", "ScenarioError": "sim.scenario", "list_scenarios": "sim.scenario",
    "load_scenario": "sim.scenario", "load_stance_table": "sim.scenario.seeds",
}

__all__ = ["NegotiationModel", "RunResult", "Scenario", "ScenarioError", "batch", "list_scenarios",
           "load_scenario", "load_stance_table", "run", "sweep"]
__version__ = "0.1.0"


def __getattr__(name: str):
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    try:                                    # subpackages: sim.viz, sim.experiments, ...
        return importlib.import_module(f"sim.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"sim.{name}":
            raise
        raise AttributeError(f"module 'sim' has no attribute {name!r}") from None


def __dir__():
    return sorted([*globals(), *_LAZY])
