"""Arithmetic whose bits do not depend on the machine.

A run must give the same bits on every computer a batch is spread over (a Dask cluster
of mixed machines included). NumPy's ``dot`` and ``@`` call BLAS, which picks its kernel
-- and with it the order in which a sum is accumulated -- by CPU at run time; a sum in
a fixed order, in Python, does not. The vectors summed here have one entry per issue, so
the loop costs no more than the BLAS call.
"""

from __future__ import annotations

import numpy as np


def seq_sum(v) -> float:
    """The sum of ``v``'s entries, added left to right (``v``: a 1-D array or sequence).
    A float array is summed by ``np.add.accumulate`` (a running sum: each partial sum
    is the previous one plus the next entry, the loop's order, in C); ``0.0 +`` keeps
    the loop's +0.0 for an all-zero sum. tests/model/test_numeric.py checks the bits."""
    if type(v) is np.ndarray and v.dtype == np.float64 and v.ndim == 1 and v.size > 24:
        return 0.0 + float(np.add.accumulate(v)[-1])      # a belief's grid (the loop wins below ~25)
    s = 0.0
    for t in v.tolist() if hasattr(v, "tolist") else v:
        s += t
    return s
