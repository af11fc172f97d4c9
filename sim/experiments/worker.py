"""The worker side: run a chunk's runs, one row each (any executor calls this)."""

from __future__ import annotations

import json
import traceback

import numpy as np
import pandas as pd

from sim.experiments.design import apply_params
from sim.experiments.job import Chunk, replicate_params


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
