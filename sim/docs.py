"""The README's numbers, regenerated: ``make docs`` (``python -m sim.docs``).

Every block of README.md that the program produces sits between two markers that name
the command which produced it::

    <!-- generated: make grain-table -->
    ... the block, as the command gives it ...
    <!-- end generated -->

:data:`BLOCKS` says, for each such command, how to run it (in a temporary folder, with
the interpreter running this module) and how its output becomes the block: a command's
printed output verbatim, a Markdown file it writes, a table made from the CSV it writes,
or an excerpt of a run's record. ``python -m sim.docs`` reruns every block and rewrites
it in place, and copies the figures the README shows into ``docs/``;
``python -m sim.docs --check`` writes nothing and exits 1 with a diff where the README
and a fresh regeneration differ. ``--reduced`` runs each experiment at a small size
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
from typing import Callable

import pandas as pd

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
BEGIN = re.compile(r"^<!-- generated: (?P<command>.+?) -->$", re.M)
END = "<!-- end generated -->"


class DocsError(Exception):
    """A README marker without its end, an unknown command, or a command that failed."""


@dataclass(frozen=True)
class Block:
    """How one generated block of the README is made.

    ``argv(out, reduced)`` is the command to run in the temporary folder ``out``;
    ``render(out, stdout)`` turns what it printed or wrote into the block's text;
    ``figures`` maps a file it writes (relative to ``out``) to the README's copy under
    ``docs/``; ``slow`` marks a block too slow to regenerate at full size in ``make test``.
    """

    argv: Callable[[Path, bool], list[str]]
    render: Callable[[Path, str], str]
    figures: dict[str, str] = field(default_factory=dict)
    slow: bool = True


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


#: What each calibrated field of history_2021 is, for the calibration's summary.
CALIBRATED = {
    "observables.attempted_crossings_pl.scale": "the scale: attempts per unit of the model's arrivals",
    "events.0.value": "the September channelling, the record's first event",
    "events.2.value": "the inferred October channelling",
    "environment.stocks.pressure.inflows.0.rate": "the arrival rate",
    "environment.stocks.pressure.outflows.0.rate": "the outflow rate",
}


def _num(v: float) -> str:
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
        lines.append(f"- `{r.parameter}`{' (' + what + ')' if what else ''}: median {_num(r.posterior_median)}, "
                     f"90% {_num(r.posterior_q05)}–{_num(r.posterior_q95)}, width {r.width_ratio:.2f} of the "
                     f"prior's: {verdict}")
    months = []
    for r in pred.itertuples():
        where = "inside" if r.inside_posterior_90 else ("below" if r.value < r.posterior_q05 else "above")
        months.append(f"{pd.Timestamp(r.date):%b} {_num(r.value)} {where} ({_num(r.posterior_q05)}–"
                      f"{_num(r.posterior_q95)})")
    lines.append(f"- posterior predictive: {check['inside_90']} of {check['n']} observed points inside the 90% "
                 f"band: {'; '.join(months)}")
    lines.append(f"- misfit: were the bands right, {check['inside_90']} or fewer of {check['n']} inside has "
                 f"probability {check['coverage_p']:.3f}; the p-value of the distance from the predictive median "
                 f"is {check['p_value']:.3f} (of {check['simulations']} simulations): "
                 + ("the model is misspecified for these data" if check["misspecified"] else
                    "no evidence of misspecification at this level"))
    return "\n".join(lines)


CALIBRATE = "python run_sim.py calibrate history_2021 --data data/attempted_crossings_pl_2021.csv --out out/calibration"


RECORD = str(ROOT / "tests" / "data" / "record_example.yaml")
PRICE_0 = ("python run_sim.py run baseline --seed 1, with commitments: {price: 0.0} "
           "(the first break by the European Union)")

#: Every generated block of the README, by the command its markers name.
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
    CALIBRATE: Block(
        _cli("calibrate", "history_2021", "--data", str(ROOT / "data" / "attempted_crossings_pl_2021.csv"),
             "--out", "calibration", "--quiet", reduced_args=("--population", "20", "--max-generations", "2",
                                                              "--predictive", "20")),
        _calibration, figures={"calibration/posterior_predictive.png": "docs/history_2021_posterior_predictive.png"}),
    "make holdout-table": Block(
        _make("holdout-table", "DOCS_OUT", "--population 12 --predictive 12"),
        lambda out, stdout: (out / "holdout" / "holdout.md").read_text(encoding="utf-8").strip("\n")),
    PRICE_0: Block(
        _with_overrides("baseline", "commitments: {price: 0.0}", "--seed", "1", "--no-plots",
                        "--out", "out0"),
        _record("commitment_broken", "European Union"), slow=False),
}


def blocks_in(text: str) -> list[tuple[str, int, int]]:
    """Each generated block of ``text``: its command and the span of its body."""
    found = []
    for m in BEGIN.finditer(text):
        start = m.end() + 1
        end = text.find("\n" + END, m.end())
        nxt = BEGIN.search(text, m.end())
        if end < 0 or (nxt and nxt.start() < end):
            raise DocsError(f"README: the block of {m['command']!r} has no {END!r} "
                            "before the next block")
        found.append((m["command"], start, end + 1))
    return found


def known_blocks(text: str) -> list[tuple[str, int, int]]:
    """Return :func:`blocks_in` of ``text``, each checked to be in :data:`BLOCKS` first."""
    found = blocks_in(text)
    for command, _, _ in found:
        if command not in BLOCKS:
            raise DocsError(f"README: no generator for the block {command!r} (sim/docs.py BLOCKS)")
    return found


def generate(command: str, reduced: bool = False, figures_to: Path | None = None) -> str:
    """Run one block's command in a temporary folder and return the block's text.

    The figures it draws are copied under ``figures_to`` (the repository, for
    ``make docs``) if given.
    """
    if command not in BLOCKS:
        raise DocsError(f"README: no generator for the block {command!r} (sim/docs.py BLOCKS)")
    block = BLOCKS[command]
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
               figures_to: Path | None = None, say=lambda s: None) -> str:
    """``text`` with every generated block (or those named in ``only``) rebuilt."""
    found = known_blocks(text)
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


def main(argv: list[str] | None = None) -> int:
    """``make docs``: rewrite the README's generated blocks and figures, or check them."""
    ap = argparse.ArgumentParser(prog="python -m sim.docs", description=__doc__.split("\n\n")[0])
    ap.add_argument("--readme", type=Path, default=README)
    ap.add_argument("--check", action="store_true",
                    help="write nothing; exit 1 with a diff if the README drifted")
    ap.add_argument("--reduced", action="store_true",
                    help="small experiments (for tests; numbers differ)")
    ap.add_argument("--only", action="append", metavar="COMMAND",
                    help="only the block of this command")
    ap.add_argument("--list", action="store_true", help="list the blocks and exit")
    args = ap.parse_args(argv)
    text = args.readme.read_text(encoding="utf-8")
    try:
        if args.list:
            for command, _, _ in blocks_in(text):
                block = BLOCKS.get(command)
                speed = "unknown" if block is None else "slow" if block.slow else "fast"
                print(f"{speed}  {command}")
            return 0
        only = set(args.only) if args.only else None
        if args.check:
            new = regenerate(text, args.reduced, only, None, say=_say)
        else:                          # block by block: an interrupted `make docs` keeps its work
            if args.reduced and args.readme.resolve() == README:
                raise DocsError("--reduced writes a reduced run's numbers: use it with --check "
                                "or on a copy (--readme)")
            new = text
            for command, _, _ in known_blocks(text):
                if only is None or command in only:
                    figures_to = None if args.reduced else ROOT
                    new = regenerate(new, args.reduced, {command}, figures_to, say=_say)
                    _write(args.readme, new)
    except DocsError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    if args.check and new != text:
        sys.stdout.writelines(difflib.unified_diff(text.splitlines(True), new.splitlines(True),
                                                   "README.md", "regenerated"))
        return 1
    return 0


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
