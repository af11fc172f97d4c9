"""The expected-utility ("challenge") model of Bueno de Mesquita, as unravelled by
Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model", Journal of Theoretical Politics 23(4): 510-531.

One Mesa step is one round. Issues are treated one at a time (the model is
one-dimensional); on each issue every actor has a capability c_i, a position x_i
and a salience s_i. Each round, on each issue (docs/ODD.md, "Expected-utility
protocol", has every equation and the readings we chose where ports disagree):

1. with every risk exponent r_i = 1: basic utilities, probabilities of success and
   expected utilities of challenging; from them each actor's risk exponent r_i;
2. the same again with those r_i;
3. every actor i with EU_i(j) > 0 challenges j, offering its own position x_i, where
   the channel i-j exists and carries the issue (our addition);
4. every actor takes the best offer it received (largest EU of the sender; ties: the
   closest position) and moves: confrontation it loses, compromise or capitulation;
   a stance's bounds clip the move (our addition: a denier never moves toward
   acknowledging);
5. the forecast is the capability-and-salience weighted median (and, for
   comparison, the weighted mean) of the positions.

Rounds stop when the largest position change falls below ``tolerance``, when the
positions repeat those of an earlier round (a cycle, reported), or at ``max_rounds``.
The model is deterministic: a seed changes nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

import mesa
import numpy as np
import pandas as pd

from sim.model import NegotiationModel
from sim.scenario import Scenario


def weighted_median(x: np.ndarray, w: np.ndarray) -> float:
    """The position at which the cumulative weight (positions sorted) first reaches
    half of the total: BDM's median voter position."""
    order = np.argsort(x, kind="stable")
    cum = np.cumsum(w[order])
    return float(x[order][np.searchsorted(cum, cum[-1] / 2.0)])


def weighted_mean(x: np.ndarray, w: np.ndarray) -> float:
    return float(sum(a * b for a, b in zip(w, x)) / sum(w))


class Player(mesa.Agent):
    """An actor in the expected-utility model: capability, and per issue a position
    and a salience (the scenario's, the salience clipped to [0, 1])."""

    def __init__(self, model, key, capability, positions, saliences):
        super().__init__(model)
        self.key = key
        self.c = capability
        self.x = np.array(positions, dtype=float)
        self.s = np.clip(np.array(saliences, dtype=float), 0.0, 1.0)


@dataclass
class IssueGame:
    """The players' state on one issue during a round."""

    x: np.ndarray      # positions
    c: np.ndarray      # capabilities
    s: np.ndarray      # saliences
    d: float           # range of the issue's initial positions


class ExpectedUtilityModel(mesa.Model):
    """BDM's expected-utility model on a scenario's actors, issues, channels and stances."""

    def __init__(self, scenario: Scenario, rng=None, max_rounds: int | None = None,
                 tolerance: float | None = None):
        super().__init__(rng=rng)
        spec = scenario.protocol
        self.spec_ = scenario
        self.q, self.t = spec.q, spec.t
        self.offer_choice = spec.offer_choice
        self.max_rounds = max_rounds or spec.max_rounds
        self.tolerance = spec.tolerance if tolerance is None else tolerance
        # channels and stance bounds come from the alternating-offers model's rules
        ao = scenario.model_copy(update={"protocol": spec.model_copy(update={"name": "alternating_offers"})})
        self.structure = NegotiationModel(ao, rng=0, collect=False, log_offers=False)
        self.issue_ids = list(scenario.issues)
        self.actor_ids = list(scenario.actors)
        self.players = [Player(self, a, sp.capability, [sp.position[j] for j in self.issue_ids],
                               [sp.salience[j] for j in self.issue_ids])
                        for a, sp in scenario.actors.items()]
        X0 = np.array([p.x for p in self.players])
        self.d = np.maximum(X0.max(axis=0) - X0.min(axis=0), 1e-12)
        n = len(self.players)
        # may[i, j, k]: actor i may challenge actor j on issue k (a channel carrying k)
        self.may = np.zeros((n, n, len(self.issue_ids)), dtype=bool)
        for ch in self.structure.channels:
            a, b = self.actor_ids.index(ch.a), self.actor_ids.index(ch.b)
            for k in ch.issues:
                self.may[a, b, k] = self.may[b, a, k] = True
        # stance bounds at the status quo (a denier never moves above its ceiling)
        self.bounds = np.array([[self.structure.bounds(a, k) for k in range(len(self.issue_ids))]
                                for a in self.actor_ids])
        self.round = 0
        self.history: list[np.ndarray] = [X0.copy()]
        self.status = {j: "running" for j in self.issue_ids}
        self.ended = {j: None for j in self.issue_ids}      # round at which each issue stopped
        self.moves: list[dict] = []
        self.datacollector = mesa.DataCollector(model_reporters={"positions": lambda m: m.positions().copy()})
        self.datacollector.collect(self)

    def positions(self) -> np.ndarray:
        return np.array([p.x for p in self.players])

    def weights(self, k: int) -> np.ndarray:
        return np.array([p.c * p.s[k] for p in self.players])

    # ------------------------------------------------------------ one issue, one round
    def _utilities(self, g: IssueGame, mu: float, r: np.ndarray):
        """Basic utilities U[i, j] of actor i facing j, with i's risk exponent r_i."""
        dx = np.abs(g.x[:, None] - g.x[None, :]) / g.d
        dmu = np.abs(g.x - mu)[:, None] / g.d
        rr = r[:, None]
        us = 2 - 4 * (0.5 - 0.5 * dx) ** rr
        uf = 2 - 4 * (0.5 + 0.5 * dx) ** rr
        ub = 2 - 4 * np.clip(0.5 - 0.25 * (dmu + dx), 0, None) ** rr
        uw = 2 - 4 * (0.5 + 0.25 * (dmu + dx)) ** rr
        usq = 2 - 4 * 0.5 ** rr
        return us, uf, ub, uw, usq

    def _probabilities(self, g: IssueGame) -> np.ndarray:
        """P[i, j]: i's probability of prevailing against j, from everyone's
        capability-and-salience weighted votes v_k = c_k s_k (|x_k - x_j| - |x_k - x_i|):
        the votes for i over the sum of all votes' sizes (so P[i,j] + P[j,i] = 1)."""
        w = g.c * g.s
        v = w[:, None, None] * (np.abs(g.x[:, None, None] - g.x[None, None, :])
                                 - np.abs(g.x[:, None, None] - g.x[None, :, None]))   # v[k, i, j]
        pos = np.clip(v, 0, None).sum(axis=0)
        tot = np.abs(v).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = np.where(tot > 0, pos / tot, 0.5)
        return p

    def _expected(self, g: IssueGame, mu: float, r: np.ndarray) -> np.ndarray:
        """EU[i, j]: i's expected utility of challenging j (Scholz et al. 2011, eq. 2)."""
        us, uf, ub, uw, usq = self._utilities(g, mu, r)
        p = self._probabilities(g)
        sj = g.s[None, :]
        eu = sj * (p * us + (1 - p) * uf) + (1 - sj) * us - self.q * usq - (1 - self.q) * (
            self.t * ub + (1 - self.t) * uw)
        np.fill_diagonal(eu, 0.0)
        return eu

    def _risk(self, eu: np.ndarray) -> np.ndarray:
        """Risk exponents from security levels: S_i = sum_j EU[j, i] (what others
        expect from challenging i); R_i = (2 S_i - max S - min S)/(max S - min S);
        r_i = (1 - R_i/3)/(1 + R_i/3)."""
        sec = eu.sum(axis=0)
        spread = sec.max() - sec.min()
        if spread <= 0:
            return np.ones(len(sec))
        R = (2 * sec - sec.max() - sec.min()) / spread
        return (1 - R / 3) / (1 + R / 3)

    def _round(self, k: int) -> np.ndarray:
        g = IssueGame(self.positions()[:, k], np.array([p.c for p in self.players]),
                      np.array([p.s[k] for p in self.players]), float(self.d[k]))
        mu = weighted_median(g.x, g.c * g.s)
        n = len(g.x)
        eu1 = self._expected(g, mu, np.ones(n))
        r = self._risk(eu1)
        eu = self._expected(g, mu, r)
        new = g.x.copy()
        for j in range(n):                          # j receives offers
            senders = [i for i in range(n) if i != j and eu[i, j] > 0 and self.may[i, j, k]
                       and g.x[i] != g.x[j]]
            if not senders:
                continue
            if self.offer_choice == "largest_eu":
                best = max(eu[i, j] for i in senders)
                top = [i for i in senders if eu[i, j] == best]
                i = min(top, key=lambda a: (abs(g.x[a] - g.x[j]), a))
            else:   # "least_move": the credible offer that asks the smallest change
                i = min(senders, key=lambda a: (abs(g.x[a] - g.x[j]), -eu[a, j], a))
            uj, ui = eu[j, i], eu[i, j]     # j's EU of challenging i; i's EU of challenging j
            if uj > 0 and uj < ui:
                kind, target = "confrontation lost", g.x[i]
            elif uj < 0 and abs(uj) < ui:
                kind, target = "compromise", g.x[j] + (g.x[i] - g.x[j]) * abs(uj / ui)
            elif uj < 0 and abs(uj) >= ui:
                kind, target = "capitulation", g.x[i]
            else:
                continue                    # j would win a confrontation: it stays
            lo, hi = self.bounds[j, k]
            target = min(max(target, lo), hi)
            if target != g.x[j]:
                self.moves.append({"round": self.round, "issue": self.issue_ids[k],
                                   "actor": self.actor_ids[j], "toward": self.actor_ids[i],
                                   "kind": kind, "from": g.x[j], "to": target})
                new[j] = target
        return new

    def step(self) -> None:
        self.round += 1
        X = self.positions()
        newX = X.copy()
        for k, issue in enumerate(self.issue_ids):
            if self.status[issue] == "running":
                newX[:, k] = self._round(k)
        for p, row in zip(self.players, newX):
            p.x = row
        for k, issue in enumerate(self.issue_ids):
            if self.status[issue] != "running":
                continue
            change = np.max(np.abs(newX[:, k] - X[:, k]))
            if change < self.tolerance:
                self.status[issue] = "converged"
            elif any(np.max(np.abs(newX[:, k] - h[:, k])) < self.tolerance for h in self.history[:-1]):
                self.status[issue] = "cycle"
            if self.status[issue] != "running":
                self.ended[issue] = self.round
        self.history.append(newX.copy())
        self.datacollector.collect(self)

    def run(self) -> "ExpectedUtilityModel":
        while any(s == "running" for s in self.status.values()) and self.round < self.max_rounds:
            self.step()
        for issue, s in self.status.items():
            if s == "running":
                self.status[issue] = "round limit"
                self.ended[issue] = self.round
        return self


@dataclass
class EUResult:
    scenario: str
    rounds: pd.DataFrame        # round, issue, median, mean (on the issue's own scale)
    positions: pd.DataFrame     # round, issue, actor, position (own scale)
    forecast: pd.DataFrame      # per issue: median, mean, status, rounds (own scale and [0, 1])
    moves: pd.DataFrame


def to_scale(sc: Scenario, issue: str, v):
    lo, hi = sc.issues[issue].scale or (0.0, 1.0)
    return lo + (hi - lo) * np.asarray(v, dtype=float) if (lo, hi) != (0.0, 1.0) else np.asarray(v, dtype=float)


def run_expected_utility(scenario: Scenario, max_rounds: int | None = None) -> EUResult:
    """Run the expected-utility model on every issue of the scenario."""
    m = ExpectedUtilityModel(scenario, max_rounds=max_rounds).run()
    rows, pos = [], []
    for rnd, X in enumerate(m.history):
        for k, issue in enumerate(m.issue_ids):
            x_own = to_scale(scenario, issue, X[:, k])
            w = m.weights(k)
            rows.append({"round": rnd, "issue": issue, "median": weighted_median(x_own, w),
                         "mean": weighted_mean(x_own, w)})
            pos += [{"round": rnd, "issue": issue, "actor": a, "position": float(v)}
                    for a, v in zip(m.actor_ids, x_own)]
    rounds = pd.DataFrame(rows)
    last = rounds[rounds["round"] == rounds["round"].max()].set_index("issue")
    forecast = pd.DataFrame([{
        "issue": j, "median": last.loc[j, "median"], "mean": last.loc[j, "mean"],
        "median_01": weighted_median(m.history[-1][:, k], m.weights(k)),
        "mean_01": weighted_mean(m.history[-1][:, k], m.weights(k)),
        "status": m.status[j], "rounds": m.ended[j]} for k, j in enumerate(m.issue_ids)])
    moves = pd.DataFrame(m.moves, columns=["round", "issue", "actor", "toward", "kind", "from", "to"])
    return EUResult(scenario.name, rounds, pd.DataFrame(pos), forecast, moves)
