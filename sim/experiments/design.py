"""Designs: the varied fields, the design points, and scenario data with parameters set.

A design is a list of points, each ``{dotted path: value}`` into a scenario's data
(:func:`design_points`: a grid or a Latin hypercube; or a SALib sample given as is).
:func:`apply_params` makes the scenario of one point (or of one replicate's draw).
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass

import numpy as np

from sim.errors import ExperimentError
from sim.scenario import Scenario, ScenarioError, validate_mapping
from sim.scenario.priors import walk_path

# Limits (README, "Limits"): beyond them a job is refused unless confirmed (--yes).
MAX_DAYS = 3650               # days per run, as for `run`
MAX_RUNS = 200_000            # runs in one job (about an hour on two cores)
MAX_POINTS = 10_000           # design points of a sweep or sensitivity sample


# =============================================================== design
@dataclass(frozen=True)
class Vary:
    """One varied parameter: a dotted path into the scenario and a range."""

    path: str
    lo: float
    hi: float
    steps: int | None = None

    @classmethod
    def parse(cls, text: str) -> "Vary":
        """``FIELD=LO:HI[:STEPS]``, e.g. ``actors.poland.tactic.e=0.2:2:5``."""
        field_, eq, rng = text.partition("=")
        if not eq or not field_.strip():
            raise ExperimentError(f"--vary {text!r}: expected FIELD=LO:HI[:STEPS]")
        parts = rng.split(":")
        if len(parts) not in (2, 3):
            raise ExperimentError(f"--vary {text!r}: expected FIELD=LO:HI[:STEPS]")
        try:
            lo, hi = float(parts[0]), float(parts[1])
        except ValueError:
            raise ExperimentError(f"--vary {text!r}: LO and HI must be numbers") from None
        if not (math.isfinite(lo) and math.isfinite(hi)) or lo >= hi:
            raise ExperimentError(f"--vary {text!r}: need LO < HI, got {parts[0]} and {parts[1]}")
        steps = None
        if len(parts) == 3:
            if not parts[2].isdigit() or int(parts[2]) < 2:
                raise ExperimentError(f"--vary {text!r}: STEPS must be a whole number >= 2")
            steps = int(parts[2])
        return cls(field_.strip(), lo, hi, steps)

    def as_dict(self) -> dict:
        return {"path": self.path, "lo": self.lo, "hi": self.hi, "steps": self.steps}


def _get(d: dict, path: str):
    """The value at a dotted path of scenario data (KeyError naming the missing key)."""
    return walk_path(d, path)


def _set(d: dict, path: str, value) -> None:
    keys = path.split(".")
    cur = d
    for key in keys[:-1]:
        cur = cur[int(key)] if isinstance(cur, list) else cur[key]
    last = keys[-1]
    if isinstance(cur, list):
        cur[int(last)] = value
    else:
        cur[last] = value


def scenario_data(sc: Scenario) -> dict:
    """A scenario as plain JSON-able data (the form jobs store and workers rebuild)."""
    return sc.model_dump(mode="json", by_alias=True, exclude_none=True)


def apply_params(data: dict, params: dict, check_priors: bool = False) -> Scenario:
    """The scenario ``data`` with dotted-path ``params`` set, validated. Values read
    back from tables (numpy scalars; a whole number stored as a float next to missing
    values) are given the plain type of the field they set. The ``uncertain:`` priors
    themselves are not re-checked (``check_priors``): a job checks them once
    (:func:`check_priors`), not in every replicate."""
    d = _copy_paths(data, params)
    for path, value in params.items():
        if isinstance(value, np.generic):
            value = value.item()
        if isinstance(value, float) and value.is_integer():
            try:
                current = _get(d, path)
            except KeyError:
                current = None
            if isinstance(current, int) and not isinstance(current, bool):
                value = int(value)
        _set(d, path, value)
    checked = not any(_set_problems(d, path) for path in params)
    return validate_mapping(d, f"<{d.get('name', 'scenario')} with {params}>", check_priors=check_priors,
                            check_text=not checked)


def _copy_paths(data: dict, params: dict) -> dict:
    """``data`` with every dict and list on the way to each of ``params``' paths copied
    (the rest shared: validation builds new objects and reads its input without changing
    it, so a replicate need not deep-copy the whole scenario and its embedded history).
    A path that does not exist is left for :func:`_set` to report."""
    root = dict(data)
    for path in params:
        keys = path.split(".")
        cur = root
        for key in keys[:-1]:
            try:
                k = int(key) if isinstance(cur, list) else key
                child = cur[k]
            except (KeyError, IndexError, ValueError, TypeError):
                break
            if isinstance(child, dict):
                child = dict(child)
            elif isinstance(child, list):
                child = list(child)
            else:
                break
            cur[k] = child
            cur = child
    return root


def _set_problems(d: dict, path: str) -> list:
    """The yes/no and Unicode problems of the value set at ``path`` (what
    ``validate_mapping``'s whole-data walk would find there: the rest passed it)."""
    from sim.scenario.reading import _bool_problems

    keys = path.split(".")
    try:
        parent = walk_path(d, ".".join(keys[:-1])) if len(keys) > 1 else d
        value = parent[int(keys[-1])] if isinstance(parent, list) else parent[keys[-1]]
    except (KeyError, IndexError, ValueError, TypeError):
        return [("?", "missing")]         # the full check (and the schema) will say what is wrong
    return _bool_problems([value] if isinstance(parent, list) else {keys[-1]: value})


def _near_path(data: dict, path: str) -> str:
    """`` (did you mean 'actors.poland.tactic.e'?)``: the first missing key of ``path``
    replaced by the closest key at that level, if one is close."""
    import difflib

    keys, cur = path.split("."), data
    for n, key in enumerate(keys):
        if isinstance(cur, dict) and key in cur:
            cur = cur[key]
            continue
        if isinstance(cur, list) and key.isdigit() and int(key) < len(cur):
            cur = cur[int(key)]
            continue
        if not isinstance(cur, dict):
            return ""
        close = difflib.get_close_matches(key, [str(k) for k in cur], n=1, cutoff=0.6)
        return f" (did you mean '{'.'.join([*keys[:n], close[0], *keys[n + 1:]])}'?)" if close else ""
    return ""


def check_vary(data: dict, vary: Vary) -> bool:
    """Check a varied field against the scenario before anything runs; True if it is
    an integer field (values are then rounded)."""
    try:
        current = _get(data, vary.path)
    except KeyError as exc:
        raise ExperimentError(f"--vary {vary.path}: no field '{exc.args[0]}' on that path in "
                              f"scenario '{data.get('name')}'{_near_path(data, vary.path)}") from None
    if isinstance(current, bool) or not isinstance(current, (int, float)):
        raise ExperimentError(f"--vary {vary.path}: not a number in scenario '{data.get('name')}' "
                              f"(it is {current!r})")
    is_int = isinstance(current, int)
    for bound in (vary.lo, vary.hi):
        value = round(bound) if is_int else bound
        try:
            apply_params(data, {vary.path: value})
        except ScenarioError as exc:
            msg = "; ".join(p.message for p in exc.problems)
            raise ExperimentError(f"--vary {vary.path}: {bound:g} is not allowed: {msg}") from None
    return is_int


def design_points(varies: list[Vary], design: str = "grid", samples: int | None = None,
                  seed: int = 0, int_fields: set | None = None) -> list[dict]:
    """The parameter values of each design point (a list of {path: value}).

    ``grid``: every combination of each field's STEPS evenly spaced values (default 5).
    ``lhs``: ``samples`` points of a Latin hypercube (scipy.stats.qmc), seeded.
    """
    int_fields = int_fields or set()
    if not varies:
        return [{}]

    def cast(path, v):
        return int(round(v)) if path in int_fields else float(v)

    if design == "grid":
        axes = [np.linspace(v.lo, v.hi, v.steps or 5) for v in varies]
        return [{v.path: cast(v.path, x) for v, x in zip(varies, combo)}
                for combo in itertools.product(*axes)]
    if design == "lhs":
        from scipy.stats import qmc

        if not samples or samples < 1:
            raise ExperimentError("--design lhs needs --samples N (N >= 1)")
        u = qmc.LatinHypercube(d=len(varies), seed=np.random.default_rng([seed, 7919])).random(samples)
        lo = np.array([v.lo for v in varies])
        hi = np.array([v.hi for v in varies])
        pts = qmc.scale(u, lo, hi)
        return [{v.path: cast(v.path, x) for v, x in zip(varies, row)} for row in pts]
    raise ExperimentError(f"unknown design '{design}' (use grid or lhs)")


def check_size(n_points: int, reps_per_point: int) -> None:
    n_runs = n_points * reps_per_point
    if n_points > MAX_POINTS:
        raise ExperimentError(f"{n_points:,} design points is more than the limit of {MAX_POINTS:,}; "
                              "add --yes to run it anyway")
    if n_runs > MAX_RUNS:
        raise ExperimentError(f"{n_runs:,} runs is more than the limit of {MAX_RUNS:,} (about an hour on "
                              "two cores); add --yes to run it anyway")


def check_priors(data: dict) -> None:
    """Each prior's extreme values must be allowed by its field (else every run that
    draws one would fail): a clear error before anything runs."""
    from sim.scenario.priors import priors_of

    for path, prior in priors_of(data).items():
        for value in prior.extremes():
            try:
                apply_params(data, {path: value})
            except ScenarioError as exc:
                msg = "; ".join(p.message for p in exc.problems)
                raise ExperimentError(f"scenario '{data.get('name')}': uncertain.{path}: the prior "
                                      f"{prior.spec.describe()} reaches {value:g}, which the field does not "
                                      f"allow ({msg})") from None
