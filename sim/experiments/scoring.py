"""Scoring a scenario's forecast against an observed record.

A record is a YAML list of observations (or a mapping with an ``observations:`` list),
each either

* ``{outcome: COLUMN, observed: 0/1 or a number, source: ...}`` - any column of
  ``runs.parquet`` (``any_political``, ``final:sanctions``, ``stock_peak:pressure`` ...), or
* ``{series: VARIABLE, day: N, observed: NUMBER, source: ...}`` - a variable of the
  daily series on day N (``actor``, ``target``, ``issue`` pick a row where the variable
  has one per actor or issue).

Optional: ``reference:`` (the naive forecast to beat), ``label``, ``note``.

The scenario runs ``reps`` times (under its priors unless ``fixed``) and each
observation gets the forecast distribution of its quantity over the runs:

* binary (a yes/no outcome): the forecast probability ``p``; Brier score ``(p - o)^2``
  (Brier 1950);
* continuous: the median and the 90% interval (5th-95th percentile); the CRPS of the
  ensemble, ``mean|X - y| - 1/2 mean|X - X'|`` over all pairs of members (the empirical
  form, Gneiting & Raftery 2007, eq. 21), and whether ``y`` is inside the interval.

The fair CRPS (Ferro 2014: the pair term over the N(N-1) distinct pairs) is given beside
it: it does not reward a small ensemble for its size.

Skill is ``1 - score / score_of_reference``, against a reference that can be beaten *and*
lost to. With ``--posterior`` the reference is the prior predictive: the same scenario
under its priors, on the same seeds (did calibrating help?). Otherwise, unless the
record gives ``reference:`` (e.g. a base rate), it is even odds, p = 0.5, for a yes/no
outcome (the base rate when none is known; the old reference, p = 0, made the skill of
any forecast of an event that happened non-negative and was undefined when it did not),
the issue's status quo for ``final:ISSUE``, and the series' value on day 0 for a series
(the stock stays where it starts); for other outcomes the record must give one (else the
skill is left empty). The CRPS of a point forecast ``r`` is ``|r - y|``. A positive skill
beats the reference; 0 ties; negative is worse.

Calibration over the record (:func:`save_calibration_figure`, ``score --figure``): each
numeric observation's PIT (:func:`pit`, the ``pit`` column) and, with at least
:data:`MIN_FIGURE` observations of a kind, a PIT histogram and a reliability diagram.

The totals keep Brier and CRPS apart: the Brier skill is ``1 - sum(Brier) /
sum(reference Brier)`` over the yes/no observations, the CRPS skill the same over the
numbers (skill from the summed scores, not a mean of per-observation skills, which one
near-zero reference score can dominate).
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pandas as pd
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from sim.experiments.jobs import ExperimentError, execute, make_job, scenario_data
from sim.scenario import Scenario


# =============================================================== the scores
def brier(p, o) -> float:
    """Brier score of probability ``p`` for outcome ``o`` (0 or 1)."""
    return float((float(p) - float(o)) ** 2)


def crps_ensemble(members, y) -> float:
    """CRPS of an ensemble (equal weights) for the observation ``y``:
    ``mean|X - y| - 0.5 mean|X - X'|`` (all N^2 pairs), computed in O(N log N)."""
    x = np.sort(np.asarray(members, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return math.nan
    i = np.arange(1, n + 1)
    pair_mean = 2.0 * np.sum((2 * i - n - 1) * x) / n ** 2        # mean |X - X'|
    return max(0.0, float(np.mean(np.abs(x - y)) - 0.5 * pair_mean))     # >= 0 (rounding)


def crps_fair(members, y) -> float:
    """The fair CRPS of an ensemble (Ferro 2014): ``mean|X - y| - sum_{i != j}|X_i - X_j|
    / (2 N (N - 1))``, the CRPS the ensemble's distribution would get with infinitely many
    members (unbiased); NaN with fewer than 2 members."""
    x = np.sort(np.asarray(members, dtype=float))
    x = x[~np.isnan(x)]
    n = len(x)
    if n < 2:
        return math.nan
    i = np.arange(1, n + 1)
    pair_sum = 2.0 * np.sum((2 * i - n - 1) * x)                  # sum over i != j of |X_i - X_j|
    return float(np.mean(np.abs(x - y)) - pair_sum / (2 * n * (n - 1)))


def pit(members, y, rng: np.random.Generator) -> float:
    """The probability integral transform of ``y`` under an ensemble: its rank among
    the members made continuous, ``(#{x < y} + k + U) / (n + 1)`` with ``k`` uniform on
    ``0..#{x == y}`` and ``U`` uniform on [0, 1) (ties broken at random, Anderson 1996;
    Gneiting, Balabdaoui & Raftery 2007). Uniform on [0, 1] when ``y`` is drawn from the
    members' own distribution; NaN without members."""
    x = np.asarray(members, dtype=float)
    x = x[~np.isnan(x)]
    if not len(x):
        return math.nan
    below, ties = int((x < y).sum()), int((x == y).sum())
    return float((below + rng.integers(0, ties + 1) + rng.random()) / (len(x) + 1))


MIN_FIGURE = 10      # observations of a kind needed for its PIT histogram or reliability diagram


def calibration_figure_note(table: pd.DataFrame) -> str:
    """Which calibration panels a scored table supports, in words."""
    nc = int((table["kind"] == "continuous").sum())
    nb = int((table["kind"] == "binary").sum())
    parts = [f"PIT histogram: {nc} numeric observations" + ("" if nc >= MIN_FIGURE else f" (needs {MIN_FIGURE})"),
             f"reliability diagram: {nb} yes/no observations" + ("" if nb >= MIN_FIGURE else f" (needs {MIN_FIGURE})")]
    return "; ".join(parts)


def save_calibration_figure(table: pd.DataFrame, path: str | Path, title: str = "") -> Path | None:
    """The forecast's calibration over the record (``score --figure``): a PIT histogram
    of the numeric observations (flat if the forecast distributions are calibrated; a U
    is too narrow, a hump too wide; the grey band holds 90% of bar heights under
    uniformity) and a reliability diagram of the yes/no ones (observed frequency against
    forecast probability in five bins; on the diagonal if calibrated; bin counts
    printed). A panel needs :data:`MIN_FIGURE` observations of its kind; None (and no
    file) when neither has them."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from scipy import stats

    cont = table[table["kind"] == "continuous"]["pit"].dropna().to_numpy(float) if "pit" in table else np.array([])
    binr = table[table["kind"] == "binary"]
    panels = [k for k, ok in (("pit", len(cont) >= MIN_FIGURE), ("rel", len(binr) >= MIN_FIGURE)) if ok]
    if not panels:
        return None
    fig, axes = plt.subplots(1, len(panels), figsize=(5.2 * len(panels), 4.2), squeeze=False)
    for ax, kind in zip(axes[0], panels):
        if kind == "pit":
            bins = 5 if len(cont) < 50 else 10
            counts, edges = np.histogram(cont, bins=bins, range=(0, 1))
            lo, hi = stats.binom.ppf([0.05, 0.95], len(cont), 1 / bins) / len(cont) * bins
            ax.axhspan(lo, hi, color="0.88", label="90% of bars if calibrated")
            ax.bar(edges[:-1], counts / len(cont) * bins, width=1 / bins, align="edge", color="#4C72B0",
                   edgecolor="white", label="observations")
            ax.axhline(1.0, color="0.3", lw=1, ls="--")
            ax.set_xlim(0, 1)
            ax.set_ylim(0, 1.45 * max(hi, (counts / len(cont) * bins).max()))      # room for the legend
            ax.set_xlabel("PIT: the forecast's quantile at the observed value")
            ax.set_ylabel("density")
            ax.set_title(f"PIT histogram ({len(cont)} numeric observations)", fontsize=10)
            ax.legend(fontsize=8, loc="upper right", ncol=2)
        else:
            p = binr["forecast"].to_numpy(float)
            o = binr["observed"].to_numpy(float)
            edges = np.linspace(0, 1, 6)
            which = np.clip(np.digitize(p, edges[1:-1]), 0, 4)
            ax.plot([0, 1], [0, 1], color="0.3", lw=1, ls="--", label="calibrated")
            xs, ys, ns = [], [], []
            for b in range(5):
                m = which == b
                if m.any():
                    xs.append(p[m].mean())
                    ys.append(o[m].mean())
                    ns.append(int(m.sum()))
            ax.plot(xs, ys, "o-", color="#DD8452", label="observed frequency")
            for x, y, n in zip(xs, ys, ns):
                ax.annotate(f"n={n}", (x, y), textcoords="offset points", fontsize=8,
                            xytext=(-30 if x > 0.75 else 6, -14 if y > 0.5 else 6),
                            bbox={"fc": "white", "ec": "none", "alpha": 0.8, "pad": 1})
            ax.set_xlim(-0.03, 1.03)
            ax.set_ylim(-0.06, 1.06)
            ax.set_xlabel("forecast probability")
            ax.set_ylabel("observed frequency")
            ax.set_title(f"Reliability ({len(binr)} yes/no observations)", fontsize=10)
            ax.legend(fontsize=8, loc="upper left")
    if title:
        fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def skill(score: float, reference: float) -> float:
    """``1 - score / reference``; NaN where the reference scores 0 (nothing to beat)."""
    if not np.isfinite(reference) or reference == 0:
        return math.nan
    return float(1.0 - score / reference)


# =============================================================== the record
MAX_OBSERVATIONS = 1_000


class Observation(BaseModel):
    model_config = ConfigDict(extra="forbid")

    outcome: str | None = None
    series: str | None = None
    day: int | None = Field(None, ge=0)
    actor: str | None = None
    target: str | None = None
    issue: str | None = None
    observed: float
    source: str = Field(min_length=1)
    reference: float | None = None
    label: str = ""
    note: str = ""

    @model_validator(mode="after")
    def _what(self):
        if (self.outcome is None) == (self.series is None):
            raise ValueError("give exactly one of 'outcome' or 'series'")
        if self.series is not None and self.day is None:
            raise ValueError("a series observation needs 'day'")
        if self.outcome is not None and self.day is not None:
            raise ValueError("'day' goes with 'series', not 'outcome'")
        if not math.isfinite(self.observed):
            raise ValueError("observed must be a finite number")
        if self.reference is not None and not math.isfinite(self.reference):
            raise ValueError("reference must be a finite number")
        return self

    @property
    def name(self) -> str:
        if self.label:
            return self.label
        if self.outcome:
            return self.outcome
        who = ",".join(x for x in (self.actor, self.target, self.issue) if x)
        return f"{self.series}{'[' + who + ']' if who else ''}@day{self.day}"


def load_record(path: str | Path) -> list[Observation]:
    """The observations of a record file; a fault is an :class:`ExperimentError` naming
    the file, the entry and the field."""
    from sim.scenario import ScenarioError
    from sim.scenario.loading import parse_yaml

    path = Path(path)
    try:    # a scenario file's limits: a regular UTF-8 file of at most 1 MB, 50 levels, no duplicate keys
        data, _ = parse_yaml(path)
    except ScenarioError as exc:
        raise ExperimentError(f"record: {exc.format()}") from None
    if isinstance(data, dict):
        data = data.get("observations")
    if not isinstance(data, list) or not data:
        raise ExperimentError(f"{path}: a record is a non-empty list of observations "
                              "(or a mapping with an 'observations:' list)")
    if len(data) > MAX_OBSERVATIONS:
        raise ExperimentError(f"{path}: {len(data):,} observations; at most {MAX_OBSERVATIONS:,}")
    out = []
    for n, entry in enumerate(data):
        try:
            out.append(Observation.model_validate(entry))
        except ValidationError as exc:
            e = exc.errors()[0]
            field = ".".join(str(x) for x in e["loc"])
            msg = e["msg"].removeprefix("Value error, ")
            raise ExperimentError(f"{path}: observation {n}{' ' + field if field else ''}: {msg}") from None
    return out


# =============================================================== scoring
def _series_values(series: pd.DataFrame, obs: Observation, run_ids) -> np.ndarray:
    s = series[(series["variable"] == obs.series) & (series["day"] == obs.day)]
    for col in ("actor", "target", "issue"):
        want = getattr(obs, col)
        if want is not None:
            s = s[s[col] == want]
    if s.groupby("run_id").size().max() > 1:
        raise ExperimentError(f"series '{obs.series}' has several rows per day: pick one with actor, "
                              "target or issue")
    return s.set_index("run_id")["value"].reindex(run_ids).to_numpy(dtype=float)


def forecast(scenario: Scenario, record: list[Observation], reps: int = 200, seed: int = 0, executor=None,
             fixed: bool = False, progress=None, posterior=None):
    """Run the scenario for a record: (runs that finished, daily series or None, job)."""
    sc = scenario
    for o in record:
        if o.series is not None and o.day > sc.horizon_days:
            raise ExperimentError(f"observation {o.name}: day {o.day} is after the horizon "
                                  f"({sc.horizon_days} days)")
    job = make_job([sc], reps, seed, series=any(o.series is not None for o in record), fixed=fixed,
                   posterior=posterior)
    res = execute(job, executor, progress=progress)
    runs = res.runs[res.runs["status"] == "ok"]
    if not len(runs):
        raise ExperimentError("every run failed; see a batch's runs.parquet for the errors")
    return runs, res.runs.attrs.get("series"), job


def score(scenario: Scenario, record: list[Observation], reps: int = 200, seed: int = 0, executor=None,
          fixed: bool = False, progress=None, posterior=None) -> tuple[pd.DataFrame, dict]:
    """(one row per observation, totals). See the module doc for the scores. ``posterior``
    (a calibration folder) draws the calibrated parameters from its posterior; the
    reference is then the prior predictive (the scenario under its priors, same seeds)."""
    runs, series, job = forecast(scenario, record, reps, seed, executor, fixed, progress, posterior)
    ref_runs = ref_series = None
    if job.parameters == "posterior":
        ref_runs, ref_series, _ = forecast(scenario, record, reps, seed, executor, False, progress, None)
    table, totals = evaluate(scenario, record, runs, series, job.parameters_label, reference_runs=ref_runs,
                             reference_series=ref_series, reps=reps, seed=seed)
    if job.notes:
        totals["notes"] = list(job.notes)
    return table, totals


def _values(o: Observation, runs: pd.DataFrame, series: pd.DataFrame | None) -> tuple[np.ndarray, bool]:
    """The forecast sample of observation ``o`` over ``runs`` (NaNs kept) and whether it is yes/no."""
    if o.outcome is not None:
        if o.outcome not in runs.columns:
            cols = ", ".join(c for c in runs.columns if not c.startswith(("param:", "seed_")))[:300]
            raise ExperimentError(f"observation {o.name}: no outcome '{o.outcome}' (outcomes: {cols} ...)")
        col = runs[o.outcome]
        try:
            values = col.astype(float).to_numpy()
        except (ValueError, TypeError):
            raise ExperimentError(f"observation {o.name}: '{o.outcome}' is not an outcome with a number or a "
                                  "yes/no (it holds text)") from None
        return values, str(col.dtype) == "boolean" or col.dtype == bool
    values = _series_values(series, o, runs["run_id"])
    if np.isnan(values).all():
        known = ", ".join(sorted(series["variable"].unique()))
        raise ExperimentError(f"observation {o.name}: no series '{o.series}' on day {o.day} "
                              f"(series variables: {known})")
    return values, False


def evaluate(sc: Scenario, record: list[Observation], runs: pd.DataFrame, series: pd.DataFrame | None,
             parameters: str = "", reference_runs: pd.DataFrame | None = None,
             reference_series: pd.DataFrame | None = None, **meta) -> tuple[pd.DataFrame, dict]:
    """Score the forecast distribution held by ``runs`` (and ``series``) against ``record``;
    ``reference_runs`` (and ``reference_series``), if given, hold the reference forecast
    (the prior predictive) for every observation without a ``reference:`` of its own."""
    data = scenario_data(sc)
    rows = []
    for n_obs, o in enumerate(record):
        values, binary = _values(o, runs, series)
        values = values[~np.isnan(values)]
        if not len(values):
            raise ExperimentError(f"observation {o.name}: '{o.outcome or o.series}' has no value in any run "
                                  f"(under the {runs['protocol'].iloc[0] if 'protocol' in runs else 'scenario'}'s "
                                  "protocol it is not defined: e.g. stalemate under a protocol that makes no "
                                  "agreements)")
        row = {"observation": o.name, "kind": "binary" if binary else "continuous", "observed": o.observed,
               "n": len(values), "source": o.source}
        reference, ref_note = o.reference, "given in the record" if o.reference is not None else ""
        ref_values = None
        if reference is None and reference_runs is not None:
            ref_values = _values(o, reference_runs, reference_series)[0]
            ref_values = ref_values[~np.isnan(ref_values)]
            ref_note = "the prior predictive (the scenario under its priors, same seeds)"
            if not len(ref_values):
                ref_values, ref_note = None, ""
        if binary:
            if o.observed not in (0.0, 1.0):
                raise ExperimentError(f"observation {o.name}: '{o.outcome}' is yes/no: observed must be 0 or 1")
            if reference is not None and not 0.0 <= reference <= 1.0:
                raise ExperimentError(f"observation {o.name}: '{o.outcome}' is yes/no: reference is the naive "
                                      f"forecast's probability, between 0 and 1 (got {reference:g})")
            p = float(values.mean())
            if ref_values is not None:
                reference = float(ref_values.mean())
            elif reference is None:
                reference, ref_note = 0.5, "even odds (no base rate given: add 'reference:' to the record)"
            s, s_ref = brier(p, o.observed), brier(reference, o.observed)
            row.update(forecast=p, median=math.nan, q05=math.nan, q95=math.nan, score_name="Brier", score=s,
                       crps_fair=math.nan, inside_90=pd.NA, pit=math.nan)
        else:
            q05, med, q95 = np.percentile(values, [5, 50, 95])
            if ref_values is not None:
                reference = float(np.median(ref_values))
            elif reference is None and o.series is not None:
                day0 = Observation(**{**o.model_dump(), "day": 0})
                reference = float(np.nanmedian(_series_values(series, day0, runs["run_id"])))
                ref_note = "the series stays at its day-0 value"
            elif (reference is None and o.outcome.startswith(("final:", "forecast:"))
                  and o.outcome.split(":", 1)[1] in data["issues"]):
                from sim.scenario import Scenario

                reference = float(Scenario.model_validate(data).day0(o.outcome.split(":", 1)[1]))
                ref_note = "the issue stays at its day-0 value"
            s = crps_ensemble(values, o.observed)
            if ref_values is not None:
                s_ref = crps_ensemble(ref_values, o.observed)
            else:
                s_ref = abs(reference - o.observed) if reference is not None else math.nan
            row.update(forecast=float(med), median=float(med), q05=float(q05), q95=float(q95), score_name="CRPS",
                       score=s, crps_fair=crps_fair(values, o.observed), inside_90=bool(q05 <= o.observed <= q95),
                       pit=pit(values, o.observed, np.random.default_rng([0x504954, n_obs])))
        row.update(reference=reference if reference is not None else math.nan,
                   reference_note=ref_note or "none: give 'reference:' in the record",
                   reference_score=s_ref, skill=skill(row["score"], s_ref))
        rows.append(row)
    table = pd.DataFrame(rows)
    return table, _totals(sc, table, runs, parameters, reference_runs, meta)


def _summed_skill(t: pd.DataFrame):
    t = t[t["reference_score"].notna()]
    if not len(t) or t["reference_score"].sum() == 0:
        return None
    return float(1.0 - t["score"].sum() / t["reference_score"].sum())


def _totals(sc, table: pd.DataFrame, runs: pd.DataFrame, parameters: str, reference_runs, meta: dict) -> dict:
    """The score table summed up: mean scores, coverage and skill of each kind, kept apart."""
    cont = table[table["kind"] == "continuous"]
    binr = table[table["kind"] == "binary"]
    summed_skill = _summed_skill
    notes = table["reference_note"].unique()
    totals = {"scenario": sc.name, **meta, "n_ok": int(len(runs)),
              "parameters": parameters, "n_observations": len(table),
              "mean_brier": float(binr["score"].mean()) if len(binr) else None,
              "mean_crps": float(cont["score"].mean()) if len(cont) else None,
              "coverage_90": float(cont["inside_90"].astype(bool).mean()) if len(cont) else None,
              "brier_skill": summed_skill(binr), "crps_skill": summed_skill(cont),
              "reference": ("the prior predictive" if reference_runs is not None
                            else "; ".join(notes) if len(notes) else "")}
    return totals
