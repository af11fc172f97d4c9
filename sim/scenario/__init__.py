"""Scenarios: the schema (:mod:`.schema`), loading with ``extends`` and clear errors
(:mod:`.loading`), and the seed article with its stance table (:mod:`.seeds`)."""

from sim.scenario import continuation as _continuation  # noqa: F401,E402  (registers starts_from: with the loader)
from sim.scenario.loading import (
                                  Problem,
                                  ScenarioError,
                                  deep_merge,
                                  list_scenarios,
                                  load_raw,
                                  load_scenario,
                                  resolve_scenario_path,
                                  validate_mapping,
)
from sim.scenario.schema import *  # noqa: F401,F403  (the schema's classes)
from sim.scenario.schema import SCENARIO_DIR, Scenario

__all__ = ["SCENARIO_DIR", "Problem", "Scenario", "ScenarioError", "deep_merge", "list_scenarios",
           "load_raw", "load_scenario", "resolve_scenario_path", "validate_mapping"]
