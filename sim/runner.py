"""Run a scenario: scenario -> model -> run -> :class:`sim.results.RunResult`."""

from __future__ import annotations

import numpy as np

from sim.model import NegotiationModel
from sim.results import build_result, compute_outcomes
from sim.scenario import Scenario, load_scenario


def _model(scenario, seed, days, series: bool, offers: bool) -> NegotiationModel:
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    if days is not None and days < 1:
        raise ValueError(f"days must be at least 1 (got {days})")
    model = NegotiationModel(sc, rng=np.random.default_rng(seed), horizon=days,
                             collect=series, log_offers=offers)
    model.run()
    return model


def seed_record(seed) -> object:
    """How a seed is written in results: an int as is; a SeedSequence as its
    entropy and spawn key, from which ``SeedSequence(entropy, spawn_key=...)`` rebuilds it."""
    if isinstance(seed, np.random.SeedSequence):
        return {"entropy": int(seed.entropy), "spawn_key": [int(k) for k in seed.spawn_key]}
    return seed


def _eu():
    from sim.protocols.expected_utility import run_expected_utility

    return run_expected_utility


def _compromise():
    from sim.protocols.compromise import run_compromise

    return run_compromise


# Protocols that forecast positions in rounds rather than simulate days (loaded lazily).
FORECASTS = {"expected_utility": _eu, "compromise": _compromise}


def run(scenario: Scenario | str, seed: int | np.random.SeedSequence | None = 0,
        days: int | None = None, series: bool = True):
    """Run one replication and return its result.

    ``scenario`` is a :class:`Scenario` or a scenario name/path; ``seed`` an int or a
    ``numpy.random.SeedSequence`` (all randomness of the run comes from it); ``days``
    sets how many days to simulate (default: the scenario's horizon; the actors'
    deadline is ``protocol.deadline_days``, whatever the horizon); ``series=False`` skips the daily series (faster).

    A scenario whose protocol is a forecast model (``expected_utility``,
    ``compromise``: :data:`FORECASTS`) runs it instead and returns its
    :class:`sim.protocols.expected_utility.EUResult` (deterministic: the seed and
    ``days`` do not apply).
    """
    sc = load_scenario(scenario) if isinstance(scenario, str) else scenario
    forecast = FORECASTS.get(sc.protocol.name)
    if forecast is not None:
        return forecast()(sc)
    model = _model(sc, seed, days, series, offers=True)
    return build_result(model, seed_record(seed))


def run_outcomes(scenario: Scenario | str, seed=0, days: int | None = None) -> dict:
    """Only the scalar outcomes of one run: the fast path used by batches."""
    return compute_outcomes(_model(scenario, seed, days, series=False, offers=False))


def with_protocol(sc: Scenario, name: str | None) -> Scenario:
    """The scenario with another negotiation protocol (same actors, issues, stances)."""
    if not name or name == sc.protocol.name:
        return sc
    return sc.model_copy(update={"protocol": sc.protocol.model_copy(update={"name": name})})
