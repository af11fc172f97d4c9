"""Figures of a run and of an experiment. Every function takes a result (a
:class:`sim.results.RunResult` or an experiment's tables), an optional matplotlib
``ax``/``axes`` to draw into, and returns the Axes or Figure, so a notebook can place it
in its own layout and the CLI can save it.

The figures live by concern: :mod:`sim.viz.style` (palettes, colours, layout helpers),
:mod:`sim.viz.run_plots` (one run), :mod:`sim.viz.experiment_plots` (batches, sweeps,
ablations, sensitivity, protocol comparisons); this module gathers their names.
"""

from __future__ import annotations

from sim.viz.experiment_plots import (
                                      GOOD_DIRECTION,
                                      ablation_outcomes,
                                      good_direction,
                                      plot_ablation,
                                      plot_agreement_probability,
                                      plot_final_values,
                                      plot_first_agreement_ecdf,
                                      plot_pressure_band,
                                      plot_protocol_comparison,
                                      plot_sensitivity,
                                      plot_sweep,
)
from sim.viz.run_plots import plot_beliefs, plot_blame, plot_channels, plot_crisis, plot_eu_trajectories, plot_positions
from sim.viz.style import (
                                      BAD,
                                      EXTRA_COLORS,
                                      GOOD,
                                      LEVEL_STYLE,
                                      NEUTRAL,
                                      PALETTE,
                                      SCENARIO_PALETTE,
                                      _date_axis,
                                      _wrap,
                                      actor_colors,
                                      distinct_colors,
                                      protocol_color,
)

__all__ = ["BAD", "EXTRA_COLORS", "GOOD", "GOOD_DIRECTION", "LEVEL_STYLE", "NEUTRAL", "PALETTE", "protocol_color",
           "SCENARIO_PALETTE", "_date_axis", "_wrap", "ablation_outcomes", "actor_colors", "distinct_colors",
           "good_direction", "plot_ablation", "plot_agreement_probability", "plot_beliefs", "plot_blame",
           "plot_channels", "plot_crisis", "plot_eu_trajectories", "plot_final_values", "plot_first_agreement_ecdf",
           "plot_positions", "plot_pressure_band", "plot_protocol_comparison", "plot_sensitivity", "plot_sweep"]
