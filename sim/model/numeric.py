"""Arithmetic whose bits do not depend on the machine.

A run must give the same bits on every computer a batch is spread over (a Dask cluster
of mixed machines included). NumPy's ``dot`` and ``@`` call BLAS, which picks its kernel
-- and with it the order in which a sum is accumulated -- by CPU at run time; a sum in
a fixed order, in Python, does not. The vectors summed here have one entry per issue, so
the loop costs no more than the BLAS call.
"""

from __future__ import annotations


def seq_sum(v) -> float:
    """The sum of ``v``'s entries, added left to right (``v``: a 1-D array or sequence)."""
    s = 0.0
    for t in v.tolist() if hasattr(v, "tolist") else v:
        s += t
    return s
