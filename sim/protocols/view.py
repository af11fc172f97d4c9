"""What a protocol sees of the model: the negotiator-mechanism interface (after NegMAS's
``NegotiatorMechanismInterface``).

A protocol (and the :class:`~sim.protocols.negotiator.Negotiator` that carries an
actor's strategy) is handed the :class:`sim.model.NegotiationModel` typed as
:class:`ModelView`, and uses only the members listed here; tests/protocols/test_protocol_view.py
reads every protocol module and fails on any other attribute of the model it touches.
The interface is a :class:`typing.Protocol` (structural): it costs nothing at run time,
and the model satisfies it as it is.

Groups: *time and state* (``day``, ``x``, ``state_version``, ``issue_ids``,
``actor_ids``, ``aidx``, ``political``, ``spec``); *actors and preferences*
(``actors``, ``relief``, ``relief_tuple``, ``blame``, ``params``, ``beliefs``);
*channels and what they allow* (``channels``, ``channels_of``, ``channel_level``,
``capped_level``, ``bounds``, ``box``, ``stances``, ``stances_of``, ``rules``);
*randomness* (``rng``: the run's one stream); *the record* (``implement``, ``no_offer``,
``pressed``, ``agreements``, ``registry``, ``offers``, ``log_offers``).
"""

from __future__ import annotations

from typing import Any, Protocol

import numpy as np

# the members of the model a protocol may use: the test's list
MEMBERS = frozenset({
    "day", "x", "state_version", "issue_ids", "actor_ids", "aidx", "political", "spec",
    "actors", "relief", "relief_tuple", "blame", "params", "beliefs",
    "channels", "channels_of", "channel_level", "capped_level", "bounds", "box", "stances", "stances_of", "rules",
    "rng",
    "implement", "no_offer", "pressed", "agreements", "registry", "offers", "log_offers",
})


class ModelView(Protocol):
    """The model as a protocol sees it (see the module's docstring)."""

    # time and state
    day: int                        # today (0 before the first step)
    x: np.ndarray                   # implemented values of the issues, model order
    state_version: int              # moves whenever x, the stances or the channels move
    issue_ids: list[str]
    actor_ids: list[str]
    aidx: dict[str, int]            # actor id -> row of ``blame``
    political: np.ndarray           # per issue: political (True) or technical
    spec: Any                       # the scenario (read only)

    # actors and their preferences
    actors: dict[str, Any]          # id -> sim.model.agents.Actor (utility, ideal, w, tactic, BOA parts)
    params: Any                     # the scenario's blame parameters (audience_cost ...)
    beliefs: Any                    # sim.model.beliefs.Beliefs: what each actor believes of the others

    @property
    def blame(self) -> np.ndarray: ...             # b[i, k]: i's public blame of k

    @property
    def agreements(self) -> list: ...              # agreements so far (sim.model.agreements.Agreement)

    def relief(self, actor) -> np.ndarray: ...     # anticipated crisis relief per unit move of each issue

    def relief_tuple(self, actor) -> tuple[float, ...]: ...

    # channels and what they allow
    channels: list                  # the open channels (sim.model.model.Channel)
    stances: dict
    rules: list                     # per issue: its decision rule (sim.model.control.IssueRule)

    def channels_of(self, actor: str) -> list: ...

    def channel_level(self, a: str, b: str) -> str: ...

    def capped_level(self, a: str, b: str, level: str) -> str: ...

    def bounds(self, actor: str, j: int) -> tuple[float, float]: ...   # what actor's stances allow on j

    def box(self, channel) -> tuple[tuple[float, ...], tuple[float, ...]]: ...   # [L, U] of a channel's issues

    def stances_of(self, actor: str): ...

    # randomness: the run's one stream (draw in a fixed order: bit-identical runs)
    rng: np.random.Generator

    # the record
    registry: Any                   # sim.model.agreements.Registry (holders, record)
    offers: list                    # offer rows, appended when ``log_offers``
    log_offers: bool

    def implement(self, channel, proposer: str, values, value_to=None, reservation=None,
                  mediator: str = "", space=None): ...

    def no_offer(self, actor: str, other: str, floor: float, true_floor: float, missed: bool) -> None: ...

    def pressed(self, sender: str, receiver: str, channel) -> None: ...
