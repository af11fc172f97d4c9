"""What a results folder is (:func:`kind_of`) and what it holds: its manifest, its
runs, its protocols, a calibration's state."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from sim.errors import ReportError

KINDS = ("run", "compare", "batch", "sweep", "ablation", "sensitivity", "calibration")


def kind_of(folder: Path) -> str:
    """One of :data:`KINDS`, from the files the folder holds."""
    folder = Path(folder)
    if (folder / "summary.json").exists():
        return "run"
    if (folder / "comparison.csv").exists() and (folder / "forecasts.csv").exists():
        return "compare"
    if (folder / "manifest.json").exists():
        try:
            status = json.loads((folder / "manifest.json").read_text(encoding="utf-8")).get("status")
        except (OSError, ValueError, AttributeError):
            raise ReportError(f"{folder}/manifest.json is unreadable") from None
        if status != "complete" or not (folder / "runs.parquet").exists():
            raise ReportError(f"{folder} holds an unfinished experiment (status {status}); finish it with --resume")
        if (folder / "ablation.csv").exists():
            return "ablation"
        if (folder / "sensitivity.csv").exists():
            return "sensitivity"
        if _manifest(folder)["job"].get("varies"):
            return "sweep"
        return "batch"
    if (folder / "state.json").exists() and (folder / "generations").is_dir():
        if not (folder / "predictive.csv").exists() or not (folder / "posterior.parquet").exists():
            raise ReportError(f"{folder} holds an unfinished calibration; finish it with the same calibrate "
                              "command and --resume")
        return "calibration"
    raise ReportError(f"{folder} holds no results (no summary.json, manifest.json or comparison.csv); give a "
                      "folder written by run, batch, sweep, ablate, sensitivity, compare-protocols, table or "
                      "calibrate")


def folder_protocols(folder: Path) -> list[str]:
    """The protocols whose runs a results folder holds (in the order they appear)."""
    folder = Path(folder)
    kind = kind_of(folder)
    if kind == "run":
        s = json.loads((folder / "summary.json").read_text(encoding="utf-8"))
        return [s.get("protocol") or (s.get("scenario_spec", {}).get("protocol") or {}).get("name",
                                                                                         "alternating_offers")]
    if kind == "compare":
        return list(dict.fromkeys(pd.read_csv(folder / "comparison.csv")["protocol"]))
    if kind == "calibration":
        return [(_calibration_state(folder).get("protocol")) or "alternating_offers"]
    specs = _manifest(folder)["job"]["scenarios"]
    return list(dict.fromkeys((d.get("protocol") or {}).get("name", "alternating_offers") for d in specs.values()))


def check_protocol(folder: Path, protocol: str | None) -> None:
    """``--protocol`` of ``report``/``plot``: the folder must hold runs of that protocol."""
    if protocol is None:
        return
    have = folder_protocols(folder)
    if protocol not in have:
        raise ReportError(f"{folder} holds runs of {', '.join(have)}, not of {protocol}")


def _manifest(folder: Path) -> dict:
    return json.loads((folder / "manifest.json").read_text(encoding="utf-8"))


#: the identifying columns of runs.parquet a report keeps beside the outcomes
IDS = ("run_id", "scenario", "protocol", "point", "replicate", "status")


def _ok_runs(folder: Path, params: bool = False) -> pd.DataFrame:
    """The runs of ``folder/runs.parquet`` that ended ``ok``, with only the columns a report
    shows: :data:`IDS`, the outcomes :mod:`sim.outcomes` names and, with ``params``, the
    drawn or varied parameters (``param:*``, a sweep's axes). The rest (per-actor detail,
    seeds, forecasts) stays on disk: 20,000 runs of the baseline (184 columns, 25 MiB in
    pandas) raised the peak by 60 MiB read whole; their 31 columns here (5 MiB) by 25 MiB."""
    import pyarrow.parquet as pq

    from sim.outcomes import is_outcome_column

    path = Path(folder) / "runs.parquet"
    keep = [c for c in pq.read_schema(path).names
            if c in IDS or is_outcome_column(c) or (params and c.startswith("param:"))]
    table = pq.read_table(path, columns=keep, filters=[("status", "==", "ok")])
    return table.to_pandas(self_destruct=True)


def _reference(names: list[str]) -> str:
    return "baseline" if "baseline" in names else names[0]


def _base_spec(manifest: dict) -> dict:
    specs = manifest["job"]["scenarios"]
    base = [n for n in specs if "~" not in n]
    return specs[base[0] if base else next(iter(specs))]


def _calibration_state(folder: Path) -> dict:
    try:
        return json.loads((Path(folder) / "state.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise ReportError(f"{folder}/state.json is unreadable") from None
