#!/usr/bin/env python3
"""A measured prototype of a compiled *ensemble engine* (docs/performance.md): many
replications in one compiled call, the Mesa model's own code kept as the reference the
engine must equal.

The subset prototyped is the crisis environment (sim/model/environment.py) under a fixed
path of issue values, for R replications x D days (the scenario's horizon, 90 for the
baseline). Each day d of replication r, as ``NegotiationModel.step`` does it:

    Environment.update(x)            stocks move: issue-driven inflows x lognormal noise
                                     (the environment's own RNG stream), outflows, clip
    Environment.cost(exposure_i, x)  every actor's daily crisis cost
    Environment.relief(exposure_i, x)  every actor's anticipated relief per issue

with x = x[r, d] a fixed, per-replication path of issue values (status quo plus random
steps, drawn once from its own generator: the subset has no agents that move issues).

Four implementations, all fed the same issue paths and the same seeds:

1. reference  the real ``sim.model.environment.Environment`` of each replication, built
              and seeded as ``NegotiationModel.__init__`` builds it (Mesa draws its own
              seed from the model's Generator first, then the model draws the
              environment's seed), run day by day in Python;
2. draws      the engine's only per-replication Python work: each replication's
              Generator is built the same way and its standard normals drawn with
              NumPy, in the order the reference draws them (day-major, one per noisy
              stock), into an array z of shape (R, D, noisy stocks);
3. numba      one ``@njit`` call for all R replications on arrays of shape (R, ...):
              stocks, inflows, outflows (R, D, S), costs (R, D, A), relief (R, D, A, I)
              (single-threaded; each stock's slope per driving issue computed once a
              day and shared by the actors, as the reference's cached shifts are);
4. numpy      the same computation vectorised over replications in pure NumPy (a loop
              over days, stocks, flows and actors; each operation on R-vectors).

Equality: every stock level, inflow, outflow, cost and relief entry of 2-4 is compared
with the reference (max absolute difference; bit-identical means every float64 equal,
signed zeros included). The seeding is checked against a real ``NegotiationModel``.

Timing: CPU time (``time.process_time``), median of repeats (fast calls looped, the
garbage collector off while timing, as ``timeit`` does), per number of replications R
(default 1, 100, 1,000, 10,000). numba's compile time is measured on its own (the first
call, minus a steady call) and reported both excluded and included.

Second part (skip it with ``--no-kernels``): ``sim.protocols.boa.best_values`` and
``gain`` over a batch of packages: the Python functions called once per package as the
model calls them, compiled versions called once per package from Python (what
"compiling the kernels and calling them per turn" gives), and one compiled call over the
whole batch (what a compiled loop gives). Same results required (bit-identical).

numba is not a dependency of the project. To run this prototype:

    .venv/bin/pip install numba          # numba 0.68 (into .venv only; not in pyproject)
    .venv/bin/python benchmarks/prototype_ensemble.py            # ~1.5 min CPU, ~1 GB
    .venv/bin/python benchmarks/prototype_ensemble.py --quick    # smoke test, seconds

Options: --reps 1,100,1000,10000  --repeats 5  --max-ref-repeats-reps 1000 (above it
the reference is timed once)  --scenario baseline  --seed 0  --no-kernels  --cache
(numba's on-disk cache: ``cache=True``; a second process then loads instead of compiling).
Nothing is asserted; the script exits 1 if an implementation is not equal to the reference.
"""

from __future__ import annotations

import argparse
import gc
import math
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

try:
    import numba
    from numba import njit
except ImportError:  # pragma: no cover - the message is the point
    sys.exit("benchmarks/prototype_ensemble.py needs numba, which is not a dependency of the "
             "project.\nInstall it into the virtualenv only:\n\n    .venv/bin/pip install numba\n\n"
             "then rerun: .venv/bin/python benchmarks/prototype_ensemble.py")

import sim  # noqa: E402
from sim.model import NegotiationModel  # noqa: E402
from sim.model.environment import Environment  # noqa: E402
from sim.protocols.boa import best_values, gain  # noqa: E402

CACHE = "--cache" in sys.argv


# ============================================================================ spec -> arrays
class Arrays:
    """The scenario's environment and exposures as fixed-size arrays (padded tables)."""

    def __init__(self, sc):
        env = sc.environment
        self.issue_ids = list(sc.issues)
        self.actor_ids = list(sc.actors)
        idx = {j: n for n, j in enumerate(self.issue_ids)}
        stocks = list(env.stocks.items())
        S, I, A = len(stocks), len(self.issue_ids), len(self.actor_ids)
        self.S, self.I, self.A = S, I, A
        self.initial = np.array([float(s.initial) for _, s in stocks])
        self.sigma = np.array([float(s.noise) for _, s in stocks])
        # column of z that stock s reads (-1: no noise, so no draw, as in Environment.update)
        self.noise_col = np.full(S, -1, dtype=np.int64)
        col = 0
        for s in range(S):
            if self.sigma[s] > 0:
                self.noise_col[s] = col
                col += 1
        self.n_noisy = col

        def table(flows_of):
            F = max([1] + [len(flows_of(st)) for _, st in stocks])
            T = max([1] + [len(f.driven_by) for _, st in stocks for f in flows_of(st)])
            n_f = np.zeros(S, np.int64)
            rate = np.zeros((S, F))
            n_t = np.zeros((S, F), np.int64)
            term = np.zeros((S, F, T), np.int64)
            sign = np.zeros((S, F, T))
            for s, (_, st) in enumerate(stocks):
                n_f[s] = len(flows_of(st))
                for f, fl in enumerate(flows_of(st)):
                    rate[s, f] = fl.rate
                    n_t[s, f] = len(fl.driven_by)
                    for t, (j, sg) in enumerate(fl.driven_by.items()):
                        term[s, f, t] = idx[j]
                        sign[s, f, t] = 1.0 if sg > 0 else -1.0
            return n_f, rate, n_t, term, sign

        self.inflow = table(lambda st: st.inflows)
        self.outflow = table(lambda st: st.outflows)
        drivers = [sorted({idx[j] for f in (*st.inflows, *st.outflows) for j in f.driven_by}) for _, st in stocks]
        K = max([1] + [len(d) for d in drivers])
        self.n_drv = np.array([len(d) for d in drivers], np.int64)
        self.drv = np.zeros((S, K), np.int64)
        for s, d in enumerate(drivers):
            self.drv[s, :len(d)] = d
        self.cost_idx = np.array([idx[j] for j in env.cost_issues], np.int64)
        self.tau = float(env.anticipation_days)
        self.exp_stock = np.array([[sc.actors[a].exposure.get(n, 0.0) for n, _ in stocks] for a in self.actor_ids])
        self.exp_cost = np.array([[sc.actors[a].exposure.get(j, 0.0) for j in env.cost_issues]
                                  for a in self.actor_ids]).reshape(A, len(env.cost_issues))
        self.exposures = [dict(sc.actors[a].exposure) for a in self.actor_ids]
        self.status_quo = np.array([sc.issues[j].status_quo for j in self.issue_ids])


def issue_paths(ar: Arrays, R: int, D: int, seed: int) -> np.ndarray:
    """x[r, d]: the issue values on day d+1 of replication r (status quo plus steps of
    +-0.1 with probability 0.05 per issue and day, clipped to [0, 1]); its own stream."""
    g = np.random.default_rng([seed, 0x5EED])
    steps = np.where(g.random((R, D, ar.I)) < 0.05, g.choice([-0.1, 0.1], size=(R, D, ar.I)), 0.0)
    return np.clip(ar.status_quo + np.cumsum(steps, axis=1), 0.0, 1.0)


def env_rng(seq: np.random.SeedSequence) -> np.random.Generator:
    """The environment's Generator of the replication seeded by ``seq``, as
    NegotiationModel(sc, rng=np.random.default_rng(seq)) makes it: mesa.Model draws
    its stdlib seed from the model's Generator, then the model draws the environment's."""
    g = np.random.default_rng(seq)
    g.integers(np.iinfo(np.int32).max)          # mesa.Model.__init__ (rng given as a Generator)
    return np.random.default_rng(int(g.integers(2**63)))


def check_seeding(sc, seqs) -> bool:
    """Is env_rng(seq) the environment Generator a real NegotiationModel builds?"""
    for seq in seqs:
        m = NegotiationModel(sc, rng=np.random.default_rng(seq), collect=False, log_offers=False)
        if m.env.rng.bit_generator.state != env_rng(seq).bit_generator.state:
            return False
    return True


# ============================================================================ 1. reference
def run_reference(sc, ar: Arrays, x: np.ndarray, seqs):
    R, D, _ = x.shape
    out = alloc(ar, R, D)
    levels, inflows, outflows, costs, reliefs = out
    for r in range(R):
        env = Environment(sc.environment, ar.issue_ids, env_rng(seqs[r]))
        stocks = list(env.stocks.values())
        for d in range(D):
            xd = x[r, d]
            env.update(xd)
            for s, st in enumerate(stocks):
                levels[r, d, s] = st.level
                inflows[r, d, s] = st.inflow
                outflows[r, d, s] = st.outflow
            for a, e in enumerate(ar.exposures):
                costs[r, d, a] = env.cost(e, xd)
                reliefs[r, d, a] = env.relief(e, xd)
    return out


def alloc(ar: Arrays, R: int, D: int):
    return (np.empty((R, D, ar.S)), np.empty((R, D, ar.S)), np.empty((R, D, ar.S)),
            np.empty((R, D, ar.A)), np.empty((R, D, ar.A, ar.I)))


# ============================================================================ 2. draws
def draw_normals(ar: Arrays, seqs, D: int) -> np.ndarray:
    """z[r, d, k]: the standard normal the reference draws on day d+1 for the k-th noisy
    stock, from each replication's own Generator (one array call per replication)."""
    R = len(seqs)
    z = np.empty((R, D, ar.n_noisy))
    if ar.n_noisy:
        for r in range(R):
            z[r] = env_rng(seqs[r]).standard_normal(D * ar.n_noisy).reshape(D, ar.n_noisy)
    return z


# ============================================================================ 3. numba
# Operation order, min/max and signed zeros follow Environment exactly: Python's
# max(a, b) is ``b if b > a else a``, min(a, b) is ``b if b < a else a``; sums start
# at 0.0 and add in the reference's order; no fastmath (it would reorder). The helpers
# are inlined (inline="always"): called as functions, with a dozen array arguments each,
# they made the kernel 8x slower (reference counting of the arguments on every call).
@njit(cache=CACHE, inline="always")
def _drive(x, r, d, term, sign, n_t, s, f, skip):
    """prod over the flow's terms (but ``skip``) of x_j or 1 - x_j. Arrays are indexed,
    never sliced: a view inside the loop costs a reference-count round trip."""
    v = 1.0
    for t in range(n_t[s, f]):
        if t == skip:
            continue
        j = term[s, f, t]
        v *= x[r, d, j] if sign[s, f, t] > 0 else 1.0 - x[r, d, j]
    return v


@njit(cache=CACHE, inline="always")
def _slope(x, r, d, level, s, j, in_n, in_rate, in_nt, in_term, in_sign, out_n, out_rate, out_nt, out_term,
           out_sign):
    total = 0.0
    for f in range(in_n[s]):
        for t in range(in_nt[s, f]):
            if in_term[s, f, t] == j:
                rest = _drive(x, r, d, in_term, in_sign, in_nt, s, f, t)
                total += 1.0 * in_rate[s, f] * rest * (1.0 if in_sign[s, f, t] > 0 else -1.0)
    mult = -level
    for f in range(out_n[s]):
        for t in range(out_nt[s, f]):
            if out_term[s, f, t] == j:
                rest = _drive(x, r, d, out_term, out_sign, out_nt, s, f, t)
                total += mult * out_rate[s, f] * rest * (1.0 if out_sign[s, f, t] > 0 else -1.0)
    return total


@njit(cache=CACHE)
def ensemble_numba(x, z, initial, sigma, noise_col,
                   in_n, in_rate, in_nt, in_term, in_sign,
                   out_n, out_rate, out_nt, out_term, out_sign,
                   n_drv, drv, tau, cost_idx, exp_stock, exp_cost,
                   levels, inflows, outflows, costs, reliefs):
    R, D, I = x.shape
    S = initial.shape[0]
    A = exp_stock.shape[0]
    C = cost_idx.shape[0]
    level = np.empty(S)
    slope = np.empty(drv.shape)     # d(net flow)/dx_j per stock and driver: today's, shared by the actors
    for r in range(R):
        for s in range(S):
            level[s] = initial[s]
        for d in range(D):
            # ---- Environment.update
            for s in range(S):
                sig = sigma[s]
                eps = math.exp(sig * z[r, d, noise_col[s]] - sig * sig / 2) if sig > 0 else 1.0
                fin = 0.0
                for f in range(in_n[s]):
                    fin += in_rate[s, f] * _drive(x, r, d, in_term, in_sign, in_nt, s, f, -1)
                fout = 0.0
                for f in range(out_n[s]):
                    fout += out_rate[s, f] * _drive(x, r, d, out_term, out_sign, out_nt, s, f, -1)
                fout = fout * level[s]
                fin = fin * eps
                v = level[s] + fin - fout
                v = v if v > 0.0 else 0.0               # max(0.0, v)
                v = v if v < 1.0 else 1.0               # min(1.0, v)
                level[s] = v
                levels[r, d, s] = v
                inflows[r, d, s] = fin
                outflows[r, d, s] = fout
            # ---- Environment.cost and Environment.relief, every actor (Stock.slope is a
            # function of x and the level only: computed once a day, not once per actor)
            for s in range(S):
                for q in range(n_drv[s]):
                    slope[s, q] = _slope(x, r, d, level[s], s, drv[s, q], in_n, in_rate, in_nt, in_term, in_sign,
                                         out_n, out_rate, out_nt, out_term, out_sign)
            for a in range(A):
                c = 0.0
                for s in range(S):
                    c += exp_stock[a, s] * level[s]
                for k in range(C):
                    c += exp_cost[a, k] * x[r, d, cost_idx[k]]
                costs[r, d, a] = c
                for j in range(I):
                    reliefs[r, d, a, j] = 0.0
                for s in range(S):
                    e = exp_stock[a, s]
                    if e == 0.0:
                        continue
                    lv = level[s]
                    lo = -(1.0 - lv)
                    for q in range(n_drv[s]):
                        j = drv[s, q]
                        shift = -tau * slope[s, q]
                        m = shift if shift > lo else lo          # max(-(1 - level), shift)
                        m = m if m < lv else lv                  # min(level, m)
                        reliefs[r, d, a, j] += e * m
                for k in range(C):
                    reliefs[r, d, a, cost_idx[k]] -= exp_cost[a, k]


def run_numba(ar: Arrays, x: np.ndarray, z: np.ndarray, out=None):
    """One compiled call for all replications; ``out``: output arrays to reuse (already
    in memory), else fresh ones (whose first touch costs page faults, counted as CPU)."""
    R, D, _ = x.shape
    out = alloc(ar, R, D) if out is None else out
    ensemble_numba(x, z, ar.initial, ar.sigma, ar.noise_col, *ar.inflow, *ar.outflow,
                   ar.n_drv, ar.drv, ar.tau, ar.cost_idx, ar.exp_stock, ar.exp_cost, *out)
    return out


# ============================================================================ 4. numpy
def run_numpy(ar: Arrays, x: np.ndarray, z: np.ndarray):
    """Vectorised over replications: each operation acts on R-vectors, in the
    reference's order (np.where reproduces Python's min/max exactly; np.exp is NumPy's
    own, SIMD exp, not the C library's that math.exp and numba call)."""
    R, D, _ = x.shape
    out = alloc(ar, R, D)
    levels, inflows, outflows, costs, reliefs = out
    level = np.tile(ar.initial, (R, 1))

    def drive(xd, table, s, f, skip=-1):
        _n, _rate, n_t, term, sign = table
        d = np.ones(R)
        for t in range(n_t[s, f]):
            if t != skip:
                xj = xd[:, term[s, f, t]]
                d = d * (xj if sign[s, f, t] > 0 else 1.0 - xj)
        return d

    for d in range(D):
        xd = x[:, d]
        for s in range(ar.S):
            sig = ar.sigma[s]
            eps = np.exp(sig * z[:, d, ar.noise_col[s]] - sig * sig / 2) if sig > 0 else 1.0
            fin = np.zeros(R)
            for f in range(ar.inflow[0][s]):
                fin = fin + ar.inflow[1][s, f] * drive(xd, ar.inflow, s, f)
            fout = np.zeros(R)
            for f in range(ar.outflow[0][s]):
                fout = fout + ar.outflow[1][s, f] * drive(xd, ar.outflow, s, f)
            fout = fout * level[:, s]
            fin = fin * eps
            v = level[:, s] + fin - fout
            v = np.where(v > 0.0, v, 0.0)
            v = np.where(v < 1.0, v, 1.0)
            level[:, s] = v
            levels[:, d, s], inflows[:, d, s], outflows[:, d, s] = v, fin, fout
        # slopes of each stock's net flow, per driver (shared by all actors)
        slopes = {}
        for s in range(ar.S):
            lv = level[:, s]
            for q in range(ar.n_drv[s]):
                j = ar.drv[s, q]
                total = np.zeros(R)
                for table, mult in ((ar.inflow, 1.0), (ar.outflow, -lv)):
                    n_f, rate, n_t, term, sign = table
                    for f in range(n_f[s]):
                        for t in range(n_t[s, f]):
                            if term[s, f, t] == j:
                                rest = drive(xd, table, s, f, skip=t)
                                total = total + mult * rate[s, f] * rest * (1.0 if sign[s, f, t] > 0 else -1.0)
                slopes[s, q] = total
        for a in range(ar.A):
            c = np.zeros(R)
            for s in range(ar.S):
                c = c + ar.exp_stock[a, s] * level[:, s]
            for k, j in enumerate(ar.cost_idx):
                c = c + ar.exp_cost[a, k] * xd[:, j]
            costs[:, d, a] = c
            rel = np.zeros((R, ar.I))
            for s in range(ar.S):
                e = ar.exp_stock[a, s]
                if e == 0.0:
                    continue
                lv = level[:, s]
                lo = -(1.0 - lv)
                for q in range(ar.n_drv[s]):
                    shift = -ar.tau * slopes[s, q]
                    m = np.where(shift > lo, shift, lo)
                    m = np.where(m < lv, m, lv)
                    rel[:, ar.drv[s, q]] += e * m
            for k, j in enumerate(ar.cost_idx):
                rel[:, j] -= ar.exp_cost[a, k]
            reliefs[:, d, a] = rel
    return out


# ============================================================================ 5. kernels
@njit(cache=CACHE)
def _best_value(z, wn, c, a, b):
    """One issue of sim.protocols.boa.best_values: the best of (z clipped, a, b)."""
    zc = a if a > z else z                   # min(max(z, a), b) with Python's semantics
    zc = b if b < zc else zc
    best_v = zc
    best_val = -wn * abs(zc - z) + c * zc
    for v in (a, b):
        val = -wn * abs(v - z) + c * v
        if val > best_val:
            best_v, best_val = v, val
    return best_v


@njit(cache=CACHE)
def best_values_batch(ideal, w, relief, lo, hi, out):
    """sim.protocols.boa.best_values for every row (package) of a batch."""
    N, n = ideal.shape
    for p in range(N):
        for k in range(n):
            out[p, k] = _best_value(ideal[p, k], w[p, k], relief[p, k], lo[p, k], hi[p, k])


@njit(cache=CACHE)
def best_values_one(ideal, w, relief, lo, hi):
    """A drop-in compiled best_values, called once per package from Python."""
    n = len(ideal)
    out = np.empty(n)
    for k in range(n):
        out[k] = _best_value(ideal[k], w[k], relief[k], lo[k], hi[k])
    return out


@njit(cache=CACHE)
def gain_one(w, ideal, x, p, relief):
    """A drop-in compiled gain, called once per package from Python."""
    g = 0.0
    for k in range(len(p)):
        z = ideal[k]
        g += w[k] * (abs(x[k] - z) - abs(p[k] - z))
        g += relief[k] * (p[k] - x[k])
    return g


@njit(cache=CACHE)
def gain_batch(w, ideal, x, p, relief, out):
    """sim.protocols.boa.gain for every row (package) of a batch."""
    N, n = p.shape
    for q in range(N):
        g = 0.0
        for k in range(n):
            z = ideal[q, k]
            g += w[q, k] * (abs(x[q, k] - z) - abs(p[q, k] - z))
            g += relief[q, k] * (p[q, k] - x[q, k])
        out[q] = g


def kernel_bench(N: int, n: int, repeats: int) -> list[tuple]:
    g = np.random.default_rng(7)
    ideal, w, x, p = g.random((N, n)), g.random((N, n)), g.random((N, n)), g.random((N, n))
    relief = g.normal(0.0, 0.5, (N, n))
    lo = g.random((N, n)) * 0.5
    hi = lo + g.random((N, n)) * 0.5
    # the model calls them on short tuples of Python floats, one package at a time
    rows = [tuple(tuple(a[i].tolist()) for a in (ideal, w, relief, lo, hi, x, p)) for i in range(N)]
    res = []

    def py_best():
        return [best_values(zi, wi, ci, li, hi_) for zi, wi, ci, li, hi_, _x, _p in rows]

    def py_gain():
        return [gain(wi, zi, xi, pi, ci) for zi, wi, ci, _l, _h, xi, pi in rows]

    bv = np.empty((N, n))
    gv = np.empty(N)
    best_values_batch(ideal[:1], w[:1], relief[:1], lo[:1], hi[:1], bv[:1])     # compile
    gain_batch(w[:1], ideal[:1], x[:1], p[:1], relief[:1], gv[:1])
    def nb_best_one():
        return [best_values_one(zi, wi, ci, li, hi_) for zi, wi, ci, li, hi_, _x, _p in rows]

    def nb_gain_one():
        return [gain_one(wi, zi, xi, pi, ci) for zi, wi, ci, _l, _h, xi, pi in rows]

    nb_best_one()   # compile
    nb_gain_one()
    for name, py, one, nb in (
        ("best_values", py_best, nb_best_one, lambda: best_values_batch(ideal, w, relief, lo, hi, bv)),
        ("gain", py_gain, nb_gain_one, lambda: gain_batch(w, ideal, x, p, relief, gv)),
    ):
        t_py = median_cpu(py, repeats)
        t_one = median_cpu(one, repeats)
        t_nb = median_cpu(nb, repeats)
        res.append((name, t_py, t_one, t_nb))
    ref_b = np.array(py_best())
    ref_g = np.array(py_gain())
    eq_b = np.array_equal(ref_b, bv)
    eq_g = np.array_equal(ref_g, gv)
    return res, eq_b, eq_g


# ============================================================================ harness
def median_cpu(fn, repeats: int) -> float:
    return timed(fn, repeats)[0]


def timed(fn, repeats: int, min_time: float = 0.05):
    """(median CPU time per call over ``repeats`` repeats, the last call's result).
    As ``timeit`` does, a repeat of a fast call runs it ``number`` times (so that a
    repeat lasts at least ``min_time``: a CPU-time figure for one 100-us call is mostly
    noise) and the cyclic garbage collector is off while a repeat is timed (a full
    collection of the process's objects would otherwise land in one repeat or another).
    The first call sets ``number``; it counts as a repeat only if ``number`` is 1."""

    def one(number):
        gc.collect()
        gc.disable()
        try:
            t = time.process_time()
            for _ in range(number):
                out = fn()
            return (time.process_time() - t) / number, out
        finally:
            gc.enable()

    dt, out = one(1)
    ts = [dt]
    number = 1
    if dt < min_time and repeats > 1:
        number = max(2, math.ceil(min_time / max(dt, 1e-6)))
        ts = []
    while len(ts) < repeats:
        dt, out = one(number)
        ts.append(dt)
    return statistics.median(ts), out


def compare(ref, other) -> tuple[float, bool]:
    """(max absolute difference over every output, bit-identical?)."""
    diff = max(float(np.max(np.abs(a - b))) if a.size else 0.0 for a, b in zip(ref, other))
    same = all(np.array_equal(a.view(np.int64), b.view(np.int64)) for a, b in zip(ref, other))
    return diff, same


def fmt(t: float) -> str:
    if t < 1e-6:
        return f"{t * 1e9:8.0f} ns"
    if t < 1e-3:
        return f"{t * 1e6:8.1f} us"
    if t < 1.0:
        return f"{t * 1e3:8.2f} ms"
    return f"{t:8.2f} s "


def code_version() -> str:
    """The commit the reference code is at, and whether sim/ has uncommitted changes."""
    import subprocess
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True,
                              text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "sim"], cwd=ROOT, capture_output=True,
                               text=True, check=True).stdout.strip()
        return head + (" + uncommitted changes in sim/" if dirty else "")
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--reps", default="1,100,1000,10000", help="replication counts R, comma-separated")
    ap.add_argument("--repeats", type=int, default=5, help="timed repeats per figure (median)")
    ap.add_argument("--max-ref-repeats-reps", type=int, default=1000,
                    help="above this R the (slow) reference is timed once, not --repeats times")
    ap.add_argument("--scenario", default="baseline")
    ap.add_argument("--seed", type=int, default=0, help="root seed: replication r gets SeedSequence(seed).spawn(R)[r]")
    ap.add_argument("--days", type=int, default=None, help="days per replication (default: the scenario's horizon)")
    ap.add_argument("--no-kernels", action="store_true", help="skip the best_values / gain kernel part")
    ap.add_argument("--cache", action="store_true", help="numba cache=True (compile once, load from disk after)")
    ap.add_argument("--quick", action="store_true", help="R = 1, 100; 2 repeats; small kernel batch")
    args = ap.parse_args()
    reps = [1, 100] if args.quick else [int(v) for v in args.reps.split(",")]
    repeats = 2 if args.quick else args.repeats

    sc = sim.load_scenario(args.scenario)
    if not sc.environment.stocks:
        sys.exit(f"scenario {args.scenario!r} has no environment stocks: nothing to prototype")
    ar = Arrays(sc)
    D = int(args.days or sc.horizon_days)
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores ({platform.processor() or platform.platform()}); "
          f"Python {platform.python_version()}, NumPy {np.__version__}, numba {numba.__version__}")
    print(f"reference code (sim/) at commit {code_version()}")
    print(f"scenario {sc.name}: {ar.S} stock(s), {ar.I} issues, {ar.A} actors, {D} days; "
          f"times are CPU time (process_time), median of {repeats} repeats\n")

    seeds_ok = check_seeding(sc, np.random.SeedSequence(args.seed).spawn(3))
    print(f"seeding: env_rng(seq) == NegotiationModel(sc, rng=default_rng(seq)).env.rng for 3 seeds: {seeds_ok}")

    # numba compile time: first call (compiles) minus a steady call, both at R = 1
    x1 = issue_paths(ar, 1, D, args.seed)
    seqs1 = np.random.SeedSequence(args.seed).spawn(1)
    z1 = draw_normals(ar, seqs1, D)
    t = time.process_time()
    run_numba(ar, x1, z1)
    first = time.process_time() - t
    steady = median_cpu(lambda: run_numba(ar, x1, z1), 5)
    compile_t = first - steady
    print(f"numba compile (first call minus a steady call, R = 1; cache={'on' if CACHE else 'off'}): "
          f"{fmt(compile_t)}\n")

    rows, ok = [], seeds_ok
    head = (f"{'R':>7} | {'reference':>11} | {'draws':>11} | {'numba kernel':>12} | {'numpy vec.':>11} | "
            f"{'ref/(draws+numba)':>17} | {'ref/(draws+numba+compile)':>25} | {'ref/(draws+numpy)':>17} | "
            f"{'ref/numba kernel':>16}")
    print(head)
    print("-" * len(head))
    equality = []
    for R in reps:
        x = issue_paths(ar, R, D, args.seed)
        seqs = np.random.SeedSequence(args.seed).spawn(R)
        ref_repeats = repeats if R <= args.max_ref_repeats_reps else 1
        t_ref, ref = timed(lambda: run_reference(sc, ar, x, seqs), ref_repeats)
        t_draw, z = timed(lambda: draw_normals(ar, seqs, D), repeats)
        t_nb, out_nb = timed(lambda: run_numba(ar, x, z), repeats)
        t_nb_reused = median_cpu(lambda: run_numba(ar, x, z, out_nb), repeats)  # noqa: F821 (bound on the line above; ruff sees the del below)
        t_np, out_np = timed(lambda: run_numpy(ar, x, z), repeats)
        d_nb, same_nb = compare(ref, out_nb)
        d_np, same_np = compare(ref, out_np)
        del out_nb, out_np
        equality.append((R, d_nb, same_nb, d_np, same_np))
        ok &= same_nb and d_np <= 1e-12
        rows.append((R, t_ref, t_draw, t_nb, t_np, t_nb_reused))
        print(f"{R:>7} | {fmt(t_ref):>11} | {fmt(t_draw):>11} | {fmt(t_nb):>12} | {fmt(t_np):>11} | "
              f"{t_ref / (t_draw + t_nb):>16.3g}x | {t_ref / (t_draw + t_nb + compile_t):>24.3g}x | "
              f"{t_ref / (t_draw + t_np):>16.3g}x | {t_ref / t_nb:>15.3g}x"
              + ("" if ref_repeats == repeats else "   (reference timed once)"))
    print("\nper replication (largest R): reference {}, draws {}, numba kernel {}, numpy {}".format(
        *(fmt(t / rows[-1][0]) for t in rows[-1][1:5])))
    print("\nnumba kernel writing into output arrays already in memory (the compute alone; a fresh "
          "(R, D, A, I) relief array is 0.3 GB at R = 10,000, and its page faults count as CPU time):")
    for R, t_ref, _t_draw, t_nb, _t_np, t_re in rows:
        print(f"  R = {R:>6}: {fmt(t_re)} ({fmt(t_re / R)} per replication; reference / this = {t_ref / t_re:.3g}x; "
              f"with fresh outputs {fmt(t_nb)})")

    print("\nequality with the reference (levels, inflows, outflows, costs, relief; every day, replication):")
    for R, d_nb, same_nb, d_np, same_np in equality:
        print(f"  R = {R:>6}: numba max |diff| = {d_nb:.3g} ({'bit-identical' if same_nb else 'NOT bit-identical'}); "
              f"numpy max |diff| = {d_np:.3g} ({'bit-identical' if same_np else 'not bit-identical'})")

    if not args.no_kernels:
        N, n = (2_000, 4) if args.quick else (20_000, 4)
        res, eq_b, eq_g = kernel_bench(N, n, repeats)
        print(f"\nkernels over {N:,} packages of {n} issues (tuples of floats, as the protocol passes them): "
              f"Python, one call per package as the model calls them; numba called once per package from "
              f"Python (a compiled kernel per turn); numba, one call for the whole batch (a compiled loop):")
        for name, t_py, t_one, t_nb in res:
            print(f"  {name:<12} Python {fmt(t_py / N)} | numba per call {fmt(t_one / N)} ({t_py / t_one:.1f}x) | "
                  f"numba batch {fmt(t_nb / N)} ({t_py / t_nb:.0f}x)   per package")
        print(f"  equal to the Python functions: best_values bit-identical {eq_b}; gain bit-identical {eq_g}")
        ok &= eq_b and eq_g

    print("\nresult:", "every implementation equals the reference" if ok else "MISMATCH (see above)")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
