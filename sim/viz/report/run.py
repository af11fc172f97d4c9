"""The section of a run: its story (agreements, unilateral moves, events, the final
state against the status quo), then its parameters."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.viz.labels import actor_names, fmt, issue_label, param_label, plural
from sim.viz.report.page import Section, _e, _links, _table
from sim.viz.report.scenario import _flatten


def _unilateral(ag: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """(agreements, unilateral moves) of a record table; a ``type`` column equal to
    ``unilateral`` marks a move (the model may or may not write one)."""
    if "type" in ag.columns:
        uni = ag["type"].astype(str).str.lower() == "unilateral"
        return ag[~uni], ag[uni]
    return ag, ag.iloc[0:0]


def _bench(r) -> str:
    """The agreement's bargaining benchmark in words (sim/analysis/bargaining.py), if the
    table has it."""
    gap, share = getattr(r, "pareto_gap", None), getattr(r, "nash_share", None)
    if gap is None or gap != gap:
        return ""
    where = ("on the Pareto frontier" if abs(gap) < 1e-6
             else f"{gap:.3f} below the Pareto frontier (every signatory could have gained that much more)")
    nash = "" if share is None or share != share else f"; Nash product {share:.2f} of the Nash solution's"
    return f" — {where}{nash}"


def run_story(s: dict, ag: pd.DataFrame, record: pd.DataFrame | None = None) -> str:
    """The run in day order: agreements, unilateral moves (from ``record`` - the run's
    record.csv - or from a ``type`` column of the agreements), scheduled events; then
    each issue against its status quo."""
    spec = s.get("scenario_spec", {})
    names = {**actor_names(spec), **(s.get("actor_labels") or {})}
    o = s["outcomes"]
    agreements, moves = _unilateral(ag)
    has_moves = "type" in ag.columns
    if record is not None and "type" in record.columns:
        moves, has_moves = _unilateral(record)[1], True
    items = []                                  # (day, order, html): the story in day order
    for r in agreements.itertuples():
        parties = str(getattr(r, "parties", "") or "")
        keys = parties.split(";") if parties and parties != "nan" else [r.party_a, r.party_b]
        mediator = str(getattr(r, "mediator", "") or "")
        mediator = "" if mediator == "nan" else mediator
        who = "\u2013".join(names.get(k, k) for k in keys if k != mediator)
        if mediator:
            who += f", through {names.get(mediator, mediator)}'s text"
        changes = str(r.changes).replace("->", " \u2192 ")
        items.append((int(r.day), 1, f"Day {int(r.day)} ({_e(r.date)}): <b>{_e(who)}</b> agree "
                                     f"[{_e(getattr(r, 'level', ''))}]: {_e(changes)}{_e(_bench(r))}"))
    for r in moves.itertuples():
        actor = (getattr(r, "actor", None) or str(getattr(r, "actors", "") or "").split(";")[0]
                 or getattr(r, "party_a", ""))
        what = getattr(r, "changes", "") or getattr(r, "label", "")
        items.append((int(r.day), 2, f"Day {int(r.day)}: <b>{_e(names.get(actor, actor))}</b> acts alone: "
                                     f"{_e(str(what).replace('->', ' \u2192 '))}"))
    for ev in s.get("events") or []:
        items.append((int(ev.get("day", 0)), 0, f"Day {_e(ev.get('day'))}: scheduled event \u2013 "
                                                 f"{_e(ev.get('label') or ev.get('type'))}"))
    items = [t for _, _, t in sorted(items, key=lambda x: x[:2])]
    if not len(agreements):
        items.insert(0, "No agreement in the run.")
    items = [f"<li>{t}</li>" for t in items]
    n_ag, n_mv = len(agreements), len(moves)
    lede = (f"{plural(n_ag, 'agreement')}"
            + (f", {plural(n_mv, 'unilateral move')}" if has_moves else "")
            + f", {plural(len(s.get('events') or []), 'scheduled event')} in {s['horizon_days']} days.")
    issues = []
    for r in s["issues"]:
        delta = r["final_value"] - r["status_quo"]
        agreed = f"day {int(r['first_agreed_day'])}" if r.get("agreed") else "no"
        forecast = []
        if "forecast" in r:                     # results of the second round on
            rounds = r.get("forecast_rounds")
            how = _e(r.get("forecast_status", "")) + (f" <small>({int(rounds)} rounds)</small>"
                                                      if rounds is not None and rounds == rounds and rounds > 0 else "")
            forecast = [fmt(r["forecast"]), how, fmt(r.get("cm_mean"))]
        issues.append([_e(issue_label(r["issue"], spec)), _e(r.get("kind", "")), fmt(r["status_quo"]),
                       fmt(r["final_value"]), f"{delta:+.2f}" if abs(delta) >= 0.005 else "0.00", agreed, *forecast])
    window = ((spec.get("protocol") or {}).get("stalemate_window")) or 30
    if s["horizon_days"] < window:
        stale = f"too short to judge a stalemate (it needs {window} days)"
    elif o.get("stalemate") is None and "stalemate" in o:
        stale = "no stalemate to judge (the protocol makes no agreements)"
    else:
        stale = "stalemate at the end" if o.get("stalemate") else "no stalemate at the end"
    first = o.get("time_to_first_agreement")
    stocks = [k.split(":", 1)[1] for k in o if k.startswith("stock_cumulative:")]
    labels = {k: (v or {}).get("label") or k for k, v in
              ((spec.get("environment") or {}).get("stocks") or {}).items()}
    levels = "".join(f"{labels.get(k, k).capitalize()}: peak {fmt(o.get(f'stock_peak:{k}'))}, final "
                     f"{fmt(o.get(f'stock_final:{k}'))}, {fmt(o.get(f'stock_cumulative:{k}'), 1)} level-days in all. "
                     for k in stocks)
    if not stocks and "pressure_cumulative" in o:            # a result of the first-round model
        levels = (f"Pressure at the border: peak {fmt(o.get('pressure_peak'))}, final "
                  f"{fmt(o.get('pressure_final'))}, {fmt(o.get('pressure_cumulative'), 1)} pressure-days in all. ")
    pressure = (f"{levels}First agreement: "
                f"{'none' if first is None or first != first else f'on day {int(first)}'}; {stale}.")
    protocol = s.get("protocol") or (spec.get("protocol") or {}).get("name", "alternating_offers")
    extra = ([f"forecast ({_e(protocol.replace('_', ' '))})", "how the protocol ended", "compromise model"]
             if issues and len(issues[0]) > 6 else [])
    return (f"<p class='lede'><b>{_e(lede)}</b> {_e(pressure)} Protocol: <code>{_e(protocol)}</code>.</p>"
            f"<ul class='story'>{''.join(items)}</ul>"
            "<p>Each issue at the end, against the status quo; the protocol's forecast beside the compromise "
            "model's (the capability × salience weighted mean of the ideal points: the yardstick):</p>"
            + _table(["issue (0 and 1 mean)", "kind", "status quo", "final", "change", "agreed", *extra], issues,
                     num_from=2))


def run_parameters(s: dict) -> str:
    spec = s.get("scenario_spec", {})
    rows = []
    for a, d in (spec.get("actors") or {}).items():
        t = d.get("tactic") or {}
        ex = ", ".join(f"{k} {fmt(v)}" for k, v in (d.get("exposure") or {}).items()) or "\u2013"
        rows.append([_e(d.get("name", a)), fmt(d.get("capability")), fmt(t.get("e")), fmt(d.get("reservation")),
                     _e(ex)])
    actors = _table(["actor", "capability", "concession exponent e", "reservation gain", "exposure (cost per unit)"],
                    rows, num_from=1)
    other = []
    for sec in ("crisis", "environment", "blame", "unilateral", "agreements", "protocol"):
        for k, v in _flatten(spec.get(sec) or {}).items():
            if isinstance(v, (int, float)) and not isinstance(v, bool) and not k.startswith("stocks."):
                other.append([_e(param_label(f"{sec}.{k}", spec)) + f" <small><code>{sec}.{k}</code></small>", fmt(v)])
    return "<h2>Parameters</h2>" + actors + _table(["parameter", "value"], other, num_from=1)


def run_section(folder: Path, protocol: str | None = None) -> Section:
    """A run: the story of the run, then its parameters and its raw tables."""
    s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
    ag = pd.read_csv(folder / "agreements.csv")
    rec = pd.read_csv(folder / "record.csv") if (folder / "record.csv").exists() else None
    return Section(title=f"Run of {s['scenario']}: seed {s['seed']}, {s['horizon_days']} days from {s['start_date']}",
                   head="<h2>The story of the run</h2>" + run_story(s, ag, rec),
                   after=[run_parameters(s),
                          _links(folder, ["summary.json", "agreements.csv", "offers.csv", "timeseries.csv"])],
                   specs={s["scenario"]: s.get("scenario_spec", {})},
                   command=s.get("command") or ["run_sim.py", "run", s["scenario"], "--seed", str(s["seed"])])
