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
from typing import Callable

from sim.docs_render import (  # noqa: F401  (the renderers BLOCKS names; tests read the day-0 ones here)
    ABLATION_OUTCOMES,
    DAY0_SEED,
    _ablation,
    _calibration,
    _num,
    _price_sweep,
    _sobol,
    _span,
    day0_model,
    day0_tables,
    print_day0,
)

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


CALIBRATE = "python run_sim.py calibrate history_2021 --data data/attempted_crossings_pl_2021.csv --out out/calibration"


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
