"""The compromise model as a yardstick (Thomson, Stokman, Achen & Koenig 2006, *The
European Union Decides*, chapters 8 and 10): the capability x salience weighted mean of
the actors' ideal points, and its weighted-median variant, computed from the scenario.

After every run :mod:`sim.results` puts these forecasts (``cm_mean``, ``cm_median``)
beside the protocol's own; the compromise *protocol* (:mod:`sim.protocols.compromise`)
is the same formula run as a protocol, and the expected-utility protocol forecasts the
weighted median of its positions, so both read the formulas here. This module imports
nothing of the model or the protocols.
"""

from __future__ import annotations

import numpy as np

from sim.scenario import Problem, Scenario, ScenarioError


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The position at which the cumulative weight (positions sorted) first reaches
    half of the total: BDM's median voter position."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2.0)])


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    return float(sum(a * b for a, b in zip(w, x)) / sum(w))


def compromise_weights(sc: Scenario) -> tuple[np.ndarray, np.ndarray]:
    """(x, w): actors x issues ideal points and weights c_i s_i (salience clipped to [0, 1])."""
    issues = list(sc.issues)
    a = sc.actors.values()
    x = np.array([[sp.position[j] for j in issues] for sp in a], dtype=float)
    s = np.clip(np.array([[sp.salience[j] for j in issues] for sp in a], dtype=float), 0.0, 1.0)
    return x, np.array([sp.capability for sp in a], dtype=float)[:, None] * s


def compromise_forecast(sc: Scenario) -> dict[str, tuple[float, float]]:
    """Issue -> (weighted mean, weighted median) on [0, 1]; NaN where no actor has weight."""
    x, w = compromise_weights(sc)
    out = {}
    for k, j in enumerate(sc.issues):
        if not w[:, k].sum() > 0:
            out[j] = (float("nan"), float("nan"))
        else:
            out[j] = (weighted_mean(x[:, k], w[:, k]), weighted_median(x[:, k], w[:, k]))
    return out


def no_weight_error(sc: Scenario, issues: list[str], model: str) -> ScenarioError:
    """The error of an issue on which no actor has weight (capability x salience)."""
    return ScenarioError(sc.name, [Problem(
        f"actors.*.salience.{j}", f"every actor's salience on this issue is 0: the {model} model "
        "(capability x salience weights) has no forecast") for j in issues])
