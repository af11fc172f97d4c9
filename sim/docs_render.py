"""How the generated blocks of the README and docs/ODD.md are made from what their
commands write (the renderers :data:`sim.docs.BLOCKS` names), and docs/ODD.md §5's
day-0 tables read from the model (``make odd-day0``)."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pandas as pd


def _cell(est: float, lo: float, hi: float, fmt: str = ".2f") -> str:
    return f"{est:{fmt}} [{lo:{fmt}}, {hi:{fmt}}]"


def _price_sweep(out: Path, stdout: str) -> str:
    """P(political agreement) at each price of backing down, from the sweep's summary."""
    s = pd.read_csv(out / "price-sweep" / "summary.csv")
    s = s[s["outcome"] == "any_political"].sort_values("param:commitments.price")
    lines = ["| `commitments.price` | P(political agreement) [95% Wilson interval] | runs |",
             "|---|---|---|"]
    for _, r in s.iterrows():
        share = _cell(r["estimate"], r["ci_low"], r["ci_high"])
        lines.append(f"| {r['param:commitments.price']:g} | {share} | {r['n']} |")
    return "\n".join(lines)


def _sobol(out: Path, stdout: str) -> str:
    """Total indices [95% interval] per parameter and outcome; the intervals' state."""
    from sim.experiments.sensitivity import WIDE

    t = pd.read_csv(out / "sensitivity-128" / "sensitivity.csv")
    st = t[t["index"] == "ST"]
    outcomes = list(dict.fromkeys(st["outcome"]))
    labels = dict(zip(st["outcome"], st["outcome_label"]))
    first = "days_to_first_agreement" if "days_to_first_agreement" in outcomes else outcomes[0]
    order = st[st["outcome"] == first].sort_values("value", ascending=False)["parameter"].tolist()
    lines = ["| parameter | " + " | ".join(f"{labels[o]}: ST [95%]" for o in outcomes) + " |",
             "|---|" + "---|" * len(outcomes)]
    for p in order:
        cells = []
        for o in outcomes:
            r = st[(st["outcome"] == o) & (st["parameter"] == p)].iloc[0]
            nan = r["value"] != r["value"]
            cells.append("—" if nan else _cell(r["value"], r["ci_low"], r["ci_high"]))
        lines.append(f"| `{p}` | " + " | ".join(cells) + " |")
    both = t[t["index"].isin(["S1", "ST"]) & t["value"].notna()]
    wide = int(((both["ci_high"] - both["ci_low"]) / 2 > WIDE).sum())
    neg = int((t[(t["index"] == "S1")]["value"] < 0).sum())
    lines += ["", f"Rows by the total index on {labels[first]}. Over the {len(outcomes)} outcomes, "
              f"{wide} of {len(both)} intervals (S1 and ST) are wider than ±{WIDE:g} and {neg} "
              "first-order indices are negative."]
    return "\n".join(lines)


ABLATION_OUTCOMES = ("any_political", "days_to_first_agreement", "stock_cumulative:pressure",
                     "n_unilateral")


def _ablation(out: Path, stdout: str, top: int = 8) -> str:
    """Tabulate the ``top`` stances by effect.

    Each one's price, how often it broke or was carried out, and its effect on four
    headline outcomes [95% interval].
    """
    eff = pd.read_csv(out / "ablation" / "ablation.csv")
    labels = dict(zip(eff["outcome"], eff["outcome_label"]))
    head = ["rank", "without", "price on day 0", "broken / carried out"]
    head += [labels.get(o, o) for o in ABLATION_OUTCOMES]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for rank, g in eff.groupby("rank", sort=True):
        if rank > top:
            break
        r0 = g.iloc[0]
        price = "—" if r0["price"] != r0["price"] else f"{r0['price']:.3f}"
        if r0["carried_share"] == r0["carried_share"]:
            fate = f"carried out in {r0['carried_share']:.0%}"
        elif r0["price"] == r0["price"]:                  # a commitment
            fate = f"broken in {r0['broken_share']:.0%}"
        else:
            fate = "—"
        cells = [f"{int(rank)}", f"`{r0['stance']}` ({r0['operation']})", price, fate]
        for o in ABLATION_OUTCOMES:
            r = g[g["outcome"] == o].iloc[0]
            scale, unit = (100, " pp") if o == "any_political" else (1, "")
            lo, hi = r["ci_low"] * scale, r["ci_high"] * scale
            cells.append(f"{r['effect'] * scale:+.1f}{unit} [{lo:+.1f}, {hi:+.1f}]")
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)


#: What each calibrated field of history_2021 is, for the calibration's summary.
CALIBRATED = {
    "observables.attempted_crossings_pl.scale": "the scale: attempts per unit of the model's arrivals",
    "events.0.value": "the September channelling, the record's first event",
    "events.2.value": "the inferred October channelling",
    "environment.stocks.pressure.inflows.0.rate": "the arrival rate",
    "environment.stocks.pressure.outflows.0.rate": "the outflow rate",
}


def _calnum(v: float) -> str:
    """A count with thousands separators, a share with two or three significant digits."""
    return f"{v:,.0f}" if abs(v) >= 100 else f"{v:.3g}"


def _calibration(out: Path, stdout: str) -> str:
    """The calibration's facts as a list (what stopped it, each field's posterior, the
    posterior-predictive check), read from the files ``calibrate`` writes."""
    import json

    import pandas as pd

    folder = out / "calibration"
    check = json.loads((folder / "check.json").read_text(encoding="utf-8"))
    gens = pd.read_csv(folder / "generations.csv")
    iv = pd.read_csv(folder / "intervals.csv")
    pred = pd.read_csv(folder / "predictive.csv")
    last = gens.iloc[-1]
    settings = json.loads((folder / "state.json").read_text(encoding="utf-8"))["settings"]
    kept = int(settings["alpha"] * settings["population"])
    how = (f"the stopping rule at generation {int(last['generation'])} (acceptance {last['acceptance']:.2f}, "
           f"below {check['min_acceptance']:.2f})" if check["stop_reason"] == "rule" else
           f"the generation cap at generation {int(last['generation'])} (acceptance {last['acceptance']:.2f}, "
           f"not yet below {check['min_acceptance']:.2f})")
    lines = [f"- stopped by: {how}; {int(gens['simulations'].sum()):,} simulations, population "
             f"{int(gens['simulations'].iloc[0])}; final effective sample size {last['ess']:.0f} of the {kept} "
             "kept particles"]
    for r in iv.itertuples():
        verdict = "fixed" if r.width_ratio < 0.35 else ("narrowed" if r.width_ratio < 0.7 else "left mostly open")
        what = CALIBRATED.get(r.parameter, "")
        lines.append(f"- `{r.parameter}`{' (' + what + ')' if what else ''}: median {_calnum(r.posterior_median)}, "
                     f"90% {_calnum(r.posterior_q05)}–{_calnum(r.posterior_q95)}, width {r.width_ratio:.2f} of the "
                     f"prior's: {verdict}")
    months = []
    for r in pred.itertuples():
        where = "inside" if r.inside_posterior_90 else ("below" if r.value < r.posterior_q05 else "above")
        months.append(f"{pd.Timestamp(r.date):%b} {_calnum(r.value)} {where} ({_calnum(r.posterior_q05)}–"
                      f"{_calnum(r.posterior_q95)})")
    lines.append(f"- posterior predictive: {check['inside_90']} of {check['n']} observed points inside the 90% "
                 f"band: {'; '.join(months)}")
    lines.append(f"- misfit: were the bands right, {check['inside_90']} or fewer of {check['n']} inside has "
                 f"probability {check['coverage_p']:.3f}; the p-value of the distance from the predictive median "
                 f"is {check['p_value']:.3f} (of {check['simulations']} simulations): "
                 + ("the model is misspecified for these data" if check["misspecified"] else
                    "no evidence of misspecification at this level"))
    return "\n".join(lines)



# ---------------------------------------------------------------- docs/ODD.md §5, day 0
# The seed of the model that §5's "Derived at day 0" tables are read from: a continuation's
# day 0 is what its history leaves on this seed's history stream (the stocks, hence the relief).
DAY0_SEED = 1


def _num(v: float) -> str:
    """``v`` rounded to 2 decimals, without trailing zeros: ``0``, ``0.5``, ``0.18``."""
    return f"{round(float(v), 2) + 0.0:g}"          # + 0.0: no "-0"


def _span(lo: float, hi: float) -> str:
    return f"[{_num(lo)}, {_num(hi)}]"


def _grouped(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """(label, cells) pairs with equal cells merged, labels joined by commas, in first-seen order."""
    merged: dict[Any, list[str]] = {}
    for label, text in pairs:
        merged.setdefault(text, []).append(label)
    return [(", ".join(labels), text) for text, labels in merged.items()]


def _md_table(header: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(header) + " |", "|" + "---|" * len(header),
            *("| " + " | ".join(r) + " |" for r in rows)]


def day0_model(scenario: Any = "baseline", seed: int = DAY0_SEED):
    """The model of ``scenario`` (a name, path or :class:`~sim.scenario.Scenario`) at day 0,
    built as a run builds it on ``seed`` (a continuation's history is run first)."""
    import numpy as np

    from sim.model import NegotiationModel
    from sim.scenario import Scenario, load_scenario

    sc = scenario if isinstance(scenario, Scenario) else load_scenario(scenario)
    return NegotiationModel(sc, rng=np.random.default_rng(seed), collect=False, log_offers=False)


def day0_tables(model, seed: int = DAY0_SEED) -> str:
    """docs/ODD.md §5's "Derived at day 0": the model's decision rules, channels and relief.

    Read from ``model`` as built (:func:`day0_model`): per issue its value, rule, deciders
    (``model.rules``) and who can move it alone within what interval
    (:func:`sim.model.control.interval` with one party); per pair its channel
    (``model.channels``: level, carried issues) and box (``model.box``); per actor the
    anticipated relief ``model.relief_tuple``. Values are rounded to 2 decimals, "—" is none.
    """
    m, sc = model, model.spec
    history = f"after {sc.starts_from.name} " if sc.starts_from is not None else ""
    stocks = "; ".join(f"{k} {_num(s.level)}" for k, s in m.env.stocks.items()) or "none"
    out = [f"*Scenario `{sc.name}` at day 0 ({sc.start_date}), {history}on seed {seed} "
           f"(`rng=np.random.default_rng({seed})`); stocks at day 0: {stocks}. "
           "Written by `make odd-day0`.*", ""]
    out += _day0_rules(m) + [""] + _day0_channels(m) + [""]
    # anticipated relief c_ij per actor (equal rows merged)
    relief = [(a, tuple(_num(v) if v != 0 else "—" for v in m.relief_tuple(m.actors[a]))) for a in m.actor_ids]
    out += _md_table(["actor (relief `c_ij`)", *m.issue_ids], [[who, *cells] for who, cells in _grouped(relief)])
    return "\n".join(out)


def _day0_rules(m) -> list[str]:
    """The issues' table of :func:`day0_tables`: decision rules and what one actor can do alone."""
    from sim.model.control import interval

    guarantors = any(r.guarantors for r in m.rules)
    header = ["issue", "`x` at day 0", "rule", "deciders (capability)", "vetoes",
              *(["guarantors (leverage, cost)"] if guarantors else []), "alone: who [interval]"]
    rows = []
    for j, r in enumerate(m.rules):
        rule = r.rule + (f" ({_num(r.threshold)})" if r.rule == "qualified_majority" else "")
        deciders = ", ".join(f"{a} ({_num(w)}{'' if a in r.controllers else ', member'})"
                             for a, w in r.deciders)
        alone = []              # as a unilateral move has it: the rule's interval within the actor's stances
        for a in m.actor_ids:
            iv = interval(m, j, (a,))
            if iv is not None:
                own = m.bounds(a, j)
                lo, hi = max(iv[0], own[0]), min(iv[1], own[1])
                narrowed = _span(lo, hi) != _span(*iv)
                alone.append((a, _span(lo, hi) + (f" (its stances; rule {_span(*iv)})" if narrowed else "")))
        row = [m.issue_ids[j], _num(m.x[j]), rule, deciders or "—", ", ".join(r.vetoes) or "—"]
        if guarantors:
            row.append(", ".join(f"{g} ({_num(lev)}, {_num(c)})" for g, lev, c in r.guarantors) or "—")
        row.append("; ".join(f"{who} {span}" for who, span in _grouped(alone)) or "—")
        rows.append(row)
    return _md_table(header, rows)


def _day0_channels(m) -> list[str]:
    """The pairs' table of :func:`day0_tables`: level (and the stances that set it), carried issues, box."""
    from sim.model.control import can_deliver

    ids, actors, pairs = m.issue_ids, m.actor_ids, m.spec.channel_pairs()
    alive = {sid: st for sid, st in m.stances.items() if any(st is s for s in m.stances_of(st.actor))}
    listed = {frozenset(p): lvl for p, lvl in pairs.items() if p[0] != "*"}

    def set_by(a: str, b: str) -> str:
        why = [f"`{sid}`" for sid, st in alive.items() if st.actor in (a, b)
               and (st.open_level(st.actor, b if st.actor == a else a) is not None
                    or st.cap_level(st.actor, b if st.actor == a else a) is not None)]
        why += ["hostile"] if frozenset((a, b)) in m.links.hostile else []
        return f" ({', '.join(why)})" if why else ""

    rows, seen = [], set()
    for c in m.channels:
        a, b = c.key
        seen.add(frozenset(c.key))
        excluded = [(ids[j], [f"`{sid}`" for sid, st in alive.items()
                              if st.actor in (a, b) and st.excludes(st.actor, c.other(st.actor), ids[j])])
                    for j in range(len(ids)) if j not in c.issues
                    and (c.level == "political" or not m.political[j]) and can_deliver(m.rules[j], c.key)]
        carries = ", ".join(ids[j] for j in c.issues) or "—"
        if excluded:
            carries += "; excluded: " + ", ".join(f"{i} ({', '.join(by)})" for i, by in excluded)
        lo, hi = m.box(c)
        rows.append([f"{a}–{b}", listed.get(frozenset(c.key), "—"), c.level + set_by(a, b), carries,
                     ", ".join(_span(L, U) for L, U in zip(lo, hi)) or "—"])
    for (a, b), lvl in pairs.items():           # the pairs the scenario lists that are closed
        if a != "*" and frozenset((a, b)) not in seen:
            seen.add(frozenset((a, b)))
            rows.append([f"{a}–{b}", lvl, "closed" + set_by(a, b), "—", "—"])
    if any(frozenset((a, b)) not in seen for i, a in enumerate(actors) for b in actors[i + 1:]):
        rows.append(["every other pair", m.spec.channels.get("*", "—"), "closed", "—", "—"])
    return _md_table(["channel", "scenario entry", "level (set by)", "carries", "box `[L, U]` at day 0"], rows)


def print_day0(scenario: str = "baseline", seed: int = DAY0_SEED) -> int:
    """``make odd-day0``: print :func:`day0_tables` of ``scenario`` (exit 2 on a bad scenario)."""
    from sim.scenario import ScenarioError

    try:
        model = day0_model(scenario, seed)
    except ScenarioError as e:
        print(f"error: {str(e).splitlines()[0]}", file=sys.stderr)
        return 2
    print(day0_tables(model, seed))
    return 0
