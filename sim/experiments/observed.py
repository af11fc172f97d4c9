"""The observed data a calibration fits (a CSV of dated counts per variable): reading it
with clear errors, checking it against the scenario's observables, and summarising a
run's daily series on the same periods (sim/experiments/calibration.py)."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd

from sim.errors import ExperimentError
from sim.experiments.design import scenario_data
from sim.scenario import Scenario

MAX_DATA_BYTES = 5_000_000     # an observed-data CSV (a few KB in practice)
MAX_DATA_ROWS = 10_000
MAX_DATA_VALUE = 1e12          # |value|: counts and rates, far from float overflow


# =============================================================== observed data
def read_data(path: str | Path) -> pd.DataFrame:
    """The observed data: tidy CSV ``date, variable, value, source`` (+ ``unit``, ``note``).
    A fault is an :class:`ExperimentError` naming the file, the row and the column."""
    import io

    from sim.inputs import InputFileError, read_text

    path = Path(path)
    try:        # a regular file (not a FIFO or a device), bounded before it is read
        text = read_text(path, MAX_DATA_BYTES, "data")
        df = pd.read_csv(io.StringIO(text), dtype={"variable": str, "source": str})
    except InputFileError as exc:
        raise ExperimentError(str(exc)) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
        raise ExperimentError(f"{path}: not a CSV file ({(str(exc).splitlines() or [''])[0][:200]})") from None
    if len(df) > MAX_DATA_ROWS:
        raise ExperimentError(f"{path}: {len(df):,} data rows; at most {MAX_DATA_ROWS:,}")
    missing = [c for c in ("date", "variable", "value", "source") if c not in df.columns]
    if missing:
        raise ExperimentError(f"{path}: missing column(s) {', '.join(missing)} (need date, variable, value, source)")
    extra = set(df.columns) - {"date", "variable", "value", "source", "unit", "note"}
    if extra:
        raise ExperimentError(f"{path}: unknown column(s) {', '.join(sorted(extra))} "
                              "(allowed: date, variable, value, source, unit, note)")
    if not len(df):
        raise ExperimentError(f"{path}: no data rows")
    dates = pd.to_datetime(df["date"], errors="coerce", format="ISO8601")
    values = pd.to_numeric(df["value"], errors="coerce")
    for i in range(len(df)):
        line = i + 2                      # the header is line 1
        if pd.isna(dates.iloc[i]):
            raise ExperimentError(f"{path}:{line}: date: not a date (YYYY-MM-DD): {df['date'].iloc[i]!r}")
        if pd.isna(values.iloc[i]) or not math.isfinite(values.iloc[i]):
            raise ExperimentError(f"{path}:{line}: value: not a number: {str(df['value'].iloc[i])[:40]!r}")
        if abs(values.iloc[i]) > MAX_DATA_VALUE:
            raise ExperimentError(f"{path}:{line}: value: {values.iloc[i]:g} is beyond ±{MAX_DATA_VALUE:g}")
        for col in ("variable", "source"):
            if pd.isna(df[col].iloc[i]) or not str(df[col].iloc[i]).strip():
                raise ExperimentError(f"{path}:{line}: {col}: empty")
    out = df.assign(date=dates.dt.date, value=values.astype(float))
    dup = out.duplicated(["date", "variable"])
    if dup.any():
        i = int(np.flatnonzero(dup)[0])
        raise ExperimentError(f"{path}:{i + 2}: the same date and variable twice")
    return out.reset_index(drop=True)


def _period(dates: pd.Series, period: str) -> pd.Series:
    d = pd.to_datetime(dates)
    if period == "month":
        return d.dt.to_period("M").astype(str)
    if period == "week":
        return d.dt.to_period("W").astype(str)
    return d.dt.strftime("%Y-%m-%d")


def check_data(sc: Scenario, data: pd.DataFrame, file: str = "data") -> pd.DataFrame:
    """The data rows with their period keys, checked against the scenario: every
    variable has an observable, every period lies wholly inside the run."""
    if not sc.observables:
        raise ExperimentError(f"scenario '{sc.name}' has no 'observables:' block mapping data variables to "
                              "model outputs (see docs/ODD.md, Calibration)")
    unknown = sorted(set(data["variable"]) - set(sc.observables))
    if unknown:
        raise ExperimentError(f"{file}: variable(s) {', '.join(unknown)} not in scenario '{sc.name}' "
                              f"observables ({', '.join(sc.observables)})")
    first, last = pd.Timestamp(sc.start_date), pd.Timestamp(sc.date_of(sc.horizon_days))
    keys = []
    for i, r in data.iterrows():
        obs = sc.observables[r["variable"]]
        p = pd.Period(pd.Timestamp(r["date"]), {"month": "M", "week": "W", "day": "D"}[obs.period])
        if p.start_time < first or p.end_time.normalize() > last:
            raise ExperimentError(f"{file}:{i + 2}: {r['variable']} on {r['date']}: its {obs.period} "
                                  f"({p.start_time.date()} to {p.end_time.date()}) is not wholly inside the run "
                                  f"({first.date()} to {last.date()}); change start_date/horizon_days or drop the row")
        keys.append(str(p) if obs.period != "day" else p.strftime("%Y-%m-%d"))
    return data.assign(period_key=keys)


def summarise_run(series: pd.DataFrame, sc: Scenario, rows: list[tuple]) -> np.ndarray:
    """A run's summary: the value of each data row (variable, period key), in order,
    read off the run's daily ``series`` as the scenario's ``observables:`` say."""
    out = np.full(len(rows), np.nan)
    cache, data = {}, None
    for k, (variable, key) in enumerate(rows):
        obs = sc.observables[variable]
        if variable not in cache:
            s = series[series["variable"] == obs.series]
            for col in ("actor", "target", "issue"):
                if getattr(obs, col) is not None:
                    s = s[s[col] == getattr(obs, col)]
            if not len(s):
                raise ValueError(f"observable {variable}: the run has no series '{obs.series}'")
            if s.duplicated("day").any():
                raise ValueError(f"observable {variable}: series '{obs.series}' has several rows per day; "
                                 "pick one with actor, target or issue")
            s = s.sort_values("day")
            keys = _period(s["date"], obs.period)
            agg = s["value"].groupby(keys.to_numpy()).agg(obs.aggregate)
            scale, data = scale_of(obs, sc, data)
            cache[variable] = agg * scale
        out[k] = cache[variable].get(key, np.nan)
    return out


def scale_of(obs, sc: Scenario, data: dict | None = None) -> tuple[float, dict | None]:
    """An observable's ``scale`` as a number (a string names a field of the scenario's
    data, read from ``data`` or, when that is None, from the scenario); and that data."""
    scale = obs.scale
    if isinstance(scale, str):
        from sim.scenario.priors import _get

        data = data or scenario_data(sc)
        scale = _get(data, scale)
    return float(scale), data
