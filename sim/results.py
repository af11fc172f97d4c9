"""What a run returns: outcomes (scalars and tables) and daily series, as pandas."""

from __future__ import annotations

import contextlib
import json
import math
import os
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from sim.model.channels import channel_list  # noqa: F401  (read here by the reports and the app)
from sim.protocols.base import MOVE_COLUMNS


@dataclass
class RunResult:
    """The outcome of one run.

    Attributes (all pandas, nothing printed):

    * ``outcomes`` - dict of scalar outcomes (flat keys, e.g. ``pressure_peak``,
      ``agreed:sanctions``, ``pair:poland-belarus``);
    * ``summary`` - the same as a DataFrame indexed by outcome, one ``value`` column;
    * ``agreements`` - one row per agreement (day, date, level, kind, issue values,
      status, expiry; its signatories: ``party_a``/``party_b`` the first two, ``parties``
      all of them, ``mediator`` the mediator whose text it is, if any; each signatory's
      value of it at signing and its floor: ``value_a``/``floor_a``/... for the first two,
      ``values_to``/``floors`` for all; the bargaining benchmark columns);
    * ``record`` - one row per act, in order: agreements, unilateral moves, breaches,
      expiries, renewals and scheduled events (day, date, type, actors, changes);
    * ``issues`` - one row per issue: agreed, first day agreed, unilateral moves, final
      (implemented) value, status quo; the protocol's forecast of the issue, how the
      protocol ended on it (``forecast_status``, ``forecast_rounds``), and the compromise
      model's forecasts beside it (``cm_mean``, ``cm_median``: the yardstick);
    * ``moves`` - the forecast moves of a protocol that moves positions without offers
      (expected utility: day, issue, actor, toward, kind, from, to and both expected
      utilities); empty for the others;
    * ``offers`` - one row per offer made (day, from, to, outcome, values);
    * ``series`` - tidy daily series: day, date, variable, actor, target, issue, value
      (variables: ``stock:S``, ``inflow:S``, ``outflow:S`` for each stock S, value,
      forecast, position, utility, blame, belief: the mean of an actor's belief about a
      target's floor, for the pairs whose belief moved);
    * ``events`` - the scheduled events that fired (day, type, label).
    """

    scenario: str
    seed: object
    start_date: object
    horizon: int
    outcomes: dict
    agreements: pd.DataFrame
    issues: pd.DataFrame
    offers: pd.DataFrame
    events: pd.DataFrame
    series: pd.DataFrame | None = None
    record: pd.DataFrame = field(default_factory=pd.DataFrame)
    actor_labels: dict = field(default_factory=dict)
    spec: dict = field(default_factory=dict)              # the scenario, as plain data
    channels_start: list = field(default_factory=list)    # [{a, b, level, issues}] at day 0
    channels_end: list = field(default_factory=list)      # ... at the end of the run
    command: list | None = None
    protocol: str = "alternating_offers"                   # the protocol that ran
    moves: pd.DataFrame = field(default_factory=lambda: pd.DataFrame(columns=list(MOVE_COLUMNS)))

    @property
    def summary(self) -> pd.DataFrame:
        return pd.DataFrame({"value": pd.Series(self.outcomes, dtype=object)}).rename_axis("outcome")

    # ------------------------------------------------------------------ files
    def write(self, out: str | Path) -> list[Path]:
        """Write summary.json, agreements.csv, record.csv, offers.csv, moves.csv and
        timeseries.csv (with the series) into ``out``.

        Each file is written to a temporary name in ``out`` and renamed into place, so
        no file is ever left half-written.
        """
        out = Path(out)
        out.mkdir(parents=True, exist_ok=True)
        summary = {
            "scenario": self.scenario,
            "scenario_spec": self.spec,
            "actor_labels": self.actor_labels,
            "channels_start": self.channels_start,
            "channels_end": self.channels_end,
            "seed": self.seed,
            "protocol": self.protocol,
            "command": self.command,
            "start_date": str(self.start_date),
            "horizon_days": self.horizon,
            "outcomes": {k: _jsonable(v) for k, v in self.outcomes.items()},
            "issues": json.loads(self.issues.to_json(orient="records")),
            "agreements": json.loads(self.agreements.to_json(orient="records", date_format="iso")),
            "events": json.loads(self.events.to_json(orient="records")),
        }
        written = [
            atomic_write(out / "summary.json", json.dumps(summary, indent=2)),
            atomic_write(out / "agreements.csv", self.agreements.to_csv(index=False)),
            atomic_write(out / "record.csv", self.record.to_csv(index=False)),
            atomic_write(out / "offers.csv", self.offers.to_csv(index=False)),
            atomic_write(out / "moves.csv", self.moves.to_csv(index=False)),
        ]
        if self.series is not None:
            written.append(atomic_write(out / "timeseries.csv", self.series.to_csv(index=False)))
        return written


def _jsonable(v):
    if isinstance(v, (np.floating, float)):
        return None if math.isnan(v) else float(v)
    if isinstance(v, (np.integer,)):
        return int(v)
    if isinstance(v, np.bool_):
        return bool(v)
    return v


def public_mode(path) -> None:
    """Give a file made by mkstemp (0600) the mode a plain open() would (umask applies)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(path, 0o666 & ~umask)


@contextlib.contextmanager
def naming(path: Path):
    """An OSError inside (a full disk: ``write`` says ENOSPC without a file name) names
    ``path``, the file being written, so the error says which."""
    try:
        yield
    except OSError as exc:
        if exc.filename and not str(exc.filename).startswith(str(Path(path).parent / f".{Path(path).name}.")):
            raise
        err = exc.errno or (28 if "No space left" in str(exc) else None)
        raise OSError(err, exc.strerror or str(exc) or type(exc).__name__, str(path)) from exc


def atomic_write(path: Path, text: str) -> Path:
    """Write ``text`` to a temporary file beside ``path``, then rename it into place; a
    fault names ``path``."""
    path = Path(path)
    with naming(path):
        return _atomic_write(path, text)


def _atomic_write(path: Path, text: str) -> Path:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        # text that is not valid Unicode (a lone surrogate from code) is written as an escape
        with os.fdopen(fd, "w", encoding="utf-8", errors="backslashreplace", newline="") as fh:
            fh.write(text)
        public_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


# ---------------------------------------------------------------------- build
def build_result(model, seed) -> RunResult:
    sc = model.spec
    ids = model.issue_ids
    ags = model.agreements

    ag_rows = []
    for a in ags:
        row = {"day": a.day, "date": sc.date_of(a.day).isoformat(), "party_a": a.parties[0],
               "party_b": a.parties[1], "parties": ";".join(a.parties), "mediator": a.mediator,
               "proposer": a.proposer, "level": a.level, "kind": a.kind,
               "issues": ";".join(a.values),
               "changes": "; ".join(f"{j} {a.previous[j]:.2f}->{v:.2f}" for j, v in a.values.items()),
               "value_a": a.value_to.get(a.parties[0], np.nan), "value_b": a.value_to.get(a.parties[1], np.nan),
               "floor_a": a.reservation.get(a.parties[0], np.nan), "floor_b": a.reservation.get(a.parties[1], np.nan),
               "values_to": ";".join(f"{k}={a.value_to[k]!r}" for k in a.parties if k in a.value_to),
               "floors": ";".join(f"{k}={a.reservation[k]!r}" for k in a.parties if k in a.reservation),
               "status": a.status, "expires": a.expires, "term": a.term, "n_renewals": a.n_renewals,
               "ended": a.ended if a.ended >= 0 else np.nan, "link": a.link if a.link >= 0 else np.nan}
        row.update(_benchmark(a))
        for j in ids:
            row[j] = a.values.get(j, np.nan)
        ag_rows.append(row)
    agreements = pd.DataFrame(ag_rows, columns=["day", "date", "party_a", "party_b", "parties", "mediator", "proposer",
                                                "level", "kind", "issues", "changes", "value_a", "value_b", "floor_a",
                                                "floor_b", "values_to", "floors", "status", "expires",
                                                "term", "n_renewals", "ended", "link", *BENCHMARK_COLUMNS, *ids])
    record = record_table(model)

    issue_rows = _issue_rows(model, yardstick=True)
    issues = pd.DataFrame(issue_rows)
    o = compute_outcomes(model, issue_rows)
    moves = pd.DataFrame(model.protocol.moves(), columns=list(MOVE_COLUMNS))

    offers = pd.DataFrame(model.offers, columns=["day", "from", "to", "level", "outcome", *ids])
    events = pd.DataFrame(model.event_log, columns=["day", "type", "label"])
    series = _series(model) if model.series is not None else None
    return RunResult(sc.name, seed, sc.start_date, model.horizon, o, agreements, issues, offers,
                     events, series, record, {a: s.name for a, s in sc.actors.items()},
                     sc.model_dump(mode="json", by_alias=True, exclude_none=True),
                     model.channels_start, channel_list(model), protocol=sc.protocol.name, moves=moves)


BENCHMARK_COLUMNS = ("pareto_gap", "nash_share", "nash_distance", "nash_value_a", "nash_value_b")


def _benchmark(ag) -> dict:
    """The agreement's bargaining benchmark (:mod:`sim.analysis.bargaining`), NaN where the
    protocol stored no terms space."""
    if ag.space is None:
        return dict.fromkeys(BENCHMARK_COLUMNS, np.nan)
    from sim.analysis.bargaining import MultiSpace, benchmark, benchmark_multi

    b = benchmark_multi(ag.space) if isinstance(ag.space, MultiSpace) else benchmark(ag.space)
    return {k: b[k] for k in BENCHMARK_COLUMNS}


def record_table(model) -> pd.DataFrame:
    """Every act of the run in order: agreements, unilateral moves, breaches, expiries, exits,
    offers not made for a belief,
    renewals, scheduled events that moved an issue."""
    sc = model.spec
    rows = [{"day": r.day, "date": sc.date_of(r.day).isoformat(), "type": r.type,
             "actors": ";".join(r.actors), "level": r.level, "kind": r.kind,
             "issues": ";".join(r.changes),
             "changes": "; ".join(f"{j} {a:.2f}->{b:.2f}" for j, (a, b) in r.changes.items()),
             "label": r.label, "cost": r.cost, "reason": r.reason}
            for r in model.registry.record]
    return pd.DataFrame(rows, columns=["day", "date", "type", "actors", "level", "kind", "issues",
                                       "changes", "label", "cost", "reason"])




def load_result(folder) -> RunResult:
    """A run's result read back from the files :meth:`RunResult.write` left in ``folder``."""
    folder = Path(folder)
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    series = None
    if (folder / "timeseries.csv").exists():
        series = pd.read_csv(folder / "timeseries.csv", parse_dates=["date"])
    ag = pd.read_csv(folder / "agreements.csv")
    offers = pd.read_csv(folder / "offers.csv") if (folder / "offers.csv").exists() else pd.DataFrame()
    record = pd.read_csv(folder / "record.csv") if (folder / "record.csv").exists() else pd.DataFrame()
    moves = (pd.read_csv(folder / "moves.csv") if (folder / "moves.csv").exists()
             else pd.DataFrame(columns=list(MOVE_COLUMNS)))
    return RunResult(s["scenario"], s["seed"], pd.Timestamp(s["start_date"]).date(), s["horizon_days"],
                     s["outcomes"], ag, pd.DataFrame(s["issues"]), offers,
                     pd.DataFrame(s["events"], columns=["day", "type", "label"]), series, record,
                     s.get("actor_labels", {}), s.get("scenario_spec", {}), s.get("channels_start", []),
                     s.get("channels_end", []), s.get("command"), s.get("protocol", "alternating_offers"), moves)


def _series(model) -> pd.DataFrame:
    """The tidy daily series from the recorded arrays (:mod:`sim.model.series`), built
    as whole columns into one DataFrame."""
    sc, rec = model.spec, model.series
    ids, actors = model.issue_ids, model.actor_ids
    days = rec["day"]
    n_days, n_actors = len(days), len(actors)
    cols: dict[str, list] = {"day": [], "variable": [], "actor": [], "target": [], "issue": [], "value": []}

    def block(variable, values, actor=None, target=None, issue=None, day=days):
        n = len(day)
        cols["day"].append(day)
        for name, v in (("variable", variable), ("actor", actor), ("target", target), ("issue", issue)):
            cols[name].append(v if isinstance(v, np.ndarray) else np.full(n, v, dtype=object))
        cols["value"].append(values)

    for key, prefix in (("stocks", "stock"), ("inflows", "inflow"), ("outflows", "outflow")):
        vals = rec[key]
        for n, name in enumerate(model.env.names):
            block(f"{prefix}:{name}", vals[:, n])
    vals = rec["values"]
    for n, j in enumerate(ids):
        block("value", vals[:, n], issue=j)
    vals = rec["forecast"]
    for n, j in enumerate(ids):
        block("forecast", vals[:, n], issue=j)
    blame = rec["blame"]
    for i, a in enumerate(actors):
        for k, b in enumerate(actors):
            if i != k:
                block("blame", blame[:, i, k], actor=a, target=b)
    belief = rec["belief"]
    for i, a in enumerate(actors):
        for k, b in enumerate(actors):
            if i != k and model.beliefs.n_seen[i, k]:       # only beliefs that something moved
                block("belief", belief[:, i, k], actor=a, target=b)
    # actor rows: day by day, the actors in order within each day
    aday = days.repeat(n_actors)
    aactor = np.array(actors * n_days, dtype=object)
    pos = rec["position"].reshape(n_days * n_actors, -1)
    for n, j in enumerate(ids):
        block("position", pos[:, n], actor=aactor, issue=j, day=aday)
    block("utility", rec["utility"].reshape(-1), actor=aactor, day=aday)
    out = pd.DataFrame({k: pd.Series(np.concatenate(v), dtype=object if k in ("actor", "target", "issue") else None)
                        for k, v in cols.items()})
    out = out.astype({"day": "int64", "variable": "str", "value": "float64"})
    out.insert(1, "date", pd.to_datetime(sc.start_date) + pd.to_timedelta(out["day"], unit="D"))
    return out


def _issue_rows(model, yardstick: bool = False) -> list[dict]:
    """One row per issue: how it was decided, its implemented value at the end, and the
    protocol's forecast of it with how the protocol ended on it; with ``yardstick``, the
    compromise model's forecasts beside it (``cm_mean``, ``cm_median``)."""
    sc, ags = model.spec, model.agreements
    moves = [r for r in model.registry.record if r.type == "unilateral"]
    forecast = model.protocol.forecast()
    cm = {}
    if yardstick:
        from sim.analysis.compromise import compromise_forecast

        cm = compromise_forecast(sc)
    rows = []
    for n, j in enumerate(model.issue_ids):
        days = [a.day for a in ags if j in a.values]
        status, rounds = model.protocol.issue_status(n)
        row = {"issue": j, "kind": sc.issues[j].kind, "status_quo": float(model.status_quo[n]),   # day 0
               "agreed": bool(days), "first_agreed_day": days[0] if days else np.nan,
               "n_agreements": len(days), "n_unilateral": sum(j in r.changes for r in moves),
               "final_value": float(model.x[n]), "forecast": float(forecast[n]),
               "forecast_status": status, "forecast_rounds": np.nan if rounds is None else float(rounds)}
        if yardstick:
            row["cm_mean"], row["cm_median"] = cm[j]
        rows.append(row)
    return rows


def compute_outcomes(model, issue_rows: list[dict] | None = None) -> dict:
    """The scalar outcomes of a finished run (no tables built: the fast path for batches)."""
    issue_rows = issue_rows if issue_rows is not None else _issue_rows(model)
    record = model.registry.record
    o = _record_counts(model, record)
    _stance_outcomes(o, model.spec, record)
    _issue_and_pair_outcomes(o, model, issue_rows)
    _stock_and_actor_outcomes(o, model, record)
    o["stalemate"] = _stalemate(model)
    return o


def _record_counts(model, record) -> dict:
    """How many agreements, moves, breaches, renewals, exits, ... the record holds."""
    ags = model.agreements
    o: dict = {}
    o["n_agreements"] = len(ags)
    o["any_agreement"] = bool(ags)
    o["any_political"] = any(a.kind == "political" for a in ags)
    o["any_technical"] = any(a.kind == "technical" for a in ags)
    o["time_to_first_agreement"] = float(ags[0].day) if ags else np.nan
    o["n_unilateral"] = sum(r.type == "unilateral" for r in record)
    o["n_breaches"] = sum(r.type == "breach" for r in record)
    o["n_renewals"] = sum(r.type == "renewal" for r in record)
    o["n_exits"] = sum(r.type == "exit" for r in record)
    o["n_lapsed"] = sum(r.type == "expiry" for r in record)
    shortened = model.registry.shortened
    o["n_shortened"] = len(shortened)
    o["first_renewal_day"] = next((float(r.day) for r in record if r.type == "renewal"), np.nan)
    o["first_shortened_day"] = float(shortened[0]) if shortened else np.nan
    o["n_renegotiated"] = len(model.registry.renegotiated)
    o["n_no_offer"] = sum(r.type == "no_offer" for r in record)
    o["n_missed_by_belief"] = sum(r.type == "no_offer" and r.label.startswith("a deal missed") for r in record)
    o["n_shortfalls"] = sum(r.type == "shortfall" and r.label.startswith("withheld") for r in record)
    o["n_capacity_shortfalls"] = sum(r.type == "shortfall" and r.label.startswith("capacity") for r in record)
    o["n_doubts"] = sum(r.type == "doubt" for r in record)
    o["n_mirror_texts"] = len({a.link for a in ags if a.link >= 0})
    o["any_renewal"] = o["n_renewals"] > 0
    o["any_shortened"] = o["n_shortened"] > 0
    o["any_exit"] = o["n_exits"] > 0
    o["any_mirror"] = o["n_mirror_texts"] > 0
    o["any_shortfall"] = o["n_shortfalls"] + o["n_capacity_shortfalls"] > 0
    o["n_commitments_broken"] = sum(r.type == "commitment_broken" for r in record)
    for t in ("threat_carried_out", "threat_abandoned", "promise_kept", "promise_broken"):
        o[f"n_{t}"] = sum(r.type == t for r in record)
    return o


def _stance_outcomes(o: dict, sc, record) -> None:
    """The day each breakable commitment broke, and each threat or promise was carried
    out or abandoned (NaN: never)."""
    broken = {r.label: r.day for r in record if r.type == "commitment_broken"}
    carried = {r.label: r.day for r in record if r.type in ("threat_carried_out", "promise_kept")}
    abandoned = {r.label: r.day for r in record if r.type in ("threat_abandoned", "promise_broken")}
    for sid, st in sc.stances.items():
        if st.breakable and not st.hard:
            o[f"broken_day:{sid}"] = float(broken[sid]) if sid in broken else np.nan
        elif hasattr(st, "then_issue"):         # a threat or promise (docs/ODD.md 7.16)
            o[f"carried_day:{sid}"] = float(carried[sid]) if sid in carried else np.nan
            o[f"abandoned_day:{sid}"] = float(abandoned[sid]) if sid in abandoned else np.nan


def _issue_and_pair_outcomes(o: dict, model, issue_rows: list[dict]) -> None:
    """Per issue: agreed, when, moves, final value, forecast; per pair of actors that
    agreed or could talk: how many agreements."""
    ags = model.agreements
    for r in issue_rows:
        o[f"agreed:{r['issue']}"] = r["agreed"]
        o[f"agreed_day:{r['issue']}"] = float(r["first_agreed_day"])
        o[f"unilateral:{r['issue']}"] = r["n_unilateral"]
        o[f"final:{r['issue']}"] = r["final_value"]
        o[f"forecast:{r['issue']}"] = r["forecast"]
    actors = model.actor_ids
    for i, a in enumerate(actors):
        for b in actors[i + 1:]:
            days = [g.day for g in ags if a in g.parties and b in g.parties]
            if days or model.channel_level(a, b) != "closed":
                o[f"pair:{a}-{b}"] = len(days)


def _stock_and_actor_outcomes(o: dict, model, record) -> None:
    """Each stock's peak, final and cumulative level; per actor: exit, blame received,
    utility net of what it paid."""
    actors = model.actor_ids
    for name, st in model.env.stocks.items():
        o[f"stock_peak:{name}"] = float(st.peak)
        o[f"stock_final:{name}"] = float(st.level)
        o[f"stock_cumulative:{name}"] = float(st.cumulative)
    exited = {}
    for r in record:
        if r.type == "exit":
            exited.setdefault(r.actors[0], float(r.day))
    for a in actors:
        o[f"exited:{a}"] = a in exited
        o[f"exit_day:{a}"] = exited.get(a, np.nan)
    received = model.blame.sum(axis=0)
    for n, a in enumerate(actors):
        o[f"blame_received:{a}"] = float(received[n])
    for a, actor in model.actors.items():
        # u_i at the end, less the audience costs the actor paid for broken commitments and
        # abandoned threats or promises, what carrying out threats and promises cost it, and
        # what leaving agreements before term cost it
        o[f"utility:{a}"] = actor.utility(model.x) - actor.commitments_paid - actor.coercion_paid - actor.exits_paid
        o[f"commitments_paid:{a}"] = actor.commitments_paid
        o[f"coercion_paid:{a}"] = actor.coercion_paid
        o[f"exits_paid:{a}"] = actor.exits_paid


def _stalemate(model) -> bool | None:
    """Stalemate: talks deadlocked while the crisis goes on - a run at least
    ``stalemate_window`` days long with no agreement in its last window days, whose first
    stock (if any) is above ``resolved_below`` and has not eased (fallen by more than a
    tenth) since the window began. A run shorter than the window is never a stalemate; a
    protocol that makes no agreements (a forecast model) has none: None."""
    sc, ags, n_days = model.spec, model.agreements, model.day
    window = sc.protocol.stalemate_window
    last = ags[-1].day if ags else None
    quiet = n_days >= window and (last is None or last <= n_days - window)
    unresolved = True
    if model.env.stocks:
        st = next(iter(model.env.stocks.values()))
        hist = st.history
        unresolved = hist[-1] > st.spec.resolved_below and hist[-1] >= 0.9 * hist[max(0, len(hist) - 1 - window)]
    return bool(quiet and unresolved) if model.protocol.classifier.get("makes_agreements", True) else None
