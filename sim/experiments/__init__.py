"""Experiments: jobs on any executor (:mod:`.jobs`), ablation, sensitivity,
protocol comparison and their statistics."""

from sim.experiments.jobs import batch, sweep

__all__ = ["batch", "sweep"]
