"""Run a scenario: scenario -> model -> run -> :class:`sim.results.RunResult`.

Every protocol runs the same way (it is a part of the day model, :mod:`sim.protocols.base`),
so nothing here depends on which one a scenario uses.
"""

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


def run(scenario: Scenario | str, seed: int | np.random.SeedSequence | None = 0,
        days: int | None = None, series: bool = True, protocol: str | None = None):
    """Run one replication and return its :class:`sim.results.RunResult`.

    ``scenario`` is a :class:`Scenario` or a scenario name/path; ``seed`` an int or a
    ``numpy.random.SeedSequence`` (all randomness of the run comes from it); ``days``
    sets how many days to simulate (default: the scenario's horizon; the actors'
    deadline is ``protocol.deadline_days``, whatever the horizon); ``series=False`` skips
    the daily series (faster); ``protocol`` runs the scenario under another protocol
    (:func:`with_protocol`). The result has the same tables and outcome keys whatever the
    protocol (``res.issues`` holds each protocol's forecast beside the implemented value).
    """
    sc = with_protocol(load_scenario(scenario) if isinstance(scenario, str) else scenario, protocol)
    model = _model(sc, seed, days, series, offers=True)
    return build_result(model, seed_record(seed))


def run_outcomes(scenario: Scenario | str, seed=0, days: int | None = None) -> dict:
    """Only the scalar outcomes of one run: the fast path used by batches."""
    return compute_outcomes(_model(scenario, seed, days, series=False, offers=False))


def with_protocol(sc: Scenario, name: str | None) -> Scenario:
    """The scenario under another negotiation protocol (same actors, issues, stances,
    channels and environment), validated again: a protocol's own fields must hold
    (mediation needs ``protocol.mediator``), else :class:`~sim.scenario.ScenarioError`."""
    if not name or name == sc.protocol.name:
        return sc
    from sim.scenario.loading import validate_mapping

    data = sc.model_dump(mode="json", by_alias=True, exclude_none=True)
    data["protocol"] = {**data.get("protocol", {}), "name": name}
    return validate_mapping(data, f"{sc.name} (with --protocol {name})", check_priors=False)
