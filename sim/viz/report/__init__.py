"""Self-contained HTML reports of a results folder (figures embedded, no network).

Each report opens with its answer (the *headline*), then the figures, then the
scenario, with raw per-point tables linked as CSV files or folded away:

* a run: the story of the run (agreements, unilateral moves, events, the final state
  against the status quo), then its parameters and events;
* a batch: scenarios as columns, each headline outcome's estimate, 95% interval and
  paired difference (common random numbers) from the baseline or the first scenario;
* a sweep: the outcomes against the varied parameters;
* an ablation: the effects table with the article's quotes;
* a sensitivity analysis: the table of indices with their intervals;
* ``compare-protocols``: each protocol's forecast of each issue, against the
  compromise model's;
* a calibration: how far the data narrowed each prior, the posterior-predictive check.

A run is a run whatever its protocol: its story, then each issue's implemented value
beside the protocol's forecast and the compromise model's (and, for a protocol that
moves positions in rounds, the trajectories of the positions).

A folder is recognised by what it holds (:func:`kind_of`, :mod:`.reading`); its kind
picks one section builder from :data:`SECTIONS` (:mod:`.write`): :mod:`.run`,
:mod:`.compare`, :mod:`.experiments` (batch, sweep, ablation, sensitivity; their
headline tables in :mod:`.headlines`), :mod:`.calibration`; every page is the one
template of :mod:`.page`, with the scenario section of :mod:`.scenario`.
:func:`draw_figures` (:mod:`.figures`) returns the figures from the saved files alone,
so ``run_sim.py plot DIR`` redraws them without re-running. Underscored names are
shared inside this package only.
"""

from __future__ import annotations

from sim.errors import ReportError
from sim.viz.report.calibration import calibration_figure, save_calibration_figure, write_calibration_report
from sim.viz.report.figures import draw_figures, save_figures
from sim.viz.report.headlines import ablation_headline, batch_headline, sensitivity_headline, sweep_headline
from sim.viz.report.page import CSS, Page, Section
from sim.viz.report.reading import KINDS, check_protocol, folder_protocols, kind_of
from sim.viz.report.run import run_parameters, run_story
from sim.viz.report.write import SECTIONS, write_report

__all__ = ["CSS", "KINDS", "Page", "ReportError", "SECTIONS", "Section", "ablation_headline", "batch_headline",
           "calibration_figure", "check_protocol", "draw_figures", "folder_protocols", "kind_of", "run_parameters",
           "run_story", "save_calibration_figure", "save_figures", "sensitivity_headline", "sweep_headline",
           "write_calibration_report", "write_report"]
