"""What the model records of an agreement for its bargaining benchmark: the terms space at
signing. The benchmark itself (Pareto gap, Nash solution) is computed after the run from
these records by :mod:`sim.analysis.bargaining`, which the model never imports."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Space:
    """What an agreement's benchmark needs, captured when it is signed: each party's
    (ideal, saliences, relief) over the channel's issues, the values x before the deal,
    the box [lo, hi], and the agreed package."""

    prefs_a: tuple
    prefs_b: tuple
    x: tuple
    lo: tuple
    hi: tuple
    deal: tuple


@dataclass(frozen=True)
class MultiSpace:
    """The same for a deal of more than two signatories (a mediator's text): each
    signatory's (ideal, saliences, relief), in the agreement's ``parties`` order."""

    prefs: tuple
    x: tuple
    lo: tuple
    hi: tuple
    deal: tuple
