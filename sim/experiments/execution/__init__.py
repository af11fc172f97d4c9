"""Execution: send a job's chunks to an executor and write each as it arrives.

:func:`execute` drives any ``concurrent.futures.Executor``; :func:`make_executor` makes
one of the kinds the CLI offers (:mod:`.local`: this process or a process pool;
:mod:`.dask`: a Dask cluster). A run's result never depends on which.
"""

from __future__ import annotations

import concurrent.futures as cf
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import pandas as pd

from sim.errors import JobStopped
from sim.experiments.execution.local import InlineExecutor
from sim.experiments.job import Job
from sim.experiments.sinks import DirSink, MemorySink
from sim.experiments.summary import _summary
from sim.experiments.worker import run_chunk


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


def make_executor(workers: int | None = None, dask: str | None = None):
    """(executor, close): a process pool of ``workers`` (in-process for 1), or a Dask
    cluster's executor (``dask="local"`` starts an embedded LocalCluster)."""
    if dask:
        from sim.experiments.execution.dask import dask_executor

        return dask_executor(dask, workers)
    from sim.experiments.execution.local import process_pool

    return process_pool(workers)
