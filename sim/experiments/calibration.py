"""Calibration: fit a scenario's uncertain parameters to observed series by
approximate Bayesian computation (ABC-SMC).

Data flow: observed data (tidy CSV) + the scenario's ``observables:`` and
``uncertain:`` priors -> generations of particles, each simulated by the model on an
executor -> a weighted posterior sample (``posterior.parquet``) -> posterior-predictive
bands, a figure and a report. ``batch --posterior DIR`` draws parameters from it.

The data file is a tidy CSV with columns ``date, variable, value, source`` (and
optionally ``unit``, ``note``): one row per observed value. Each ``variable`` is named
in the scenario's ``observables:`` block, which says how a run produces it (a daily
series variable, aggregated by ``sum``/``mean``/``last`` over the calendar ``month``,
ISO ``week`` or ``day`` holding ``date``, times ``scale``). A run's summary is the
vector of these values, one per data row.

Method: the adaptive population Monte Carlo ABC of Lenormand, Jabot & Deffuant (2013,
"Adaptive approximate Bayesian computation for complex models", Comput. Stat. 28),
an ABC-SMC whose tolerance sequence and stopping rule come from the data:

1. generation 0: ``population`` parameter sets from the priors; keep the
   ``alpha * population`` closest to the data (tolerance eps_1 = their largest distance);
2. each next generation: draw ``population - kept`` new sets from the kept particles
   (pick one by weight, move it by a Gaussian kernel of twice their weighted covariance,
   Beaumont et al. 2009; redraw if it leaves the prior's support), weight each new set by
   prior / (kernel mixture density), simulate; p_acc = the share of new sets closer than
   the current tolerance; keep the ``kept`` closest of old + new;
3. stop when p_acc < ``min_acceptance`` (the posterior no longer changes much): this
   stopping rule decides. ``max_generations`` (default 50) is a safety valve: if it ends
   the run first, the result, the report and a warning say so (the posterior may then
   still be too wide: a width ratio near 1 can be an artefact of stopping early).

The population may be sized from a target effective sample size (``target_ess``:
population = target / alpha, so the kept particles could reach it with equal
weights); the report warns when the final ESS falls short of it.

Particles live in the priors' quantile space (u = F(theta) in [0, 1]^d), where every
prior is uniform: one kernel serves uniform, log-uniform, normal, beta and triangular
priors alike, and integer fields are the rounded ``ppf(u)``. The distance is the root
mean square over data rows of (simulated - observed) / scale_row, scale_row = the median
absolute deviation of that row over generation 0's simulations (pyabc's adaptive
p-norm distance uses the same scale; here it is fixed after generation 0).

Implementation on numpy/scipy rather than pyabc: pyabc 0.13 installs here but brings
redis, SQLAlchemy, GitPython, scikit-learn and ipykernel, draws its randomness from
numpy's global state (no bit-identical rerun from a seed), and its samplers schedule
simulations themselves. This version sends fixed, seeded batches of simulations to
any ``concurrent.futures`` executor (our worker pool or Dask), so the same seed gives
the same posterior whatever the number of workers, and it writes a checkpoint after
every generation: an interrupted calibration resumes from its last finished generation.

Diagnostics (``generations.csv``, ``check.json`` and the report): which rule stopped
the run; per generation the tolerance, the acceptance rate, the effective sample size of
the weights, the number of simulations; per parameter the prior and posterior 90%
intervals and their width ratio; the posterior-predictive 5-95% band against the
observed points, with a misfit statistic (:func:`misfit`): the share of observations
inside the 90% band (with the binomial probability of so few inside if the band were
right) and a posterior-predictive p-value (Gelman, Meng & Stern 1996) of the
discrepancy, the distance of a data set from the predictive median in the calibration's
own scale; the data is called *misspecified* when either is below 0.05.
"""

from __future__ import annotations

import hashlib
import json
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

from sim.experiments.jobs import ExperimentError, InlineExecutor, _atomic_parquet, apply_params, scenario_data
from sim.experiments.observed import MAX_DATA_BYTES, MAX_DATA_ROWS, MAX_DATA_VALUE, check_data, read_data, summarise_run  # noqa: F401
from sim.experiments.posterior import load_posterior  # noqa: F401  (read here by callers)
from sim.scenario import Scenario
from sim.scenario.priors import priors_of

CALIB_STREAM = 0x43414C49      # "CALI": the calibration's branch of the root seed
def _simulate(task: dict) -> tuple[int, np.ndarray, str]:
    """Worker side: run each parameter set of the task; (task id, summaries, the first
    error met, or "")."""
    from sim.experiments.observe import observed_summary

    res = np.full((len(task["params"]), len(task["rows"])), np.nan)
    error = ""
    for n, (params, key) in enumerate(zip(task["params"], task["keys"])):
        try:
            sc = apply_params(task["data"], params)
            seq = np.random.SeedSequence(task["entropy"], spawn_key=tuple(key))
            res[n] = observed_summary(sc, seq, task["rows"])
        except Exception as exc:   # noqa: BLE001 - a failed run is at infinite distance
            error = error or f"{type(exc).__name__}: {exc}"
    return task["task_id"], res, error


# =============================================================== the sampler
@dataclass
class Settings:
    population: int = 200
    alpha: float = 0.5
    min_acceptance: float = 0.05
    max_generations: int = 50
    seed: int = 0
    predictive: int = 200
    target_ess: int | None = None

    def __post_init__(self):
        if self.target_ess is not None:
            if self.target_ess < 2:
                raise ExperimentError(f"--target-ess must be at least 2 (got {self.target_ess})")
            self.population = max(4, math.ceil(self.target_ess / self.alpha))

    def check(self) -> None:
        if self.population < 4:
            raise ExperimentError(f"--population must be at least 4 (got {self.population})")
        if not 0 < self.alpha < 1 or int(self.alpha * self.population) < 2:
            raise ExperimentError(f"--alpha must be in (0, 1) and keep at least 2 particles (got {self.alpha})")
        if not 0 <= self.min_acceptance < 1:
            raise ExperimentError(f"--min-acceptance must be in [0, 1) (got {self.min_acceptance})")
        if self.max_generations < 1:
            raise ExperimentError(f"--max-generations must be at least 1 (got {self.max_generations})")


@dataclass
class CalibrationResult:
    posterior: pd.DataFrame          # param:FIELD columns, weight, distance
    generations: pd.DataFrame        # diagnostics per generation
    intervals: pd.DataFrame          # prior vs posterior per parameter
    predictive: pd.DataFrame         # per data row: observed, prior and posterior 5/50/95%
    written: list[Path]
    resumed_from: int                # generations found on disk
    stop_reason: str = ""            # "rule" (acceptance below the threshold) or "cap" (max_generations)
    check: dict | None = None        # the posterior-predictive misfit (see :func:`misfit`)
    warnings: list[str] | None = None


def weighted_quantile(x, w, q):
    x, w = np.asarray(x, float), np.asarray(w, float)
    o = np.argsort(x)
    x, w = x[o], w[o]
    c = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, c, x)


def _ess(w) -> float:
    w = np.asarray(w, float)
    return float(w.sum() ** 2 / (w ** 2).sum())


class _Runner:
    """Sends batches of parameter sets to the executor; deterministic seeds."""

    def __init__(self, sc_data, rows, fields, priors, settings, executor, progress):
        self.sc_data, self.rows = sc_data, rows
        self.fields, self.priors, self.settings = fields, priors, settings
        self.executor = executor or InlineExecutor()
        self.progress = progress
        self.done = 0
        # the most simulations the job can take (it may stop earlier: the stopping rule)
        s = settings
        self.total = s.population + (s.max_generations - 1) * (s.population - int(s.alpha * s.population)) \
            + s.predictive
        self.failed = 0        # simulations without a summary (at infinite distance)

    def params_of(self, u: np.ndarray) -> list[dict]:
        """The parameter sets of the particles ``u`` (one row each): each field's prior
        quantile function applied to its whole column at once (the same numbers as one
        call per value, as Python floats and ints)."""
        cols = [np.asarray(self.priors[f].ppf(np.asarray(u[:, k], dtype=float))).reshape(-1).tolist()
                for k, f in enumerate(self.fields)]
        return [dict(zip(self.fields, values)) for values in zip(*cols)] if cols else [{} for _ in u]

    def simulate(self, u: np.ndarray, gen: int) -> np.ndarray:
        params = self.params_of(u)
        tasks = []
        for t, idx in enumerate(generation_chunks(len(params), self.executor)):
            tasks.append({"task_id": t, "data": self.sc_data, "rows": self.rows, "entropy": self.settings.seed,
                          "params": [params[i] for i in idx],
                          "keys": [(CALIB_STREAM, gen, i) for i in idx], "start": idx.start})
        futs = [self.executor.submit(_simulate, task) for task in tasks]
        out = np.full((len(params), len(self.rows)), np.nan)
        import concurrent.futures as cf

        errors = []
        starts = [task["start"] for task in tasks]
        for fut in cf.as_completed(futs):
            t, res, error = fut.result()
            out[starts[t]: starts[t] + len(res)] = res
            errors.append(error)
            self.done += len(res)
            if self.progress:
                self.progress(self.done, max(self.total, self.done))
        failed = np.isnan(out).any(axis=1)
        if failed.all():
            first = next((e for e in errors if e), "no value for some data row")
            raise ExperimentError(f"every simulation of generation {gen} failed; the first: {first}")
        self.failed += int(failed.sum())
        return out


def generation_chunks(n: int, executor) -> list[range]:
    """A generation's ``n`` simulations cut into consecutive chunks of equal size: as
    large as a job's chunk (:data:`sim.experiments.jobs.CHUNK_SIZE`, amortising each
    task's cost) but at least four per worker, so the generation's last wave leaves no
    worker idle for long (a generation waits for all its simulations)."""
    from sim.experiments.jobs import CHUNK_SIZE

    workers = getattr(executor, "_max_workers", None) or 1
    size = max(1, min(CHUNK_SIZE, math.ceil(n / (4 * workers))))
    return [range(a, min(n, a + size)) for a in range(0, n, size)]


def _distance(S: np.ndarray, obs: np.ndarray, scale: np.ndarray) -> np.ndarray:
    d = np.sqrt(np.mean(((S - obs) / scale) ** 2, axis=1))
    return np.where(np.isnan(d), np.inf, d)


def _kernel_density(u_new: np.ndarray, u_old: np.ndarray, w_old: np.ndarray, cov: np.ndarray) -> np.ndarray:
    """The proposal's density at each new particle: the mixture over the old particles
    (weights ``w_old``) of Gaussians of covariance ``cov`` centred on them.

    Every component shares ``cov``, so one frozen zero-mean SciPy normal (one
    decomposition of ``cov``) evaluates all the components at once, on the deviations
    ``u_new - u_i`` stacked old particle by old particle; SciPy's own density of a
    component centred on ``u_i`` computes ``x - u_i`` first, so each number is the same
    as one ``multivariate_normal(mean=u_i, cov)`` per old particle gave (issue 25b; the
    test compares them bit for bit). The components are added in the old particles'
    order, as before."""
    from scipy import stats

    w = w_old / w_old.sum()
    dens = np.zeros(len(u_new))
    mvn = stats.multivariate_normal(mean=np.zeros(u_old.shape[1]), cov=cov, allow_singular=True)
    block = max(1, 1_000_000 // max(1, u_new.size))       # bounds the stacked deviations' memory
    for a in range(0, len(u_old), block):
        dev = u_new[np.newaxis, :, :] - u_old[a:a + block, np.newaxis, :]
        pdf = np.asarray(mvn.pdf(dev)).reshape(len(dev), len(u_new))
        for wi, row in zip(w[a:a + block], pdf):
            dens += wi * row
    return dens


def _propose(rng, u_old, w_old, cov, n) -> tuple[np.ndarray, float]:
    """``n`` moved particles inside [0, 1]^d and the share of moves that stayed inside."""
    d = u_old.shape[1]
    out, tried = [], 0
    p = w_old / w_old.sum()
    chol = np.linalg.cholesky(cov + 1e-12 * np.eye(d))
    while len(out) < n:
        tried += 1
        if tried > 1000 * n:
            raise ExperimentError("the kernel keeps leaving the priors' support; the posterior is degenerate")
        j = rng.choice(len(u_old), p=p)
        x = u_old[j] + chol @ rng.standard_normal(d)
        if np.all((x >= 0) & (x <= 1)):
            out.append(x)
    return np.array(out), n / tried


def _fingerprint(sc_data, data: pd.DataFrame, settings: Settings) -> str:
    blob = json.dumps({"scenario": sc_data, "data": data[["date", "variable", "value"]].astype(str).values.tolist(),
                       "settings": {k: v for k, v in settings.__dict__.items()
                                    if k not in ("predictive", "max_generations", "min_acceptance")}},
                      sort_keys=True, default=str)
    return hashlib.sha256(blob.encode()).hexdigest()


def calibrate(scenario: Scenario, data: pd.DataFrame | str | Path, out: str | Path,
              settings: Settings | None = None, executor=None, resume: bool = False, progress=None,
              command: list[str] | None = None) -> CalibrationResult:
    """Fit the scenario's ``uncertain:`` parameters to ``data`` (a file or the frame of
    :func:`read_data`); write everything to ``out``. See the module doc."""
    settings = settings or Settings()
    settings.check()
    file = str(data) if isinstance(data, (str, Path)) else "data"
    data = read_data(data) if isinstance(data, (str, Path)) else data
    data = check_data(scenario, data, file)
    sc_data = scenario_data(scenario)
    priors = priors_of(sc_data)
    if not priors:
        raise ExperimentError(f"scenario '{scenario.name}' declares no uncertain parameters to calibrate")
    from sim.experiments.jobs import check_priors

    check_priors(sc_data)
    fields = list(priors)
    rows = list(zip(data["variable"], data["period_key"]))
    obs = data["value"].to_numpy(float)
    out = Path(out)
    gdir = out / "generations"
    fp = _fingerprint(sc_data, data, settings)
    state_path = out / "state.json"
    if out.exists() and not out.is_dir():
        raise ExperimentError(f"--out {out} exists and is not a folder")
    if out.exists() and not state_path.exists() and any(p.name != ".lock" for p in out.iterdir()):
        raise ExperimentError(f"--out {out} is not empty and holds no calibration; choose another folder")
    from sim.experiments.jobs import FolderLock

    lock = FolderLock(out)          # one calibration per folder
    try:
        result = _calibrate_locked(scenario, data, out, settings, sc_data, priors, fields, rows, obs, gdir, fp,
                                   state_path, resume, command, executor, progress)
    except ExperimentError:         # refused (or stopped by bad input): leave no lock file it made
        lock.release(refused=True)
        raise
    except BaseException:
        lock.release()
        raise
    lock.release()
    return result


def _open_state(scenario, out, settings, fields, gdir, fp, state_path, resume, command) -> None:
    """Check a folder's earlier calibration (``--resume`` needs the same one) and write
    this one's state file."""
    from sim.results import atomic_write

    if state_path.exists():
        from sim.inputs import InputFileError, read_text

        try:
            old = json.loads(read_text(state_path, 10_000_000, "calibration state"))
        except (InputFileError, ValueError):
            raise ExperimentError(f"{state_path} is unreadable; choose another --out") from None
        if not resume:
            raise ExperimentError(f"{out} already holds a calibration; add --resume to continue it, or choose "
                                  "another --out")
        if old.get("fingerprint") != fp:
            raise ExperimentError(f"{out} holds a calibration of other data, scenario or settings; --resume needs "
                                  "the same command. Choose another --out")
    gdir.mkdir(parents=True, exist_ok=True)
    state = {"fingerprint": fp, "command": command, "scenario": scenario.name, "fields": fields,
             "settings": settings.__dict__,
             "method": "ABC-SMC (adaptive population Monte Carlo, Lenormand et al. 2013)"}
    atomic_write(state_path, json.dumps(state, indent=1, default=str))


def _generation_zero(runner, settings, obs, n_keep, d):
    """Generation 0: the population drawn from the priors (in u-space), its distances'
    scale (the median absolute deviation of each summary) and the n_keep nearest."""
    rng = np.random.default_rng([settings.seed, CALIB_STREAM, 0])
    u0 = rng.random((settings.population, d))
    S0 = runner.simulate(u0, 0)
    mad = np.nanmedian(np.abs(S0 - np.nanmedian(S0, axis=0)), axis=0)
    fallback = np.where(np.abs(obs) > 0, np.abs(obs), 1.0)
    scale = np.where(np.isfinite(mad) & (mad > 0), mad, fallback)
    d0 = _distance(S0, obs, scale)
    keep = np.argsort(d0, kind="stable")[:n_keep]
    u, w, dist, S = u0[keep], np.ones(n_keep), d0[keep], S0[keep]
    info = {"generation": 0, "epsilon": float(dist.max()), "acceptance": 1.0, "ess": _ess(w),
            "simulations": settings.population, "scale": scale.tolist(),
            "prior_predictive": np.nanpercentile(S0, [5, 50, 95], axis=0).tolist()}
    return u, w, dist, S, info, scale


def _calibrate_locked(scenario, data, out, settings, sc_data, priors, fields, rows, obs, gdir, fp, state_path,
                      resume, command, executor, progress):
    from sim.results import atomic_write

    _open_state(scenario, out, settings, fields, gdir, fp, state_path, resume, command)
    runner = _Runner(sc_data, rows, fields, priors, settings, executor, progress)
    n_keep = int(settings.alpha * settings.population)
    n_new = settings.population - n_keep
    d = len(fields)

    def save_gen(t, u, w, dist, S, info):
        df = pd.DataFrame(u, columns=[f"u:{f}" for f in fields])
        df["weight"], df["distance"] = w, dist
        for k in range(S.shape[1]):
            df[f"s:{k}"] = S[:, k]
        df.attrs = {}
        _atomic_parquet(df, gdir / f"gen-{t:03d}.parquet")
        atomic_write(gdir / f"gen-{t:03d}.json", json.dumps(info))

    def load_gen(t):
        df = pd.read_parquet(gdir / f"gen-{t:03d}.parquet")
        info = json.loads((gdir / f"gen-{t:03d}.json").read_text(encoding="utf-8"))
        # row-major, as the arrays of an uninterrupted run (a frame gives column-major
        # arrays, and np.cov's rounding depends on the layout)
        c = np.ascontiguousarray
        return (c(df[[f"u:{f}" for f in fields]].to_numpy()), c(df["weight"].to_numpy()),
                c(df["distance"].to_numpy()), c(df[[x for x in df.columns if x.startswith("s:")]].to_numpy()), info)

    done = sorted(int(p.stem.split("-")[1]) for p in gdir.glob("gen-*.json"))
    resumed_from = len(done)
    if done:
        gen_info = [load_gen(t)[4] for t in done]
        u, w, dist, S, info = load_gen(done[-1])
        scale = np.array(gen_info[0]["scale"])
        t = done[-1]
    else:
        u, w, dist, S, info, scale = _generation_zero(runner, settings, obs, n_keep, d)
        save_gen(0, u, w, dist, S, info)
        gen_info = [info]
        t = 0
    while info["acceptance"] >= settings.min_acceptance and t + 1 < settings.max_generations \
            and not info.get("stop"):
        t += 1
        rng = np.random.default_rng([settings.seed, CALIB_STREAM, t])
        cov = 2.0 * np.atleast_2d(np.cov(u.T, aweights=w, bias=True)) + 1e-10 * np.eye(d)
        u_new, p_in = _propose(rng, u, w, cov, n_new)
        w_new = p_in / _kernel_density(u_new, u, w, cov)            # prior density is 1 in u-space
        S_new = runner.simulate(u_new, t)
        d_new = _distance(S_new, obs, scale)
        eps = float(dist.max())
        acceptance = float(np.mean(d_new < eps))
        u_all = np.vstack([u, u_new])
        w_all = np.concatenate([w, w_new])       # each: prior / its own proposal density
        d_all = np.concatenate([dist, d_new])
        S_all = np.vstack([S, S_new])
        keep = np.argsort(d_all, kind="stable")[:n_keep]
        u, w, dist, S = u_all[keep], w_all[keep], d_all[keep], S_all[keep]
        info = {"generation": t, "epsilon": float(dist.max()), "acceptance": acceptance, "ess": _ess(w),
                "simulations": n_new}
        save_gen(t, u, w, dist, S, info)
        gen_info.append(info)
    stop = "rule" if info["acceptance"] < settings.min_acceptance else "cap"
    return _finish(scenario, sc_data, data, out, fields, priors, u, w, dist, gen_info, runner, settings,
                   resumed_from, t, stop, scale)


def misfit(obs: np.ndarray, S: np.ndarray, scale: np.ndarray, level: float = 0.05) -> dict:
    """The posterior-predictive check of observed ``obs`` against predictive simulations
    ``S`` (one row per simulation): how many observations lie inside the 5-95% band, the
    binomial probability of that few if the band held 90% (``coverage_p``), and the
    posterior-predictive p-value of the discrepancy T(y) = root mean square of
    (y - predictive median) / scale: the share of simulations at least as far from the
    median as the data (``p_value``). ``misspecified`` when either is below ``level``."""
    from scipy import stats

    S = S[~np.isnan(S).any(axis=1)]
    q05, med, q95 = np.percentile(S, [5, 50, 95], axis=0)
    inside = (obs >= q05) & (obs <= q95)
    n, k = len(obs), int(inside.sum())
    coverage_p = float(stats.binom.cdf(k, n, 0.9))
    t_obs = float(np.sqrt(np.mean(((obs - med) / scale) ** 2)))
    t_rep = np.sqrt(np.mean(((S - med) / scale) ** 2, axis=1))
    p_value = float(np.mean(t_rep >= t_obs))
    tail = np.minimum(1.0, 2 * np.minimum((S <= obs).mean(axis=0), (S >= obs).mean(axis=0)))
    return {"n": n, "inside_90": k, "share_inside_90": k / n, "coverage_p": coverage_p,
            "discrepancy": t_obs, "p_value": p_value, "simulations": len(S),
            "misspecified": bool(coverage_p < level or p_value < level), "level": level,
            "row_p": tail.tolist()}


def _finish(scenario, sc_data, data, out, fields, priors, u, w, dist, gen_info, runner, settings,
            resumed_from, t, stop="rule", scale=None) -> CalibrationResult:
    from sim.results import atomic_write

    warns = []
    last = gen_info[-1]
    if stop == "cap":
        warns.append(f"stopped by the generation cap (--max-generations {settings.max_generations}), not by the "
                     f"stopping rule: the last acceptance rate was {last['acceptance']:.3f}, not below "
                     f"{settings.min_acceptance}; the posterior may still be too wide (raise --max-generations "
                     "and --resume)")
    if settings.target_ess is not None and last["ess"] < settings.target_ess:
        warns.append(f"the final effective sample size, {last['ess']:.0f}, is below the target {settings.target_ess}")
    w = w / w.sum()
    post = pd.DataFrame({f"param:{f}": [priors[f].ppf(float(x)) for x in u[:, k]] for k, f in enumerate(fields)})
    post["weight"], post["distance"] = w, dist
    for k, f in enumerate(fields):
        post[f"u:{f}"] = u[:, k]
    written = []
    _atomic_parquet(post, out / "posterior.parquet")
    written.append(out / "posterior.parquet")
    gens = pd.DataFrame([{k: v for k, v in g.items() if k not in ("scale", "prior_predictive")} for g in gen_info])
    atomic_write(out / "generations.csv", gens.to_csv(index=False))
    written.append(out / "generations.csv")
    rows = []
    for k, f in enumerate(fields):
        p = priors[f]
        plo, phi = p.ppf(0.05), p.ppf(0.95)
        x = post[f"param:{f}"].to_numpy(float)
        lo, med, hi = weighted_quantile(x, w, [0.05, 0.5, 0.95])
        rows.append({"parameter": f, "prior": p.spec.describe(), "prior_q05": plo, "prior_q95": phi,
                     "posterior_median": med, "posterior_q05": lo, "posterior_q95": hi,
                     "width_ratio": (hi - lo) / (phi - plo) if phi > plo else math.nan})
    intervals = pd.DataFrame(rows)
    atomic_write(out / "intervals.csv", intervals.to_csv(index=False))
    written.append(out / "intervals.csv")
    # posterior predictive: parameter sets drawn from the posterior by weight, fresh seeds
    rng = np.random.default_rng([settings.seed, CALIB_STREAM, 10_000])
    idx = rng.choice(len(u), size=settings.predictive, p=w)
    S = runner.simulate(u[idx], 10_000 + t)
    prior_pp = np.array(gen_info[0]["prior_predictive"])
    pred = data[["date", "variable", "value", "source"]].copy()
    q = np.nanpercentile(S, [5, 50, 95], axis=0)
    pred["posterior_q05"], pred["posterior_q50"], pred["posterior_q95"] = q
    pred["prior_q05"], pred["prior_q50"], pred["prior_q95"] = prior_pp
    pred["inside_posterior_90"] = (pred["value"] >= pred["posterior_q05"]) & (pred["value"] <= pred["posterior_q95"])
    scale = np.asarray(scale if scale is not None else gen_info[0]["scale"], float)
    check = misfit(data["value"].to_numpy(float), S, scale)
    pred["predictive_p"] = check.pop("row_p")
    check.update(stop_reason=stop, generations=len(gen_info), final_acceptance=last["acceptance"],
                 final_ess=last["ess"], min_acceptance=settings.min_acceptance,
                 max_generations=settings.max_generations, warnings=warns)
    if check["misspecified"]:
        warns.append(f"the model is misspecified for these data: {check['inside_90']} of {check['n']} observations "
                     f"inside the posterior-predictive 90% band (binomial p = {check['coverage_p']:.3f}), "
                     f"posterior-predictive p-value {check['p_value']:.3f}")
    atomic_write(out / "predictive.csv", pred.to_csv(index=False))
    written.append(out / "predictive.csv")
    atomic_write(out / "check.json", json.dumps(check, indent=1))
    written.append(out / "check.json")
    written.append(_figure(pred, out / "posterior_predictive.png", scenario.name, check))
    written.append(_report(out, scenario, fields, priors, gens, intervals, pred, settings, check))
    return CalibrationResult(post, gens, intervals, pred, written, resumed_from, stop, check, warns)


def _figure(pred: pd.DataFrame, path: Path, name: str, check: dict | None = None) -> Path:
    """posterior_predictive.png (drawn by :mod:`sim.viz.report`, which ``plot`` also uses)."""
    from sim.viz.report import save_calibration_figure

    return save_calibration_figure(pred, path, name, check)


def _report(out, scenario, fields, priors, gens, intervals, pred, settings, check=None) -> Path:
    """report.html (written by :mod:`sim.viz.report`, which ``report`` also uses)."""
    from sim.viz.report import write_calibration_report

    return write_calibration_report(out, scenario.name, gens, intervals, pred, settings.__dict__, check=check)
