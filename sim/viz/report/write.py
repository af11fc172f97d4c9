"""``write_report``: the folder's kind (:func:`~sim.viz.report.reading.kind_of`) picks
its section builder from :data:`SECTIONS`, and the one page template renders it."""

from __future__ import annotations

from pathlib import Path
from typing import Callable

from sim.viz.report.calibration import calibration_section
from sim.viz.report.compare import compare_section
from sim.viz.report.experiments import ablation_section, batch_section, sensitivity_section, sweep_section
from sim.viz.report.figures import draw_figures
from sim.viz.report.page import Page, Section, figures_html
from sim.viz.report.reading import check_protocol, kind_of
from sim.viz.report.run import run_section
from sim.viz.report.scenario import _scenario_section

SECTIONS: dict[str, Callable[[Path, str | None], Section | Page]] = {
    "run": run_section,
    "compare": compare_section,
    "batch": batch_section,
    "sweep": sweep_section,
    "ablation": ablation_section,
    "sensitivity": sensitivity_section,
    "calibration": calibration_section,
}
"""Result kind -> its section builder ``(folder, protocol)``: a :class:`Section` shown
with the folder's figures and scenarios, or (a calibration) a whole :class:`Page`. A new
kind of result is a builder and a line here (and its files in ``kind_of``)."""


def standard_page(section: Section, figs: dict) -> Page:
    """The headline, the figures, what follows them, then the scenarios."""
    title = f"{section.title} \u2014 {section.mode_label}" if section.mode_label else section.title
    body = (f"<h2>Figures</h2>{figures_html(figs)}\n{''.join(section.after)}\n"
            f"{_scenario_section(section.specs, section.ref_name)}")
    return Page(title, section.head, body, section.command)


def write_report(folder, protocol: str | None = None) -> Path:
    """Write ``folder/report.html`` (a temporary name, then a rename) and return its path;
    ``protocol`` keeps a comparison to that protocol and the compromise yardstick (and
    checks that any other folder holds runs of it)."""
    from sim.results import atomic_write

    folder = Path(folder)
    kind = kind_of(folder)
    check_protocol(folder, protocol)
    section = SECTIONS[kind](folder, protocol)
    page = section if isinstance(section, Page) else standard_page(section, draw_figures(folder, protocol))
    return atomic_write(folder / "report.html", page.render())
