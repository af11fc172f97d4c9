"""The notebook runs top to bottom (so it cannot rot)."""

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parent.parent


@pytest.mark.slow
def test_explore_notebook_executes(tmp_path):
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    NotebookClient(nb, timeout=300, kernel_name="python3",
                   resources={"metadata": {"path": str(ROOT)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.get("outputs", [])]
    assert not [o for o in outputs if o.get("output_type") == "error"]
    images = [o for o in outputs if "image/png" in o.get("data", {})]
    assert len(images) >= 7          # every figure cell drew its figure


def test_every_section_runs_its_own_code_and_every_demo_is_commented():
    # before: "Two scenarios, many runs" was followed by the protocol section's code, and
    # the "change a number" demo showed two numbers with no word on them
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    cells = nb.cells
    heads = [i for i, c in enumerate(cells) if c.cell_type == "markdown" and c.source.startswith("## ")]
    first_code = {cells[i].source.splitlines()[0]: next(c.source for c in cells[i + 1:] if c.cell_type == "code")
                  for i in heads}
    assert "sim.batch(" in first_code["## Two scenarios, many runs"]
    assert 'protocol="mediation"' in first_code["## The same scenario under another protocol"]
    assert "overrides=" in first_code["## Change a number and re-run"]
    assert "sim.sweep(" in first_code["## A small sweep"]
    # every run of code cells is followed by a markdown cell that says what it showed
    for i, c in enumerate(cells):
        if c.cell_type == "code" and (i + 1 == len(cells) or cells[i + 1].cell_type != "code"):
            assert i + 1 < len(cells) and cells[i + 1].cell_type == "markdown", c.source[:60]
            assert not cells[i + 1].source.startswith("#"), c.source[:60]     # a comment, not the next heading
