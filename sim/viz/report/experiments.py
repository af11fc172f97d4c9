"""The sections of an experiment folder, one per kind: a batch, a sweep, an ablation, a
sensitivity analysis (their headline tables: :mod:`.headlines`)."""

from __future__ import annotations

import base64
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from sim.viz.labels import plural
from sim.viz.report.headlines import ablation_headline, batch_headline, sensitivity_headline, sweep_headline
from sim.viz.report.page import Section, _e, _links
from sim.viz.report.reading import _base_spec, _manifest, _ok_runs

RAW = ["summary.csv", "runs.parquet", "manifest.json"]


@dataclass
class _Job:
    """What every experiment section reads from the manifest."""

    manifest: dict
    specs: dict
    reps: int
    fail: str
    command: list
    mode_label: str


def _job(folder: Path) -> _Job:
    from sim.experiments.jobs import parameters_label

    m = _manifest(folder)
    failed = m.get("n_failed") or 0
    return _Job(m, m["job"]["scenarios"], m["job"]["reps"],
                f"; {plural(failed, 'run')} failed (runs.parquet: status, error)" if failed else "",
                m.get("command") or ["(Python API)"], parameters_label(m["job"].get("parameters", "fixed")))


def _section(job: _Job, title: str, head: str, after: list, specs: dict | None = None,
             ref_name: str | None = None) -> Section:
    return Section(title, head, after, job.specs if specs is None else specs, job.command, ref_name, job.mode_label)


def batch_section(folder: Path, protocol: str | None = None) -> Section:
    """Scenarios as columns: each headline outcome, its interval, and the paired
    difference from the reference scenario."""
    job = _job(folder)
    table, ref_name = batch_headline(_ok_runs(folder), job.specs, job.manifest["job"].get("days"))
    head = (f"<h2>Headline</h2><p>Over {plural(job.reps, 'run')} per scenario: shares of runs with the 95% "
            "Wilson interval of the share (it shrinks with more runs); numbers as the median with the "
            "5–95% range of the runs (the spread a reader should expect; it does not shrink). "
            f"\u0394: the mean difference from <code>{_e(ref_name)}</code> on the same random streams "
            "(paired; 95% interval of the mean, which shrinks with more runs; blue better, red worse for "
            f"the crisis){_e(job.fail)}.</p>" + table)
    title = (f"Batch: {len(job.specs)} scenario{'s' if len(job.specs) != 1 else ''}, "
             f"{plural(job.reps, 'replication')} each")
    return _section(job, title, head, [_links(folder, [*RAW, "series.parquet"])], ref_name=ref_name)


def sweep_section(folder: Path, protocol: str | None = None) -> Section:
    """The outcomes against the varied parameters: where each is lowest and highest."""
    job = _job(folder)
    m = job.manifest
    n_points = len(m["job"].get("points") or [])
    title = (f"Sweep of {next(iter(job.specs))}: {plural(n_points, 'design point')} "
             f"({m['job'].get('design', 'grid')}) \u00d7 {plural(job.reps, 'replication')}")
    ext, every = sweep_headline(_ok_runs(folder, params=True), _base_spec(m), m["job"].get("days"))
    head = ("<h2>Headline</h2><p>The outcomes against the varied parameters (figure below: one mean per "
            f"design point); the design points where each outcome is lowest and highest{_e(job.fail)}:</p>" + ext)
    return _section(job, title, head, [f"<details><summary>Every design point ({n_points})</summary>{every}</details>",
                                       _links(folder, RAW)])


def ablation_section(folder: Path, protocol: str | None = None) -> Section:
    """Each stance removed (or reversed): the change in each outcome, largest first."""
    job = _job(folder)
    eff = pd.read_csv(folder / "ablation.csv").fillna({"quote": ""})
    spec = _base_spec(job.manifest)
    base = spec.get("name", "")
    n_var = eff["variant"].nunique()
    title = f"Stance ablation of {base}: {plural(n_var, 'variant')} \u00d7 {plural(job.reps, 'replication')}"
    top, rest = ablation_headline(eff, spec)
    head = ("<h2>Headline</h2><p>Each stance of the scenario removed (channel stances also reversed), "
            f"run on the same random streams as the unchanged <code>{_e(base)}</code>; the mean change "
            "with its 95% interval, largest first (blue: better for the crisis, red: worse, grey: no "
            f"change){_e(job.fail)}.</p>" + top)
    after = [f"<details><summary>The other {n_var - 10} variants</summary>{rest}</details>"] if rest else []
    return _section(job, title, head, [*after, _links(folder, ["ablation.csv", *RAW])], specs={base: spec})


def sensitivity_section(folder: Path, protocol: str | None = None) -> Section:
    """The sensitivity indices with their intervals, how sure the ranking is, and the
    convergence figure."""
    from sim.experiments.sensitivity import warnings_of

    job = _job(folder)
    table = pd.read_csv(folder / "sensitivity.csv").fillna({"note": ""})
    spec = _base_spec(job.manifest)
    base = spec.get("name", "")
    method = "Sobol'" if "ST" in set(table["index"]) else "Morris"
    n_points = job.manifest["n_runs"] // max(1, job.reps)
    title = (f"Sensitivity of {base}: {method}, {table['parameter'].nunique()} parameters, "
             f"{n_points} sample points")
    head = "<h2>Headline</h2>" + sensitivity_headline(table, spec)
    warn = warnings_of(table)
    if warn:
        head += ("<p style='color:#a00'><b>How sure:</b> " + "<br>".join(_e(w) for w in warn)
                 + ". Parameters whose intervals overlap are not ordered by this sample "
                   "(sensitivity.csv: rank).</p>")
    if (folder / "convergence.png").exists():
        png = base64.b64encode((folder / "convergence.png").read_bytes()).decode()
        head += (f'<figure><img alt="convergence" src="data:image/png;base64,{png}">'
                 "<figcaption>The total indices against the base sample size N (prefixes of the "
                 "same sample).</figcaption></figure>")
    return _section(job, title, head, [_links(folder, ["sensitivity.csv", "convergence.csv", *RAW])],
                    specs={base: spec})
