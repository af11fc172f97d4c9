"""The interface every negotiation protocol offers the model (docs/ODD.md 3 and 8).

A protocol is a part of :class:`sim.model.NegotiationModel`, not a model of its own: the
model runs the day (events, expiries, the environment, unilateral moves, blame) and
calls its protocol at fixed points of it::

    begin_day()            after the environment moved, before anyone acts
    act(actor)             each actor's negotiation turn, in the day's random order
                           (after the actor's own unilateral moves)
    end_day()              after every actor acted, before blame is updated
    state_changed()        whenever the implemented values, stances or channels move

and, when the run is over, reads what it forecasts:

    forecast()             issue index -> the protocol's forecast of the issue's outcome
                           on [0, 1]
    issue_status(k)        (status, rounds) of issue k: how the protocol ended on it
    moves()                the positions it moved that are not offers (a forecast model's
                           rounds: who moved toward whom, how, from where to where)

Every protocol yields the same :class:`sim.results.RunResult` through the same code:
agreements (if it makes any), the record of acts, the offers it logged, the forecast
moves, each issue's implemented value *and* the protocol's forecast of it, and the daily
series. Outcomes mean the same thing under every protocol: ``final:ISSUE`` is the
implemented value at the end; ``forecast:ISSUE`` the protocol's forecast (for a protocol
that makes agreements, what it implemented: the two coincide).

``classifier`` says what kind of protocol it is (Axelrod's strategy classifier):
``makes_agreements`` (does it implement deals), ``time`` (what one day of the model is
to it), ``stochastic`` (does it draw from the model's random stream), ``forecast`` (what
its forecast is) and ``source`` (the literature it follows).
"""

from __future__ import annotations

from typing import ClassVar


class Protocol:
    """Base class: a protocol that does nothing, whose forecast is the implemented values."""

    name: ClassVar[str] = ""
    classifier: ClassVar[dict] = {}

    def __init__(self, model, spec):
        self.model = model
        self.spec = spec

    # ------------------------------------------------------------ the day
    def begin_day(self) -> None:
        """Called once a day before any actor acts."""

    def act(self, actor) -> None:
        """The actor's negotiation turn."""

    def idle(self) -> bool:
        """Whether no actor's turn can do anything today. With unilateral moves off, the
        model then skips the turns (drawing their order all the same, so the random
        stream is unchanged): a history's days, where every channel is closed. False
        here: a protocol that may act without a channel keeps its turns."""
        return False

    def end_day(self) -> None:
        """Called once a day after every actor acted."""

    def state_changed(self) -> None:
        """The implemented values, stances or channels moved."""

    # ------------------------------------------------------------ the answer
    def forecast(self) -> dict[int, float]:
        """Issue index -> forecast of its outcome on [0, 1] (default: the implemented value)."""
        return {k: float(v) for k, v in enumerate(self.model.x)}

    def issue_status(self, k: int) -> tuple[str, int | None]:
        """How the protocol ended on issue k: (status, rounds it took, or None). By
        default what moved it: ``agreed`` (some agreement), ``moved alone`` (unilateral
        moves or scheduled events only) or ``unchanged`` (nothing moved it)."""
        m = self.model
        issue = m.issue_ids[k]
        if any(issue in a.values for a in m.agreements):
            return "agreed", None
        if any(issue in act.changes for act in m.registry.record):
            return "moved alone", None
        return "unchanged", None

    def moves(self) -> list[dict]:
        """Forecast moves (rows of :data:`MOVE_COLUMNS`); none by default."""
        return []


MOVE_COLUMNS = ("day", "issue", "actor", "toward", "kind", "from", "to", "eu_sender", "eu_receiver")
