"""Speed work must not change results: a fixed set of runs (every shipped scenario under
its own protocol and a few under the others, on the batch path with priors and with fixed
parameters, and the full result tables of a few runs) is compared with the outcomes stored in
tests/reference/reference_runs.json, bit for bit. A change that is meant to change the
model's results regenerates the file (tests/reference/make_reference.py) and says so."""

import json
import math

import pytest
from reference import make_reference as ref


@pytest.fixture(scope="module")
def stored():
    return json.loads(ref.FILE.read_text())


def _same(a, b) -> bool:
    if isinstance(a, float) and isinstance(b, float):
        return a == b or (math.isnan(a) and math.isnan(b))
    return a == b


def _diff(stored_rows, rows) -> list[str]:
    out = []
    assert len(stored_rows) == len(rows), f"{len(rows)} runs, {len(stored_rows)} stored"
    for n, (s, r) in enumerate(zip(stored_rows, rows)):
        for k in sorted(set(s) | set(r)):
            if not _same(s.get(k), r.get(k)):
                out.append(f"run {n}: {k}: stored {s.get(k)!r}, now {r.get(k)!r}")
    return out


@pytest.mark.parametrize("mode", ["priors", "fixed"])
def test_batch_outcomes_are_bit_identical_to_the_stored_runs(stored, mode):
    now = json.loads(json.dumps(ref.batch_rows(fixed=mode == "fixed")))
    assert sorted(now) == sorted(stored[mode])
    problems = [f"{name}: {d}" for name in now for d in _diff(stored[mode][name], now[name])]
    assert not problems, "\n".join(problems[:20])


def test_full_results_are_bit_identical_to_the_stored_runs(stored):
    now = json.loads(json.dumps(ref.full_digests()))
    assert sorted(now) == sorted(stored["full"])
    for key, d in now.items():
        s = stored["full"][key]
        for table in ref.TABLES:
            assert d[table] == s[table], f"{key}: the {table} table differs from the stored run"
        assert not _diff([s["outcomes"]], [d["outcomes"]]), key


def test_the_model_sums_without_blas():
    """The stored runs hold on any CPU only if no model arithmetic goes through BLAS:
    ``np.dot``/``@``/``matmul`` pick their kernel (and order of summation) by CPU, which
    once made these very runs differ in the last bit between two machines
    (sim/model/numeric.py)."""
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2] / "sim"
    blas = re.compile(r"np\.dot\(|\.dot\(|np\.matmul|np\.einsum|np\.inner\(|[\w\)\]]\s@\s[\w\(]")
    # sim/analysis (the bargaining benchmark of stored deals) is read after the run, never
    # by the day: its many-party solver may use BLAS and rounds what it reports (9 decimals)
    hits = [f"{p.relative_to(root)}:{n}: {line.strip()}"
            for folder in ("model", "protocols") for p in sorted((root / folder).glob("*.py"))
            for n, line in enumerate(p.read_text().splitlines(), 1)
            if blas.search(line.split("#")[0])]
    assert not hits, "BLAS in the model:\n" + "\n".join(hits)


def test_the_crisis_cost_keeps_pythons_sum():
    """The stored runs were made with Python's ``sum`` over the stocks (compensated from
    Python 3.12 on): with three stocks at 0.1, 0.2, 0.3 it gives 0.6 where a plain loop
    gives 0.6000000000000001. A speed-up must keep it (no shipped scenario has three
    stocks, so the stored runs alone would not notice)."""
    import numpy as np

    from sim.model.environment import Environment
    from sim.scenario.schema import EnvironmentSpec

    spec = EnvironmentSpec(stocks={f"s{k}": {"initial": v} for k, v in enumerate((0.1, 0.2, 0.3))})
    env = Environment(spec, ["i"], np.random.default_rng(0))
    exposure = {"s0": 1.0, "s1": 1.0, "s2": 1.0}
    assert env.cost(exposure, np.array([0.0])) == sum([0.1, 0.2, 0.3])
