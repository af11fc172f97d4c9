"""The compromise model: the capability-and-salience weighted mean of the actors'
positions, and its weighted-median variant.

Thomson, Stokman, Achen & Koenig (eds., 2006), *The European Union Decides*
(Cambridge University Press), chapters 8 and 10 (Achen, "Evaluating political
decision-making models"): on 66 EU legislative issues this one-line baseline
forecast the outcomes as accurately as the far heavier bargaining models, among them
Bueno de Mesquita's expected-utility model. It is the yardstick a heavier protocol has
to beat: every protocol's forecast is reported next to it.

On issue k, with capability c_i, salience s_i (clipped to [0, 1], as the
expected-utility model reads it) and ideal position x_i of every actor of the
scenario, w_i = c_i s_i:

    mean   = sum_i w_i x_i / sum_i w_i                      (the compromise model)
    median = the x_i at which the cumulative w (positions sorted) first reaches half
             of the total                                   (the weighted-median variant)

Nothing moves and nothing is drawn: the result has one round (round 0) and no moves,
in the shape of the expected-utility result (:class:`EUResult`), so the two can be
printed, saved and plotted by the same code. Channels and stances play no part.
"""

from __future__ import annotations

from typing import ClassVar

import numpy as np
import pandas as pd

from sim.protocols.expected_utility import EUResult, to_scale, weighted_mean, weighted_median
from sim.scenario import Problem, Scenario, ScenarioError


class CompromiseModel:
    """Closed-form forecast per issue: weighted mean (compromise) and weighted median."""

    name = "compromise"
    classifier: ClassVar[dict] = {"deterministic": True, "moves": False}

    def __init__(self, scenario: Scenario):
        self.scenario = scenario
        self.issue_ids = list(scenario.issues)
        self.actor_ids = list(scenario.actors)
        a = scenario.actors.values()
        self.x = np.array([[sp.position[j] for j in self.issue_ids] for sp in a], dtype=float)
        s = np.clip(np.array([[sp.salience[j] for j in self.issue_ids] for sp in a], dtype=float), 0.0, 1.0)
        self.w = np.array([sp.capability for sp in a], dtype=float)[:, None] * s

    def forecast(self, issue: str) -> tuple[float, float]:
        """(weighted median, weighted mean) of issue ``issue`` on [0, 1]."""
        k = self.issue_ids.index(issue)
        w = self.w[:, k]
        if w.sum() <= 0:
            raise ScenarioError(self.scenario.name, [Problem(
                f"actors.*.salience.{issue}", "every actor's salience on this issue is 0: the compromise "
                "model (capability x salience weighted mean) has no forecast")])
        return weighted_median(self.x[:, k], w), weighted_mean(self.x[:, k], w)

    def run(self) -> EUResult:
        sc = self.scenario
        rows, pos, fc = [], [], []
        for k, j in enumerate(self.issue_ids):
            med01, mean01 = self.forecast(j)
            med, mean = float(to_scale(sc, j, med01)), float(to_scale(sc, j, mean01))
            rows.append({"round": 0, "issue": j, "median": med, "mean": mean})
            pos += [{"round": 0, "issue": j, "actor": a, "position": float(v)}
                    for a, v in zip(self.actor_ids, to_scale(sc, j, self.x[:, k]))]
            fc.append({"issue": j, "median": med, "mean": mean, "median_01": med01, "mean_01": mean01,
                       "status": "closed form", "rounds": 0})
        moves = pd.DataFrame(columns=["round", "issue", "actor", "toward", "kind", "from", "to"])
        return EUResult(sc.name, pd.DataFrame(rows), pd.DataFrame(pos), pd.DataFrame(fc), moves)


def run_compromise(scenario: Scenario) -> EUResult:
    """The compromise model's forecast for every issue of the scenario."""
    return CompromiseModel(scenario).run()
