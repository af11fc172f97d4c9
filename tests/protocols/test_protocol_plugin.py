"""A protocol is one module: a toy protocol written to a temporary folder, registered
through DIPLOSIM_PROTOCOLS and nothing else, runs through ``run``, ``batch`` and
``compare-protocols``, shows in ``--help`` and has its own scenario field validated."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]

TOY = '''
"""A toy protocol: nobody negotiates; it forecasts each issue at its status quo moved by
``toy_shift``."""

from pydantic import Field

from sim.protocols.base import Protocol
from sim.scenario.schema import ProtocolOptions

HELP = "a toy: every issue at its status quo plus toy_shift"
COLOR = "#777777"


class Options(ProtocolOptions):
    toy_shift: float = Field(0.0, ge=-1.0, le=1.0)


class Toy(Protocol):
    name = "toy"
    classifier = {"makes_agreements": False, "time": "none", "stochastic": False,
                  "forecast": "the status quo moved by toy_shift", "source": "tests/protocols/test_protocol_plugin.py"}

    def forecast(self):
        return {k: min(1.0, max(0.0, float(v) + self.spec.toy_shift)) for k, v in enumerate(self.model.status_quo)}
'''


@pytest.fixture(scope="module")
def toy(tmp_path_factory):
    folder = tmp_path_factory.mktemp("plugin")
    (folder / "toy_protocol.py").write_text(textwrap.dedent(TOY))
    env = dict(os.environ, DIPLOSIM_PROTOCOLS="toy=toy_protocol",
               PYTHONPATH=os.pathsep.join([str(folder), str(ROOT)]))

    def cli(*args, ok=True):
        p = subprocess.run([sys.executable, str(ROOT / "run_sim.py"), *args], env=env, cwd=folder,
                           capture_output=True, text=True, timeout=600)
        if ok:
            assert p.returncode == 0, p.stderr[-2000:]
        return p

    cli.folder = folder
    return cli


def test_the_toy_protocol_runs_once_with_its_own_field(toy):
    sc = (ROOT / "scenarios" / "black_sea_grain.yaml").read_text()
    (toy.folder / "shifted.yaml").write_text(sc.replace("protocol:\n", "protocol:\n  toy_shift: 0.25\n", 1))
    toy("run", "shifted.yaml", "--protocol", "toy", "--out", "run", "--quiet", "--no-plots")
    summary = json.loads((toy.folder / "run" / "summary.json").read_text())
    assert summary["protocol"] == "toy"
    issues = pd.DataFrame(summary["issues"])
    assert ((issues["forecast"] - (issues["status_quo"] + 0.25).clip(0, 1)).abs() < 1e-9).all()


def test_the_toy_protocol_runs_in_a_batch_on_two_workers(toy):
    toy("batch", "baseline", "--protocol", "toy", "--reps", "4", "--workers", "2", "--out", "batch",
        "--quiet", "--no-report")
    runs = pd.read_parquet(toy.folder / "batch" / "runs.parquet")
    assert len(runs) == 4 and set(runs["protocol"]) == {"toy"} and (runs["status"] == "ok").all()


def test_the_toy_protocol_is_compared_with_the_others(toy):
    toy("compare-protocols", "baseline", "--protocols", "alternating_offers,toy", "--reps", "4",
        "--workers", "1", "--out", "cmp", "--quiet")
    text = (toy.folder / "cmp" / "comparison.md").read_text()
    assert "toy" in text and "alternating offers" in text


def test_help_names_the_toy_protocol_and_its_field_is_checked(toy):
    assert "toy (a toy: every issue at its status quo plus toy_shift)" in " ".join(toy("run", "--help").stdout.split())
    sc = (ROOT / "scenarios" / "black_sea_grain.yaml").read_text()
    (toy.folder / "bad.yaml").write_text(sc.replace("protocol:\n", "protocol:\n  toy_shift: 2\n", 1))
    p = toy("validate", "bad.yaml", ok=False)
    assert p.returncode == 2
    assert "toy_shift" in p.stdout + p.stderr and "a field of the toy protocol" in p.stdout + p.stderr


def test_without_the_variable_the_toy_field_is_unknown():
    """The registry is the only place a protocol is known: outside it, its field is an error."""
    from sim.scenario import ScenarioError, load_scenario
    from sim.scenario.loading import validate_mapping

    data = load_scenario("baseline").model_dump(mode="json")
    data["protocol"]["toy_shift"] = 0.1
    with pytest.raises(ScenarioError, match="toy_shift: unknown field"):
        validate_mapping(data, "<test>")
