"""Priors: the scenario's ``uncertain:`` entries as probability distributions.

An entry of ``uncertain:`` maps a dotted path of the scenario (``crisis.inflow_rate``)
to a prior: ``[lo, hi]`` (uniform on the range) or a mapping
``{dist: uniform|loguniform|normal|beta|triangular, ...}`` whose parameters are
checked when the scenario loads (:class:`PriorSpec`). :class:`Prior` is the prior of
one field at run time (scipy.stats): ``ppf(u)`` maps a uniform number to a value,
``sample(rng)`` draws one. A field that is an integer in the scenario (a number of
days) is drawn as an integer from the prior made discrete: each whole number k of the
support has probability proportional to the prior's density at k, so every value of a
uniform ``[30, 180]`` has weight 1/151 (rounding the continuous value instead gives the
two end values half weight).

Per-replicate draws (:func:`draw`): replicate r's parameters come from a stream
derived from r's own ``SeedSequence`` (same entropy, spawn key extended by
:data:`PRIOR_STREAM` and a checksum of the field path). The model's own stream is
``default_rng(seq)`` and is never touched; the same replicate draws the same value of a
field in every scenario that declares the same prior for it (common random numbers
across the scenarios of a batch, whichever other fields they declare).
"""

from __future__ import annotations

import math
import zlib
from dataclasses import dataclass
from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import BaseModel, ConfigDict, model_validator

PRIOR_STREAM = 0x5052494F           # "PRIO": the parameter streams' branch of a replicate's key
POSTERIOR_KEY = 0x504F5354          # "POST": the stream picking a posterior particle

PARAMS = {"uniform": ("lo", "hi"), "loguniform": ("lo", "hi"), "normal": ("mean", "sd", "lo", "hi"),
          "beta": ("a", "b", "lo", "hi"), "triangular": ("lo", "mode", "hi")}
REQUIRED = {"uniform": ("lo", "hi"), "loguniform": ("lo", "hi"), "normal": ("mean", "sd"),
            "beta": ("a", "b"), "triangular": ("lo", "mode", "hi")}


class PriorSpec(BaseModel):
    """One ``uncertain:`` entry, validated. ``normal`` may be truncated to [lo, hi];
    ``beta`` lives on [lo, hi] (default [0, 1])."""

    model_config = ConfigDict(extra="forbid")

    dist: Literal["uniform", "loguniform", "normal", "beta", "triangular"] = "uniform"
    lo: float | None = None
    hi: float | None = None
    mean: float | None = None
    sd: float | None = None
    a: float | None = None
    b: float | None = None
    mode: float | None = None

    @model_validator(mode="before")
    @classmethod
    def _from_range(cls, v):
        if isinstance(v, (list, tuple)):
            if len(v) != 2:
                raise ValueError(f"a range is [lo, hi], got {list(v)}")
            return {"dist": "uniform", "lo": v[0], "hi": v[1]}
        return v

    @model_validator(mode="after")
    def _check(self):
        d = self.dist
        given = {k for k in ("lo", "hi", "mean", "sd", "a", "b", "mode") if getattr(self, k) is not None}
        extra = given - set(PARAMS[d])
        if extra:
            raise ValueError(f"{', '.join(sorted(extra))} does not apply to a {d} prior "
                             f"(it takes {', '.join(PARAMS[d])})")
        missing = [k for k in REQUIRED[d] if getattr(self, k) is None]
        if missing:
            raise ValueError(f"a {d} prior needs {', '.join(missing)}")
        for k in given:
            if not math.isfinite(getattr(self, k)):
                raise ValueError(f"{k} must be a finite number")
        lo, hi = self.lo, self.hi
        if lo is not None and hi is not None and not lo < hi:
            raise ValueError(f"need lo < hi, got [{lo:g}, {hi:g}]")
        if (lo is None) != (hi is None) and d in ("normal", "beta"):
            raise ValueError(f"give both lo and hi (or neither) for a {d} prior")
        if d == "loguniform" and lo <= 0:
            raise ValueError(f"a loguniform prior needs lo > 0, got {lo:g}")
        if d == "normal":
            if self.sd <= 0:
                raise ValueError(f"sd must be > 0, got {self.sd:g}")
            if lo is not None and not lo <= self.mean <= hi:
                raise ValueError(f"the mean {self.mean:g} is outside the truncation [{lo:g}, {hi:g}]")
        if d == "beta" and (self.a <= 0 or self.b <= 0):
            raise ValueError(f"a and b must be > 0, got a={self.a:g}, b={self.b:g}")
        if d == "triangular" and not lo <= self.mode <= hi:
            raise ValueError(f"need lo <= mode <= hi, got {lo:g}, {self.mode:g}, {hi:g}")
        return self

    def describe(self) -> str:
        p = ", ".join(f"{k}={getattr(self, k):g}" for k in PARAMS[self.dist] if getattr(self, k) is not None)
        return f"{self.dist}({p})"


@dataclass(frozen=True)
class Prior:
    """The prior of one field: ``spec`` with scipy.stats behind it; ``integer`` fields
    are rounded to whole numbers."""

    path: str
    spec: PriorSpec
    integer: bool = False

    @cached_property
    def dist(self):
        from scipy import stats

        s = self.spec
        if s.dist == "uniform":
            return stats.uniform(loc=s.lo, scale=s.hi - s.lo)
        if s.dist == "loguniform":
            return stats.loguniform(s.lo, s.hi)
        if s.dist == "normal":
            if s.lo is None:
                return stats.norm(loc=s.mean, scale=s.sd)
            return stats.truncnorm((s.lo - s.mean) / s.sd, (s.hi - s.mean) / s.sd, loc=s.mean, scale=s.sd)
        if s.dist == "beta":
            lo, hi = (0.0, 1.0) if s.lo is None else (s.lo, s.hi)
            return stats.beta(s.a, s.b, loc=lo, scale=hi - lo)
        return stats.triang((s.mode - s.lo) / (s.hi - s.lo), loc=s.lo, scale=s.hi - s.lo)

    @cached_property
    def _integers(self) -> tuple[np.ndarray, np.ndarray]:
        """An integer field's values and their cumulative probabilities: the whole
        numbers of the support (of its 1e-9 and 1 - 1e-9 quantiles where unbounded),
        each weighted by the prior's density there."""
        lo, hi = self.bounds(1e-9)
        k = np.arange(math.ceil(lo), math.floor(hi) + 1)
        if not len(k):
            k = np.array([int(round((lo + hi) / 2))])
        w = self.dist.pdf(k.astype(float))
        if not np.isfinite(w).all() or w.sum() <= 0:
            w = np.ones(len(k))
        w = np.where(np.isfinite(w), w, 0.0)
        return k, np.cumsum(w) / w.sum()

    def ppf(self, u):
        """The value at quantile ``u`` (scalar or array in [0, 1])."""
        u = np.clip(u, 0.0, 1.0)
        if self.integer:
            k, cdf = self._integers
            x = k[np.minimum(np.searchsorted(cdf, u, side="left"), len(k) - 1)]
            return x.astype(int) if np.ndim(x) else int(x)
        x = self.dist.ppf(u)
        return x if np.ndim(x) else float(x)

    def sample(self, rng: np.random.Generator, size=None):
        return self.ppf(rng.random(size))

    def support(self) -> tuple[float, float]:
        lo, hi = self.dist.support()
        return float(lo), float(hi)

    def bounds(self, tail: float = 1e-3) -> tuple[float, float]:
        """A finite range holding the prior: its support, or the ``tail`` and
        ``1 - tail`` quantiles where the support is unbounded."""
        lo, hi = self.support()
        if not math.isfinite(lo):
            lo = float(self.dist.ppf(tail))
        if not math.isfinite(hi):
            hi = float(self.dist.ppf(1 - tail))
        return lo, hi

    def extremes(self) -> list:
        """The values a check of the field's allowed range must accept."""
        lo, hi = self.bounds(1e-6)
        return [self.ppf(0.0) if math.isfinite(self.support()[0]) else lo,
                self.ppf(1.0) if math.isfinite(self.support()[1]) else hi]


def walk_path(d, path: str):
    """The value at a dotted path of scenario data (``a.b.0.c``: mapping keys and list
    indices); KeyError naming the first key that is not there."""
    cur = d
    for key in path.split("."):
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
        elif isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
        else:
            raise KeyError(key)
    return cur


def get_path(d, path: str, default=None):
    """:func:`walk_path`, or ``default`` if the path does not exist."""
    try:
        return walk_path(d, path)
    except KeyError:
        return default


def _get(d, path: str):
    return get_path(d, path)


def priors_of(data) -> dict[str, Prior]:
    """The priors of a scenario (a :class:`~sim.scenario.Scenario` or its plain data), in
    file order; a field that holds an integer in the scenario gets an integer prior."""
    if not isinstance(data, dict):
        data = data.model_dump(mode="json", by_alias=True, exclude_none=True)
    out = {}
    for path, spec in (data.get("uncertain") or {}).items():
        spec = spec if isinstance(spec, PriorSpec) else PriorSpec.model_validate(spec)
        cur = _get(data, path)
        out[path] = Prior(path, spec, isinstance(cur, int) and not isinstance(cur, bool))
    return out


def param_stream(seq: np.random.SeedSequence, *key: int) -> np.random.Generator:
    """A generator on a branch of replicate ``seq``'s key; ``seq`` itself is not used."""
    return np.random.default_rng(np.random.SeedSequence(seq.entropy, spawn_key=(*seq.spawn_key, PRIOR_STREAM, *key)))


def draw(priors: dict[str, Prior], seq: np.random.SeedSequence) -> dict:
    """One value per prior for the replicate whose seed is ``seq`` (see the module doc)."""
    return {path: p.ppf(param_stream(seq, zlib.crc32(path.encode())).random()) for path, p in priors.items()}


@dataclass(frozen=True)
class Posterior:
    """A weighted sample of parameter sets (a calibration's last generation)."""

    fields: tuple[str, ...]
    values: tuple[tuple, ...]          # one tuple per particle, in ``fields`` order
    weights: tuple[float, ...]

    def as_dict(self) -> dict:
        return {"fields": list(self.fields), "values": [list(v) for v in self.values],
                "weights": list(self.weights)}

    @classmethod
    def from_dict(cls, d: dict) -> "Posterior":
        return cls(tuple(d["fields"]), tuple(tuple(v) for v in d["values"]), tuple(float(w) for w in d["weights"]))

    def draw(self, seq: np.random.SeedSequence) -> dict:
        """The particle of replicate ``seq`` (chosen with probability its weight)."""
        cum = np.cumsum(self.weights)
        u = param_stream(seq, POSTERIOR_KEY).random() * cum[-1]
        i = min(int(np.searchsorted(cum, u, side="right")), len(cum) - 1)
        return {f: (v.item() if hasattr(v, "item") else v) for f, v in zip(self.fields, self.values[i])}
