"""Experiments: many runs of scenarios and design points, on any executor.

Data flow: scenarios + design -> :class:`Job` (a deterministic list of chunks of runs)
-> chunks sent to a ``concurrent.futures.Executor`` -> each finished chunk written as
a part file -> at the end ``runs.parquet``, ``series.parquet``, ``summary.csv``.

Seeds. Replicate r of every scenario and design point uses the r-th child of the root
seed, ``numpy.random.SeedSequence(seed).spawn(reps)[r]`` (common random numbers: two
scenarios are compared on the same random streams). Each row records the child's
entropy and spawn key, so ``sim.run(scenario, seed=SeedSequence(entropy,
spawn_key=key))`` reproduces it alone. A run's result depends only on its scenario,
design point and seed: never on the executor, the number of workers or the order in
which chunks finish.

Files (``out`` folder): ``manifest.json`` (the job: exact scenario contents, design,
reps, root seed; the command; the package version), ``parts/`` (one Parquet file per
finished chunk, written to a temporary name and renamed), then ``runs.parquet`` (one
row per run), ``series.parquet`` (with ``series=True``; tidy daily series with a
``run_id`` column) and ``summary.csv``. An interrupted job resumes from its parts:
finished chunks are never run again.
"""

from __future__ import annotations

import concurrent.futures as cf
import copy
import hashlib
import itertools
import json
import math
import os
import shutil
import tempfile
import time
import traceback
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable, Iterable

import numpy as np
import pandas as pd

from sim.errors import ExperimentError, JobStopped  # noqa: F401  (raised here, caught by the CLI)
from sim.results import atomic_write, public_mode
from sim.scenario import Scenario, ScenarioError, load_scenario, validate_mapping
from sim.scenario.loading import MAX_RUN_BYTES, run_bytes, run_size_message
from sim.scenario.priors import walk_path
from sim.experiments.stats import mean_interval, wilson_interval

CHUNK_SIZE = 25               # runs of the job's costliest scenario per chunk
CHUNKING = "cost-v1"          # how runs are cut into chunks (in the fingerprint: parts of another cut differ)


# Limits (README, "Limits"): beyond them a job is refused unless confirmed (--yes).
MAX_DAYS = 3650               # days per run, as for `run`
MAX_RUNS = 200_000            # runs in one job (about an hour on two cores)
MAX_POINTS = 10_000           # design points of a sweep or sensitivity sample


def inside(folder: str | Path, *parts: str) -> Path:
    """``folder/parts...``, refused unless it resolves inside ``folder``: every output
    path goes through here, so no name (a scenario's, a part's) can escape it."""
    root = Path(folder).resolve()
    target = Path(folder).joinpath(*parts)
    if not target.resolve().is_relative_to(root):
        raise ExperimentError(f"{'/'.join(parts)!r} would write outside {folder}")
    return target


# =============================================================== design
@dataclass(frozen=True)
class Vary:
    """One varied parameter: a dotted path into the scenario and a range."""

    path: str
    lo: float
    hi: float
    steps: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Vary":
        """``FIELD=LO:HI[:STEPS]``, e.g. ``actors.poland.tactic.e=0.2:2:5``."""
        field_, eq, rng = text.partition("=")
        if not eq or not field_.strip():
            raise ExperimentError(f"--vary {text!r}: expected FIELD=LO:HI[:STEPS]")
        parts = rng.split(":")
        if len(parts) not in (2, 3):
            raise ExperimentError(f"--vary {text!r}: expected FIELD=LO:HI[:STEPS]")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except ValueError:
            raise ExperimentError(f"--vary {text!r}: LO and HI must be numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
            raise ExperimentError(f"--vary {text!r}: need LO < HI, got {parts[0]} and {parts[1]}")
        steps = None
        if len(parts) == 3:
            if not parts[2].isdigit() or int(parts[2]) < 2:
                raise ExperimentError(f"--vary {text!r}: STEPS must be a whole number >= 2")
            steps = int(parts[2])
        return cls(field_.strip(), lo, hi, steps)

    def as_dict(self) -> dict:
        return {"path": self.path, "lo": self.lo, "hi": self.hi, "steps": self.steps}


def _get(d: dict, path: str):
    """The value at a dotted path of scenario data (KeyError naming the missing key)."""
    return walk_path(d, path)


def _set(d: dict, path: str, value) -> None:
    keys = path.split(".")
    cur = d
    for key in keys[:-1]:
        cur = cur[int(key)] if isinstance(cur, list) else cur[key]
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value


def scenario_data(sc: Scenario) -> dict:
    """A scenario as plain JSON-able data (the form jobs store and workers rebuild)."""
    return sc.model_dump(mode="json", by_alias=True, exclude_none=True)


def apply_params(data: dict, params: dict, check_priors: bool = False) -> Scenario:
    """The scenario ``data`` with dotted-path ``params`` set, validated. Values read
    back from tables (numpy scalars; a whole number stored as a float next to missing
    values) are given the plain type of the field they set. The ``uncertain:`` priors
    themselves are not re-checked (``check_priors``): a job checks them once
    (:func:`check_priors`), not in every replicate."""
    d = copy.deepcopy(data)
    for path, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and value.is_integer():
            try:
                current = _get(d, path)
            except KeyError:
                current = None
            if isinstance(current, int) and not isinstance(current, bool):
                value = int(value)
        _set(d, path, value)
    return validate_mapping(d, f"<{d.get('name', 'scenario')} with {params}>", check_priors=check_priors)


def _near_path(data: dict, path: str) -> str:
    """`` (did you mean 'actors.poland.tactic.e'?)``: the first missing key of ``path``
    replaced by the closest key at that level, if one is close."""
    import difflib

    keys, cur = path.split("."), data
    for n, key in enumerate(keys):
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
            continue
        if isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
            continue
        if not isinstance(cur, dict):
            return ""
        close = difflib.get_close_matches(key, [str(k) for k in cur], n=1, cutoff=0.6)
        return f" (did you mean '{'.'.join([*keys[:n], close[0], *keys[n + 1:]])}'?)" if close else ""
    return ""


def check_vary(data: dict, vary: Vary) -> bool:
    """Check a varied field against the scenario before anything runs; True if it is
    an integer field (values are then rounded)."""
    try:
        current = _get(data, vary.path)
    except KeyError as exc:
        raise ExperimentError(f"--vary {vary.path}: no field '{exc.args[0]}' on that path in "
                              f"scenario '{data.get('name')}'{_near_path(data, vary.path)}") from None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ExperimentError(f"--vary {vary.path}: not a number in scenario '{data.get('name')}' "
                              f"(it is {current!r})")
    is_int = isinstance(current, int)
    for bound in (vary.lo, vary.hi):
        value = round(bound) if is_int else bound
        try:
            apply_params(data, {vary.path: value})
        except ScenarioError as exc:
            msg = "; ".join(p.message for p in exc.problems)
            raise ExperimentError(f"--vary {vary.path}: {bound:g} is not allowed: {msg}") from None
    return is_int


def design_points(varies: list[Vary], design: str = "grid", samples: int | None = None,
                  seed: int = 0, int_fields: set | None = None) -> list[dict]:
    """The parameter values of each design point (a list of {path: value}).

    ``grid``: every combination of each field's STEPS evenly spaced values (default 5).
    ``lhs``: ``samples`` points of a Latin hypercube (scipy.stats.qmc), seeded.
    """
    int_fields = int_fields or set()
    if not varies:
        return [{}]

    def cast(path, v):
        return int(round(v)) if path in int_fields else float(v)

    if design == "grid":
        axes = [np.linspace(v.lo, v.hi, v.steps or 5) for v in varies]
        return [{v.path: cast(v.path, x) for v, x in zip(varies, combo)}
                for combo in itertools.product(*axes)]
    if design == "lhs":
        from scipy.stats import qmc

        if not samples or samples < 1:
            raise ExperimentError("--design lhs needs --samples N (N >= 1)")
        u = qmc.LatinHypercube(d=len(varies), seed=np.random.default_rng([seed, 7919])).random(samples)
        lo = np.array([v.lo for v in varies])
        hi = np.array([v.hi for v in varies])
        pts = qmc.scale(u, lo, hi)
        return [{v.path: cast(v.path, x) for v, x in zip(varies, row)} for row in pts]
    raise ExperimentError(f"unknown design '{design}' (use grid or lhs)")


# =============================================================== the job
@dataclass
class Chunk:
    """Runs sent to a worker together: consecutive runs of the job (in run order), of
    whatever scenarios and design points they fall in, packed by cost (:meth:`Job.chunks`).
    Everything a worker needs travels with it (no shared state)."""

    chunk_id: int
    first_run_id: int
    runs: list[tuple[str, int, int]]          # (scenario, point, replicate) of each run, in run order
    scenarios: dict[str, dict]                # the data of the scenarios those runs use
    points: dict[int, dict]                   # the params of the design points they use
    entropy: int
    series: bool
    days: int | None
    fixed: bool = False               # True: parameters at their point values (no priors)
    posterior: dict | None = None     # a Posterior.as_dict(): draw its fields from it

    @property
    def replicates(self) -> list[int]:
        return [rep for _, _, rep in self.runs]


def run_cost(data: dict, days: int | None = None) -> float:
    """A run's expected cost, relative units: days simulated times actors (each actor
    takes a turn a day). Chunks are packed to equal cost with it."""
    return float((days or data.get("horizon_days") or 1) * max(1, len(data.get("actors") or ())))


@dataclass
class Job:
    """A deterministic experiment definition; its fingerprint identifies it on disk."""

    scenarios: dict[str, dict]            # name -> scenario data
    points: list[dict]                    # design points (params)
    reps: int
    seed: int
    series: bool = False
    days: int | None = None
    varies: list[dict] = field(default_factory=list)
    design: str = "batch"
    chunk_size: int = CHUNK_SIZE
    fixed: bool = False
    posterior: dict | None = None
    posterior_source: str = ""

    def definition(self) -> dict:
        return {"scenarios": self.scenarios, "points": self.points, "reps": self.reps,
                "seed": self.seed, "series": self.series, "days": self.days,
                "varies": self.varies, "design": self.design, "chunk_size": self.chunk_size,
                "parameters": self.parameters, "posterior": self.posterior, "chunking": CHUNKING}

    @property
    def parameters(self) -> str:
        """``priors`` (one parameter set drawn per replicate), ``posterior`` or ``fixed``."""
        if self.fixed or not any(d.get("uncertain") for d in self.scenarios.values()) and not self.posterior:
            return "fixed"
        return "posterior" if self.posterior else "priors"

    @property
    def parameters_label(self) -> str:
        """What the headline numbers integrate over, for tables and reports."""
        return parameters_label(self.parameters, self.posterior_source)

    def fingerprint(self) -> str:
        # run and chunk ids follow the scenarios' order, which sort_keys would lose
        text = json.dumps({**self.definition(), "scenario_order": list(self.scenarios)},
                          sort_keys=True, default=str)
        return hashlib.sha256(text.encode()).hexdigest()

    @property
    def n_runs(self) -> int:
        return len(self.scenarios) * len(self.points) * self.reps

    def chunks(self) -> list[Chunk]:
        """The job's runs in run order (scenario, then design point, then replicate), cut
        into consecutive chunks of about equal cost: ``chunk_size`` runs of the job's
        costliest scenario (:func:`run_cost`), more of a cheaper one. A chunk may span
        design points and scenarios, so a design of many points with few replicates
        (a Sobol' sample) is no longer one tiny chunk per point."""
        costs = {name: run_cost(d, self.days) for name, d in self.scenarios.items()}
        budget = self.chunk_size * max(costs.values()) * (1 + 1e-9)
        out: list[Chunk] = []
        runs: list[tuple[str, int, int]] = []
        spent, first = 0.0, 0

        def close():
            names = dict.fromkeys(r[0] for r in runs)
            out.append(Chunk(len(out), first, runs, {n: self.scenarios[n] for n in names},
                             {p: self.points[p] for p in dict.fromkeys(r[1] for r in runs)}, self.seed,
                             self.series, self.days, self.parameters == "fixed", self.posterior))

        for name in self.scenarios:
            for point in range(len(self.points)):
                for rep in range(self.reps):
                    if runs and spent + costs[name] > budget:
                        close()
                        first += len(runs)
                        runs, spent = [], 0.0
                    runs.append((name, point, rep))
                    spent += costs[name]
        if runs:
            close()
        return out


def make_job(scenarios: Iterable[str | Scenario], reps: int, seed: int = 0,
             varies: list[Vary] | None = None, design: str = "batch", samples: int | None = None,
             series: bool = False, days: int | None = None, chunk_size: int = CHUNK_SIZE,
             points: list[dict] | None = None, yes: bool = False, fixed: bool = False,
             posterior=None, protocol: str | None = None) -> Job:
    """The job for these scenarios: a design from ``varies`` (grid or lhs), or the
    explicit ``points`` (e.g. a SALib sample, with ``varies`` naming their fields).
    A job beyond :data:`MAX_RUNS` runs or :data:`MAX_POINTS` points is refused
    unless ``yes``.

    Parameters: by default every replicate draws its own value of each ``uncertain:``
    field from its prior (fields set by a design point are not drawn); ``fixed=True``
    keeps the scenario's point values; ``posterior`` (a :class:`~sim.scenario.priors.Posterior`
    or a calibration folder) draws its fields jointly from a calibration's posterior.
    ``protocol`` runs every scenario under that protocol (:func:`sim.runner.with_protocol`);
    each run's row names the protocol it ran (``protocol``)."""
    if reps < 1:
        raise ExperimentError(f"--reps must be at least 1 (got {reps})")
    if seed < 0:
        raise ExperimentError(f"--seed must be 0 or more (got {seed})")
    if days is not None and not 1 <= days <= MAX_DAYS:
        raise ExperimentError(f"--days {days}: must be between 1 and {MAX_DAYS}")
    n_points = len(points) if points is not None else math.prod(
        (v.steps or 5) for v in varies or []) if design in ("batch", "grid") else (samples or 0)
    if not yes:
        check_size(n_points, reps)
    data = {}
    for s in scenarios:
        sc = load_scenario(s) if isinstance(s, (str, Path)) else s
        if protocol:
            from sim.runner import with_protocol

            sc = with_protocol(sc, protocol)
        if sc.name in data:
            raise ExperimentError(f"scenario '{sc.name}' is given twice")
        if days is not None and run_bytes(sc, days) > MAX_RUN_BYTES:
            raise ExperimentError(f"--days {days}: scenario '{sc.name}': {run_size_message(sc, days)}")
        data[sc.name] = scenario_data(sc)
    if not data:
        raise ExperimentError("no scenario given")
    varies = varies or []
    int_fields = set()
    for v in varies:
        for d in data.values():
            if check_vary(d, v):
                int_fields.add(v.path)
    if points is None:
        points = design_points(varies, "grid" if design == "batch" else design, samples, seed, int_fields)
    else:
        points = [{k: (int(round(v)) if k in int_fields else float(v)) for k, v in p.items()} for p in points]
    if not yes:
        check_size(len(points), reps * len(data))
    source = ""
    if posterior is not None and not fixed:
        from sim.scenario.priors import Posterior

        if isinstance(posterior, (str, Path)):
            from sim.experiments.calibration import load_posterior

            source = str(posterior)
            posterior = load_posterior(posterior)
        if not isinstance(posterior, Posterior):
            raise ExperimentError("posterior: expected a Posterior or a calibration folder")
        for name, d in data.items():
            for f in posterior.fields:
                try:
                    _get(d, f)
                except KeyError:
                    raise ExperimentError(f"posterior field '{f}' is not a field of scenario '{name}'") from None
        posterior = posterior.as_dict()
    else:
        posterior = None
    if not fixed:
        for d in data.values():
            check_priors(d)
    return Job(data, points, reps, seed, series, days, [v.as_dict() for v in varies],
               design if varies else "batch", chunk_size, fixed, posterior, source)


def parameters_label(mode: str, source: str = "") -> str:
    return {"priors": "under parameter uncertainty (priors)", "fixed": "fixed parameters",
            "posterior": f"under parameter uncertainty (posterior{' of ' + source if source else ''})"}[mode]


def check_priors(data: dict) -> None:
    """Each prior's extreme values must be allowed by its field (else every run that
    draws one would fail): a clear error before anything runs."""
    from sim.scenario.priors import priors_of

    for path, prior in priors_of(data).items():
        for value in prior.extremes():
            try:
                apply_params(data, {path: value})
            except ScenarioError as exc:
                msg = "; ".join(p.message for p in exc.problems)
                raise ExperimentError(f"scenario '{data.get('name')}': uncertain.{path}: the prior "
                                      f"{prior.spec.describe()} reaches {value:g}, which the field does not "
                                      f"allow ({msg})") from None


def replicate_params(chunk: Chunk, seq: np.random.SeedSequence, priors: dict | None = None,
                     point: int | None = None, scenario: str | None = None, posterior=None) -> dict:
    """The parameters of one replicate: drawn from the priors (or the posterior) on the
    replicate's own parameter streams, then the design point's values on top. ``point``
    and ``scenario`` default to the chunk's first run's; ``posterior`` is the chunk's
    :class:`~sim.scenario.priors.Posterior`, if already rebuilt."""
    if point is None or scenario is None:
        scenario, point, _ = chunk.runs[0]
    values = chunk.points[point]
    if chunk.fixed:
        return dict(values)
    from sim.scenario.priors import Posterior, draw, priors_of

    params = draw(priors if priors is not None else priors_of(chunk.scenarios[scenario]), seq)
    if chunk.posterior:
        params.update((posterior or Posterior.from_dict(chunk.posterior)).draw(seq))
    params.update(values)
    return params


def check_size(n_points: int, reps_per_point: int) -> None:
    n_runs = n_points * reps_per_point
    if n_points > MAX_POINTS:
        raise ExperimentError(f"{n_points:,} design points is more than the limit of {MAX_POINTS:,}; "
                              "add --yes to run it anyway")
    if n_runs > MAX_RUNS:
        raise ExperimentError(f"{n_runs:,} runs is more than the limit of {MAX_RUNS:,} (about an hour on "
                              "two cores); add --yes to run it anyway")


# =============================================================== the worker side
def run_chunk(chunk: Chunk) -> tuple[int, list[dict], pd.DataFrame | None]:
    """Run every run of a chunk. A run that raises becomes a row with
    ``status = "failed"`` and the error message; the chunk goes on."""
    from sim.scenario.priors import Posterior, priors_of

    children = np.random.SeedSequence(chunk.entropy).spawn(max(chunk.replicates) + 1)
    priors = {name: ({} if chunk.fixed else priors_of(d)) for name, d in chunk.scenarios.items()}
    posterior = Posterior.from_dict(chunk.posterior) if chunk.posterior and not chunk.fixed else None
    rows, frames = [], []
    for n, (name, point, rep) in enumerate(chunk.runs):
        seq = children[rep]
        data = chunk.scenarios[name]
        row = {"run_id": chunk.first_run_id + n, "scenario": name,
               "protocol": (data.get("protocol") or {}).get("name", "alternating_offers"),
               "point": point, "replicate": rep, "seed_entropy": str(seq.entropy),
               "seed_spawn_key": json.dumps(list(seq.spawn_key)), "status": "ok", "error": ""}
        params = replicate_params(chunk, seq, priors[name], point, name, posterior)
        row.update({f"param:{k}": v for k, v in params.items()})
        frame = _run_one(data, params, seq, chunk, row)
        if frame is not None:
            frames.append(frame)
        rows.append(row)
    series = pd.concat(frames, ignore_index=True) if frames else None
    return chunk.chunk_id, rows, series


def _run_one(data: dict, params: dict, seq, chunk: Chunk, row: dict) -> pd.DataFrame | None:
    """One run into ``row`` (its outcomes, or ``failed`` and the error); its daily
    series if the chunk keeps them."""
    from sim.runner import run, run_outcomes

    try:
        # an invalid design point or draw fails its run, not the job
        sc = apply_params(data, params)
        if chunk.series:
            res = run(sc, seed=seq, days=chunk.days, series=True)
            row.update(res.outcomes)
            s = res.series.drop(columns=["date"])
            s.insert(0, "run_id", row["run_id"])
            return s
        row.update(run_outcomes(sc, seed=seq, days=chunk.days))
    except Exception as exc:
        row["status"] = "failed"
        row["error"] = f"{type(exc).__name__}: {exc}"
        row["traceback"] = traceback.format_exc(limit=3)
    return None


class InlineExecutor(cf.Executor):
    """Runs each task at submission, in this process (``--workers 1``, notebooks)."""

    def submit(self, fn, /, *args, **kwargs):
        fut = cf.Future()
        try:
            fut.set_result(fn(*args, **kwargs))
        except BaseException as exc:  # noqa: BLE001 - handed to the caller via the future
            fut.set_exception(exc)
        return fut


# =============================================================== sinks
def _series_schema():
    import pyarrow as pa

    return pa.schema([("run_id", pa.int64()), ("day", pa.int64()), ("variable", pa.string()),
                      ("actor", pa.string()), ("target", pa.string()), ("issue", pa.string()),
                      ("value", pa.float64())])


def _tidy_types(df: pd.DataFrame) -> pd.DataFrame:
    """Columns whose values are all booleans (with gaps from failed runs) become
    pandas' nullable boolean; everything else keeps its type."""
    for c in df.columns:
        if df[c].dtype == object:
            vals = df[c].dropna()
            if len(vals) and all(isinstance(v, (bool, np.bool_)) for v in vals):
                df[c] = df[c].astype("boolean")
    return df


def _atomic_parquet(df: pd.DataFrame, path: Path, schema=None) -> None:
    import pyarrow as pa
    import pyarrow.parquet as pq

    from sim.results import naming

    with naming(path):
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    os.close(fd)
    try:
        with naming(path):
            table = pa.Table.from_pandas(df, schema=schema, preserve_index=False)
            pq.write_table(table, tmp)
            public_mode(tmp)
            os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def _sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


FINAL = ("runs.parquet", "series.parquet", "summary.csv")
_PARTS_END = "\n }\n}"          # closes the manifest's ``parts`` (its last entry) and the manifest


def _part_entry(name: str, rec: dict) -> str:
    """One part's line in the manifest's ``parts``."""
    return f"\n  {json.dumps(name)}: {json.dumps(rec)}"


class FolderLock:
    """An exclusive lock on an output folder (``DIR/.lock``, flock): a second process
    on the same folder is refused with the holder's pid. A refused folder keeps nothing
    the lock made (``release(refused=True)`` removes the lock file and the folder if it
    created them)."""

    def __init__(self, out: Path):
        import fcntl

        self.out = Path(out)
        self.made_dir = not self.out.exists()
        path = self.out / ".lock"
        self.made_file = not path.exists()
        try:
            self.out.mkdir(parents=True, exist_ok=True)
            fh = open(path, "a+", encoding="utf-8")
        except OSError as exc:
            raise JobStopped(f"cannot create {self.out}: {exc.strerror or exc}") from None
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            holder = fh.read(20).strip() or "?"
            fh.close()
            raise ExperimentError(f"{self.out} is in use by another process (pid {holder}); wait for it to "
                                  "finish, or choose another --out") from None
        fh.seek(0)
        fh.truncate()
        fh.write(str(os.getpid()))
        fh.flush()
        self.fh = fh

    def release(self, refused: bool = False) -> None:
        if self.fh is None:
            return
        if refused and self.made_file:
            (self.out / ".lock").unlink(missing_ok=True)      # still held: no one else has it open
        self.fh.close()          # closing the file releases the flock
        self.fh = None
        if refused and self.made_dir:
            try:
                self.out.rmdir()
            except OSError:
                pass


class DirSink:
    """Writes each finished chunk as ``parts/runs-NNNNNN.parquet`` (+ series), records
    its sha256 and row count in the manifest, then consolidates. The manifest pins
    the job, so ``resume`` can check it; a lock file keeps a second process out."""

    def __init__(self, out: Path, job: Job, command: list[str] | None, resume: bool):
        self.out = Path(out)
        self.parts = inside(self.out, "parts")
        self.job = job
        self.command = command
        self.redone: list[str] = []          # parts found damaged on resume and run again
        self.index: dict[str, dict] = {}     # part file name -> {"sha256", "rows"}
        self._lock = None
        manifest_path = self.out / "manifest.json"
        self.already_complete = False
        if self.out.exists() and not self.out.is_dir():
            raise ExperimentError(f"--out {self.out} exists and is not a folder")
        self._take_lock()
        try:
            self._open(manifest_path, resume)
        except ExperimentError:
            self.close(refused=True)
            raise
        except BaseException:
            self.close()
            raise

    def _take_lock(self) -> None:
        if self.out.exists() and not (self.out / "manifest.json").exists() and \
                any(p.name != ".lock" for p in self.out.iterdir()):      # refused before anything is made
            raise ExperimentError(f"--out {self.out} is not empty and holds no experiment; choose another folder")
        self._lock = FolderLock(self.out)

    def close(self, refused: bool = False) -> None:
        """Release the lock on the folder (the lock file stays, empty of meaning, unless
        the folder was refused: then what the lock made is removed)."""
        if self._lock is not None:
            self._lock.release(refused)
            self._lock = None

    def _open(self, manifest_path: Path, resume: bool) -> None:
        if manifest_path.exists():
            try:
                from sim.inputs import read_text

                old = json.loads(read_text(manifest_path, 200_000_000, "manifest"))
            except (OSError, ValueError):           # InputFileError is a ValueError
                raise ExperimentError(f"{manifest_path} is unreadable; choose another --out") from None
            if not resume:
                same = old.get("fingerprint") == self.job.fingerprint()
                if not same:
                    hint = "choose another --out, or add --overwrite to replace it"
                elif old.get("status") == "complete":
                    hint = "add --overwrite to run it again, or choose another --out"
                else:
                    hint = "add --resume to finish it, --overwrite to start again, or choose another --out"
                raise ExperimentError(f"{self.out} already holds {'this' if same else 'another'} experiment "
                                      f"({old.get('status', 'unknown')}); {hint}")
            if old.get("fingerprint") != self.job.fingerprint():
                raise ExperimentError(f"{self.out} was made by a different experiment (scenarios or their "
                                      "order, design, reps, seed or --series differ); --resume needs the "
                                      "same command. Choose another --out")
            if old.get("status") == "complete" and (self.out / "runs.parquet").exists():
                self._check_final(old.get("files") or {})
                self.already_complete = True
                return
            self.index = dict(old.get("parts") or {})
            for name in FINAL:          # a merge that was stopped: its tables are redone
                (self.out / name).unlink(missing_ok=True)
            for folder in (self.out, self.parts):      # temporary files of a killed write (we hold the lock)
                for tmp in folder.glob(".*.tmp") if folder.is_dir() else ():
                    tmp.unlink(missing_ok=True)
        elif self.out.exists() and any(p.name != ".lock" for p in self.out.iterdir()):
            raise ExperimentError(f"--out {self.out} is not empty and holds no experiment; choose another folder")
        self.parts.mkdir(parents=True, exist_ok=True)
        self._write_manifest("running")

    def _check_final(self, files: dict) -> None:
        for name, rec in files.items():
            path = self.out / name
            if not path.exists() or _sha256(path) != rec.get("sha256"):
                raise ExperimentError(f"{path} is missing or damaged (its checksum differs from the manifest's); "
                                      "run the experiment again in another --out")

    def _write_manifest(self, status: str, extra: dict | None = None) -> None:
        """The whole manifest, written to a temporary file and renamed. While running,
        ``parts`` is its last entry, so each finished part is appended in place
        (:meth:`_append_parts`) instead of the manifest being rewritten."""
        import sim

        m = {"status": status, "fingerprint": self.job.fingerprint(), "package": "diplosim",
             "version": sim.__version__, "command": self.command, "root_seed": self.job.seed,
             "n_runs": self.job.n_runs, "job": self.job.definition()}
        if status == "merging":
            m["note"] = "the final tables are being written: they are complete only once status is complete"
        m.update(extra or {})
        text = json.dumps(m, indent=1, default=str)
        if status != "complete":
            entries = ",".join(_part_entry(name, rec) for name, rec in self.index.items())
            text = text[:-2] + ',\n "parts": {' + entries + _PARTS_END
            self._parts_end = len(text.encode()) - len(_PARTS_END)     # where the next entry goes
        self._guard(lambda: atomic_write(self.out / "manifest.json", text), self.out / "manifest.json")

    def _append_parts(self, entries: dict[str, dict]) -> None:
        """Record finished parts in the manifest: their entries written over the closing
        braces, in one ``pwrite`` (a killed process writes all of it or none). If the
        write fails (disk full), the manifest is put back as it was and the error raised."""
        path = self.out / "manifest.json"
        first = not self.index
        piece = "".join(("" if first and k == 0 else ",") + _part_entry(name, rec)
                        for k, (name, rec) in enumerate(entries.items()))
        data = (piece + _PARTS_END).encode()

        def write():
            fd = os.open(path, os.O_WRONLY)
            try:
                if os.pwrite(fd, data, self._parts_end) != len(data):
                    raise OSError(28, "short write (disk full?)")
            except OSError:
                os.ftruncate(fd, self._parts_end)
                os.pwrite(fd, _PARTS_END.encode(), self._parts_end)
                raise
            finally:
                os.close(fd)
        self._guard(write, path)
        self.index.update(entries)
        self._parts_end += len(piece.encode())

    def _guard(self, write, path: Path):
        """Run ``write``; an OSError (disk full, permission) becomes :class:`JobStopped`
        naming the file, with the resume hint."""
        try:
            return write()
        except OSError as exc:
            why = exc.strerror or str(exc) or type(exc).__name__
            raise JobStopped(f"cannot write {path}: {why}. Finished runs are kept in {self.out}; free the "
                             "space (or fix the permission), then run the same command with --resume") from None

    def _part_ok(self, name: str) -> str | None:
        """Why the part file ``name`` cannot be trusted, or None if it can."""
        rec = self.index.get(name)
        if rec is None:
            return "not recorded in the manifest (the job stopped while writing it)"
        path = self.parts / name
        if not path.exists():
            return "missing"
        if _sha256(path) != rec.get("sha256"):
            return "damaged (its checksum differs from the manifest's)"
        return None

    def done_chunks(self) -> set[int]:
        """Chunks whose parts are all present and intact; any other part file is
        deleted (its chunk runs again) and listed in :attr:`redone`."""
        done = set()
        for p in sorted(self.parts.glob("runs-*.parquet")):
            cid = int(p.stem.split("-")[1])
            names = [p.name] + ([f"series-{cid:06d}.parquet"] if self.job.series else [])
            faults = [(n, why) for n in names if (why := self._part_ok(n)) is not None]
            if faults:
                self.redone += [f"parts/{n}: {why}" for n, why in faults]
                for n in names:
                    (self.parts / n).unlink(missing_ok=True)
                    self.index.pop(n, None)
            else:
                done.add(cid)
        return done

    def write(self, chunk_id: int, rows: list[dict], series) -> None:
        written = []
        if series is not None:
            target = inside(self.parts, f"series-{chunk_id:06d}.parquet")
            self._guard(lambda: _atomic_parquet(series, target, _series_schema()), target)
            written.append((target, len(series)))
        df = _tidy_types(pd.DataFrame(rows))
        target = inside(self.parts, f"runs-{chunk_id:06d}.parquet")
        self._guard(lambda: _atomic_parquet(df, target), target)   # last: marks the chunk done
        written.append((target, len(df)))
        self._append_parts({path.name: {"sha256": _sha256(path), "rows": n} for path, n in written})

    def runs(self) -> pd.DataFrame:
        """The runs table, read once from the parts: Arrow tables joined (columns a
        scenario lacks filled with nulls), one conversion to pandas at the end; the parts
        are in run order, so no sort."""
        return read_parts(sorted(self.parts.glob("runs-*.parquet")))

    def finish(self, summary: pd.DataFrame, runs: pd.DataFrame) -> list[Path]:
        import pyarrow.parquet as pq

        self._write_manifest("merging")
        written = []
        self._guard(lambda: _atomic_parquet(runs, self.out / "runs.parquet"), self.out / "runs.parquet")
        written.append(self.out / "runs.parquet")
        if self.job.series:
            target = self.out / "series.parquet"

            def merge_series():
                fd, tmp = tempfile.mkstemp(dir=self.out, prefix=".series.parquet.", suffix=".tmp")
                os.close(fd)
                try:
                    with pq.ParquetWriter(tmp, _series_schema()) as w:
                        for f in sorted(self.parts.glob("series-*.parquet")):   # one part at a time
                            w.write_table(pq.read_table(f, schema=_series_schema()))
                    public_mode(tmp)
                    os.replace(tmp, target)
                except BaseException:
                    Path(tmp).unlink(missing_ok=True)
                    raise
            self._guard(merge_series, target)
            written.append(target)
        self._guard(lambda: atomic_write(self.out / "summary.csv", summary.to_csv(index=False)),
                    self.out / "summary.csv")
        written.append(self.out / "summary.csv")
        n_failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
        files = {p.name: {"sha256": _sha256(p)} for p in written}
        self._write_manifest("complete", {"n_failed": n_failed, "files": files})
        shutil.rmtree(self.parts, ignore_errors=True)
        return written


class MemorySink:
    """Keeps results in memory (the Python API without ``out=``)."""

    def __init__(self, job: Job):
        self.job = job
        self.rows: list[dict] = []
        self.series: list[pd.DataFrame] = []

    def done_chunks(self) -> set[int]:
        return set()

    def write(self, chunk_id, rows, series) -> None:
        self.rows.extend(rows)
        if series is not None:
            self.series.append(series)

    def runs(self) -> pd.DataFrame:
        # rows in run order, so the columns (the union of the scenarios' outcomes) come in
        # the same order whatever order the chunks finished in
        return _order(_tidy_types(pd.DataFrame(sorted(self.rows, key=lambda r: r["run_id"]))))


def read_parts(files: list[Path]) -> pd.DataFrame:
    """Part files (in run order) as one runs table: each read once with pyarrow, the
    tables joined, converted to pandas once (no per-part DataFrame)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    if not files:
        return pd.DataFrame()
    tables = [pq.read_table(f).replace_schema_metadata(None) for f in files]
    table = pa.concat_tables(tables, promote_options="permissive")
    del tables
    table = table.select(_column_order(table.column_names))
    return _order(_tidy_types(table.to_pandas(self_destruct=True, split_blocks=True)))


def _column_order(columns) -> list[str]:
    lead = ["run_id", "scenario", "protocol", "point", "replicate", "seed_entropy", "seed_spawn_key", "status",
            "error"]
    params = sorted(c for c in columns if c.startswith("param:"))
    rest = [c for c in columns if c not in lead and c not in params]
    return [c for c in lead if c in columns] + params + rest


def _order(df: pd.DataFrame) -> pd.DataFrame:
    """Rows in run order (sorted only if they are not already), the columns in
    :func:`_column_order`."""
    if not len(df):
        return df
    if not df["run_id"].is_monotonic_increasing:
        df = df.sort_values("run_id", kind="stable")
    if not isinstance(df.index, pd.RangeIndex) or df.index.start != 0 or df.index.step != 1:
        df = df.reset_index(drop=True)
    cols = _column_order(df.columns)
    if list(df.columns) == cols:
        return df
    return df[cols]


def clear_folder(out: str | Path, what: tuple[str, ...] = ("manifest.json",)) -> None:
    """``--overwrite``: empty ``out`` if it holds results of ours (one of ``what``),
    under its lock, so a running job's folder is never emptied; a folder of anything
    else is refused."""
    import fcntl
    import shutil

    out = Path(out)
    if not out.exists():
        return
    if not out.is_dir() or not any((out / w).exists() for w in what):
        if out.is_dir() and not any(p.name != ".lock" for p in out.iterdir()):
            return
        raise ExperimentError(f"--overwrite: {out} holds no results of this program ({' or '.join(what)}); "
                              "it is left as it is: choose another --out")
    with open(out / ".lock", "a+", encoding="utf-8") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            fh.seek(0)
            raise ExperimentError(f"{out} is in use by another process (pid {fh.read().strip() or '?'}); wait for "
                                  "it to finish, or choose another --out") from None
        for p in out.iterdir():
            if p.name == ".lock":
                continue
            if p.is_dir() and not p.is_symlink():
                shutil.rmtree(p)
            else:
                p.unlink()


# =============================================================== headline outcomes
HEADLINE = ["any_political", "any_agreement", "days_to_first_agreement", "n_unilateral"]
"""The headline outcomes every scenario has (labels and definitions: :mod:`sim.outcomes`);
:func:`headline_labels` adds those of the scenario's own environment and issues
(cumulative level of each stock, final value of each issue)."""


def headline_labels(columns) -> dict[str, str]:
    """Headline outcome -> label, for the columns of a runs table."""
    from sim.outcomes import get

    names = [*HEADLINE, *(c for c in columns if c.startswith("stock_cumulative:")),
             *(c for c in columns if c.startswith("final:"))]
    return {k: get(k).label for k in names}


def headline(runs: pd.DataFrame, horizon: int) -> pd.DataFrame:
    """The headline outcomes of each run as numbers (yes/no as 0/1; a run without any
    agreement counts its first agreement at ``horizon + 1``: :mod:`sim.outcomes`), plus
    ``pair:`` columns as 0/1 (an agreement between the pair or not). Used by ablation,
    sensitivity and the reports."""
    from sim.outcomes import values

    out = pd.DataFrame({c: runs[c] for c in ("scenario", "point", "replicate") if c in runs})
    for k in headline_labels(runs.columns):
        out[k] = values(runs, k, horizon)
    for p in sorted(c for c in runs.columns if c.startswith("pair:")):
        out[p] = values(runs, p, horizon)
    return out


# =============================================================== summary
def design_columns(runs: pd.DataFrame) -> list[str]:
    """The ``param:`` columns set by design points (a sweep's varied fields): constant
    within each scenario and point, varying across points. Drawn parameters vary
    within a point; a batch has one point."""
    params = [c for c in runs.columns if c.startswith("param:")]
    if not params or "point" not in runs or runs["point"].nunique() < 2:
        return []
    by = runs.groupby(["scenario", "point"])
    return [c for c in params if (by[c].nunique(dropna=False) <= 1).all() and runs[c].nunique() > 1]


def summarise(runs: pd.DataFrame, design: list[str] | None = None) -> pd.DataFrame:
    """Per scenario and design point, each outcome's estimate and 95% interval: a
    proportion (Wilson interval) for yes/no outcomes, a mean (normal interval) for
    numbers. Failed runs are left out and counted in ``n_failed``. ``design`` names the
    ``param:`` columns set by the design point (default: those constant within every
    point); the others were drawn per replicate and are summarised like outcomes."""
    if not len(runs):
        return pd.DataFrame(columns=["scenario", "point", "outcome", "statistic", "n", "n_failed",
                                     "estimate", "ci_low", "ci_high", "interval", "runs_p05", "runs_p95"])
    skip = {"run_id", "scenario", "protocol", "point", "replicate", "seed_entropy", "seed_spawn_key", "status",
            "error", "traceback"}
    if design is None:
        design = design_columns(runs)
    params = [c for c in runs.columns if c in design]
    rows = []
    for (scen, point), g in runs.groupby(["scenario", "point"], sort=True):
        ok = g[g["status"] == "ok"]
        n_failed = len(g) - len(ok)
        base = {"scenario": scen, "point": int(point), **{p: g[p].iloc[0] for p in params}}
        for col in runs.columns:
            if col in skip or col in params:
                continue
            vals = ok[col].dropna()
            if str(runs[col].dtype) == "boolean" or runs[col].dtype == bool:
                k, n = int(vals.astype(bool).sum()), len(vals)
                lo, hi = wilson_interval(k, n)
                rows.append({**base, "outcome": col, "statistic": "proportion", "n": n,
                             "n_failed": n_failed, "estimate": k / n if n else math.nan,
                             "ci_low": lo, "ci_high": hi, "interval": INTERVAL_OF["proportion"],
                             "runs_p05": math.nan, "runs_p95": math.nan})
            elif pd.api.types.is_numeric_dtype(runs[col]):
                x = vals.to_numpy(dtype=float)
                m, lo, hi = mean_interval(x)
                p05, p95 = np.percentile(x, [5, 95]) if len(x) else (math.nan, math.nan)
                rows.append({**base, "outcome": col, "statistic": "mean", "n": len(vals),
                             "n_failed": n_failed, "estimate": m, "ci_low": lo, "ci_high": hi,
                             "interval": INTERVAL_OF["mean"], "runs_p05": float(p05), "runs_p95": float(p95)})
    return pd.DataFrame(rows)


INTERVAL_OF = {"proportion": "95% Wilson interval of the proportion (shrinks with more replications)",
               "mean": "95% Student-t interval of the mean (shrinks with more replications); "
                       "runs_p05-runs_p95: the spread of the runs"}
"""What ``summary.csv``'s ``ci_low``/``ci_high`` are, row by row (issue 22: an interval of a
mean is not the spread of outcomes)."""


def _summary(runs: pd.DataFrame, job: Job) -> pd.DataFrame:
    """The job's summary, with the parameter mode it was made under in ``parameters``."""
    fields = sorted({f"param:{k}" for p in job.points for k in p})
    s = summarise(runs, fields)
    s.insert(min(2, len(s.columns)), "parameters", job.parameters_label)
    return s


# =============================================================== the driver
@dataclass
class ExperimentResult:
    runs: pd.DataFrame
    summary: pd.DataFrame
    n_failed: int
    written: list[Path]
    skipped: int          # runs found finished on disk (resume)
    redone: list[str] = field(default_factory=list)   # damaged parts found on resume, run again


def execute(job: Job, executor: cf.Executor | None = None, out: str | Path | None = None,
            resume: bool = False, command: list[str] | None = None,
            progress: Callable[[int, int], None] | None = None, max_in_flight: int | None = None,
            ) -> ExperimentResult:
    """Run every chunk of ``job`` not yet on disk on ``executor`` (in-process if None),
    writing each as it arrives. ``progress(done, total)`` is called after each chunk."""
    sink = DirSink(Path(out), job, command, resume) if out is not None else MemorySink(job)
    try:
        return _execute(job, sink, executor, progress, max_in_flight)
    finally:
        if isinstance(sink, DirSink):
            sink.close()


def _execute(job, sink, executor, progress, max_in_flight) -> ExperimentResult:
    if isinstance(sink, DirSink) and sink.already_complete:     # --resume of a finished job
        runs = pd.read_parquet(sink.out / "runs.parquet")
        if progress:
            progress(job.n_runs, job.n_runs)
        n_failed = int((runs["status"] != "ok").sum())
        return ExperimentResult(runs, _summary(runs, job), n_failed, [], job.n_runs)
    executor = executor or InlineExecutor()
    chunks = job.chunks()
    done = sink.done_chunks()
    todo = [c for c in chunks if c.chunk_id not in done]
    n_done = sum(len(c.replicates) for c in chunks if c.chunk_id in done)
    skipped = n_done
    if progress:
        progress(n_done, job.n_runs)
    limit = max_in_flight or max(4, 2 * (getattr(executor, "_max_workers", None) or os.cpu_count() or 2))
    pending: set = set()
    it = iter(todo)
    try:
        while True:
            while len(pending) < limit:
                c = next(it, None)
                if c is None:
                    break
                pending.add(executor.submit(run_chunk, c))
            if not pending:
                break
            finished, pending = cf.wait(pending, return_when=cf.FIRST_COMPLETED)
            for fut in finished:
                try:
                    chunk_id, rows, series = fut.result()
                except Exception as exc:        # Dask: a task whose workers died is KilledWorker
                    if type(exc).__name__ == "KilledWorker":
                        raise cf.BrokenExecutor(str(exc)) from exc
                    raise
                sink.write(chunk_id, rows, series)
                n_done += len(rows)
                if progress:
                    progress(n_done, job.n_runs)
    except cf.BrokenExecutor:
        for fut in pending:
            fut.cancel()
        where = (f"; finished runs are kept in {sink.out}: run the same command with --resume to finish"
                 if isinstance(sink, DirSink) else "")
        raise JobStopped("a worker process died (killed, or out of memory?) and the work "
                         f"stopped{where}") from None
    except BaseException:
        for fut in pending:
            fut.cancel()
        raise
    runs = sink.runs()
    summary = _summary(runs, job)
    written = sink.finish(summary, runs) if isinstance(sink, DirSink) else []
    n_failed = int((runs["status"] != "ok").sum()) if len(runs) else 0
    if isinstance(sink, MemorySink) and job.series and sink.series:
        runs.attrs["series"] = pd.concat(sink.series, ignore_index=True)
    redone = sink.redone if isinstance(sink, DirSink) else []
    return ExperimentResult(runs, summary, n_failed, written, skipped, redone)


# =============================================================== Python API
def batch(scenarios, reps: int = 100, seed: int = 0, executor: cf.Executor | None = None,
          out: str | Path | None = None, series: bool = False, days: int | None = None,
          resume: bool = False, yes: bool = False, fixed: bool = False, posterior=None,
          protocol: str | None = None) -> pd.DataFrame:
    """Run ``reps`` replications of each scenario; one row per run (outcomes as
    columns). ``executor``: any ``concurrent.futures.Executor`` (a process pool, a Dask
    client's ``get_executor()``); None runs in this process. With ``out=`` the tables
    are also written there (and ``resume=True`` finishes an interrupted job).
    ``yes`` lifts the size limits (:data:`MAX_RUNS`). Each replicate draws its
    ``uncertain:`` parameters from their priors (recorded as ``param:FIELD``) unless
    ``fixed=True``; ``posterior`` (a calibration folder) draws the calibrated ones from
    its posterior; ``protocol`` runs every scenario under that protocol."""
    if isinstance(scenarios, (str, Scenario)):
        scenarios = [scenarios]
    job = make_job(scenarios, reps, seed, series=series, days=days, yes=yes, fixed=fixed, posterior=posterior,
                   protocol=protocol)
    return execute(job, executor, out, resume).runs


def sweep(scenario, vary: list[str | Vary], reps: int = 10, seed: int = 0, design: str = "grid",
          samples: int | None = None, executor: cf.Executor | None = None,
          out: str | Path | None = None, series: bool = False, days: int | None = None,
          resume: bool = False, yes: bool = False, fixed: bool = False) -> pd.DataFrame:
    """Run ``reps`` replications at every design point of the varied fields
    (``"actors.poland.tactic.e=0.2:2:5"`` or :class:`Vary`); one row per run, the
    varied values in ``param:FIELD`` columns (the scenario's other uncertain fields are
    drawn per replicate unless ``fixed=True``)."""
    varies = [v if isinstance(v, Vary) else Vary.parse(v) for v in vary]
    if not varies:
        raise ExperimentError("a sweep needs at least one --vary FIELD=LO:HI[:STEPS]")
    job = make_job([scenario], reps, seed, varies, design, samples, series, days, yes=yes, fixed=fixed)
    return execute(job, executor, out, resume).runs


def rerun(row: pd.Series | dict, scenario: Scenario | str | None = None, series: bool = False,
          days: int | None = None):
    """Re-run one recorded row of ``runs.parquet`` alone (same seed, same parameters:
    its ``param:`` values, drawn or designed; ``days`` as the batch's ``--days``)."""
    from sim.runner import run

    seq = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=tuple(json.loads(row["seed_spawn_key"])))
    sc = scenario if scenario is not None else row["scenario"]
    sc = load_scenario(sc) if isinstance(sc, str) else sc
    params = {k.split(":", 1)[1]: row[k] for k in row.keys()
              if str(k).startswith("param:") and not pd.isna(row[k])}
    if params:
        sc = apply_params(scenario_data(sc), {k: (v.item() if hasattr(v, "item") else v)
                                              for k, v in params.items()})
    return run(sc, seed=seq, series=series, days=days)


def make_executor(workers: int | None = None, dask: str | None = None):
    """(executor, close): a process pool of ``workers`` (in-process for 1), or a Dask
    cluster's executor (``dask="local"`` starts an embedded LocalCluster)."""
    if dask:
        try:
            from dask.distributed import Client, LocalCluster
        except ImportError:
            raise ExperimentError("Dask is an optional extra: pip install '.[dask]'") from None
        if dask == "local":
            cluster = LocalCluster(n_workers=workers or os.cpu_count() or 2, threads_per_worker=1,
                                   processes=True, dashboard_address=None)
            client = Client(cluster)
        else:
            try:
                client = Client(dask, timeout=10)
            except OSError as exc:
                raise ExperimentError(f"--dask {dask}: cannot reach the scheduler ({exc})") from None
            cluster = None
        # pure=False: identical calls must not be merged (Dask's default is pure=True)
        ex = client.get_executor(pure=False)
        ex._max_workers = sum(client.nthreads().values()) or 1

        def close():
            client.close()
            if cluster is not None:
                cluster.close()
        return ex, close
    workers = workers or os.cpu_count() or 1
    if workers == 1:
        return InlineExecutor(), lambda: None
    import multiprocessing as mp

    ex = cf.ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("spawn"),
                                initializer=_exit_with_parent, initargs=(os.getpid(),))
    return ex, lambda: ex.shutdown(wait=True, cancel_futures=True)


def _exit_with_parent(parent_pid: int) -> None:
    """Worker initializer: if the batch process dies (kill -9), stop instead of
    running orphaned chunks whose results nobody will write."""
    import threading

    def watch():
        while True:
            time.sleep(0.5)
            if os.getppid() != parent_pid:
                os._exit(1)

    threading.Thread(target=watch, daemon=True).start()
