"""The section of a protocol comparison (``compare-protocols``): each protocol's forecast
of each issue against the compromise model's, and the differences between protocols."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from sim.viz.labels import fmt, issue_label, plural
from sim.viz.report.figures import _compared
from sim.viz.report.page import Section, _e, _links, _table
from sim.viz.report.reading import _base_spec, _manifest

INTRO = ("<h2>Issue by issue</h2><p>Each protocol's forecast of each issue: the median and 5–95% range "
         "over the replications (every protocol on the same parameter draws and random streams), on the "
         "issue's own scale; under it, the median distance from the compromise model's forecast of the "
         "same replication (the capability × salience weighted mean: the yardstick a heavier model "
         "has to beat). The ranges are the spread of the runs; the intervals below are of means.</p>")


def compare_section(folder: Path, protocol: str | None = None) -> Section:
    """Issues as rows, protocols as columns; ``protocol`` keeps that protocol and the
    compromise yardstick."""
    from sim.experiments.jobs import parameters_label

    m = _manifest(folder)
    base = _base_spec(m)
    name = base.get("name", folder.name).split("~")[0]
    t = _compared(folder, protocol)[0]
    protocols = list(dict.fromkeys(t["protocol"]))
    rows = []
    for issue, g in t.groupby("issue", sort=False):
        g = g.set_index("protocol")
        cells = [f"{g.loc[p, 'median']:.2f} <small>[{g.loc[p, 'p05']:.2f}, {g.loc[p, 'p95']:.2f}]</small>"
                 + ("" if p == "compromise" else
                    f"<span class='d'>|Δ compromise| {g.loc[p, 'vs_compromise']:.2f}</span>")
                 for p in protocols]
        rows.append([_e(issue_label(issue, base)), fmt(g["status_quo"].iloc[0]), *cells])
    head = (INTRO + _table(["issue", "status quo", *[_e(p.replace("_", " ")) for p in protocols]], rows, 1)
            + _overall(folder, t, protocols))
    return Section(title=(f"{plural(len(protocols), 'protocol')} on {name}: {plural(m['job']['reps'], 'replication')} "
                          "each, against the compromise model"),
                   head=head,
                   after=[_links(folder, ["comparison.csv", "forecasts.csv", "differences.csv", "runs.parquet",
                                          "manifest.json"])],
                   specs={name: {**base, "name": name}},
                   command=m.get("command") or ["(Python API)"],
                   mode_label=parameters_label(m["job"].get("parameters", "fixed")))


def _overall(folder: Path, t: pd.DataFrame, protocols: list[str]) -> str:
    """The differences between the protocols shown (differences.csv), else each one's
    mean distance from the compromise model."""
    diff_file = folder / "differences.csv"
    if not diff_file.exists():
        dist = t.groupby("protocol", sort=False)["vs_compromise"].mean()
        return ("<p>Mean over issues of the median distance: "
                + "; ".join(f"{_e(p)} {dist[p]:.3f}" for p in protocols if p != "compromise") + ".</p>")
    import re

    from sim.experiments.compare import differences_markdown

    diffs = pd.read_csv(diff_file)           # only the protocols shown (report --protocol)
    diffs = diffs[diffs["a"].isin(protocols) & (diffs["b"].isin(protocols) | (diffs["kind"] == "distance"))]
    md = differences_markdown(diffs)
    md = re.sub(r"\*\*(.*?)\*\*", r"<b>\1</b>", _e(md))
    return "".join(f"<p>{ln[2:] if ln.startswith('- ') else ln}</p>" for ln in md.split("\n") if ln)
