"""The job: a deterministic definition of an experiment's runs, and its chunks.

:class:`JobSpec` holds what a caller asks for (scenarios, replications, design,
parameters); :meth:`JobSpec.build` checks it and makes the :class:`Job`, whose
fingerprint identifies it on disk and whose :meth:`Job.chunks` cut its runs, in run
order, into chunks of about equal cost (the unit sent to a worker and written as one
part file).
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import numpy as np

from sim.errors import ExperimentError
from sim.experiments.design import (
    MAX_DAYS,
    Vary,
    _get,
    check_priors,
    check_size,
    check_vary,
    design_points,
    scenario_data,
)
from sim.scenario import Scenario, load_scenario
from sim.scenario.loading import MAX_RUN_BYTES, run_bytes, run_size_message

CHUNK_SIZE = 25               # runs of the job's costliest scenario per chunk
CHUNKING = "cost-v1"          # how runs are cut into chunks (in the fingerprint: parts of another cut differ)


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
    notes: list[str] = field(default_factory=list)     # one line each, for the user (not in the fingerprint)

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


@dataclass
class JobSpec:
    """What an experiment asks for: scenarios (names, paths or :class:`Scenario`), ``reps``
    replications from root ``seed``, a design from ``varies`` (``grid`` or ``lhs`` with
    ``samples`` points) or the explicit ``points`` (e.g. a SALib sample, with ``varies``
    naming their fields). :meth:`build` checks it and makes the :class:`Job`; a job beyond
    :data:`~sim.experiments.design.MAX_RUNS` runs or ``MAX_POINTS`` points is refused
    unless ``yes``.

    Parameters: by default every replicate draws its own value of each ``uncertain:``
    field from its prior (fields set by a design point are not drawn); ``fixed=True``
    keeps the scenario's point values; ``posterior`` (a :class:`~sim.scenario.priors.Posterior`
    or a calibration folder) draws its fields jointly from a calibration's posterior.
    ``protocol`` runs every scenario under that protocol (:func:`sim.runner.with_protocol`);
    each run's row names the protocol it ran (``protocol``)."""

    scenarios: Iterable[str | Scenario]
    reps: int
    seed: int = 0
    varies: list[Vary] | None = None
    design: str = "batch"
    samples: int | None = None
    series: bool = False
    days: int | None = None
    chunk_size: int = CHUNK_SIZE
    points: list[dict] | None = None
    yes: bool = False
    fixed: bool = False
    posterior: object = None
    protocol: str | None = None

    def build(self) -> Job:
        self._check_numbers()
        data = self._scenario_data()
        varies = self.varies or []
        int_fields = {v.path for v in varies for d in data.values() if check_vary(d, v)}
        if self.points is None:
            points = design_points(varies, "grid" if self.design == "batch" else self.design, self.samples,
                                   self.seed, int_fields)
        else:
            points = [{k: (int(round(v)) if k in int_fields else float(v)) for k, v in p.items()}
                      for p in self.points]
        if not self.yes:
            check_size(len(points), self.reps * len(data))
        posterior, source, notes = self._posterior(data)
        if not self.fixed:
            for d in data.values():
                check_priors(d)
        return Job(data, points, self.reps, self.seed, self.series, self.days, [v.as_dict() for v in varies],
                   self.design if varies else "batch", self.chunk_size, self.fixed, posterior, source, notes)

    def _check_numbers(self) -> None:
        if self.reps < 1:
            raise ExperimentError(f"--reps must be at least 1 (got {self.reps})")
        if self.seed < 0:
            raise ExperimentError(f"--seed must be 0 or more (got {self.seed})")
        if self.days is not None and not 1 <= self.days <= MAX_DAYS:
            raise ExperimentError(f"--days {self.days}: must be between 1 and {MAX_DAYS}")
        n_points = len(self.points) if self.points is not None else math.prod(
            (v.steps or 5) for v in self.varies or []) if self.design in ("batch", "grid") else (self.samples or 0)
        if not self.yes:
            check_size(n_points, self.reps)

    def _scenario_data(self) -> dict[str, dict]:
        data = {}
        for s in self.scenarios:
            sc = load_scenario(s) if isinstance(s, (str, Path)) else s
            if self.protocol:
                from sim.runner import with_protocol

                sc = with_protocol(sc, self.protocol)
            if sc.name in data:
                raise ExperimentError(f"scenario '{sc.name}' is given twice")
            if self.days is not None and run_bytes(sc, self.days) > MAX_RUN_BYTES:
                raise ExperimentError(f"--days {self.days}: scenario '{sc.name}': {run_size_message(sc, self.days)}")
            data[sc.name] = scenario_data(sc)
        if not data:
            raise ExperimentError("no scenario given")
        return data

    def _posterior(self, data: dict[str, dict]) -> tuple[dict | None, str, list[str]]:
        """(the posterior as a dict, or None; the calibration folder it came from, or "";
        notes: a continuation's posterior fields it does not share, in one line each)."""
        posterior, source, notes = self.posterior, "", []
        if posterior is None or self.fixed:
            return None, "", []
        from sim.scenario.priors import Posterior

        if isinstance(posterior, (str, Path)):
            from sim.experiments.posterior import load_posterior

            source = str(posterior)
            posterior = load_posterior(posterior)
        if not isinstance(posterior, Posterior):
            raise ExperimentError("posterior: expected a Posterior or a calibration folder")
        for name, d in data.items():
            if d.get("starts_from") is not None:        # a continuation: the history's fields too
                notes += _chain_notes(name, d, posterior)
                continue
            for f in posterior.fields:
                try:
                    _get(d, f)
                except KeyError:
                    raise ExperimentError(f"posterior field '{f}' is not a field of scenario '{name}'") from None
        return posterior.as_dict(), source, notes


def _chain_notes(name: str, d: dict, posterior) -> list[str]:
    """A continuation's posterior: fields of the scenario or of the history it starts from;
    the ones the forecast does not share, named in one note (sim.scenario.continuation)."""
    from sim.scenario.continuation import posterior_routes

    try:
        note = posterior_routes(d, posterior.fields)
    except KeyError as exc:
        raise ExperimentError(f"posterior field '{exc.args[0]}' is not a field of scenario '{name}' "
                              f"nor of the history it starts from ('{d['starts_from']['name']}')") from None
    return [note] if note else []


def make_job(scenarios: Iterable[str | Scenario], reps: int, seed: int = 0,
             varies: list[Vary] | None = None, design: str = "batch", samples: int | None = None,
             series: bool = False, days: int | None = None, chunk_size: int = CHUNK_SIZE,
             points: list[dict] | None = None, yes: bool = False, fixed: bool = False,
             posterior=None, protocol: str | None = None) -> Job:
    """``JobSpec(...).build()`` (kept for callers that pass keywords): see :class:`JobSpec`."""
    return JobSpec(scenarios, reps, seed, varies, design, samples, series, days, chunk_size, points, yes, fixed,
                   posterior, protocol).build()


def parameters_label(mode: str, source: str = "") -> str:
    return {"priors": "under parameter uncertainty (priors)", "fixed": "fixed parameters",
            "posterior": f"under parameter uncertainty (posterior{' of ' + source if source else ''})"}[mode]


def replicate_params(chunk: Chunk, seq: np.random.SeedSequence, priors: dict | None = None,
                     point: int | None = None, scenario: str | None = None, posterior=None) -> dict:
    """The parameters of one replicate: drawn from the priors (or the posterior) on the
    replicate's own parameter streams, then the design point's values on top. ``point``
    and ``scenario`` default to the chunk's first run's; ``posterior`` is the chunk's
    :class:`~sim.scenario.priors.Posterior`, if already rebuilt."""
    if point is None or scenario is None:
        scenario, point, _ = chunk.runs[0]
    values = chunk.points[point]
    data = chunk.scenarios[scenario]
    chain = data.get("starts_from") is not None        # a continuation (sim.scenario.continuation)
    if chunk.fixed:
        if chain:
            from sim.scenario.continuation import replicate_params as chain_params

            return chain_params(data, seq, {}, {}, values, draw_history=False)
        return dict(values)
    from sim.scenario.priors import Posterior, draw, priors_of

    params = draw(priors if priors is not None else priors_of(data), seq)
    post = (posterior or Posterior.from_dict(chunk.posterior)).draw(seq) if chunk.posterior else {}
    if chain:
        from sim.scenario.continuation import replicate_params as chain_params

        return chain_params(data, seq, params, post, values)
    params.update(post)
    params.update(values)
    return params
