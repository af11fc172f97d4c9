"""The actors: one Mesa agent per party, composed of swappable parts (BOA)."""

from __future__ import annotations

import mesa
import numpy as np

from sim.model.numeric import seq_sum
from sim.model.unilateral import act_alone
from sim.protocols.boa import ACCEPTANCE, BIDDERS, OPPONENT_MODELS, TimeDependentTactic


class Actor(mesa.Agent):
    """A party to the negotiation.

    State: ideal points ``ideal`` and normalised saliences ``w`` per issue (the
    linear-additive utility u(x) = sum_j w_j (1 - |x_j - ideal_j|)), a stated
    ``position`` per issue (its latest offer; its ideal until it makes one), a
    capability, a reservation margin, crisis exposures, and its parts: a concession
    ``tactic``, a ``bidder``, an ``acceptance`` rule and an ``opponent_model``.
    Its stances live on the model (they can change by event) and are read through
    :meth:`sim.model.NegotiationModel.stances_of`.
    """

    def __init__(self, model, key: str, spec, issue_ids: list[str]):
        super().__init__(model)
        self.key = key
        self.label = spec.name
        self.capability = spec.capability
        self.ideal = np.array([spec.position[j] for j in issue_ids], dtype=float)
        sal = np.array([spec.salience[j] for j in issue_ids], dtype=float)
        self.w = sal / sal.sum()
        self.position = self.ideal.copy()
        self.cumulative_cost = 0.0
        self.commitments_paid = 0.0      # audience costs paid for broken commitments (and abandoned threats)
        self.coercion_paid = 0.0         # costs of carrying out threats and promises
        self.exits_paid = 0.0            # costs of leaving agreements before term (docs/ODD.md 7.17)
        self.reservation = spec.reservation
        self.exposure = dict(spec.exposure)      # stock or cost issue -> daily cost per unit
        self.tactic = TimeDependentTactic(e=spec.tactic.e, k=spec.tactic.k)
        self.bidder = BIDDERS[spec.bidding]()
        self.acceptance = ACCEPTANCE[spec.acceptance]()
        self.opponent_model = OPPONENT_MODELS[spec.opponent_model]()

    def utility(self, x: np.ndarray) -> float:
        """u_i(x) = sum_j w_j (1 - |x_j - z_j|), summed in issue order in Python: the same
        bits on every CPU (BLAS's dot picks its kernel, and so its order of summation,
        by CPU; a Dask cluster of mixed machines would not reproduce a run)."""
        return seq_sum(self.w * (1.0 - np.abs(x - self.ideal)))

    def reservation_value(self) -> float:
        """The least value a deal must give the actor: its margin r_i (constant).

        The crisis enters the deal's value instead: no deal is worth -c_i(d) (today's
        crisis cost), a deal p is worth g(p) - c_i(after p), so the actor accepts iff
        g(p) + [c_i(d) - c_i(after p)] >= r_i; the bracket is the relief term of
        :func:`sim.protocols.boa.gain`. Rising crisis costs make deals that relieve the
        crisis worth more, which is how they break a deadlock.
        """
        return self.reservation

    def crisis_cost(self) -> float:
        """Today's crisis cost c_i (docs/ODD.md 7.9): exposure to each stock and cost issue."""
        return self.model.env.cost(self.exposure, self.model.x)

    def clock(self) -> float:
        """The actor's negotiation time t_i in [0, 1] for its concession tactic:
        t_i = min(1, d / T + urgency * cumulative crisis cost), T the deadline (not the horizon). Days and the crisis's
        accumulated cost both use up patience (a resource-dependent tactic, Faratin,
        Sierra & Jennings 1998, sec. 4.2.2)."""
        m = self.model
        return min(1.0, m.day / m.deadline + m.spec.environment.urgency * self.cumulative_cost)

    def act(self) -> None:
        """The actor's turn, once a day in random order (``model.agents.shuffle_do``):
        first the moves it makes alone (:mod:`sim.model.unilateral`), then its turn in
        the negotiation protocol."""
        act_alone(self.model, self)
        self.model.protocol.act(self)
