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

    def summary(self, sc, rows: list[tuple]) -> np.ndarray | None:
        """The run's summary (:func:`sim.experiments.observed.summarise_run`) read off
        the recorded arrays without building the tidy frame: each observable's values in
        day order, grouped by the same period keys and aggregated by the same pandas
        group-by, so the numbers are the same. None when the recorded days are not
        strictly increasing (then the frame's path decides, and raises if it must)."""
        from sim.experiments.observed import scale_of

        days = np.asarray(self.days, dtype=np.int64)
        if not len(days) or (np.diff(days) <= 0).any():
            return None
        vals = np.asarray(self.values, dtype=float).reshape(len(days), len(self.wanted))
        column = {w[0]: k for k, w in enumerate(self.wanted)}
        out = np.full(len(rows), np.nan)
        cache, data = {}, None
        for k, (variable, key) in enumerate(rows):
            if variable not in cache:
                obs = sc.observables[variable]
                labels = period_labels(sc.start_date, days, obs.period)
                agg = pd.Series(vals[:, column[obs.series]]).groupby(labels).agg(obs.aggregate)
                scale, data = scale_of(obs, sc, data)
                cache[variable] = agg * scale
            out[k] = cache[variable].get(key, np.nan)
        return out


_LABELS: dict = {}


def period_labels(start_date, days: np.ndarray, period: str) -> np.ndarray:
    """The period key of each day (as :func:`sim.experiments.observed._period` gives it
    for the frame's ``date`` column); kept for the next run of the same dates."""
    from sim.experiments.observed import _period

    key = (str(start_date), days.tobytes(), period)
    if key not in _LABELS:
        if len(_LABELS) > 64:
            _LABELS.clear()
        dates = pd.to_datetime(start_date) + pd.to_timedelta(pd.Series(days), unit="D")
        _LABELS[key] = _period(dates, period).to_numpy()
    return _LABELS[key]


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


def observed_summary(sc, seed, rows: list[tuple]) -> np.ndarray:
    """A calibration simulation's summary (one value per data row, ``(variable, period
    key)``): :func:`summarise_run` of :func:`observed_series`, the same numbers, without
    the tidy frame when every observable is a stock's series with no actor, target or
    issue filter (issue 25b: the frame and its summary cost 3 ms of an 8 ms
    ``history_2021`` simulation)."""
    from sim.experiments.observed import summarise_run

    variables = list(dict.fromkeys(v for v, _ in rows))
    filtered = any(getattr(sc.observables[v], c) is not None for v in variables for c in ("actor", "target", "issue"))
    rec = None if filtered else _record(sc, seed, variables)
    summary = rec.summary(sc, rows) if rec is not None else None
    if summary is not None:
        return summary
    series = rec.frame(sc.start_date) if rec is not None else observed_series(sc, seed, variables)
    return summarise_run(series, sc, rows)


def _record(sc, seed, variables) -> _StockRecorder | None:
    """The model run with only the observables' stocks recorded, or None if one of them
    is not a stock's series."""
    wanted = stock_series_of(sc, variables)
    if wanted is None:
        return None
    from sim.model import NegotiationModel

    model = NegotiationModel(sc, rng=np.random.default_rng(seed), horizon=None, collect=False, log_offers=False)
    rec = _StockRecorder(wanted)
    rec.collect(model)
    model.series = rec
    model.run()
    return rec


def observed_series(sc, seed, variables) -> pd.DataFrame:
    """The tidy daily series (as :func:`sim.run` gives it) of the observables of
    ``variables``: recorded alone when they are all stock series, else from a full run."""
    from sim.runner import run

    rec = _record(sc, seed, variables)
    if rec is None:
        return run(sc, seed=seed, series=True).series
    return rec.frame(sc.start_date)
