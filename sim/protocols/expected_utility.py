"""The expected-utility ("challenge") model of Bueno de Mesquita, as unravelled by
Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model", Journal of Theoretical Politics 23(4): 510-531.

One Mesa step is one round. Issues are treated one at a time (the model is
one-dimensional); on each issue every actor has a capability c_i, a position x_i
and a salience s_i. Each round, on each issue (docs/ODD.md section 8 has every
equation and every switch):

1. with every risk exponent r_i = 1: votes, probabilities of success and expected
   utilities of challenging; from them each actor's risk exponent r_i
   (``protocol.risk_formula``);
2. the same again with those r_i (votes weighted by each voter's r, probabilities
   normalised over all triples or per pair: ``protocol.probability``; the sender's
   expected utility valued with the receiver's exponent or its own:
   ``protocol.risk_perspective``);
3. every actor i with EU_i(j) > 0 challenges j, offering its own position, where
   the channel i-j exists and carries the issue (our addition);
4. every actor classifies the offers it received (confrontation it loses,
   compromise, capitulation), answers one (``protocol.offer_choice``) and moves;
   a stance's bounds clip the move (our addition: a denier never moves toward
   acknowledging); all moves of a round apply together;
5. the forecast is the capability-and-salience weighted median (and, for
   comparison, the weighted mean) of the positions.

Rounds stop when the largest position change falls below ``tolerance``, when the
positions repeat those of an earlier round (a cycle, reported), or at ``max_rounds``.
The model is deterministic: a seed changes nothing. The defaults reproduce the public
port of Scholz et al.'s reading round by round on the EC emissions case
(tests/test_expected_utility.py states what is reproduced and to what tolerance).
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
        self.probability = spec.probability
        self.risk_perspective = spec.risk_perspective
        self.risk_formula = spec.risk_formula
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
        self.risk_history: list[np.ndarray] = []       # r per round (rows: rounds 1..), actors x issues
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
    def probabilities(self, g: IssueGame, r: np.ndarray) -> np.ndarray:
        """P[i, j]: i's probability of prevailing against j. Voter k's risk-adjusted
        vote for i over j is v_k(i, j) = c_k s_k ((|x_k - x_j|/d)^r_k - (|x_k - x_i|/d)^r_k);
        P[i, j] = sum_k max(v_k(i, j), 0) over the sum of |v| over all triples (k, a, b)
        (``all_triples``, Scholz) or over k only (``per_pair``: P[i, j] + P[j, i] = 1)."""
        w = g.c * g.s
        dist = (np.abs(g.x[:, None] - g.x[None, :]) / g.d) ** r[:, None]        # dist[k, a] = (|x_k - x_a|/d)^r_k
        v = w[:, None, None] * (dist[:, None, :] - dist[:, :, None])              # v[k, i, j]
        pos = np.clip(v, 0, None).sum(axis=0)
        if self.probability == "all_triples":
            tot = np.abs(v).sum()
            return pos / tot if tot > 0 else np.zeros_like(pos)
        tot = np.abs(v).sum(axis=0)
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(tot > 0, pos / tot, 0.5)

    def expected(self, g: IssueGame, mu: float, p: np.ndarray, rr: np.ndarray) -> np.ndarray:
        """EU[i, j]: the expected utility of i challenging j (Scholz et al. 2011, eq. 2),
        its basic utilities valued with the exponent rr[i, j]."""
        dx = np.abs(g.x[:, None] - g.x[None, :]) / g.d
        dmu = np.abs(g.x - mu)[:, None] / g.d
        us = 2 - 4 * (0.5 - 0.5 * dx) ** rr
        uf = 2 - 4 * (0.5 + 0.5 * dx) ** rr
        ub = 2 - 4 * np.clip(0.5 - 0.25 * (dmu + dx), 0, None) ** rr
        uw = 2 - 4 * (0.5 + 0.25 * (dmu + dx)) ** rr
        usq = 2 - 4 * 0.5 ** rr
        sj = g.s[None, :]
        eu = sj * (p * us + (1 - p) * uf) + (1 - sj) * us - self.q * usq - (1 - self.q) * (
            self.t * ub + (1 - self.t) * uw)
        np.fill_diagonal(eu, 0.0)
        return eu

    def _security(self, g: IssueGame) -> np.ndarray:
        """S_j = sum_i EU[i, j] with every r = 1: what the others expect from challenging j."""
        n = len(g.x)
        one = np.ones(n)
        mu = weighted_median(g.x, g.c * g.s)
        return self.expected(g, mu, self.probabilities(g, one), np.ones((n, n))).sum(axis=0)

    def risk(self, g: IssueGame) -> np.ndarray:
        """Risk exponents r_i = (1 - R_i/3)/(1 + R_i/3) in [0.5, 2], with
        R_i = (2 S_i - max S - min S)/(max S - min S) and S the security levels
        (``scholz``: compared across all actors at their positions; ``own_positions``:
        actor i's own security level at each position held by some actor, BDM 1985);
        ``neutral``: every r_i = 1."""
        n = len(g.x)
        if self.risk_formula == "neutral":
            return np.ones(n)
        if self.risk_formula == "scholz":
            sec = self._security(g)
            lo, hi, own = sec.min(), sec.max(), sec
        else:
            own, lo, hi = np.empty(n), np.empty(n), np.empty(n)
            for i in range(n):
                levels = []
                for y in np.unique(g.x):
                    x = g.x.copy()
                    x[i] = y
                    levels.append(self._security(IssueGame(x, g.c, g.s, g.d))[i])
                own[i], lo[i], hi[i] = self._security(g)[i], min(levels), max(levels)
        spread = hi - lo
        with np.errstate(invalid="ignore", divide="ignore"):
            R = np.where(spread > 0, (2 * own - hi - lo) / np.where(spread > 0, spread, 1.0), 0.0)
        return (1 - R / 3) / (1 + R / 3)

    def offers(self, g: IssueGame, r: np.ndarray):
        """(sender_eu, receiver_eu): sender_eu[i, j], i's expected utility of challenging
        j as the receiver j judges it (``receiver``) or as i does (``own``);
        receiver_eu[j, i], j's expected utility of challenging i, with j's exponent."""
        mu = weighted_median(g.x, g.c * g.s)
        p = self.probabilities(g, r)
        n = len(g.x)
        by_challenger = self.expected(g, mu, p, np.broadcast_to(r[:, None], (n, n)))
        if self.risk_perspective == "own":
            return by_challenger, by_challenger
        return self.expected(g, mu, p, np.broadcast_to(r[None, :], (n, n))), by_challenger

    def _choose(self, x: np.ndarray, j: int, cands: list[tuple]) -> tuple:
        """The offer j answers among (i, kind, target, u_i, u_j) tuples (positions x)."""
        x_j = x[j]
        if self.offer_choice == "largest_eu":
            return min(cands, key=lambda o: (-o[3], abs(o[2] - x_j), o[0]))
        if self.offer_choice == "least_move":
            return min(cands, key=lambda o: (abs(o[2] - x_j), -o[3], o[0]))
        for kind in ("confrontation lost", "compromise", "capitulation"):      # "scholz"
            of = [o for o in cands if o[1] == kind]
            if of and kind == "compromise":
                # Scholz et al.'s code: the lowest EU-weighted mean of the two positions
                return min(of, key=lambda o: ((abs(o[4]) * x_j + abs(o[3]) * x[o[0]])
                                              / (abs(o[4]) + abs(o[3])), o[0]))
            if of:
                return min(of, key=lambda o: (abs(o[2] - x_j), o[0]))
        raise AssertionError("no offer")

    def _round(self, k: int) -> np.ndarray:
        g = IssueGame(self.positions()[:, k], np.array([p.c for p in self.players]),
                      np.array([p.s[k] for p in self.players]), float(self.d[k]))
        r = self.risk(g)
        self._r[:, k] = r
        send, recv = self.offers(g, r)
        n = len(g.x)
        new = g.x.copy()
        for j in range(n):                          # j receives offers
            cands = []
            for i in range(n):
                ui, uj = send[i, j], recv[j, i]
                if i == j or ui <= 0 or not self.may[i, j, k] or g.x[i] == g.x[j]:
                    continue
                if 0 < uj < ui:
                    cands.append((i, "confrontation lost", g.x[i], ui, uj))
                elif uj < 0 and abs(uj) < ui:
                    cands.append((i, "compromise", g.x[j] + (g.x[i] - g.x[j]) * abs(uj / ui), ui, uj))
                elif uj < 0:
                    cands.append((i, "capitulation", g.x[i], ui, uj))
                # otherwise j would win a confrontation: no offer it must answer
            if not cands:
                continue
            i, kind, target, ui, uj = self._choose(g.x, j, cands)
            lo, hi = self.bounds[j, k]
            target = min(max(target, lo), hi)
            if target != g.x[j]:
                self.moves.append({"round": self.round, "issue": self.issue_ids[k],
                                   "actor": self.actor_ids[j], "toward": self.actor_ids[i],
                                   "kind": kind, "from": g.x[j], "to": target,
                                   "eu_sender": float(ui), "eu_receiver": float(uj)})
                new[j] = target
        return new

    def step(self) -> None:
        self.round += 1
        X = self.positions()
        newX = X.copy()
        self._r = np.ones_like(X)
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
        self.risk_history.append(self._r)
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
    moves = pd.DataFrame(m.moves, columns=["round", "issue", "actor", "toward", "kind", "from", "to",
                                            "eu_sender", "eu_receiver"])
    return EUResult(scenario.name, rounds, pd.DataFrame(pos), forecast, moves)
