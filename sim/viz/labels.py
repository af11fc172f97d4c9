"""Human labels for reports and figures: actor names, issue names with what 0 and 1
mean, readable parameter and outcome names, one number format.

Everything is read from a scenario mapping (``scenario_spec`` of a run, the
``job.scenarios`` of a manifest), so nothing here names a country.
"""

from __future__ import annotations

import math

# the leaf of a dotted scenario path -> what it means (fallback: the path itself)
FIELD_LABELS = {
    "tactic.e": "concession exponent e (<1 holds out, >1 concedes)",
    "tactic.k": "initial concession k",
    "exposure.pressure": "cost of border pressure",
    "exposure.sanctions": "cost of sanctions",
    "capability": "capability",
    "reservation": "reservation gain",
    "crisis.pressure0": "pressure on day 0",
    "crisis.inflow_rate": "arrival rate at the border",
    "crisis.exit_rate": "exit rate from the border zone",
    "crisis.return_rate": "return rate",
    "crisis.routes_closed": "share of routes closed",
    "crisis.noise": "day-to-day noise of arrivals",
    "crisis.urgency": "urgency (deadline used per unit of crisis cost)",
    "crisis.resolved_below": "pressure counted as resolved",
    "blame.audience_cost": "audience cost of blame",
    "blame.escalation_gain": "blame drawn per unit of harm",
    "blame.agreement_relief": "blame relieved by an agreement",
    "blame.decay": "daily decay of blame",
    "protocol.cooldown_days": "rest days after a deal",
    "protocol.deadline_days": "actors' deadline (days)",
    "environment.urgency": "urgency (deadline used per unit of crisis cost)",
    "environment.anticipation_days": "days of anticipation",
    "blame.harm_aversion": "aversion to harm that draws blame",
    "unilateral.cost": "cost of acting alone",
    "unilateral_cost": "cost of acting alone",
    "protocol.min_change": "smallest change counted as a deal",
    "commitments.price": "price of backing down from a stated stance",
    "commitments.blame_gain": "rise of that price with blame",
    "commitments.review_days": "days between reviews of commitments",
}

# outcome labels, units and definitions: sim/outcomes.py (one registry for every output)


def actor_names(spec: dict) -> dict[str, str]:
    return {a: (v or {}).get("name") or a for a, v in (spec.get("actors") or {}).items()}


def issue_label(issue: str, spec: dict, long: bool = True) -> str:
    """``migrant_flow (0 = ..., 1 = ...)`` from the scenario's ``low``/``high``."""
    d = (spec.get("issues") or {}).get(issue) or {}
    name = issue.replace("_", " ")
    if long and d.get("low") and d.get("high"):
        return f"{name} (0 = {d['low']}; 1 = {d['high']})"
    return name


def pair_label(pair: str, spec: dict) -> str:
    """``pair:poland-belarus`` or ``poland-belarus`` -> ``Poland–Belarus``."""
    names = actor_names(spec)
    key = pair.split(":", 1)[-1]
    for a in sorted(names, key=len, reverse=True):          # ids may hold a dash
        if key.startswith(a + "-") and key[len(a) + 1:] in names:
            return f"{names[a]}\u2013{names[key[len(a) + 1:]]}"
    return key


def param_label(path: str, spec: dict | None = None) -> str:
    """``actors.belarus.tactic.e`` -> ``Belarus: concession exponent e (...)``."""
    path = path.removeprefix("param:")
    spec = spec or {}
    parts = path.split(".")
    if parts[0] == "actors" and len(parts) > 2:
        who = actor_names(spec).get(parts[1], parts[1])
        rest = ".".join(parts[2:])
        return f"{who}: {FIELD_LABELS.get(rest, rest)}"
    if parts[:2] == ["environment", "stocks"] and len(parts) > 3:
        stock = ((spec.get("environment") or {}).get("stocks") or {}).get(parts[2]) or {}
        if len(parts) >= 6 and parts[3] in ("inflows", "outflows") and parts[4].isdigit():
            flow = (stock.get(parts[3]) or [{}] * (int(parts[4]) + 1))[int(parts[4])] or {}
            what = flow.get("label") or f"{parts[3][:-1]} {int(parts[4]) + 1}"
            return f"{parts[2]}: {what} ({parts[5]})"
        return f"{parts[2]}: {'.'.join(parts[3:])}"
    if parts[0] == "issues" and len(parts) > 2:
        return f"{parts[1].replace('_', ' ')}: {'.'.join(parts[2:]).replace('_', ' ')}"
    return FIELD_LABELS.get(path, path)


def outcome_label(outcome: str, spec: dict | None = None) -> str:
    """The registry's label (:mod:`sim.outcomes`), pairs named from ``spec``."""
    from sim.outcomes import get

    return get(outcome, actor_names(spec or {})).label


def is_share(outcome: str) -> bool:
    from sim.outcomes import get

    return get(outcome).kind == "share"


def fmt(v, digits: int = 2) -> str:
    """One number format: fixed decimals, an en dash for missing, yes/no for booleans."""
    if v is None:
        return "\u2013"
    if isinstance(v, bool):
        return "yes" if v else "no"
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if math.isnan(f):
        return "\u2013"
    if f == int(f) and abs(f) < 1e6 and digits <= 2 and not isinstance(v, float):
        return str(int(f))
    return f"{f:.{digits}f}"


def num(v) -> str:
    """A number for a table: whole numbers with thousands separators (17,300, not
    1.73e+04), others to three significant figures without an exponent below 10^6."""
    try:
        f = float(v)
    except (TypeError, ValueError):
        return str(v)
    if f != f:
        return "\u2013"
    if abs(f) >= 1e15:
        return f"{f:.3g}"
    if f == int(f):
        return f"{int(f):,}"
    if abs(f) >= 1000:
        return f"{f:,.0f}"
    return f"{f:.3g}"


def plural(n: int, word: str, many: str | None = None) -> str:
    """``1 event``, ``2 events``, ``0 events``."""
    return f"{n} {word if n == 1 else (many or word + 's')}"
