"""The daily series of a run, recorded into preallocated arrays (docs/ODD.md 7, Observation).

Mesa's ``DataCollector`` appends a Python list per reporter per agent per day and builds
its DataFrames from them; for 6 actors over 90 days that was about as costly as the run
itself (issue 14 measured it). This recorder writes each day into NumPy arrays sized for
the horizon (doubling if a model is stepped beyond it, as the app does) and
:func:`sim.results._series` builds the tidy table from whole columns at the end.

Recorded per day: the day; each stock's level, inflow and outflow; the implemented
issue values x; the protocol's forecast of each issue (:meth:`sim.protocols.base.Protocol.forecast`);
the blame matrix; each actor's stated position and its utility u_i(x); each actor's
mean belief about each other's reservation (docs/ODD.md 7.18) and about each other's
resolve (7.20). Read for the app only (:mod:`sim.viz.live`), in plain lists, not in
the tidy table: each party's trust in each gradual term, (mu, P) (7.19; empty without
``delivery`` blocks), and the credibility each target gave that day to each threat or
promise aimed at it, with whether it was credible (7.20). Recording only reads the
model: no random number, no cache, no state changes.
"""

from __future__ import annotations

import numpy as np

from sim.model.numeric import seq_sum


class DailySeries:
    def __init__(self, model, capacity: int):
        self.n = 0
        n_stocks, n_issues, n_actors = len(model.env.stocks), len(model.issue_ids), len(model.actor_ids)
        cap = max(1, capacity)
        self._arrays = {
            "day": np.zeros(cap, dtype=np.int64),
            "stocks": np.zeros((cap, n_stocks)),
            "inflows": np.zeros((cap, n_stocks)),
            "outflows": np.zeros((cap, n_stocks)),
            "values": np.zeros((cap, n_issues)),
            "forecast": np.zeros((cap, n_issues)),
            "blame": np.zeros((cap, n_actors, n_actors)),
            "position": np.zeros((cap, n_actors, n_issues)),
            "utility": np.zeros((cap, n_actors)),
            "belief": np.zeros((cap, n_actors, n_actors)),
            "resolve": np.zeros((cap, n_actors, n_actors)),
        }
        self.trust: list[dict] = []         # per day: (text, issue, observer) -> (mu, P)
        self.credibility: list[dict] = []   # per day: stance id -> (P_target(credible), credible)

    def collect(self, model) -> None:
        a = self._arrays
        t = self.n
        if t == len(a["day"]):
            for k, v in a.items():
                a[k] = np.concatenate([v, np.zeros_like(v)])
        a["day"][t] = model.day
        for n, st in enumerate(model.env.stocks.values()):
            a["stocks"][t, n] = st.level
            a["inflows"][t, n] = st.inflow
            a["outflows"][t, n] = st.outflow
        a["values"][t] = model.x
        fc = model.protocol.forecast()
        a["forecast"][t] = [fc[k] for k in range(len(model.issue_ids))]
        a["blame"][t] = model.blame
        a["belief"][t] = model.beliefs.means()
        res = model.resolve
        a["resolve"][t] = (res.p * res.grid).sum(axis=-1) if res.enabled else 1.0     # without beliefs: the truth
        self.trust.append(dict(model.compliance.trust))
        self.credibility.append(_credibility(model))
        pos, util = a["position"][t], a["utility"][t]
        for i, actor in enumerate(model.actors.values()):
            pos[i] = actor.position
            util[i] = actor.utility(model.x)
        self.n = t + 1

    def __getitem__(self, name: str) -> np.ndarray:
        """The recorded days of one variable (a view: first axis is the day)."""
        return self._arrays[name][: self.n]


def _credibility(model) -> dict:
    """Stance id -> (the target's P(credible), credible) of each threat or promise the
    model assessed that day (:func:`sim.model.threats.assess`, read from its cache, never
    filled here), computed as :meth:`sim.model.resolve.Resolve.credibility` does."""
    out = {}
    res = model.resolve
    for sid, st in model.conditionals():
        got = model._assessed.get(id(st))
        if got is None or got[1] is None or sid in model.executed:
            continue
        ok, _mv, net, pr = got
        if res.enabled:
            p = seq_sum(res.p[model.aidx[st.target], model.aidx[st.actor]] * (net + res.grid * pr >= 0.0))
        else:
            p = 1.0 if ok else 0.0
        out[sid] = (float(p), bool(ok))
    return out
