#!/usr/bin/env python3
"""The stored reference runs that guard the speed work (issue 14): a fixed set of runs
whose every output must stay bit-identical when the code is made faster.

    python tests/reference/make_reference.py          # rewrite reference_runs.json

Run it only when a change is *meant* to change the model's results (and say so in the
commit); a speed-up must leave the file as it is (tests/model/test_reference_runs.py).

What is stored: for every shipped scenario under its own protocol, and for a few
(scenario, protocol) pairs under the other protocols (:data:`PROTOCOL_RUNS`), the outcome
row of ``REPS`` batch replications under the priors (the batch path, ``run_outcomes``)
and of ``REPS`` with fixed parameters; and for a few (scenario, seed[, protocol]) the
SHA-256 of each table of the full result (daily series, offers, agreements, record,
issues, forecast moves), written as CSV with every float in full precision, after the
columns' dtypes.
"""

from __future__ import annotations

import hashlib
import json
import math
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

HERE = Path(__file__).resolve().parent
FILE = HERE / "reference_runs.json"
REPS = 8
SEED = 20211123
FULL = [("baseline", 0, None), ("baseline", 1, None), ("baseline", 2, None), ("black_sea_grain", 0, None),
        ("history_2021", 3, None), ("russia_engages", 4, None), ("ec_emissions", 0, None),
        ("baseline", 0, "mediation"), ("black_sea_grain", 1, "mediation"), ("baseline", 0, "expected_utility")]
TABLES = ("series", "offers", "agreements", "record", "issues", "moves")
PROTOCOL_RUNS = [("baseline", "mediation"), ("baseline", "expected_utility"), ("baseline", "compromise"),
                 ("black_sea_grain", "mediation"), ("black_sea_grain", "expected_utility")]


def scenarios() -> list[tuple[str, str | None]]:
    """(scenario, protocol): every shipped scenario under its own protocol (None), then
    :data:`PROTOCOL_RUNS`."""
    names = sorted(p.stem for p in (ROOT / "scenarios").glob("*.yaml"))
    return [(n, None) for n in names] + list(PROTOCOL_RUNS)


def _clean(v):
    if isinstance(v, float) and math.isnan(v):
        return "nan"
    if hasattr(v, "item"):
        return _clean(v.item())
    return v


def batch_rows(fixed: bool) -> dict:
    from sim.experiments import jobs as ex

    out = {}
    for name, protocol in scenarios():
        runs = ex.batch(name, reps=REPS, seed=SEED, fixed=fixed, protocol=protocol)
        drop = {"scenario", "status", "error", "traceback"}
        out[name if protocol is None else f"{name}:{protocol}"] = [
            {k: _clean(v) for k, v in row.items() if k not in drop}
            for row in runs.sort_values("run_id").to_dict("records")]
    return out


def table_digest(df) -> str:
    text = repr(df.dtypes.astype(str).to_dict()) + df.to_csv(index=False, float_format="%.17g")
    return hashlib.sha256(text.encode()).hexdigest()


def full_digests() -> dict:
    import sim

    out = {}
    for name, seed, protocol in FULL:
        res = sim.run(name, seed=seed, series=True, protocol=protocol)
        d = {t: table_digest(getattr(res, t)) for t in TABLES}
        d["outcomes"] = {k: _clean(v) for k, v in res.outcomes.items()}
        out[f"{name}:{seed}" + (f":{protocol}" if protocol else "")] = d
    return out


def compute() -> dict:
    return {"priors": batch_rows(False), "fixed": batch_rows(True), "full": full_digests()}


def main() -> None:
    FILE.write_text(json.dumps(compute(), indent=1, sort_keys=True) + "\n")
    print(f"wrote {FILE}")


if __name__ == "__main__":
    main()
