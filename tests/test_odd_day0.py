"""docs/ODD.md §5's "Derived at day 0" tables are read from the model (sim/docs.py: ``day0_tables``).

tests/test_docs.py compares the block in docs/ODD.md with ``make odd-day0`` exactly; here:
the same in-process, the check catches the second round's hand-written tables, and a
scenario with another rule, veto, channel or exposure gives other rows (the generator reads
the model, it is not a table kept in the code).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

import sim
from sim import docs

ROOT = Path(__file__).resolve().parent.parent
ODD = (ROOT / "docs" / "ODD.md").read_text(encoding="utf-8")
COMMAND = "make odd-day0"
# The tables of the second round as ODD.md §5 had them (one actor "transit", no history)
STALE = """| issue | deciders (weight) | vetoes | alone: who, interval |
|---|---|---|---|
| migrant_flow | belarus (0.15) | — | belarus [0, 1] |
| routes | transit (0.1) | — | transit [0, 1] |
| russia_role | russia (0.3) | — | russia [0, 0] (its denial) |
"""


def block_of(text: str) -> str:
    spans = {c: (s, e) for c, s, e in docs.blocks_in(text, "docs/ODD.md")}
    start, end = spans[COMMAND]
    return text[start:end]


def rows(tables: str) -> dict[str, list[str]]:
    """Each table row's cells after the first, by its first cell (the issue, channel or actor)."""
    out = {}
    for line in tables.splitlines():
        if line.startswith("| ") and not set(line) <= set("|-: "):
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            out[cells[0]] = cells[1:]
    return out


@pytest.fixture(scope="module")
def baseline() -> str:
    return docs.day0_tables(docs.day0_model("baseline", docs.DAY0_SEED), docs.DAY0_SEED)


def test_the_odd_block_is_the_baseline_model_read_now(baseline):
    assert block_of(ODD).rstrip("\n") == baseline, "docs/ODD.md §5 drifted from the model: run `make docs`"
    r = rows(baseline)
    # the third round's actors, not the second round's single "transit" actor
    assert r["routes"][2] == "turkey (0.1), uae (0.1), carriers (0.05)"
    assert "transit" not in baseline
    assert f"on seed {docs.DAY0_SEED} " in baseline.splitlines()[0]


def test_the_check_covers_odd_and_fails_on_the_stale_tables(tmp_path, capsys):
    odd = tmp_path / "ODD.md"
    start, end = next((s, e) for c, s, e in docs.blocks_in(ODD) if c == COMMAND)
    odd.write_text(ODD[:start] + STALE + ODD[end:], encoding="utf-8")
    only = ["--only", COMMAND]
    assert docs.main(["--doc", str(odd), "--check", *only]) == 1
    assert "-| routes | transit (0.1) | — | transit [0, 1] |" in capsys.readouterr().out
    assert docs.main(["--doc", str(odd), *only]) == 0               # make docs, on the copy
    assert docs.main(["--doc", str(odd), "--check", *only]) == 0
    assert odd.read_text(encoding="utf-8") == ODD
    # and the repository's own check (no --doc: README.md and docs/ODD.md) passes
    assert docs.main(["--check", *only]) == 0


def test_another_rule_veto_channel_or_exposure_gives_other_rows(baseline):
    variant = sim.load_scenario("baseline", overrides={
        "issues": {"sanctions": {"decision": "sole"}},
        "stances": {"eu_returns_with_russia": {"actor": "eu", "type": "political_counterpart",
                                               "issue": "return_assistance", "with": "russia"}},
        "channels": {"eu-opposition": "political"},
        "actors": {"poland": {"exposure": {"pressure": 0.6, "sanctions": 0.02}}},
    })
    got = rows(docs.day0_tables(docs.day0_model(variant, docs.DAY0_SEED), docs.DAY0_SEED))
    base = rows(baseline)
    assert base["sanctions"][1] == "unanimity" and got["sanctions"][1] == "sole"        # the rule
    assert base["return_assistance"][3] == "—" and got["return_assistance"][3] == "russia"   # a veto
    assert got["return_assistance"][4] != base["return_assistance"][4]       # russia's consent narrows it
    assert "eu–opposition" not in base and got["eu–opposition"][:2] == ["political", "political"]
    assert "excluded: return_assistance (`eu_returns_with_russia`)" in got["belarus–eu"][2]
    # Poland's relief on the stock's drivers doubles with its exposure (both rounded to 0.01);
    # Belarus's does not move
    assert float(got["poland"][0]) == pytest.approx(2 * float(base["poland"][0]), abs=0.015)
    assert got["poland"] != base["poland"]
    assert got["belarus"] == base["belarus"]
    for name in ("migrant_flow", "routes", "regime_legitimacy", "russia_role"):
        assert got[name] == base[name], name


def test_day0_is_the_history_on_the_seed_the_caption_states(baseline):
    other = docs.day0_tables(docs.day0_model("baseline", 2), 2)
    assert "on seed 2 " in other.splitlines()[0]
    assert other.splitlines()[0] != baseline.splitlines()[0]        # the stock the history leaves
    assert rows(other)["russia_role"] == rows(baseline)["russia_role"]   # the rules do not depend on it


def test_numbers_are_rounded_to_two_decimals_without_minus_zero():
    assert [docs._num(v) for v in (0.43999999, 0.5, 1.0, -0.0, -0.001, -0.02)] == [
        "0.44", "0.5", "1", "0", "0", "-0.02"]
    assert docs._span(0.18, 0.58) == "[0.18, 0.58]"


def test_a_bad_scenario_is_one_line_and_exit_2(capsys):
    assert docs.main(["--day0", "no_such_scenario"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "no_such_scenario" in err[0], err


def test_make_odd_day0_prints_what_make_docs_writes(tmp_path, baseline):
    block = docs.BLOCKS[COMMAND]
    done = subprocess.run(block.argv(tmp_path, False), cwd=tmp_path, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert block.render(tmp_path, done.stdout) == baseline == docs.generate(COMMAND)
