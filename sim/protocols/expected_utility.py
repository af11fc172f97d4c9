"""The expected-utility ("challenge") model of Bueno de Mesquita, as unravelled by
Scholz, Calbert & Smith (2011), "Unravelling Bueno De Mesquita's group decision
model", Journal of Theoretical Politics 23(4): 510-531.

A protocol of the day model (:mod:`sim.protocols.base`): one day is one round.
Issues are treated one at a time (the model is one-dimensional); on each issue every
actor has a capability c_i, a position x_i and a salience s_i. Each round, on each
issue (docs/ODD.md section 8 has every equation and every switch):

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
positions repeat those of an earlier round (a cycle, reported), at ``max_rounds``, or
when the run's days end. The protocol draws nothing: its rounds depend on the seed
only through what the rest of the day does (events, unilateral moves that shift
stance bounds, blame that closes channels). The defaults reproduce the public port of
Scholz et al.'s reading round by round on the EC emissions case
(tests/protocols/test_eu_validation.py states what is reproduced and to what tolerance). The
protocol implements nothing: it forecasts.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from pydantic import Field

from sim.analysis.compromise import no_weight_error, weighted_median
from sim.protocols.base import Protocol
from sim.scenario.schema import Int, ProtocolOptions, Unit

HELP = "Bueno de Mesquita's challenge model, one round a day; Scholz et al. 2011"
COLOR = "#D55E00"


class Options(ProtocolOptions):
    """The expected-utility model's fields of ``protocol:`` (docs/ODD.md 8; defaults =
    Scholz, Calbert & Smith 2011)."""

    # Q, the probability an actor assigns to the other not moving absent a challenge;
    # T, to its moving in the actor's favour
    q: Unit = 1.0
    t: Unit = 1.0
    max_rounds: Int = Field(100, ge=1, le=10000)
    tolerance: float = Field(1e-6, gt=0.0, le=0.1)
    # which received challenge an actor answers: by type, confrontation before compromise
    # before capitulation (Scholz et al.'s code), the one asking the least move (the
    # paper's text, BDM 1994), or the sender's largest expected utility
    offer_choice: Literal["scholz", "least_move", "largest_eu"] = "scholz"
    # win probability: risk-adjusted votes for i over the votes of all triples (Scholz),
    # or over the votes on this pair only (P(i, j) + P(j, i) = 1)
    probability: Literal["all_triples", "per_pair"] = "all_triples"
    # whose risk exponent the sender's expected utility uses: the receiver's, who judges
    # the offer (Scholz), or the sender's own
    risk_perspective: Literal["receiver", "own"] = "receiver"
    # risk exponents: from security levels compared across actors (Scholz), across the
    # positions the actor could hold (BDM 1985), or none (every r = 1)
    risk_formula: Literal["scholz", "own_positions", "neutral"] = "scholz"




@dataclass
class IssueGame:
    """The players' state on one issue during a round."""

    x: np.ndarray      # positions
    c: np.ndarray      # capabilities
    s: np.ndarray      # saliences
    d: float           # range of the issue's initial positions


class ExpectedUtility(Protocol):
    """BDM's expected-utility model as a protocol of the day model: one round a day.

    ``begin_day`` computes the round's offers on every issue still running (from the
    positions at the start of the day); on its turn each actor answers the offers it
    received (``act``); ``end_day`` applies every move at once and stops the issues that
    converged, cycled or reached ``max_rounds``. Positions are the actors' stated
    ``position``; the forecast is the weighted median of the positions."""

    name = "expected_utility"
    classifier = {"makes_agreements": False, "time": "one round a day", "stochastic": False,
                  "forecast": "the capability x salience weighted median of the positions",
                  "source": "Bueno de Mesquita (1994); Scholz, Calbert & Smith (2011)"}

    def __init__(self, model, spec):
        super().__init__(model, spec)
        self.q, self.t = spec.q, spec.t
        self.offer_choice = spec.offer_choice
        self.probability = spec.probability
        self.risk_perspective = spec.risk_perspective
        self.risk_formula = spec.risk_formula
        self.max_rounds = spec.max_rounds
        self.tolerance = spec.tolerance
        sc = model.spec
        self.issue_ids, self.actor_ids = model.issue_ids, model.actor_ids
        self.c = np.array([sc.actors[a].capability for a in self.actor_ids], dtype=float)
        # saliences as the scenario gives them, clipped to [0, 1] (not normalised)
        self.s = np.clip(np.array([[sc.actors[a].salience[j] for j in self.issue_ids] for a in self.actor_ids],
                                  dtype=float), 0.0, 1.0)
        zero = [j for k, j in enumerate(self.issue_ids) if not (self.c * self.s[:, k]).sum() > 0]
        if zero:
            raise no_weight_error(sc, zero, "expected-utility")
        X0 = self.positions()
        self.d = np.maximum(X0.max(axis=0) - X0.min(axis=0), 1e-12)
        self.round = 0
        self.history: list[np.ndarray] = [X0.copy()]
        self.status = {j: "running" for j in self.issue_ids}
        self.ended: dict[str, int | None] = {j: None for j in self.issue_ids}
        self._moves: list[dict] = []
        self._offers: dict[int, tuple] = {}         # issue -> (game, sender EU, receiver EU, may)
        self._new: np.ndarray | None = None         # the round's new positions (applied at end_day)
        self._today: list[dict] = []

    def positions(self) -> np.ndarray:
        """Actors x issues: every actor's stated position."""
        return np.array([a.position for a in self.model.actors.values()])

    def weights(self, k: int) -> np.ndarray:
        return self.c * self.s[:, k]

    def _may(self) -> np.ndarray:
        """may[i, j, k]: actor i may challenge actor j on issue k (an open channel carrying k)."""
        m = self.model
        n = len(self.actor_ids)
        may = np.zeros((n, n, len(self.issue_ids)), dtype=bool)
        for ch in m.channels:
            a, b = m.aidx[ch.a], m.aidx[ch.b]
            for k in ch.issues:
                may[a, b, k] = may[b, a, k] = True
        return may

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

    # ------------------------------------------------------------ the day: one round
    def _running(self) -> bool:
        return self.round < self.max_rounds and any(v == "running" for v in self.status.values())

    def begin_day(self) -> None:
        """Open round ``self.round + 1``: per running issue, the risk exponents and the
        expected utilities of every challenge, from the positions at the start of the day."""
        self._offers.clear()
        self._new = None
        if not self._running():
            return
        self.round += 1
        X = self.positions()
        self._new = X.copy()
        self._r = np.ones_like(X)
        self._today = []
        may = self._may()
        for k, issue in enumerate(self.issue_ids):
            if self.status[issue] != "running":
                continue
            g = IssueGame(X[:, k].copy(), self.c, self.s[:, k].copy(), float(self.d[k]))
            r = self.risk(g)
            self._r[:, k] = r
            send, recv = self.offers(g, r)
            self._offers[k] = (g, send, recv, may[:, :, k])

    def act(self, actor) -> None:
        """Actor j answers, on each running issue, the offer it chooses among those it
        received (confrontation lost, compromise, capitulation), within its stance bounds."""
        if self._new is None:
            return
        m = self.model
        j = m.aidx[actor.key]
        n = len(self.actor_ids)
        for k, (g, send, recv, may) in self._offers.items():
            cands = []
            for i in range(n):
                ui, uj = send[i, j], recv[j, i]
                if i == j or ui <= 0 or not may[i, j] or g.x[i] == g.x[j]:
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
            lo, hi = m.bounds(actor.key, k)
            target = min(max(target, lo), hi)
            if target != g.x[j]:
                self._today.append({"day": m.day, "issue": self.issue_ids[k], "actor": actor.key,
                                    "toward": self.actor_ids[i], "kind": kind, "from": float(g.x[j]),
                                    "to": float(target), "eu_sender": float(ui), "eu_receiver": float(uj),
                                    "_order": (k, j)})
                self._new[j, k] = target

    def end_day(self) -> None:
        """Every move of the round at once; then stop the issues that converged (largest
        change below ``tolerance``), cycled (positions of an earlier round again) or
        reached ``max_rounds``."""
        if self._new is None:
            return
        X, newX = self.positions(), self._new
        for a, row in zip(self.model.actors.values(), newX):
            a.position = row.copy()
        for mv in sorted(self._today, key=lambda r: r.pop("_order")):
            self._moves.append(mv)
        for k, issue in enumerate(self.issue_ids):
            if self.status[issue] != "running":
                continue
            change = np.max(np.abs(newX[:, k] - X[:, k]))
            if change < self.tolerance:
                self.status[issue] = "converged"
            elif any(np.max(np.abs(newX[:, k] - h[:, k])) < self.tolerance for h in self.history[:-1]):
                self.status[issue] = "cycle"
            elif self.round >= self.max_rounds:
                self.status[issue] = "round limit"
            if self.status[issue] != "running":
                self.ended[issue] = self.round
        self.history.append(newX.copy())
        self._new = None

    # ------------------------------------------------------------ the answer
    def forecast(self) -> dict[int, float]:
        """The weighted median of the positions, issue by issue (BDM's prediction)."""
        X = self.positions()
        return {k: weighted_median(X[:, k], self.weights(k)) for k in range(len(self.issue_ids))}

    def issue_status(self, k: int) -> tuple[str, int | None]:
        """converged | cycle | round limit, with the round it stopped at; ``horizon`` if
        the run ended first (fewer days than ``max_rounds`` and still moving)."""
        issue = self.issue_ids[k]
        st = self.status[issue]
        return ("horizon", self.round) if st == "running" else (st, self.ended[issue])

    def moves(self) -> list[dict]:
        return list(self._moves)
