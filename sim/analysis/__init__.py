"""Measurements of a finished run, computed from what the run recorded; the model
(:mod:`sim.model`) imports none of it.

* :mod:`.bargaining`: each agreement's bargaining benchmark (Pareto gap, Nash solution),
  from the terms space the model stored at signing (:mod:`sim.model.deal_space`);
* :mod:`.compromise`: the compromise model, the yardstick every protocol's forecast is
  shown against (``cm_mean``, ``cm_median``); the compromise and expected-utility
  protocols read its weighted mean and median;
* :mod:`.rounds`: issue values on their own scale, and round by round.
"""
