"""The crisis environment: migration pressure at the border and the sanctions level.

P(d+1) = clip(P(d) + inflow(d) - outflow(d), 0, 1)
inflow(d)  = inflow_rate * (1 - m) * (1 - routes_closed) * eps,  eps ~ LogNormal(-s^2/2, s)
outflow(d) = (exit_rate + return_rate * m) * P(d)
where m is the implemented value of the crisis's driver issue (``migrant_flow``):
0 = migrants channelled to the border, 1 = flows stopped and returns organised.
The daily cost to actor i is c_i = exposure_i.pressure * P + exposure_i.sanctions * S,
S the implemented value of the sanctions issue.
"""

from __future__ import annotations

import math

import numpy as np


class Crisis:
    def __init__(self, spec, rng: np.random.Generator):
        self.spec = spec
        self.rng = rng
        self.inflow_rate = spec.inflow_rate
        self.exit_rate = spec.exit_rate
        self.return_rate = spec.return_rate
        self.routes_closed = spec.routes_closed
        self.pressure = spec.pressure0
        self.inflow = 0.0
        self.outflow = 0.0
        self.cumulative = 0.0
        self.peak = spec.pressure0
        self.history = [spec.pressure0]   # pressure at the end of each day, day 0 first

    def set(self, field: str, value: float) -> None:
        setattr(self, field, float(value))

    def update(self, driver: float) -> float:
        """One day; returns the increase in pressure (0 if it fell)."""
        s = self.spec.noise
        eps = math.exp(s * float(self.rng.standard_normal()) - s * s / 2) if s > 0 else 1.0
        self.inflow = self.inflow_rate * (1.0 - driver) * (1.0 - self.routes_closed) * eps
        self.outflow = (self.exit_rate + self.return_rate * driver) * self.pressure
        old = self.pressure
        self.pressure = min(1.0, max(0.0, old + self.inflow - self.outflow))
        self.cumulative += self.pressure
        self.peak = max(self.peak, self.pressure)
        self.history.append(self.pressure)
        return max(0.0, self.pressure - old)
