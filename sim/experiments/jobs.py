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
import json
from pathlib import Path

import numpy as np
import pandas as pd

# The public names, from the modules by concern (design, job, worker, execution, sinks,
# summary); importable from here as before.
from sim.errors import ExperimentError, JobStopped  # noqa: F401  (raised here, caught by the CLI)
from sim.experiments.design import (  # noqa: F401
    MAX_DAYS,
    MAX_POINTS,
    MAX_RUNS,
    Vary,
    _get,
    _near_path,
    _set,
    apply_params,
    check_priors,
    check_size,
    check_vary,
    design_points,
    scenario_data,
)
from sim.experiments.execution import ExperimentResult, _execute, execute, make_executor  # noqa: F401
from sim.experiments.execution.local import InlineExecutor, _exit_with_parent  # noqa: F401
from sim.experiments.job import (  # noqa: F401
    CHUNK_SIZE,
    CHUNKING,
    Chunk,
    Job,
    JobSpec,
    make_job,
    parameters_label,
    replicate_params,
    run_cost,
)
from sim.experiments.sinks import (  # noqa: F401
    FINAL,
    DirSink,
    FolderLock,
    MemorySink,
    Sink,
    _atomic_parquet,
    _column_order,
    _order,
    _series_schema,
    _sha256,
    _tidy_types,
    atomic_write,
    clear_folder,
    inside,
    public_mode,
    read_parts,
)
from sim.experiments.summary import (  # noqa: F401
    HEADLINE,
    INTERVAL_OF,
    _summary,
    design_columns,
    headline,
    headline_labels,
    summarise,
)
from sim.experiments.worker import _run_one, run_chunk  # noqa: F401
from sim.scenario import Scenario, load_scenario


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
