"""What the app reads of the model's beliefs, day by day (part of :mod:`sim.viz.live`,
which re-exports these): the reservation beliefs (docs/ODD.md 7.18), each party's trust
in the gradual terms of its agreements (7.19) and the credibility each target gives the
threats and promises aimed at it (7.20), as tidy tables from the daily series
(:mod:`sim.model.series`)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd


def label(model, actor: str) -> str:
    return model.spec.actors[actor].name


def _record(model) -> list:
    reg = getattr(model, "registry", None)
    return list(reg.record) if reg is not None else []


def belief_history(model, top: int = 4) -> pd.DataFrame:
    """Tidy daily history of the beliefs that moved most (docs/ODD.md 7.18): day, pair
    ("Poland about Belarus"), value (the belief's mean), truth (the target's true floor)."""
    cols = ["day", "pair", "value", "truth"]
    if model.series is None or not model.series.n:
        return pd.DataFrame(columns=cols)
    seen = model.beliefs.n_seen
    b = model.series["belief"]
    days = model.series["day"]
    moved = [(abs(float(b[-1, i, k] - b[0, i, k])), i, k) for i, k in zip(*np.nonzero(seen)) if i != k]
    moved.sort(key=lambda t: (-t[0], t[1], t[2]))
    ids = model.actor_ids
    frames = [pd.DataFrame({"day": days, "pair": f"{label(model, ids[i])} about {label(model, ids[k])}",
                            "value": b[:, i, k], "truth": max(model.actors[ids[k]].reservation_value(), 0.0)})
              for _, i, k in moved[:top]]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def has_gradual_terms(model) -> bool:
    """True if some issue of the scenario is carried out over time (a ``delivery:`` block, 7.19)."""
    return bool(model.compliance.spec)


def has_conditionals(model) -> bool:
    """True if some threat or promise is in force or has been weighed by its target (7.16, 7.20)."""
    rec = model.series
    return bool(model.conditionals()) or (rec is not None and any(getattr(rec, "credibility", ())))


def _text_parties(model, text: int) -> tuple[object, list[str]]:
    """The first document of agreement text ``text`` and the parties of all its documents."""
    docs = [a for n, a in enumerate(model.registry.all) if (a.link if a.link >= 0 else n) == text]
    return docs[0], list(dict.fromkeys(p for a in docs for p in a.parties))


def trust_history(model) -> pd.DataFrame:
    """Tidy daily history of each party's trust in each gradual term it does not carry
    out itself (docs/ODD.md 7.19): day, pair ("Russia about United Nations: russian
    exports, deal of day 41"), observer, term (issue), deal_day, value (the mean mu of
    the share it expects carried out in the end), sd (sqrt P), capacity (the most the
    controllers can carry out). From the first review until the text stops binding;
    empty without ``delivery:``."""
    cols = ["day", "pair", "observer", "term", "deal_day", "value", "sd", "capacity"]
    rec = model.series
    trust = getattr(rec, "trust", None)
    if rec is None or not trust or not model.compliance.spec:
        return pd.DataFrame(columns=cols)
    days = rec["day"]
    series: dict[tuple, list] = {}
    for d, snap in zip(days, trust):
        for key, (mu, var) in snap.items():
            series.setdefault(key, []).append((int(d), mu, math.sqrt(max(var, 0.0))))
    frames = []
    for (text, j, obs) in sorted(series, key=lambda k: (k[0], k[1], k[2])):
        doc, parties = _text_parties(model, text)
        k = model.idx[j]
        by = ", ".join(label(model, c) for c in model.compliance.controllers(k, parties))
        rows = series[(text, j, obs)]
        if doc.ended >= 0:      # the text stopped binding: no more reviews, the line ends that day
            rows = [r for r in rows if r[0] <= doc.ended] or rows[:1]
        d, mu, sd = zip(*rows)
        frames.append(pd.DataFrame({
            "day": d, "pair": f"{label(model, obs)} about {by}: {j.replace('_', ' ')}, deal of day {doc.day}",
            "observer": obs, "term": j, "deal_day": doc.day, "value": mu, "sd": sd,
            "capacity": model.compliance.spec[k].capacity}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)


def resolve_history(model) -> pd.DataFrame:
    """Tidy daily history of the credibility each target gave each threat or promise
    aimed at it (docs/ODD.md 7.20), on the days it weighed it: day, pair ("Belarus about
    European Union: threat eu threatens listings"), target, maker, stance, kind, value
    (P(credible) under the target's belief about the maker's resolve), truth (1 if the
    maker would carry it out, on its true resolve, else 0), resolve (the target's mean
    belief about the maker's resolve rho; the truth is 1), outcome and outcome_day (what
    the maker did when the stance came due: "carried out", "kept", "abandoned", "broken";
    "" and -1 while it stands)."""
    cols = ["day", "pair", "target", "maker", "stance", "kind", "value", "truth", "resolve", "outcome",
            "outcome_day"]
    rec = model.series
    cred = getattr(rec, "credibility", None)
    if rec is None or not cred:
        return pd.DataFrame(columns=cols)
    stances = {**model.spec.stances, **dict(model.conditionals())}     # a spent stance leaves the model
    days = rec["day"]
    rho = rec["resolve"]
    rows: dict[str, list] = {}
    for t, (d, snap) in enumerate(zip(days, cred)):
        for sid, (p, ok) in snap.items():
            rows.setdefault(sid, []).append((int(d), p, 1.0 if ok else 0.0, t))
    words = {"threat_carried_out": "carried out", "promise_kept": "kept", "threat_abandoned": "abandoned",
             "promise_broken": "broken"}
    done = {r.label: (words[r.type], r.day) for r in _record(model) if r.type in words}
    frames = []
    for sid in sorted(rows, key=lambda s: (rows[s][0][0], s)):
        st = stances[sid]
        outcome, outcome_day = done.get(sid, ("", -1))
        i, k = model.aidx[st.target], model.aidx[st.actor]
        d, p, truth, t = zip(*rows[sid])
        frames.append(pd.DataFrame({
            "day": d, "pair": f"{label(model, st.target)} about {label(model, st.actor)}: {st.kind} "
                              f"{sid.replace('_', ' ')}",
            "target": st.target, "maker": st.actor, "stance": sid, "kind": st.kind, "value": p, "truth": truth,
            "resolve": rho[list(t), i, k], "outcome": outcome, "outcome_day": outcome_day}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=cols)
