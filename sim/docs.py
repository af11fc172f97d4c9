"""The README's numbers and docs/ODD.md's day-0 tables, regenerated: ``make docs``
(``python -m sim.docs``).

Every block of README.md and docs/ODD.md (:data:`DOCUMENTS`) that the program produces
sits between two markers that name the command which produced it::

    <!-- generated: make grain-table -->
    ... the block, as the command gives it ...
    <!-- end generated -->

:data:`BLOCKS` says, for each such command, how to run it (in a temporary folder, with
the interpreter running this module) and how its output becomes the block: a command's
printed output verbatim, a Markdown file it writes, a table made from the CSV it writes,
or an excerpt of a run's record; docs/ODD.md's §5 tables are read from the baseline
model at day 0 (:func:`day0_tables`, ``make odd-day0``). ``python -m sim.docs`` reruns
every block and rewrites it in place, and copies the figures the README shows into
``docs/``; ``python -m sim.docs --check`` writes nothing and exits 1 with a diff where a
document and a fresh regeneration differ. ``--reduced`` runs each experiment at a small size
(fewer replications, a smaller sample): its numbers differ from the README's, so the
tests compare those blocks' structure only (:func:`structure`), and every block exactly
at full size in ``make test-slow``.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
ODD = ROOT / "docs" / "ODD.md"
DOCUMENTS = (README, ODD)          # the files whose generated blocks make docs rewrites
BEGIN = re.compile(r"^<!-- generated: (?P<command>.+?) -->$", re.M)
END = "<!-- end generated -->"


class DocsError(Exception):
    """A marker without its end, an unknown command, or a command that failed."""


@dataclass(frozen=True)
class Block:
    """How one generated block of the README (or docs/ODD.md) is made.

    ``argv(out, reduced)`` is the command to run in the temporary folder ``out``;
    ``render(out, stdout)`` turns what it printed or wrote into the block's text;
    ``figures`` maps a file it writes (relative to ``out``) to the README's copy under
    ``docs/``; ``slow`` marks a block too slow to regenerate at full size in ``make test``.
    ``inline``, if given, makes the same text in this process (a block read from a model,
    not from a run's output: no interpreter to start); ``argv`` is then the command the
    marker names, which prints it (tests/test_odd_day0.py checks that the two agree).
    """

    argv: Callable[[Path, bool], list[str]]
    render: Callable[[Path, str], str]
    figures: dict[str, str] = field(default_factory=dict)
    slow: bool = True
    inline: Callable[[], str] | None = None


def _make(target: str, out_var: str, reduced_args: str) -> Callable[[Path, bool], list[str]]:
    """Run a Makefile target with this interpreter, writing under ``out``.

    ``reduced_args`` are appended to the command line at the reduced size (argparse keeps
    the last value of an option).
    """
    def argv(out: Path, reduced: bool) -> list[str]:
        args = ["make", "-s", "--no-print-directory", "-C", str(ROOT), "-o", ".venv/.installed",
                target, f"PY={sys.executable}", f"{out_var}={out}"]
        return args + ([f"TABLE_ARGS={reduced_args}"] if reduced else [])
    return argv


def _cli(*args: str, reduced_args: tuple[str, ...] = ()) -> Callable[[Path, bool], list[str]]:
    """``python run_sim.py ARGS`` run in ``out`` (so the paths it prints are as written)."""
    def argv(out: Path, reduced: bool) -> list[str]:
        return [sys.executable, str(ROOT / "run_sim.py"), *args, *(reduced_args if reduced else ())]
    return argv


def _with_overrides(scenario: str, yaml_text: str, *args: str) -> Callable[[Path, bool], list[str]]:
    """``run`` on a scenario that extends ``scenario`` with ``yaml_text``."""
    def argv(out: Path, reduced: bool) -> list[str]:
        name = f"{scenario}_docs"
        text = f"extends: {scenario}\nname: {name}\n{yaml_text}\n"
        (out / f"{name}.yaml").write_text(text, encoding="utf-8")
        return [sys.executable, str(ROOT / "run_sim.py"), "run", f"{name}.yaml", *args]
    return argv


def _code(text: str) -> str:
    return "```\n" + text.strip("\n") + "\n```"


def _stdout(out: Path, stdout: str) -> str:
    return _code(stdout)


def _file(name: str) -> Callable[[Path, str], str]:
    return lambda out, stdout: (out / name).read_text(encoding="utf-8").strip("\n")


def _record(kind: str, who: str) -> Callable[[Path, str], str]:
    """Keep the first line of the printed record of ``kind`` naming ``who``, and its ``why:``."""
    def render(out: Path, stdout: str) -> str:
        lines = stdout.splitlines()
        for i, line in enumerate(lines):
            f = line.split()
            if len(f) > 3 and f[0] == "day" and f[3] == kind and who in line:
                after = lines[i + 1] if i + 1 < len(lines) else ""
                why = after if after.lstrip().startswith("why:") else ""
                return _code(line + ("\n" + why if why else ""))
        raise DocsError(f"the run's record has no {kind} line naming {who!r}")
    return render


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


RECORD = str(ROOT / "tests" / "data" / "record_example.yaml")
PRICE_0 = ("python run_sim.py run baseline --seed 1, with commitments: {price: 0.0} "
           "(the first break by the European Union)")

#: Every generated block of the README and docs/ODD.md, by the command its markers name.
BLOCKS: dict[str, Block] = {
    "python run_sim.py run baseline --seed 1 --out out": Block(
        _cli("run", "baseline", "--seed", "1", "--out", "out"), _stdout,
        figures={"out/crisis.png": "docs/baseline_crisis.png",
                 "out/positions.png": "docs/baseline_positions.png"},
        slow=False),
    "make scenario-table": Block(
        _make("scenario-table", "DOCS_OUT", "--reps 8"), _file("scenarios/table.md")),
    "make grain-table": Block(
        _make("grain-table", "DOCS_OUT", "--reps 6"), lambda out, stdout: stdout.strip("\n")),
    "make protocol-table": Block(
        _make("protocol-table", "DOCS_OUT", "--reps 6"), _file("compare-baseline/comparison.md"),
        figures={"compare-baseline/comparison.png": "docs/baseline_protocols.png"}),
    "make price-sweep": Block(
        _make("price-sweep", "DOCS_OUT", "--reps 4"), _price_sweep),
    "make ablation": Block(
        _make("ablation", "DOCS_OUT", "--reps 2"), _ablation,
        figures={"ablation/ablation.png": "docs/baseline_ablation.png"}),
    "make sobol": Block(
        _make("sobol", "DOCS_OUT", "--n 4"), _sobol,
        figures={"sensitivity-128/sensitivity.png": "docs/baseline_sensitivity.png",
                 "sensitivity-128/convergence.png": "docs/baseline_sensitivity_convergence.png"}),
    "python run_sim.py score baseline --record tests/data/record_example.yaml --reps 100": Block(
        _cli("score", "baseline", "--record", RECORD, "--reps", "100"),
        lambda out, stdout: _code(stdout.replace(RECORD, "tests/data/record_example.yaml")),
        slow=False),
    "python run_sim.py run baseline --seed 1 (its no_offer of Belarus - Poland)": Block(
        _cli("run", "baseline", "--seed", "1", "--no-plots", "--out", "out1"),
        _record("no_offer", "Belarus - Poland"), slow=False),
    "python run_sim.py run baseline --seed 14 (its exit)": Block(
        _cli("run", "baseline", "--seed", "14", "--no-plots", "--out", "out14"),
        _record("exit", ""), slow=False),
    PRICE_0: Block(
        _with_overrides("baseline", "commitments: {price: 0.0}", "--seed", "1", "--no-plots",
                        "--out", "out0"),
        _record("commitment_broken", "European Union"), slow=False),
    # docs/ODD.md §5: the baseline's rules, channels and relief at day 0, read from the model
    "make odd-day0": Block(
        _make("odd-day0", "DOCS_OUT", ""), lambda out, stdout: stdout.strip("\n"), slow=False,
        inline=lambda: day0_tables(day0_model("baseline", DAY0_SEED), DAY0_SEED)),
}


def blocks_in(text: str, name: str = "README.md") -> list[tuple[str, int, int]]:
    """Each generated block of ``text`` (the document ``name``): its command and the span of its body."""
    found = []
    for m in BEGIN.finditer(text):
        start = m.end() + 1
        end = text.find("\n" + END, m.end())
        nxt = BEGIN.search(text, m.end())
        if end < 0 or (nxt and nxt.start() < end):
            raise DocsError(f"{name}: the block of {m['command']!r} has no {END!r} "
                            "before the next block")
        found.append((m["command"], start, end + 1))
    return found


def known_blocks(text: str, name: str = "README.md") -> list[tuple[str, int, int]]:
    """Return :func:`blocks_in` of ``text``, each checked to be in :data:`BLOCKS` first."""
    found = blocks_in(text, name)
    for command, _, _ in found:
        if command not in BLOCKS:
            raise DocsError(f"{name}: no generator for the block {command!r} (sim/docs.py BLOCKS)")
    return found


def generate(command: str, reduced: bool = False, figures_to: Path | None = None) -> str:
    """Run one block's command in a temporary folder and return the block's text.

    The figures it draws are copied under ``figures_to`` (the repository, for
    ``make docs``) if given.
    """
    if command not in BLOCKS:
        raise DocsError(f"no generator for the block {command!r} (sim/docs.py BLOCKS)")
    block = BLOCKS[command]
    if block.inline is not None:
        return block.inline()
    with tempfile.TemporaryDirectory(prefix="diplosim-docs-") as tmp:
        out = Path(tmp)
        argv = block.argv(out, reduced)
        env = {**os.environ, "MPLBACKEND": "Agg"}
        done = subprocess.run(argv, cwd=out, env=env, capture_output=True, text=True)
        if done.returncode != 0:
            raise DocsError(f"{command}: exit {done.returncode}: {done.stderr.strip()[-2000:]}")
        text = block.render(out, done.stdout)
        if figures_to is not None:
            for src, dst in block.figures.items():
                shutil.copyfile(out / src, figures_to / dst)
    return text


def regenerate(text: str, reduced: bool = False, only: set[str] | None = None,
               figures_to: Path | None = None, say=lambda s: None, name: str = "README.md") -> str:
    """``text`` (the document ``name``) with every generated block (or those named in ``only``) rebuilt."""
    found = known_blocks(text, name)
    parts, last = [], 0
    for command, start, end in found:
        parts.append(text[last:start])
        if only is None or command in only:
            say(f"regenerating: {command}")
            parts.append(generate(command, reduced, figures_to) + "\n")
        else:
            parts.append(text[start:end])
        last = end
    parts.append(text[last:])
    return "".join(parts)


NUMBER = re.compile(r"[+\-−]?\d[\d,]*(\.\d+)?%?")


# sentences whose wording follows what the sample tells apart (compare-protocols)
SAMPLE_CONCLUSIONS = ("Nearest the compromise model", "No single protocol is nearest the compromise model")


def structure(block: str) -> list[str]:
    """Give what a block must keep whatever the sample size.

    That is each table's header and separator, its rows' first cells and numbers of
    cells (in any order), each list item's label up to its first colon (the set of them:
    which pairs a small sample tells apart, which acts its runs show, is the sample's),
    the conclusion of a comparison (:data:`SAMPLE_CONCLUSIONS`) as one line, and each
    other line's words with its numbers blanked. (A reduced run's numbers, and a table's
    suffix such as "in 98 of 200", differ from the full run's.)
    """
    shape, rows, in_table = [], [], False
    items = set()
    for line in block.splitlines():
        if line.startswith("- "):
            items.add("list item: " + NUMBER.sub("#", line.split(":", 1)[0]))
            continue
        if line.startswith(SAMPLE_CONCLUSIONS):
            line = "conclusion: " + SAMPLE_CONCLUSIONS[0]      # which one a small sample can tell is its own
        if not line.startswith("|"):
            shape += sorted(rows) + [NUMBER.sub("#", line)]
            rows, in_table = [], False
        elif not in_table or set(line) <= set("|-: "):
            shape.append(line)                         # a table's header or separator
            in_table = True
        else:                    # rows compared as a set: a table may be ordered by its numbers
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            rows.append(f"| {NUMBER.sub('#', cells[0])} | ... {len(cells)} cells")
    shape += sorted(rows) + sorted(items)
    return shape


def _name(path: Path) -> str:
    """``path`` as the messages and diffs name it: relative to the repository if inside it."""
    try:
        return str(path.resolve().relative_to(ROOT))
    except ValueError:
        return str(path)


def main(argv: list[str] | None = None) -> int:
    """``make docs``: rewrite the generated blocks and figures of the README and docs/ODD.md, or check them."""
    ap = argparse.ArgumentParser(prog="python -m sim.docs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--doc", "--readme", dest="docs", type=Path, action="append", metavar="PATH",
                    help="a document to regenerate or check (repeatable; default: README.md and docs/ODD.md)")
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 with a diff if a document drifted")
    ap.add_argument("--reduced", action="store_true",
                    help="small experiments (for tests; numbers differ)")
    ap.add_argument("--only", action="append", metavar="COMMAND",
                    help="only the block of this command")
    ap.add_argument("--list", action="store_true", help="list the blocks and exit")
    ap.add_argument("--day0", nargs="?", const="baseline", metavar="SCENARIO",
                    help="print docs/ODD.md §5's day-0 tables of SCENARIO (default baseline) and exit "
                         "(make odd-day0)")
    ap.add_argument("--seed", type=int, default=DAY0_SEED,
                    help=f"with --day0: the seed of the model read (default {DAY0_SEED}, the ODD's)")
    args = ap.parse_args(argv)
    if args.day0 is not None:
        return print_day0(args.day0, args.seed)
    paths = args.docs or list(DOCUMENTS)
    drift = []
    try:
        texts = {path: path.read_text(encoding="utf-8") for path in paths}
        if args.list:
            for path, text in texts.items():
                for command, _, _ in blocks_in(text, _name(path)):
                    block = BLOCKS.get(command)
                    speed = "unknown" if block is None else "slow" if block.slow else "fast"
                    print(f"{speed}  {_name(path)}: {command}")
            return 0
        only = set(args.only) if args.only else None
        if args.reduced and not args.check and any(p.resolve() in DOCUMENTS for p in paths):
            raise DocsError("--reduced writes a reduced run's numbers: use it with --check "
                            "or on a copy (--doc)")
        for path, text in texts.items():
            name = _name(path)
            known_blocks(text, name)             # every document's markers checked before any work
        for path, text in texts.items():
            name = _name(path)
            if args.check:
                new = regenerate(text, args.reduced, only, None, say=_say, name=name)
                if new != text:
                    drift.append((name, text, new))
                continue
            new = text                 # block by block: an interrupted `make docs` keeps its work
            for command, _, _ in known_blocks(text, name):
                if only is None or command in only:
                    figures_to = None if args.reduced else ROOT
                    new = regenerate(new, args.reduced, {command}, figures_to, say=_say, name=name)
                    _write(path, new)
    except OSError as e:
        print(f"error: {e.filename}: {e.strerror}", file=sys.stderr)
        return 2
    except DocsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    for name, text, new in drift:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                   name, f"{name} (regenerated)"))
    return 1 if drift else 0


def _say(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _write(path: Path, text: str) -> None:
    """Replace ``path`` by ``text`` if it differs (a temporary file, then a rename)."""
    if path.read_text(encoding="utf-8") != text:
        tmp = path.with_name(path.name + ".tmp")
        tmp.write_text(text, encoding="utf-8")
        tmp.replace(path)
        _say(f"rewrote {path}")


if __name__ == "__main__":
    sys.exit(main())
