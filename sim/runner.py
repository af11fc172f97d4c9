"""Run a scenario: scenario -> model -> run -> :class:`sim.results.RunResult`."""

from __future__ import annotations

import numpy as np

from sim.model import NegotiationModel
from sim.results import RunResult, build_result
from sim.scenario import Scenario, load_scenario


def run(scenario: Scenario | str, seed: int | np.random.SeedSequence | None = 0,
        days: int | None = None, series: bool = True) -> RunResult:
    """Run one replication and return its result.

    ``scenario`` is a :class:`Scenario` or a scenario name/path; ``seed`` an int or a
    ``numpy.random.SeedSequence`` (all randomness of the run comes from it); ``days``
    overrides the scenario's horizon; ``series=False`` skips the daily series (faster).
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1 (got {days})")
    rng = np.random.default_rng(seed)
    model = NegotiationModel(sc, rng=rng, horizon=days, collect=series)
    model.run()
    return build_result(model, seed if not isinstance(seed, np.random.SeedSequence) else
                        {"entropy": seed.entropy, "spawn_key": list(seed.spawn_key)})
