"""One chain from the record to the forecast: a scenario that ``starts_from`` a history.

``starts_from: history_2021`` in a scenario file names a *history*: a scenario that
ends on this one's start date (its ``start_date + horizon_days``). Every run of the
scenario first runs the history, then starts where it ended (docs/ODD.md 5): the
issues' values, the stocks' levels and the blame the history left are day 0 here; the
history's recorded moves are the run's record before day 0. The scenario's own
stances, channels and actors' parameters take effect on day 0.

Loading (:func:`embed`): the loader replaces the name by ``{name, scenario}``, the
history's validated data, so a job carries it to its workers, and a replicate's
parameters reach the history's fields under :data:`PREFIX` (``starts_from.scenario.
events.0.value``): ``sweep --vary`` and ``param:`` columns name them like any field.

Parameters of one replicate (:func:`replicate_params`): the history's ``uncertain:``
priors are drawn on the replicate's parameter streams (keyed by the field's own path,
as :func:`sim.scenario.priors.draw` does), a posterior particle on top (a calibration
of the history: the fields it calibrated). A field of the world both runs live in
(:func:`is_world`: the environment's dynamics, blame's parameters, the actors' exposures)
that both files have is one quantity: whatever value the replicate gives it - prior draw,
posterior particle, design point - sets both runs. Everything else (dates, horizon,
status quo, events, stances, protocol, tactics) is each scenario's own. A field the scenario
does not have sets the history run only; :func:`posterior_routes` names those in one
line (a note, not an error).

The history run's random numbers come from a branch of the replicate's seed
(:func:`history_seed`): the forecast's own stream is untouched, and the same seed gives
bit-identical chains whatever the workers or executor.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from sim.scenario.loading import CHAIN

PREFIX = "starts_from.scenario"            # where a replicate's parameters reach the history
HISTORY_KEY = 0x48495354                   # "HIST": the history run's branch of a replicate's seed


# =========================================================================== loading
def embed(data: dict, file: str | Path) -> tuple[dict, list[tuple[str, str]]]:
    """``data`` with a ``starts_from:`` name replaced by the history's validated data;
    (data, problems) - a problem is (field path, message) for the loader to locate."""
    from sim.scenario.loading import ScenarioError, load_scenario, resolve_scenario_path

    ref = data.get("starts_from")
    if not isinstance(ref, str):
        if ref is not None and not isinstance(ref, dict):
            return data, [("starts_from", f"must be the name (or path) of a history scenario, got {ref!r}")]
        return data, []
    if not ref.strip():
        return data, [("starts_from", "must be the name (or path) of a history scenario, got an empty text")]
    base = Path(str(file)).parent if str(file) and not str(file).startswith("<") else None
    try:
        path = resolve_scenario_path(ref, base=base)
    except ScenarioError as exc:
        return data, [("starts_from", f"no history scenario '{ref}': {exc.problems[0].message}")]
    if base is not None and Path(str(file)).is_file() and path.resolve() == Path(str(file)).resolve():
        return data, [("starts_from", f"'{ref}' is this scenario itself: a scenario cannot continue its own run")]
    try:
        hist = load_scenario(path)
    except ScenarioError as exc:
        first = exc.problems[0]
        where = f"{first.file or exc.file}{':' + str(first.line) if first.line else ''}"
        return data, [("starts_from", f"the history '{ref}' is invalid ({where}: "
                                      f"{(first.path + ': ') if first.path else ''}{first.message})")]
    if hist.starts_from is not None:
        return data, [("starts_from", f"the history '{ref}' itself starts from '{hist.starts_from.name}': a chain "
                                      "has one history, which starts from its own file (set starts_from: null "
                                      "in it if it inherits one)")]
    out = dict(data)
    out["starts_from"] = {"name": ref, "scenario": hist.model_dump(mode="json", by_alias=True, exclude_none=True)}
    return out, []


def problems(sc) -> list[tuple[str, str]]:
    """What makes the chain of a validated scenario inconsistent, as (path, message)."""
    from sim.scenario.priors import PriorSpec

    sf = sc.starts_from
    if sf is None:
        return []
    hist = sf.scenario
    out = []
    import datetime as dt

    from sim.scenario.loading import ScenarioError

    try:            # embedded data (built in code, or a replicate's parameters set in it) is checked too
        checked = _validated(hist, sf.name)
    except ScenarioError as exc:
        first = exc.problems[0]
        return [(f"starts_from.scenario{'.' + first.path if first.path else ''}",
                 f"the history '{sf.name}' is invalid: {first.message}")]
    if checked.starts_from is not None:
        return [("starts_from", f"the history '{sf.name}' itself starts from '{checked.starts_from.name}': a chain "
                                "has one history")]
    try:
        end = dt.date.fromisoformat(str(hist["start_date"])) + dt.timedelta(days=int(hist["horizon_days"]))
    except (KeyError, TypeError, ValueError):
        return [("starts_from", f"the history '{sf.name}' has no start_date and horizon_days")]
    if end != sc.start_date:
        out.append(("starts_from", f"the history '{sf.name}' ends on {end} ({hist['start_date']} + "
                                   f"{hist['horizon_days']} days), not on this scenario's start date "
                                   f"{sc.start_date}: a continuation starts the day its history ends"))
    if sc.history:
        out.append(("history", f"the history run '{sf.name}' makes the record's moves before day 0; remove "
                               "history: (or starts_from)"))
    theirs = hist.get("uncertain") or {}
    data = None
    for path, spec in sc.uncertain.items():
        if path in theirs and is_world(path):
            other = PriorSpec.model_validate(theirs[path])
            if other != spec:
                data = data or sc.model_dump(mode="json", by_alias=True, exclude_none=True)
                out.append((f"uncertain.{path}", f"the history '{sf.name}' draws this field from "
                                                 f"{other.describe()}, this file from {spec.describe()}: a field "
                                                 "of both runs is one quantity; give it one prior"))
    return out


# =========================================================================== day 0
# =========================================================================== parameters
def _has(d: dict, path: str) -> bool:
    from sim.scenario.priors import walk_path

    try:
        walk_path(d, path)
        return True
    except KeyError:
        return False


def is_world(path: str) -> bool:
    """Whether ``path`` describes the world both runs live in: the environment's
    dynamics (``environment.*``, not a stock's ``initial`` level, a state the history
    sets), blame's parameters (``blame.*``) and the actors' exposure to the crisis
    (``actors.A.exposure.*``). A scenario's dates, horizon, issues' status quo, stances,
    protocol and tactics are its own."""
    parts = path.split(".")
    if parts[0] == "environment":
        return parts[-1] != "initial"
    return parts[0] == "blame" or (parts[0] == "actors" and len(parts) > 2 and parts[2] == "exposure")


def shared(data: dict, path: str) -> bool:
    """Whether ``path`` is one quantity of both the scenario ``data`` and its history
    (:func:`is_world`, and a field of both)."""
    return is_world(path) and _has(data, path) and _has(data["starts_from"]["scenario"], path)


_PRIORS: dict[int, tuple] = {}      # id of a history's data -> (the data, its priors): parsed once per chunk


def _priors(hist: dict, priors_of) -> dict:
    """The history's priors, parsed (and their SciPy distributions frozen) once per data
    object, not once per replicate; keyed by identity, the entry keeping the data alive."""
    got = _PRIORS.get(id(hist))
    if got is None or got[0] is not hist:
        if len(_PRIORS) >= _CACHE_SIZE:
            _PRIORS.pop(next(iter(_PRIORS)))
        got = _PRIORS[id(hist)] = (hist, priors_of(hist))
    return got[1]


def replicate_params(data: dict, seq, drawn: dict, posterior: dict, point: dict, draw_history: bool = True) -> dict:
    """The parameters of one replicate of a continuation (see the module doc): the
    scenario's own draws ``drawn``, the history's priors drawn from ``seq`` (unless
    ``draw_history`` is false: fixed parameters), the ``posterior`` particle, then the
    design ``point``; each value set where it belongs."""
    from sim.scenario.priors import draw, priors_of

    out = dict(drawn)
    hist = data["starts_from"]["scenario"]
    values = draw(_priors(hist, priors_of), seq) if draw_history else {}
    values.update(posterior)
    for path, v in values.items():
        if _has(hist, path):
            out[f"{PREFIX}.{path}"] = v
            if shared(data, path):
                out[path] = v
        else:
            out[path] = v               # a posterior of the scenario's own fields
    for path, v in point.items():
        out[path] = v
        if shared(data, path):
            out[f"{PREFIX}.{path}"] = v
    return out


def posterior_routes(data: dict, fields) -> str:
    """Check that every posterior field is a field of the scenario or of its history
    (KeyError naming the first that is neither); the note naming the fields that set
    the history run only ("" if none)."""
    hist = data["starts_from"]["scenario"]
    only = []
    for f in fields:
        in_hist, in_own = _has(hist, f), _has(data, f)
        if not in_hist and not in_own:
            raise KeyError(f)
        if in_hist and not shared(data, f):
            only.append(f)
    if not only:
        return ""
    return (f"note: '{data.get('name')}' does not share {', '.join(only)}: "
            f"{'it sets' if len(only) == 1 else 'they set'} the history run ({data['starts_from']['name']}) only, "
            "whose end state is day 0 here")


# =========================================================================== the run
def history_seed(seed) -> np.random.SeedSequence:
    """The seed of the history run of a replicate whose seed is ``seed`` (an int, a
    SeedSequence, a numpy Generator made from one, or None): a branch of it that the
    forecast's own stream never uses (a Generator is not drawn from)."""
    if isinstance(seed, (np.random.Generator, np.random.BitGenerator)):
        bg = getattr(seed, "bit_generator", seed)
        seed = getattr(bg, "seed_seq", None) or getattr(bg, "_seed_seq", None)
        if not isinstance(seed, np.random.SeedSequence):
            return np.random.SeedSequence()
    if isinstance(seed, np.random.SeedSequence):
        return np.random.SeedSequence(seed.entropy, spawn_key=(*seed.spawn_key, HISTORY_KEY))
    if seed is None:
        return np.random.SeedSequence()
    return np.random.SeedSequence(int(seed), spawn_key=(HISTORY_KEY,))


_CACHE: dict[str, Any] = {}         # the history's data (JSON) -> its validated Scenario
_CACHE_SIZE = 64


def _validated(hist: dict, name: str):
    """The history's data validated once per distinct content (a batch validates each
    replicate's scenario, whose embedded history differs only in the drawn fields)."""
    import json

    from sim.scenario.loading import validate_mapping

    key = json.dumps(hist, default=str)        # in file order: the order of actors and issues is the model's
    got = _CACHE.get(key)
    if got is None:
        # the yes/no and Unicode walk ran over the scenario that embeds this data (or over
        # the values a replicate set in it: sim.experiments.design.apply_params)
        got = validate_mapping(json.loads(key), f"<history {name}>", check_priors=False, check_text=False)
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.pop(next(iter(_CACHE)))
        _CACHE[key] = got
    return got


_BY_OBJECT: dict[int, tuple] = {}   # id of a history's data -> (the data, its Scenario): no JSON key per run


def history_scenario(sc):
    """The history of ``sc`` as a validated :class:`~sim.scenario.Scenario` (the
    replicate's parameters already set in its data)."""
    data = sc.starts_from.scenario
    got = _BY_OBJECT.get(id(data))
    if got is None or got[0] is not data:
        got = (data, _validated(data, sc.starts_from.name))
        if len(_BY_OBJECT) >= _CACHE_SIZE:
            _BY_OBJECT.pop(next(iter(_BY_OBJECT)))
        _BY_OBJECT[id(data)] = got
    return got[1]


def describe(sc) -> str:
    """One line: what day 0 takes from the history, and what it does not."""
    hist = sc.starts_from.scenario
    issues = [j for j in sc.issues if j in (hist.get("issues") or {})]
    own = [j for j in sc.issues if j not in issues]
    stocks = [s for s in sc.environment.stocks if s in ((hist.get("environment") or {}).get("stocks") or {})]
    parts = [f"day 0 is where {sc.starts_from.name} ends: {len(issues)} issue values",
             f"stock{'s' if len(stocks) != 1 else ''} {', '.join(stocks) or 'none'}", "blame above its public level"]
    text = ", ".join(parts)
    if own:
        text += f"; from this file: {', '.join(own)} (not in the history)"
    return text + "; stances and channels from this file"


CHAIN.update(embed=embed, problems=problems)        # the loader's starts_from: steps (sim/scenario/loading.py)
