"""The compromise model: the capability-and-salience weighted mean of the actors'
positions, and its weighted-median variant.

Thomson, Stokman, Achen & Koenig (eds., 2006), *The European Union Decides*
(Cambridge University Press), chapters 8 and 10 (Achen, "Evaluating political
decision-making models"): on 66 EU legislative issues this one-line baseline
forecast the outcomes as accurately as the far heavier bargaining models, among them
Bueno de Mesquita's expected-utility model. It is the yardstick a heavier protocol has
to beat: every protocol's forecast is reported next to it (``cm_mean``, ``cm_median``
in every run's issues table).

On issue k, with capability c_i, salience s_i (clipped to [0, 1], as the
expected-utility model reads it) and ideal position x_i of every actor of the
scenario, w_i = c_i s_i:

    mean   = sum_i w_i x_i / sum_i w_i                      (the compromise model)
    median = the x_i at which the cumulative w (positions sorted) first reaches half
             of the total                                   (the weighted-median variant)

As a protocol of the day model it negotiates nothing and moves nobody: its forecast is
``protocol.compromise_forecast`` (``mean``, the default, or ``median``) of the ideal
points; the rest of the day (the crisis, unilateral moves, blame) runs as under any
protocol. Channels and stances play no part in the forecast.
"""

from __future__ import annotations

from typing import Literal

from sim.analysis.compromise import compromise_forecast, no_weight_error
from sim.protocols.base import Protocol
from sim.scenario.schema import ProtocolOptions

HELP = "capability x salience weighted mean of positions: the yardstick"
COLOR = "#009E73"


class Options(ProtocolOptions):
    """The compromise model's field of ``protocol:``: its forecast is the weighted mean
    (the compromise model) or the weighted median (its variant); both are reported
    beside every protocol's forecast."""

    compromise_forecast: Literal["mean", "median"] = "mean"


class Compromise(Protocol):
    """Closed-form forecast per issue: weighted mean (compromise model) or weighted median."""

    name = "compromise"
    classifier = {"makes_agreements": False, "time": "closed form (nothing moves)", "stochastic": False,
                  "forecast": "the capability x salience weighted mean (or median) of the ideal points",
                  "source": "Thomson, Stokman, Achen & Koenig (2006), The European Union Decides"}

    def __init__(self, model, spec):
        super().__init__(model, spec)
        sc = model.spec
        fc = compromise_forecast(sc)
        zero = [j for j, (mean, _) in fc.items() if mean != mean]
        if zero:
            raise no_weight_error(sc, zero, "compromise")
        pick = 0 if spec.compromise_forecast == "mean" else 1
        self._forecast = {k: fc[j][pick] for k, j in enumerate(model.issue_ids)}

    def forecast(self) -> dict[int, float]:
        return dict(self._forecast)

    def issue_status(self, k: int) -> tuple[str, int | None]:
        return "closed form", 0
