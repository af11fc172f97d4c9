"""The README and docs/ODD.md cannot drift from the program (sim/docs.py, ``make docs``).

Every block of README.md and docs/ODD.md between ``<!-- generated: COMMAND -->`` and
``<!-- end generated -->`` is rerun here (ODD.md's day-0 tables, a fast block, exactly;
tests/test_odd_day0.py checks that they are read from the model). In ``make test``: the fast blocks (single runs,
``score``) exactly; the slow ones (experiments of hundreds of runs) at a reduced size,
whose numbers differ, so only their structure is compared (each table's header, each row's
label and cell count, the words of each other line). In ``make test-slow``: every block
at full size, exactly, except the Sobol' block (``make sobol``: about six minutes alone),
which ``make docs`` regenerates and ``make test`` checks by structure.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from sim import docs
from sim.docs import BLOCKS, DocsError, blocks_in, generate, regenerate, structure

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")
IN_README = {command: README[start:end] for command, start, end in blocks_in(README)}
ODD = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
IN_ODD = {command: ODD[start:end] for command, start, end in blocks_in(ODD, "docs/ODD.md")}
IN_DOCS = {**IN_README, **IN_ODD}
FAST = [c for c, b in BLOCKS.items() if not b.slow]
SLOW = [c for c, b in BLOCKS.items() if b.slow]
# the reduced runs of these take 9-10 s each: in make test-slow only (where the full
# regeneration compares every block but Sobol exactly, and Sobol's reduced shape here)
HEAVY = {"make sobol", "make ablation", "make scenario-table", "make holdout-table",
         "python run_sim.py calibrate history_2021 --data data/attempted_crossings_pl_2021.csv --out out/calibration"}
SLOW_PARAMS = [pytest.param(c, marks=pytest.mark.slow) if c in HEAVY else c for c in SLOW]
# The grain paragraph of 4 Dec 2026 (commit ce76f2d): numbers of --fixed runs (day 41, a
# Russia-Turkey deal in every run, corridor 0.53) under a command that uses the priors.
OLD_GRAIN = (ROOT / "tests" / "data" / "readme_grain_paragraph_ce76f2d.md").read_text("utf-8")


def with_block(text: str, command: str, body: str) -> str:
    """``text`` with the body of ``command``'s block replaced by ``body``."""
    for c, start, end in blocks_in(text):
        if c == command:
            return text[:start] + body.rstrip("\n") + "\n" + text[end:]
    raise AssertionError(command)


def test_every_block_has_a_generator_and_every_generator_a_block():
    commands = [c for text in (README, ODD) for c, _, _ in blocks_in(text)]
    assert len(commands) == len(set(commands)), commands
    assert set(commands) == set(BLOCKS)
    assert FAST and SLOW and IN_ODD
    assert docs.DOCUMENTS == (ROOT / "README.md", ROOT / "docs" / "ODD.md")   # what make docs(-check) reads


def test_a_block_without_its_end_or_generator_is_one_clear_error(tmp_path, capsys):
    with pytest.raises(DocsError, match="no '<!-- end generated -->'"):
        blocks_in("<!-- generated: make grain-table -->\n| a |\n<!-- generated: make sobol -->\n")
    bad = tmp_path / "README.md"
    bad.write_text("x\n<!-- generated: make no-such-table -->\n| a |\n<!-- end generated -->\n",
                   encoding="utf-8")
    assert docs.main(["--readme", str(bad), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "make no-such-table" in err[0] and "sim/docs.py" in err[0], err
    assert docs.main(["--doc", str(tmp_path / "missing.md"), "--check"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "missing.md" in err[0], err


def test_structure_ignores_numbers_but_not_rows_columns_or_words():
    table = "Intro with 200 runs.\n\n| a | b |\n|---|---|\n| x | 0.41 |\n| y 2 | 42 [16, 94] |"
    assert structure(table) == structure(table.replace("0.41", "0.5").replace("200", "6"))
    assert structure(table) != structure(table.replace("\n| y 2 | 42 [16, 94] |", ""))
    assert structure(table) != structure(table.replace("| x | 0.41 |", "| x | 0.41 | 3 |"))
    assert structure(table) != structure(table.replace("| x |", "| z |"))
    assert structure(table) != structure(table.replace("Intro with", "Prose with"))


# the score example runs 100 replications (15 s): in make test-slow, with the full regeneration
FAST_PARAMS = [pytest.param(c, marks=pytest.mark.slow) if c.startswith("python run_sim.py score") else c
               for c in FAST]


@pytest.mark.parametrize("command", FAST_PARAMS)
def test_a_fast_block_is_what_its_command_prints_now(command):
    assert generate(command) == IN_DOCS[command].rstrip("\n"), (
        f"the block of {command!r} drifted: run `make docs`")


@pytest.fixture(scope="module")
def reduced() -> dict[str, str]:
    return {}


@pytest.mark.parametrize("command", SLOW_PARAMS)
def test_a_slow_block_keeps_its_structure_at_a_reduced_size(command, reduced):
    reduced[command] = generate(command, reduced=True)
    assert structure(reduced[command]) == structure(IN_README[command]), (
        f"README block of {command!r} no longer has the shape its command gives: run `make docs`")


def test_the_grain_paragraph_of_fixed_runs_fails_and_passes_once_regenerated(reduced):
    fresh = reduced.get("make grain-table") or generate("make grain-table", reduced=True)
    stale = with_block(README, "make grain-table", OLD_GRAIN)
    stale_block = dict((c, stale[s:e]) for c, s, e in blocks_in(stale))["make grain-table"]
    assert structure(stale_block) != structure(fresh)           # caught
    redone = with_block(stale, "make grain-table", fresh)
    redone_block = dict((c, redone[s:e]) for c, s, e in blocks_in(redone))["make grain-table"]
    assert structure(redone_block) == structure(fresh)          # and passes once regenerated


@pytest.mark.slow
def test_the_readme_equals_a_full_regeneration():
    full = set(BLOCKS) - {"make sobol"}
    fresh = regenerate(README, only=full)
    if fresh != README:
        import difflib

        diff = "".join(difflib.unified_diff(README.splitlines(True), fresh.splitlines(True),
                                            "README.md", "regenerated", n=1))
        pytest.fail(f"the README drifted from its commands: run `make docs`\n{diff[:6000]}")


@pytest.mark.slow
def test_the_full_check_fails_on_the_fixed_runs_grain_paragraph_and_passes_after(tmp_path, capsys):
    readme = tmp_path / "README.md"
    readme.write_text(with_block(README, "make grain-table", OLD_GRAIN), encoding="utf-8")
    only = ["--only", "make grain-table"]
    assert docs.main(["--readme", str(readme), "--check", *only]) == 1
    assert "-against the facilitation of Russian exports on day 41" in capsys.readouterr().out
    assert docs.main(["--readme", str(readme), *only]) == 0          # make docs, on the copy
    assert docs.main(["--readme", str(readme), "--check", *only]) == 0
    assert readme.read_text(encoding="utf-8") == README
