"""Text views of results, as :mod:`sim.viz.plots` gives figures: what the command line
prints after ``run``, an experiment, an ablation, a sensitivity analysis, a protocol
comparison, a calibration and a score. Each function returns text; the CLI
(:mod:`sim.cli`) prints it. This module imports nothing heavy at load time (``--help``
stays instant)."""

from __future__ import annotations

import math
import textwrap

HEADLINE = ["any_agreement", "any_political", "days_to_first_agreement", "n_unilateral", "stalemate"]
"""The outcomes an experiment's summary shows (stock totals are added per scenario)."""


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def shorten(text: str, width: int) -> str:
    """``text`` within ``width`` characters, cut at a word boundary with an ellipsis,
    never mid-word ("(Rouhan")."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0].rstrip(",;:(")
    return cut + "\u2026"


def interval(r) -> str:
    return f"{r['median']:.2f} [{r['p05']:.2f}, {r['p95']:.2f}]"


def format_summary(res, sc) -> str:
    """What ``run`` prints: the record, the benchmark of each agreement, each issue's
    forecast, the stocks and the headline outcomes."""
    o = res.outcomes
    end = sc.date_of(res.horizon)
    from sim.protocols import protocol_class

    cls = protocol_class(res.protocol)
    lines = [f"Scenario {sc.name}: {sc.title or ''}".rstrip(": "),
             f"Seed {res.seed}; {res.horizon} days, {sc.start_date} to {end}",
             f"Protocol {res.protocol} ({cls.classifier['source']}): forecast = {cls.classifier['forecast']}", ""]
    lines += record_lines(res)
    lines += benchmark_lines(res)
    lines.append("")
    lines += format_forecasts(res, sc)
    lines.append("")
    for name, st in sc.environment.stocks.items():
        s0 = res.series[(res.series["variable"] == f"stock:{name}") & (res.series["day"] == 0)]["value"] \
            if res.series is not None else ()     # day 0 as run (a continuation's: where its history ended)
        start = float(s0.iloc[0]) if len(s0) else st.initial
        lines.append(f"{name.capitalize()}: start {start:.2f}, peak {o[f'stock_peak:{name}']:.2f}, "
                     f"final {o[f'stock_final:{name}']:.2f}, cumulative {o[f'stock_cumulative:{name}']:.1f} level-days")
    first = o["time_to_first_agreement"]
    window = sc.protocol.stalemate_window
    stale = ("n/a (the run is shorter than the {}-day window)".format(window) if res.horizon < window
             else "n/a (the protocol makes no agreements)" if o["stalemate"] is None
             else ("yes" if o["stalemate"] else "no"))
    lines.append(f"Unilateral moves {o['n_unilateral']}; first agreement "
                 f"{'none' if first != first else f'on day {int(first)}'}; stalemate: {stale}")
    return "\n".join(lines)


def record_lines(res) -> list[str]:
    """The run's record, act by act, with why each act that is not an agreement or a
    unilateral move happened."""
    labels = res.actor_labels
    lines = []
    rec = res.record
    lines.append(f"Record ({len(rec)} acts: the record before day 0, agreements, unilateral moves, threats and "
                 "promises, broken commitments, breaches, renewals, expiries, exits, offers not made, events):"
                 if len(rec) else "Record: no agreement and no unilateral move")
    for r in rec.itertuples():
        who = " - ".join(labels.get(a, a) for a in str(r.actors).split(";") if a)
        what = r.changes if isinstance(r.changes, str) and r.changes else r.label
        lines.append(f"  day {r.day:>3}  {r.date}  {r.type:<10} {who}"
                     f"{f'  [{r.level}]' if isinstance(r.level, str) and r.level else ''}  {what}")
        if r.type not in ("unilateral", "agreement") and isinstance(r.reason, str) and r.reason:
            lines.append(f"      why: {r.reason}")       # the rest: record.csv's reason column
    return lines


def benchmark_lines(res) -> list[str]:
    """Each agreement against the bargaining benchmark (:mod:`sim.analysis.bargaining`)."""
    labels = res.actor_labels
    lines = []
    ag = res.agreements
    if len(ag) and "pareto_gap" in ag:
        lines.append("")
        lines.append("Agreements against the bargaining benchmark (each party's value of the deal; the Nash "
                     "solution of the channel):")
        for r in ag.itertuples():
            gap = "on the Pareto frontier" if abs(r.pareto_gap) < 1e-6 else f"Pareto gap {r.pareto_gap:.3f}"
            values = dict(kv.split("=", 1) for kv in str(r.values_to).split(";") if "=" in kv)
            who = ", ".join(f"{labels.get(k, k)} {float(v):.3f}" for k, v in values.items())
            if r.nash_share == r.nash_share:
                nash = (f"Nash solution {r.nash_value_a:.3f}, {r.nash_value_b:.3f} (the deal's Nash product is "
                        f"{r.nash_share:.2f} of the solution's)")
            else:
                nash = ("no Nash solution computed (three or more signatories)" if len(values) > 2
                        else "no Nash solution")
            lines.append(f"  day {r.day:>3}  {who}; {gap}; {nash}")
    return lines


def format_forecasts(res, sc) -> list[str]:
    """Each issue: status quo, implemented value at the end, the protocol's forecast and
    how it ended on the issue, and the compromise model's forecasts (the yardstick), on
    the issue's own scale; for a protocol that moves positions in rounds, the first rounds
    of its weighted median and mean."""
    from sim.analysis.rounds import to_scale

    def own(j, v):
        return float(to_scale(sc, j, v))

    lines = [f"  {'issue':<22}{'kind':<11}{'status quo':>10}{'final':>8}{'forecast':>10}  {'how':<26}"
             f"{'CM mean':>8}{'CM median':>10}  agreed"]
    for r in res.issues.itertuples():
        agreed = f"day {int(r.first_agreed_day)}" if r.agreed else "no"
        how = r.forecast_status + (f" ({int(r.forecast_rounds)} rounds)" if r.forecast_rounds == r.forecast_rounds
                                   and r.forecast_rounds > 0 else "")
        lines.append(f"  {r.issue:<22}{r.kind:<11}{own(r.issue, r.status_quo):>10.2f}"
                     f"{own(r.issue, r.final_value):>8.2f}"
                     f"{own(r.issue, r.forecast):>10.4f}  {how:<26}{own(r.issue, r.cm_mean):>8.4f}"
                     f"{own(r.issue, r.cm_median):>10.4f}  {agreed}")
    if len(res.moves) and res.series is not None:
        from sim.analysis.rounds import rounds_table

        rt = rounds_table(res, sc)
        lines.append("")
        lines.append("  Rounds (one a day): the weighted median (the forecast) and mean of the positions")
        for j, g in rt.groupby("issue", sort=False):
            cells = [f"{int(r.round)}: {r.median:.4f} / {r.mean:.4f}" for r in g.head(11).itertuples()]
            more = f" ... ({len(g) - 11} more)" if len(g) > 11 else ""
            lines.append(f"  {j}: round: median / mean  " + "; ".join(cells) + more)
    return lines


def format_comparison(table, sc, reps: int, summary=None) -> str:
    """Issues as rows, protocols as columns: median [5-95%] of the forecast, then each
    protocol's distance from the compromise model."""
    protocols = list(dict.fromkeys(table["protocol"]))
    mode = ""
    if summary is not None and len(summary) and "parameters" in summary:
        mode = f", {summary['parameters'].iloc[0]}"
    lines = [f"{sc.name}: each protocol's forecast of each issue over {plural(reps, 'replication')} "
             f"(same parameter draws and random streams for every protocol{mode}); median [5-95%] on the "
             "issue's own scale"]
    width = max(18, *(len(p) + 2 for p in protocols))
    lines.append(f"  {'issue':<22}{'status quo':>10}" + "".join(f"{p:>{width}}" for p in protocols))
    for issue, g in table.groupby("issue", sort=False):
        g = g.set_index("protocol")
        cells = "".join(interval(g.loc[p]).rjust(width) for p in protocols)
        lines.append(f"  {issue:<22}{g['status_quo'].iloc[0]:>10.2f}{cells}")
    return "\n".join(lines)


def short_runs(job, scenario: str) -> int | None:
    """The stalemate window if the runs of ``scenario`` are shorter than it, else None."""
    d = job.scenarios.get(scenario) or {}
    window = (d.get("protocol") or {}).get("stalemate_window", 30)
    days = job.days or d.get("horizon_days") or window
    return window if days < window else None


def format_experiment(res, job) -> str:
    """Per scenario and design point, each headline outcome as the registry sums it up
    (:mod:`sim.outcomes`: a share [Wilson 95%], a median [5-95% of runs]); outcomes that
    vary across the runs first; a sweep's point named by its varied fields only."""
    from sim import outcomes as reg
    from sim.experiments.jobs import design_columns

    lines = [f"{plural(job.n_runs, 'run')} ({res.skipped} found done on disk), {res.n_failed} failed; "
             f"{job.parameters_label}"]
    runs = res.runs
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    if not len(ok):
        return lines[0]
    horizons = {n: job.days or (d or {}).get("horizon_days") or 0 for n, d in job.scenarios.items()}
    names = [o for o in HEADLINE if o in ok.columns or o == "days_to_first_agreement"]
    names += [c for c in ok.columns if c.startswith("stock_cumulative:")]
    order = reg.moving_first({o: reg.values(ok, o, horizons) for o in names})
    params = design_columns(runs)
    width = max(len(reg.get(o).label) for o in order) + 2
    for keys, g in ok.groupby(["scenario", "point"], sort=True):
        label = keys[0] + (" " + ", ".join(f"{p[6:]}={g[p].iloc[0]:.3g}" for p in params) if params else "")
        lines.append(f"  {label}  ({plural(len(g), 'run')})")
        short = short_runs(job, keys[0])
        for o in order:
            name = reg.get(o).label
            if o == "stalemate" and short:
                lines.append(f"    {name:<{width}}n/a (runs shorter than the {short}-day window)")
                continue
            v = reg.values(g, o, horizons.get(keys[0], 0))
            if v.notna().any():               # another scenario's stock: not this one's outcome
                lines.append(f"    {name:<{width}}{reg.describe(o, v)}")
    lines.append(textwrap.fill("Shares of runs [95% Wilson interval]; numbers: median [5-95% of runs]; no "
                               "agreement counts as day H + 1. Stalemate: " + reg.STALEMATE + ".", 100,
                               initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)


def format_ablation(eff) -> str:
    from sim.outcomes import get
    from sim.viz.plots import ablation_outcomes

    lines = ["Stances ranked by effect (change vs the unchanged scenario, same random streams, 95% CI); the "
             "outcomes some stance moves come first:"]
    labels = dict(zip(eff["outcome"], eff["outcome_label"]))
    keys = {k: (labels.get(k, get(k).label), 100, "pp") if get(k).kind == "share"
            else (labels.get(k, get(k).label), 1, "") for k in ablation_outcomes(eff)}
    for variant, g in eff.groupby("rank", sort=True):
        r0 = g.iloc[0]
        lines.append(f"{int(variant):>3}. {r0['operation']} {r0['actor']}: {r0['stance_rule']}")
        quote = r0["quote"] if isinstance(r0["quote"], str) and r0["quote"] else "(the record or an assumption)"
        lines.append(f"      \u201c{quote[:110]}\u201d")
        if r0.get("carried_share", float("nan")) == r0.get("carried_share"):   # a threat or promise
            lines.append(f"      price of backing down {r0['price']:.3f} on day 0; carried out in "
                         f"{r0['carried_share']:.0%} of runs, abandoned in {r0['abandoned_share']:.0%}")
        elif "price" in r0 and r0["price"] == r0["price"]:       # a commitment: its price and how often it broke
            when = (f", median day {r0['broken_day_median']:.0f}" if r0["broken_day_median"] == r0["broken_day_median"]
                    else "")
            lines.append(f"      price of backing down {r0['price']:.3f} on day 0; broken in "
                         f"{r0['broken_share']:.0%} of runs{when}")
        else:
            lines.append("      not a commitment (or hard): no price, never broken")
        parts = []
        for k, (label, scale, unit) in keys.items():
            r = g[g["outcome"] == k].iloc[0]
            lo, hi = r["ci_low"], r["ci_high"]
            if scale == 100:                  # a difference of two shares lies within +-100 points
                lo, hi = max(lo, -1.0), min(hi, 1.0)
            ci = "" if lo != lo or hi != hi else f" [{lo * scale:+.1f}, {hi * scale:+.1f}]"
            parts.append(f"{label} {r['effect'] * scale:+.1f}{unit}{ci}")
        lines.append("      " + "; ".join(parts))
    return "\n".join(lines)


def format_sensitivity(table, n_points: int, reps: int, method: str) -> str:
    """Each outcome's three most influential parameters by the main index (Sobol' ST or
    Morris mu*), with 95% intervals; a shared rank (=) where the intervals overlap."""
    main_index = "ST" if method == "sobol" else "mu_star"
    lines = [f"{plural(n_points, 'sample point')} x {plural(reps, 'replication')}; "
             f"{main_index} [95% interval] by outcome, largest first; a shared rank (=) means the "
             "intervals overlap: the sample cannot order those parameters:"]
    for outcome, g in table.groupby("outcome", sort=False):
        g = g[g["index"] == main_index]
        label = g["outcome_label"].iloc[0] if "outcome_label" in g else outcome   # the registry's label
        if g["value"].isna().all():
            lines.append(f"  {label}: {g['note'].iloc[0]}")
            continue
        top = g.sort_values("value", ascending=False).head(3)
        tied = g["rank"].value_counts()
        lines.append(f"  {label}: " + "; ".join(
            f"{int(r.rank)}{'=' if tied[r.rank] > 1 else ''} {r.parameter} {r.value:.2f} "
            f"[{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in top.itertuples()))
    return "\n".join(lines)


def format_calibration(res, name: str, population: int, held=None, fit_until: str | None = None) -> str:
    """A calibration's generations, each parameter's prior and posterior interval, the
    misfit, and (with ``held``) the out-of-sample forecasts."""
    from sim.viz.labels import num
    from sim.viz.report.calibration import misfit_sentence, stop_sentence

    g = res.generations
    lines = [f"{name}: {len(g)} generations ({res.resumed_from} found on disk), "
             f"{int(g['simulations'].sum()):,} simulations, population {population}; "
             f"final tolerance {g['epsilon'].iloc[-1]:.3g}",
             "  " + stop_sentence(res.check),
             "  generation  " + " ".join(f"{int(x):>5}" for x in g["generation"]),
             "  acceptance  " + " ".join(f"{x:>5.2f}" for x in g["acceptance"]),
             "  ESS         " + " ".join(f"{x:>5.0f}" for x in g["ess"]),
             f"  {'parameter':<36}{'prior 90%':>22}{'posterior median [90%]':>32}{'width':>7}"]
    for r in res.intervals.itertuples():         # 17,300, not 1.73e+04
        lines.append(f"  {r.parameter:<36}{f'[{num(r.prior_q05)}, {num(r.prior_q95)}]':>22}"
                     f"{f'{num(r.posterior_median)} [{num(r.posterior_q05)}, {num(r.posterior_q95)}]':>32}"
                     f"{r.width_ratio:>7.2f}")
    lines.append("  " + misfit_sentence(res.check))
    if held is not None:
        lines.append(f"  out of sample (fitted before {fit_until}): CRPS of the posterior forecast; skill = "
                     "1 - CRPS / CRPS of the reference")
        for r in held.itertuples():
            lines.append(f"    {r.variable} {r.date}: observed {r.observed:.4g}, forecast {r.median:.4g} "
                         f"[{r.q05:.4g}, {r.q95:.4g}] ({'inside' if r.inside_90 else 'outside'} the 90% band); "
                         f"CRPS {r.crps:.4g}; skill {r.skill_vs_prior_predictive:+.2f} vs the prior predictive "
                         f"(CRPS {r.crps_prior_predictive:.4g}), {r.skill_vs_persistence:+.2f} vs persistence "
                         f"({r.persistence:.4g})")
    return "\n".join(lines)


def _observed_issue(sc, o) -> str | None:
    """The issue an observation of the record is about, if any (its values then show on
    the issue's own scale)."""
    if o.outcome and o.outcome.split(":", 1)[0] in ("final", "forecast") and o.outcome.split(":", 1)[1] in sc.issues:
        return o.outcome.split(":", 1)[1]
    if o.series == "value" and o.issue in sc.issues:
        return o.issue
    return None


def _score_num(v) -> str:
    return "-" if v is None or math.isnan(v) else f"{v:.3g}"


def format_score(table, totals: dict, record, sc, record_path) -> str:
    """A score of the scenario's forecast against the record, observation by observation,
    then the totals. An observation of an issue shows on the issue's own scale (Iran:
    candidates on 1-10); scores stay those of the model's 0-1 values."""
    from sim.analysis.rounds import to_scale

    def own(issue, v):
        return v if issue is None or v is None or v != v else float(to_scale(sc, issue, v))

    names = [shorten(r.observation, 60) for r in table.itertuples()]
    width = max(12, *(len(n) + 2 for n in names))
    scales = {j: tuple(sc.issues[j].scale) for j in (_observed_issue(sc, o) for o in record)
              if j and sc.issues[j].scale}
    scaled = [f" ({j} on {lo:g}-{hi:g})" for j, (lo, hi) in scales.items() if (lo, hi) != (0.0, 1.0)]
    lines = [f"{sc.name}: {totals['n_ok']} runs, {totals['parameters']}; record {record_path}",
             f"  {'observation':<{width}}{'observed':>9}  {'forecast':<26}{'score':>14}{'ref.':>8}{'skill':>8}  in 90%"]
    for r, name, o in zip(table.itertuples(), names, record):
        j = _observed_issue(sc, o)
        fc = (f"p={r.forecast:.2f}" if r.kind == "binary"
              else f"{own(j, r.median):.3g} [{own(j, r.q05):.3g}, {own(j, r.q95):.3g}]")
        inside = "-" if r.kind == "binary" else ("yes" if r.inside_90 else "no")
        lines.append(f"  {name:<{width}}{own(j, r.observed):>9.3g}  {fc:<26}{r.score_name:>6} {r.score:>7.3g}"
                     f"{_score_num(own(j, r.reference)):>8}{_score_num(r.skill):>8}  {inside}")
    if scaled:
        lines.append("  values of an issue on its own scale" + "".join(dict.fromkeys(scaled))
                     + "; scores on the model's 0-1 scale")
    parts = []
    for key, text in (("mean_brier", "mean Brier {:.3f}"), ("coverage_90", "90% interval coverage {:.2f}"),
                      ("brier_skill", "Brier skill {:+.2f}"), ("crps_skill", "CRPS skill {:+.2f}")):
        if totals[key] is not None:
            parts.append(text.format(totals[key]))
    lines.append("  " + "; ".join(parts))
    lines.append(f"  reference: {totals['reference']}; skill = 1 - (summed score) / (summed reference score), "
                 "Brier and CRPS apart")
    return "\n".join(lines)


def score_rows(table) -> list[dict]:
    """The score table as JSON-ready rows: missing values (NaN, ``pd.NA``) as None."""
    import pandas as pd

    return [{k: (None if (v is None or v is pd.NA or (isinstance(v, float) and math.isnan(v))) else v)
             for k, v in r.items()} for r in table.to_dict(orient="records")]
