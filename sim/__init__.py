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

from sim.experiments.jobs import batch, sweep
from sim.model import NegotiationModel
from sim.results import RunResult
from sim.runner import run
from sim.scenario import Scenario, ScenarioError, list_scenarios, load_scenario
from sim.scenario.seeds import load_stance_table

__all__ = ["NegotiationModel", "RunResult", "Scenario", "ScenarioError", "batch", "list_scenarios",
           "load_scenario", "load_stance_table", "run", "sweep"]
__version__ = "0.1.0"
