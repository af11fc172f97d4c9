"""After-the-run views of issue values: on the issue's own scale (:func:`to_scale`) and
round by round for a protocol that moves positions in rounds (:func:`rounds_table`).
Read by the CLI, the protocol comparison, the figures and the tests."""

from __future__ import annotations

import numpy as np

from sim.analysis.compromise import compromise_weights
from sim.scenario import Scenario


def to_scale(sc: Scenario, issue: str, v):
    """Values of ``issue`` on [0, 1] on the issue's own scale (``scale: [lo, hi]``)."""
    lo, hi = sc.issues[issue].scale or (0.0, 1.0)
    return lo + (hi - lo) * np.asarray(v, dtype=float) if (lo, hi) != (0.0, 1.0) else np.asarray(v, dtype=float)


def rounds_table(result, scenario: Scenario | None = None):
    """Round by round (one round a day), per issue, on the issue's own scale: the
    protocol's forecast (``median``: the weighted median of the positions for expected
    utility) and the capability x salience weighted mean of the positions (``mean``),
    from a :class:`sim.results.RunResult` with its daily series. Day 0 is round 0 (the
    ideal points)."""
    import pandas as pd

    if result.series is None:
        raise ValueError("this result has no daily series: run with series=True")
    sc = scenario or Scenario.model_validate(result.spec)
    _, w = compromise_weights(sc)
    s = result.series
    pos, fc = s[s["variable"] == "position"], s[s["variable"] == "forecast"]
    actors = list(sc.actors)
    out = []
    for k, j in enumerate(sc.issues):
        p = pos[pos["issue"] == j].pivot(index="day", columns="actor", values="value")[actors]
        mean = (p.to_numpy() * w[:, k]).sum(axis=1) / w[:, k].sum()
        med = fc[fc["issue"] == j].set_index("day")["value"].loc[p.index].to_numpy()
        out.append(pd.DataFrame({"round": p.index.to_numpy(), "issue": j, "median": to_scale(sc, j, med),
                                 "mean": to_scale(sc, j, mean)}))
    return pd.concat(out, ignore_index=True)
