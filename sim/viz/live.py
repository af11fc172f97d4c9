"""The interactive app's only window onto the model (``app.py``, Mesa SolaraViz).

Everything the app shows or controls goes through this module: the controls a
scenario offers (:func:`controls`, :func:`model_params`), the model the app steps
(:class:`LiveModel`), what it reads off that model each day (:func:`issue_values`,
:func:`positions`, :func:`stocks`, :func:`stock_history`, :func:`channel_graph`,
:func:`blame`, :func:`log_lines`, :func:`status`; the beliefs: :func:`belief_history`,
:func:`trust_history`, :func:`resolve_history`) and the "odds" batch
(:func:`odds_job`, :func:`run_odds`). When the model changes, this is the one file
to adapt; the components in :mod:`sim.viz.app_components` only read the plain tables
and graphs returned here.

Toggling a stance off is the ablation's ``remove`` operation
(:mod:`sim.experiments.ablation`): the stance leaves the scenario, and so do the
``remove_stance`` events that name it.
"""

from __future__ import annotations

import copy
import datetime as _dt
import functools
import math
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import pandas as pd

from sim.experiments.jobs import Vary, _get, apply_params, execute, headline, make_job, scenario_data
from sim.experiments.stats import mean_interval, wilson_interval
from sim.model import NegotiationModel
from sim.scenario import SCENARIO_DIR, Scenario, ScenarioError, load_scenario
from sim.viz.live_beliefs import (  # noqa: F401  (the app reads every belief through this module)
    belief_history,
    has_conditionals,
    has_gradual_terms,
    resolve_history,
    trust_history,
)

DEFAULT_SCENARIO = "baseline"
DEFAULT_SEED = 1
STANCE_KEY = "stance:"      # model_params key of a stance toggle: "stance:<stance id>"
PARAM_KEY = "param:"        # model_params key of an uncertain parameter: "param:<dotted path>"


# =============================================================== scenarios and controls
def scenario_names() -> list[str]:
    """Every scenario file in ``scenarios/`` (its stem), sorted."""
    return sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))


def steppable_protocols() -> list[str]:
    """Protocols the app can step day by day: every protocol (one interface, sim.protocols.base)."""
    from sim.protocols import PROTOCOLS

    return list(PROTOCOLS)


@dataclass(frozen=True)
class ParamControl:
    path: str
    lo: float
    hi: float
    value: float          # the scenario's own value
    integer: bool = False  # a whole-number field (e.g. days)
    name: str = ""        # what it means, in the scenario's words (actor names, stock labels)

    @property
    def label(self) -> str:
        """The slider's label: what the field means and the scenario's own value (the
        slider shows its current value on its thumb)."""
        return f"{self.name or self.path} (as written: {self.value:.3g})"

    def clamp(self, value) -> float | None:
        """``value`` as a number within the control's range, or None if it is not a
        finite number (the browser sends what it likes: the server decides)."""
        try:
            v = float(value)
        except (TypeError, ValueError, OverflowError):
            return None
        if not math.isfinite(v):
            return None
        v = min(max(v, self.lo), self.hi)
        return float(round(v)) if self.integer else v


@dataclass(frozen=True)
class StanceControl:
    id: str
    actor: str
    rule: str
    quote: str
    note: str = ""

    @property
    def label(self) -> str:
        """The rule and what grounds it: the article's quote, else the scenario's note
        (a fact of the record or an assumption), shortened."""
        if self.quote:
            said = f" \u201c{self.quote}\u201d"
        elif self.note:
            note = self.note if len(self.note) <= 90 else self.note[:89].rstrip() + "\u2026"
            said = f" ({note})"
        else:
            said = " (no quote: a scenario assumption)"
        return f"{self.actor}: {self.rule}{said}"


@dataclass(frozen=True)
class Controls:
    scenario: str
    title: str
    params: tuple[ParamControl, ...]
    stances: tuple[StanceControl, ...]
    protocols: tuple[str, ...]
    protocol: str


@functools.lru_cache(maxsize=64)
def controls(name: str) -> Controls:
    """The controls a scenario offers: its ``uncertain:`` parameters (range, current
    value), each stance (with the quote that grounds it), the day-stepping protocols.
    Cached per name (the app reads it on every redraw; scenario files do not change
    while it runs)."""
    sc = load_scenario(name)
    data = scenario_data(sc)
    from sim.scenario.priors import priors_of
    from sim.viz.labels import param_label

    params = tuple(ParamControl(p, *prior.bounds(), float(_get(data, p)),
                                isinstance(_get(data, p), int) and not isinstance(_get(data, p), bool),
                                param_label(p, data))
                   for p, prior in priors_of(data).items())
    stances = tuple(StanceControl(sid, st.actor, st.describe(), " ".join(st.quote.split()), " ".join(st.note.split()))
                    for sid, st in sc.stances.items())
    return Controls(name, sc.title or name, params, stances, tuple(steppable_protocols()), sc.protocol.name)


def model_params(name: str) -> dict:
    """Mesa ``model_params`` for a scenario: sliders for its uncertain parameters within
    their ranges, a toggle per stance labelled with its quote, the protocol and the seed."""
    c = controls(name)
    out: dict = {"scenario_name": name,
                 "seed": {"type": "InputText", "value": str(DEFAULT_SEED), "label": "Seed"},
                 "protocol": {"type": "Select", "value": c.protocol, "values": list(c.protocols),
                              "label": "Protocol"}}
    for p in c.params:
        if p.integer:
            out[PARAM_KEY + p.path] = {"type": "SliderInt", "value": int(p.value), "min": int(p.lo),
                                       "max": int(p.hi), "step": 1, "label": p.label}
        else:
            out[PARAM_KEY + p.path] = {"type": "SliderFloat", "value": p.value, "min": p.lo, "max": p.hi,
                                       "step": _step(p.lo, p.hi), "label": p.label}
    for s in c.stances:
        out[STANCE_KEY + s.id] = {"type": "Checkbox", "value": True, "label": s.label}
    return out


def _step(lo: float, hi: float) -> float:
    """A round slider step giving about 100 positions."""
    raw = (hi - lo) / 100
    return float(10 ** math.floor(math.log10(raw))) if raw > 0 else 0.01


@dataclass
class Settings:
    """What the user chose: everything :func:`build_scenario` needs."""

    scenario: str = DEFAULT_SCENARIO
    seed: int = DEFAULT_SEED
    protocol: str | None = None
    params: dict[str, float] = field(default_factory=dict)     # path -> value (all uncertain ones)
    off: tuple[str, ...] = ()                                   # stance ids toggled off

    def pinned(self) -> dict[str, float]:
        """Parameters the user moved away from the scenario's own value."""
        c = controls(self.scenario)
        return {p.path: self.params[p.path] for p in c.params
                if p.path in self.params and not math.isclose(self.params[p.path], p.value)}


def without_stances(data: dict, off) -> dict:
    """Scenario data without the stances ``off`` (the ablation's ``remove``)."""
    d = copy.deepcopy(data)
    for sid in off:
        d.get("stances", {}).pop(sid, None)
    d["events"] = [e for e in d.get("events", [])
                   if not (e["type"] == "remove_stance" and e["id"] in set(off))]
    return d


def build_scenario(s: Settings, draw_free: bool = False) -> Scenario:
    """The scenario under the user's settings (validated)."""
    sc = load_scenario(s.scenario)
    data = without_stances(scenario_data(sc), s.off)
    data["protocol"]["name"] = s.protocol or controls(s.scenario).protocol
    params = s.params if not draw_free else s.pinned()
    ints = {p.path for p in controls(s.scenario).params if p.integer}
    return apply_params(data, {k: int(round(v)) if k in ints else v for k, v in params.items()})


def settings_from_kwargs(scenario_name: str, seed, protocol, kwargs: dict,
                         allow_path: bool = False) -> tuple[Settings, list[str]]:
    """Settings from Mesa's model kwargs, which come from the browser: the server
    decides what each may take. A scenario only by a name of :func:`scenario_names`
    (never a path), a protocol only of the list, a parameter only a number within its
    slider's range (clamped), a stance only one of the scenario's; anything else falls
    back to the scenario as written, with a one-line message in the list."""
    problems = []
    if scenario_name not in scenario_names() and not allow_path:
        problems.append(f"Scenario: {str(scenario_name)[:60]!r} is not one of the scenarios; using "
                        f"{DEFAULT_SCENARIO}")
        scenario_name = DEFAULT_SCENARIO
    try:
        seed_int = int(str(seed).strip()[:20])
        if not 0 <= seed_int < 2 ** 63:
            raise ValueError
    except ValueError:
        problems.append(f"Seed: {str(seed)[:30]!r} is not a whole number >= 0; using {DEFAULT_SEED}")
        seed_int = DEFAULT_SEED
    c = controls(scenario_name)
    if protocol is not None and protocol not in c.protocols:
        problems.append(f"Protocol: {str(protocol)[:40]!r} is not one of {', '.join(c.protocols)}; using "
                        f"{c.protocol}")
        protocol = None
    by_path = {p.path: p for p in c.params}
    params = {}
    for k, v in kwargs.items():
        if not k.startswith(PARAM_KEY):
            continue
        ctl = by_path.get(k[len(PARAM_KEY):])
        if ctl is None:
            continue                                    # not a control of this scenario: ignored
        value = ctl.clamp(v)
        if value is None:
            problems.append(f"{ctl.name or ctl.path}: {str(v)[:30]!r} is not a number; using {ctl.value:.3g}")
            value = ctl.value
        params[ctl.path] = value
    ids = {st.id for st in c.stances}
    off = tuple(k[len(STANCE_KEY):] for k, v in kwargs.items()
                if k.startswith(STANCE_KEY) and k[len(STANCE_KEY):] in ids and v is False)
    return Settings(scenario_name, seed_int, protocol, params, off), problems


# =============================================================== the model the app steps
class LiveModel(NegotiationModel):
    """The scenario under the app's settings as a Mesa model with keyword parameters
    (what SolaraViz's Reset passes back). Stops (``running = False``) at the horizon."""

    def __init__(self, scenario_name: str = DEFAULT_SCENARIO, seed=DEFAULT_SEED, protocol: str | None = None,
                 scenario=None, allow_path: bool = False, **kwargs):
        # ``scenario`` is Mesa's own experiment scenario, which SolaraViz's Reset passes; unused.
        # ``allow_path``: a scenario file by path (Python callers only: the page's
        # controls are the model_params keys, which never include it)
        self.settings, self.input_problems = settings_from_kwargs(scenario_name, seed, protocol, kwargs,
                                                                  allow_path)
        try:
            spec = build_scenario(self.settings)
        except ScenarioError as exc:
            self.input_problems.append(f"Settings rejected ({exc.problems[0].path}: "
                                       f"{exc.problems[0].message}); showing the scenario as written")
            spec = build_scenario(Settings(scenario_name, self.settings.seed))
        super().__init__(spec, rng=np.random.default_rng(self.settings.seed))
        self.channel_log: list[dict] = []
        self._levels = _levels(self)

    def step(self) -> None:
        super().step()
        now = _levels(self)
        for pair in sorted(set(now) | set(self._levels)):       # opened, re-levelled or closed
            old, new = self._levels.get(pair, "closed"), now.get(pair, "closed")
            if old != new:
                self.channel_log.append({"day": self.day, "pair": pair, "old": old, "new": new})
        self._levels = now
        if self.day >= self.horizon:
            self.running = False


def _levels(model) -> dict[tuple[str, str], str]:
    return {(c.a, c.b): c.level for c in model.channels}


# =============================================================== what the app reads each day
def label(model, actor: str) -> str:
    return model.spec.actors[actor].name


def date_of(model, day: int) -> _dt.date:
    return model.spec.date_of(day)


def status(model) -> dict:
    """Day, date, horizon and the headline state of the run so far."""
    return {"day": model.day, "date": date_of(model, model.day), "horizon": model.horizon,
            "agreements": len(model.agreements), "running": bool(model.running),
            "scenario": model.settings.scenario, "title": model.spec.title or model.spec.name,
            "seed": model.settings.seed, "protocol": model.spec.protocol.name,
            "off": list(model.settings.off), "pinned": model.settings.pinned(),
            "problems": list(model.input_problems)}


def issue_values(model) -> pd.DataFrame:
    """One row per issue: kind, status quo, implemented value, and what 0 and 1 mean."""
    rows = []
    for n, j in enumerate(model.issue_ids):
        spec = model.spec.issues[j]
        rows.append({"issue": j, "kind": spec.kind, "status_quo": float(model.status_quo[n]),
                     "value": float(model.x[n]), "low": spec.low, "high": spec.high})
    return pd.DataFrame(rows)


def positions(model) -> pd.DataFrame:
    """Each actor's stated position (its latest offer) per issue: actor, issue, position."""
    rows = [{"actor": a, "label": label(model, a), "issue": j, "position": float(actor.position[n])}
            for a, actor in model.actors.items() for n, j in enumerate(model.issue_ids)]
    return pd.DataFrame(rows)


def stocks(model) -> dict[str, float]:
    """The environment's stocks today (name -> level on [0, 1]) and the cost issues'
    implemented values (e.g. sanctions)."""
    out = {name: float(st.level) for name, st in model.env.stocks.items()}
    for j in model.env.cost_issue_names:
        out.setdefault(j, float(model.x[model.idx[j]]))
    return out


def stock_history(model) -> pd.DataFrame:
    """Tidy daily history: day, stock, value (the stocks, then the cost issues)."""
    frames = [pd.DataFrame({"day": np.arange(len(st.history)), "stock": name, "value": st.history})
              for name, st in model.env.stocks.items()]
    if model.series is not None and model.env.cost_issue_names:
        vals = model.series["values"]
        days = model.series["day"]
        for j in model.env.cost_issue_names:
            frames.append(pd.DataFrame({"day": days, "stock": j, "value": vals[:, model.idx[j]]}))
    if not frames:
        return pd.DataFrame(columns=["day", "stock", "value"])
    return pd.concat(frames, ignore_index=True)


def channel_graph(model) -> nx.Graph:
    """The channel network today: nodes are actors (``label``, ``capability``,
    ``unilateral``: moves made alone so far), edges are open channels (``level``,
    ``issues``) and pairs that made agreements (``agreements``: count, ``in_force``:
    count still binding, ``last_day``)."""
    g = nx.Graph()
    alone = {}
    for mv in unilateral_moves(model):
        alone[mv["actor"]] = alone.get(mv["actor"], 0) + 1
    for a, actor in model.actors.items():
        g.add_node(a, label=actor.label, capability=float(actor.capability), unilateral=alone.get(a, 0))
    for c in model.channels:
        g.add_edge(c.a, c.b, level=c.level, issues=[model.issue_ids[j] for j in c.issues],
                   agreements=0, in_force=0, last_day=None)
    for ag in model.agreements:
        a, b = ag.parties
        if not g.has_edge(a, b):
            g.add_edge(a, b, level="closed", issues=[], agreements=0, in_force=0, last_day=None)
        e = g.edges[a, b]
        e["agreements"] += 1
        e["in_force"] += getattr(ag, "status", "in force") in ("in force", "renewed")
        e["last_day"] = ag.day
    return g


def _record(model) -> list:
    reg = getattr(model, "registry", None)
    return list(reg.record) if reg is not None else []


def unilateral_moves(model) -> list[dict]:
    """Moves made alone so far: day, actor, issue, old, new, and why (the actor's terms)."""
    return [{"day": r.day, "actor": r.actors[0], "issue": j, "old": float(o), "new": float(n), "reason": r.reason}
            for r in _record(model) if r.type == "unilateral" for j, (o, n) in r.changes.items()]


def blame(model) -> pd.DataFrame:
    """Public blame: rows the actor who blames, columns the one blamed (labels)."""
    labels = [label(model, a) for a in model.actor_ids]
    return pd.DataFrame(np.asarray(model.blame, dtype=float), index=labels, columns=labels)


def _fmt_date(d: _dt.date) -> str:
    return f"{d.day} {d:%b %Y}"


def _change(model, issue: str, old: float, new: float) -> str:
    spec = model.spec.issues[issue]
    toward = spec.high if new > old else spec.low
    return f"{issue.replace('_', ' ')} {old:.2f} \u2192 {new:.2f} (toward \u201c{toward}\u201d)"


def log_lines(model) -> list[str]:
    """The run so far in plain words, one line per move of the record before day 0,
    scheduled event, channel change, unilateral move (with why), agreement, renewal,
    expiry, breach, broken commitment, threat or promise (with why), in order of day."""
    entries: list[tuple[int, int, str]] = []
    for e in model.event_log:
        entries.append((e["day"], 0, e["label"]))
    for c in model.channel_log:
        a, b = (label(model, x) for x in c["pair"])
        what = "closes" if c["new"] == "closed" else f"is now {c['new']}"
        entries.append((c["day"], 1, f"the {a}\u2013{b} channel {what} (was {c['old']})"))
    for mv in unilateral_moves(model):
        why = mv["reason"].split(": ", 1)[1] if ": " in mv["reason"] else ""
        entries.append((mv["day"], 2, f"{label(model, mv['actor'])} acts alone: "
                        + _change(model, mv["issue"], mv["old"], mv["new"]) + (f" \u2014 {why}" if why else "")))
    for ag in model.agreements:
        a, b = (label(model, x) for x in ag.parties)
        terms = "; ".join(_change(model, j, ag.previous[j], v) for j, v in ag.values.items())
        entries.append((ag.day, 3, f"{a} and {b} agree ({ag.kind}, proposed by "
                        f"{label(model, ag.proposer)}): {terms}"))
    words = {"renewal": "renew", "expiry": "let lapse"}
    for r in _record(model):
        if r.type in words:
            a, b = (label(model, x) for x in r.actors)
            entries.append((r.day, 4, f"{a} and {b} {words[r.type]} their {r.label}"))
        elif r.type == "breach":
            mover, wronged = (label(model, x) for x in r.actors)
            entries.append((r.day, 4, f"{mover} breaks its word to {wronged}: {r.label}"))
        elif r.type in ("commitment_broken", "threat_carried_out", "threat_abandoned", "promise_kept",
                        "promise_broken"):
            entries.append((r.day, 1, r.reason))       # the reason names the actor and the stance
        elif r.type == "history":                      # the record's moves before day 0
            (j, (o, n)), = r.changes.items()
            entries.append((r.day, 0, f"{label(model, r.actors[0])} (the record): {_change(model, j, o, n)} "
                                      f"\u2014 {r.label}"))
    entries.sort(key=lambda t: (t[0], t[1]))
    return [f"day {d} ({_fmt_date(date_of(model, d))}): {text}" for d, _, text in entries]


# =============================================================== the odds
ODDS_OUTCOMES = ("any_agreement", "any_political", "stalemate")     # labels: sim/outcomes.py
RUNS_PER_SIDE = (10, 50, 200)       # the only sizes the odds panel offers (and the server accepts)
CURRENT, UNCHANGED, CHANGE = "your settings", "scenario as written", "change"


class OddsCancelled(Exception):
    """The user cancelled the odds batch."""


def odds_job(s: Settings, points: int = 10, reps: int = 5, seed: int = 0):
    """The odds batch: ``points`` draws of the uncertain parameters the user did not
    move (a Latin hypercube over their ranges) times ``reps`` replications, for the
    user's settings and for the scenario as written, on the same draws and random
    streams (common random numbers). Returns (job, name of each side)."""
    sc_cur = build_scenario(s, draw_free=True)
    sc_cur = sc_cur.model_copy(update={"name": f"{sc_cur.name}~app~current"})
    sc_base = load_scenario(s.scenario)
    data = scenario_data(sc_base)
    data["protocol"]["name"] = sc_cur.protocol.name
    sc_base = apply_params(data, {})
    sc_base = sc_base.model_copy(update={"name": f"{sc_base.name}~app~as_written"})
    pinned = s.pinned()
    varies = [Vary(p.path, p.lo, p.hi) for p in controls(s.scenario).params if p.path not in pinned]
    if varies and points > 1:
        job = make_job([sc_cur, sc_base], reps, seed, varies=varies, design="lhs", samples=points, chunk_size=5)
    else:
        job = make_job([sc_cur, sc_base], reps * max(points, 1), seed, chunk_size=5)
    return job, {sc_cur.name: CURRENT, sc_base.name: UNCHANGED}


def odds_executor():
    """A process pool for the odds, one worker fewer than the cores (at least one), so
    the batch does not hold the app's Python interpreter and steps stay responsive.
    Results are the same on any executor (the experiment runner's guarantee)."""
    import concurrent.futures as cf
    import multiprocessing as mp
    import os

    from sim.experiments.jobs import _exit_with_parent

    return cf.ProcessPoolExecutor(max_workers=max(1, (os.cpu_count() or 2) - 1),
                                  mp_context=mp.get_context("spawn"),
                                  initializer=_exit_with_parent, initargs=(os.getpid(),))


def run_odds(s: Settings, points: int = 10, reps: int = 5, seed: int = 0, progress=None,
             cancel=None, executor=None) -> pd.DataFrame:
    """Run the odds batch on the experiment runner (in this process, or on
    ``executor``, e.g. :func:`odds_executor`); ``progress(done, total)`` after each
    chunk, ``cancel()`` -> True stops it (raises :class:`OddsCancelled`).
    Returns the headline table (:func:`odds_table`)."""
    job, sides = odds_job(s, points, reps, seed)

    def tick(done, total):
        if cancel is not None and cancel():
            raise OddsCancelled(f"cancelled after {done} of {total} runs")
        if progress is not None:
            progress(done, total)

    res = execute(job, executor, progress=tick, max_in_flight=1 if executor is None else None)
    runs = res.runs[res.runs["status"] == "ok"].copy()
    sc = load_scenario(s.scenario)
    runs.attrs["actors"] = {a: {"name": d.name} for a, d in sc.actors.items()}
    return odds_table(runs, sides, sc.horizon_days)


def odds_table(runs: pd.DataFrame, sides: dict[str, str], horizon: int) -> pd.DataFrame:
    """Per headline outcome and side: a proportion (Wilson 95%) or a mean (Student-t
    95%); and the change (your settings - scenario as written), the mean of the paired
    differences of runs on the same draw and random stream, with its Student-t 95%
    interval (common random numbers make it much tighter than the two intervals)."""
    h = headline(runs, horizon)
    h["stalemate"] = runs["stalemate"].astype(float).to_numpy()
    pairs = sorted(c for c in h.columns if c.startswith("pair:"))
    from sim.outcomes import get

    names = {a: (d.get("name") or a) for a, d in ((runs.attrs.get("actors") or {}).items())}
    outcomes = [*((c, get(c).label, "proportion") for c in ODDS_OUTCOMES),
                *((p, get(p, names).label, "proportion") for p in pairs),
                *((c, get(c).label, "mean") for c in ("days_to_first_agreement", "n_unilateral")),
                *((c, get(c).label, "mean") for c in sorted(h.columns) if c.startswith("stock_cumulative:"))]
    by_side = {side: h[h["scenario"] == scen].sort_values(["point", "replicate"]) for scen, side in sides.items()}
    rows = []
    for col, name, stat in outcomes:
        vals = {side: g[col].fillna(0).to_numpy(dtype=float) for side, g in by_side.items()}
        for side, x in vals.items():
            n = len(x)
            if stat == "proportion":
                k = int(x.sum())
                lo, hi = wilson_interval(k, n)
                est = k / n if n else math.nan
            else:
                est, lo, hi = mean_interval(x)
            rows.append({"outcome": name, "side": side, "statistic": stat, "n": n,
                         "estimate": est, "ci_low": lo, "ci_high": hi})
        cur, base = vals.get(CURRENT), vals.get(UNCHANGED)
        if cur is not None and base is not None and len(cur) == len(base):
            d = cur - base
            if np.all(d == 0):      # identical paired runs: no change, exactly
                est, lo, hi = 0.0, 0.0, 0.0
            else:
                est, lo, hi = mean_interval(d)
            rows.append({"outcome": name, "side": CHANGE, "statistic": "difference", "n": len(d),
                         "estimate": est, "ci_low": lo, "ci_high": hi})
    return pd.DataFrame(rows)
