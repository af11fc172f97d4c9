"""Stance ablation: what each sentence of the source does to the outcome.

For every stance of a scenario, a variant without it (and, for channel stances, one
with it reversed) runs with **common random numbers** against the unchanged scenario:
replicate r of every variant uses the same seed as replicate r of the base. The effect
of a stance on an outcome is the mean of the paired differences (variant - base) over
replicates, with a Student-t 95% interval; a stance that changes nothing gives
differences of exactly zero, so its interval is [0, 0].

Operations (docs/ODD.md, Stances):

* ``remove``: delete the stance from the scenario (every stance type's fallback is
  defined in :mod:`sim.model.stances`); ``remove_stance`` events naming it are dropped too.
* ``reverse`` (channel stances only): ``open_to_talks(with)`` becomes
  ``refuses_talks(with)`` and ``refuses_talks(with)`` becomes ``open_to_talks(with)``.
  The other types have no opposite stance of the same form (the opposite of denying a
  role, or of blaming, is not a rule of this model), so they are only removed.
"""

from __future__ import annotations

import copy
import math
from dataclasses import dataclass

import pandas as pd

from sim.experiments.jobs import ExperimentError, execute, headline, headline_labels, make_job, scenario_data
from sim.experiments.stats import mean_interval
from sim.scenario import Scenario, validate_mapping

SEP = "~"      # variant names: <scenario>~<operation>~<stance id>


@dataclass
class Variant:
    name: str
    stance: str
    operation: str
    scenario: Scenario


def variants(sc: Scenario, reverse: bool = True) -> list[Variant]:
    """The scenario without each stance (and with each channel stance reversed).

    Each variant is validated without the check of its priors' extremes: the job that
    runs it (:func:`make_job`) makes that check once per scenario, and making it here too
    was half of the parent's own time in an ablation of the baseline (0.6 s of 1.6 s)."""
    out = []
    base = scenario_data(sc)
    for sid, st in sc.stances.items():
        d = copy.deepcopy(base)
        d["stances"].pop(sid)
        d["events"] = [e for e in d.get("events", []) if not (e["type"] == "remove_stance" and e["id"] == sid)]
        d["name"] = f"{sc.name}{SEP}remove{SEP}{sid}"
        out.append(Variant(d["name"], sid, "remove", validate_mapping(d, d["name"], check_priors=False)))
        if reverse and st.type in ("open_to_talks", "refuses_talks"):
            d = copy.deepcopy(base)
            flipped = {"actor": st.actor, "with": st.with_, "quote": st.quote, "start": st.start, "end": st.end,
                       "note": f"reversed for ablation: {st.type}",
                       "type": "refuses_talks" if st.type == "open_to_talks" else "open_to_talks"}
            d["stances"][sid] = {k: v for k, v in flipped.items() if v is not None}
            d["name"] = f"{sc.name}{SEP}reverse{SEP}{sid}"
            out.append(Variant(d["name"], sid, "reverse", validate_mapping(d, d["name"], check_priors=False)))
    return out


def effects(runs: pd.DataFrame, sc: Scenario, vs: list[Variant], days: int | None = None) -> pd.DataFrame:
    """Paired (common-random-number) effects of each variant on each headline outcome."""
    h = headline(runs[runs["status"] == "ok"], days or sc.horizon_days)
    pairs = [c for c in h.columns if c.startswith("pair:")]
    base = h[h["scenario"] == sc.name].set_index("replicate")
    from sim.outcomes import get

    names = {a: (d.name or a) for a, d in sc.actors.items()}
    labels = {**headline_labels(runs.columns), **{p: get(p, names).label for p in pairs}}
    rows = []
    prices = day0_prices(sc)
    base_runs = runs[(runs["status"] == "ok") & (runs["scenario"] == sc.name)]
    for v in vs:
        var = h[h["scenario"] == v.name].set_index("replicate")
        common = base.index.intersection(var.index)
        st = sc.stances[v.stance]
        col = f"broken_day:{v.stance}"
        days = base_runs[col] if col in base_runs else pd.Series(dtype=float)
        carried = base_runs.get(f"carried_day:{v.stance}", pd.Series(dtype=float))
        abandoned = base_runs.get(f"abandoned_day:{v.stance}", pd.Series(dtype=float))
        commitment = {"price": prices.get(v.stance, math.nan),
                      "broken_share": float(days.notna().mean()) if len(days) else math.nan,
                      "broken_day_median": float(days.median()) if days.notna().any() else math.nan,
                      "carried_share": float(carried.notna().mean()) if len(carried) else math.nan,
                      "abandoned_share": float(abandoned.notna().mean()) if len(abandoned) else math.nan}
        for outcome, label in labels.items():
            diff = (var.loc[common, outcome] - base.loc[common, outcome]).to_numpy(dtype=float)
            m, lo, hi = mean_interval(diff)
            rows.append({"variant": v.name, "stance": v.stance, "operation": v.operation, "actor": st.actor,
                         "stance_rule": st.describe(), "quote": st.quote, "outcome": outcome,
                         "outcome_label": label, "n": len(common),
                         "base": float(base.loc[common, outcome].mean()) if len(common) else math.nan,
                         "variant_mean": float(var.loc[common, outcome].mean()) if len(common) else math.nan,
                         "effect": m, "ci_low": lo, "ci_high": hi, **commitment})
    return pd.DataFrame(rows)


def day0_prices(sc: Scenario) -> dict[str, float]:
    """Each breakable stance's price on day 0 (docs/ODD.md 7.13), at the scenario's own
    parameter values; hard stances and stances that are not commitments are absent."""
    from sim.model import NegotiationModel
    from sim.model.commitments import price

    m = NegotiationModel(sc, rng=0, collect=False, log_offers=False)
    return {sid: price(m, st) for sid, st in sc.stances.items()
            if (st.breakable and not st.hard) or hasattr(st, "then_issue")}


def rank(eff: pd.DataFrame) -> pd.DataFrame:
    """Variants ranked by their largest effect, each outcome scaled by its spread
    across variants (so days, pressure-days and probabilities compare)."""
    e = eff[~eff["outcome"].str.startswith("pair:")].copy()
    scale = e.groupby("outcome")["effect"].transform(lambda s: s.abs().max() or 1.0)
    e["scaled"] = e["effect"].abs() / scale
    score = e.groupby("variant")["scaled"].max().sort_values(ascending=False)
    return score.rename("score").reset_index()


def run_ablation(scenario: Scenario, reps: int = 200, seed: int = 0, executor=None, out=None,
                 resume: bool = False, reverse: bool = True, days: int | None = None,
                 command: list[str] | None = None, progress=None, yes: bool = False, fixed: bool = False):
    """Run base + variants with common random numbers (replicate r draws the same
    parameters from the priors in every variant, unless ``fixed``); (effects table,
    execute result). ``yes`` lifts the size limits of :func:`make_job`."""
    if not scenario.stances:
        raise ExperimentError(f"scenario '{scenario.name}' has no stance to ablate")
    vs = variants(scenario, reverse)
    job = make_job([scenario, *[v.scenario for v in vs]], reps, seed, days=days, yes=yes, fixed=fixed)
    res = execute(job, executor, out, resume=resume, command=command, progress=progress)
    eff = effects(res.runs, scenario, vs, days)
    order = rank(eff)["variant"].tolist()
    eff["rank"] = eff["variant"].map({v: n + 1 for n, v in enumerate(order)})
    return eff.sort_values(["rank", "outcome"]).reset_index(drop=True), res


def noop_check(eff: pd.DataFrame) -> pd.DataFrame:
    """Variants whose every interval covers zero (no detectable effect)."""
    covers = eff.assign(c=(eff["ci_low"].fillna(0) <= 0) & (eff["ci_high"].fillna(0) >= 0))
    return covers.groupby("variant")["c"].all()
