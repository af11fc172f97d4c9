"""The daily series a calibration compares with data, recorded alone (issue 25).

A calibration needs, of each simulation, only the series its ``observables:`` name
(for the shipped scenarios: a stock's inflow). Recording the whole daily series and
building its tidy table cost about three times the run itself on ``history_2021``
(``run(series=True)`` 18.6 ms against ``run_outcomes`` 5.2 ms). When every observable
is a stock's level, inflow or outflow, :func:`observed_series` runs the model without
its series and records just those stocks each day, at the moments the full recorder
(:class:`sim.model.series.DailySeries`) reads them: after set-up and after each step.
The values are the same numbers; any other observable falls back to the full run.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

STOCK_SERIES = {"stock": "level", "inflow": "inflow", "outflow": "outflow"}


class _StockRecorder:
    """Stands in for the model's daily series: records ``(stock, attribute)`` pairs."""

    def __init__(self, wanted: list[tuple[str, str, str]]):
        self.wanted = wanted                 # (series name, stock name, attribute)
        self.days: list[int] = []
        self.values: list[list[float]] = []

    def collect(self, model) -> None:
        self.days.append(model.day)
        stocks = model.env.stocks
        self.values.append([getattr(stocks[stock], attr) for _, stock, attr in self.wanted])

    def frame(self, start_date) -> pd.DataFrame:
        days = np.asarray(self.days, dtype=np.int64)
        vals = np.asarray(self.values, dtype=float).reshape(len(days), len(self.wanted))
        n, k = len(days), len(self.wanted)
        out = pd.DataFrame({"day": np.tile(days, k),
                            "variable": np.repeat([w[0] for w in self.wanted], n).astype(object),
                            "actor": None, "target": None, "issue": None,
                            "value": vals.T.reshape(-1)})
        out = out.astype({"variable": "str"})
        out.insert(1, "date", pd.to_datetime(start_date) + pd.to_timedelta(out["day"], unit="D"))
        return out


def stock_series_of(sc, variables) -> list[tuple[str, str, str]] | None:
    """``(series, stock, attribute)`` for the observables of ``variables``, or None if
    one of them is not a stock's level, inflow or outflow (or names no stock)."""
    wanted = {}
    for v in variables:
        name = sc.observables[v].series
        kind, _, stock = name.partition(":")
        if kind not in STOCK_SERIES or stock not in sc.environment.stocks:
            return None
        wanted[name] = (name, stock, STOCK_SERIES[kind])
    return list(wanted.values())


def observed_series(sc, seed, variables) -> pd.DataFrame:
    """The tidy daily series (as :func:`sim.run` gives it) of the observables of
    ``variables``: recorded alone when they are all stock series, else from a full run."""
    from sim.runner import run

    wanted = stock_series_of(sc, variables)
    if wanted is None:
        return run(sc, seed=seed, series=True).series
    from sim.model import NegotiationModel

    model = NegotiationModel(sc, rng=np.random.default_rng(seed), horizon=None, collect=False, log_offers=False)
    rec = _StockRecorder(wanted)
    rec.collect(model)
    model.series = rec
    model.run()
    return rec.frame(sc.start_date)
