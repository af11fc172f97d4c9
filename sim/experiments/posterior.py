"""A calibration's posterior read back from its folder (``posterior.parquet``), for
``--posterior DIR`` (jobs, scores) without importing the calibration machinery."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.errors import ExperimentError
from sim.scenario.priors import Posterior


def load_posterior(folder: str | Path) -> Posterior:
    """The posterior of a calibration folder (its ``posterior.parquet``)."""
    path = Path(folder) / "posterior.parquet"
    if not path.is_file():          # (a FIFO or a folder would hang or fail the reader)
        raise ExperimentError(f"--posterior {folder}: no posterior.parquet file there (run run_sim.py calibrate first)")
    df = pd.read_parquet(path)
    fields = [c for c in df.columns if c.startswith("param:")]
    if not fields or "weight" not in df.columns:
        raise ExperimentError(f"{path}: not a posterior (no param: columns or weight)")
    values = tuple(tuple(v.item() if hasattr(v, "item") else v for v in row)
                   for row in df[fields].itertuples(index=False, name=None))
    return Posterior(tuple(f[6:] for f in fields), values, tuple(df["weight"].astype(float)))
