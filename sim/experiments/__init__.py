"""Experiments: jobs on any executor (:mod:`.jobs`; parameters drawn per replicate from
the scenario's priors), ablation, sensitivity, protocol comparison, calibration to data
(:mod:`.calibration`), scoring against a record (:mod:`.scoring`), the headline table
(:mod:`.table`) and their statistics."""

from sim.experiments.jobs import batch, sweep

__all__ = ["batch", "sweep"]
