"""Protocols see the model through a narrow interface (sim/protocols/view.py): every
attribute of the model that a protocol module touches is one the interface lists."""

from __future__ import annotations

import ast
from pathlib import Path

from sim.protocols.view import MEMBERS, ModelView

PROTOCOLS = Path(__file__).resolve().parents[2] / "sim" / "protocols"
MODEL_NAMES = {"m", "model"}            # how the protocols name the model they are handed


def _touched(path: Path) -> dict[str, list[int]]:
    """attribute -> lines, for every ``m.X``, ``model.X`` and ``self.model.X`` in a module."""
    out: dict[str, list[int]] = {}
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        if not isinstance(node, ast.Attribute):
            continue
        v = node.value
        if (isinstance(v, ast.Name) and v.id in MODEL_NAMES) or (
                isinstance(v, ast.Attribute) and v.attr == "model" and isinstance(v.value, ast.Name)
                and v.value.id == "self"):
            out.setdefault(node.attr, []).append(node.lineno)
    return out


def test_every_protocol_uses_only_the_view():
    bad = []
    for path in sorted(PROTOCOLS.glob("*.py")):
        if path.name in ("view.py", "__init__.py"):
            continue
        for attr, lines in _touched(path).items():
            if attr not in MEMBERS:
                bad.append(f"{path.name}:{lines[0]}: model.{attr}")
    assert not bad, "protocols touch the model outside sim/protocols/view.py:\n" + "\n".join(bad)


def test_the_view_lists_what_the_model_has():
    """Every member the interface names exists on a real model (and on its class)."""
    import sim
    from sim.model import NegotiationModel

    m = NegotiationModel(sim.load_scenario("black_sea_grain"), rng=0)
    missing = [a for a in sorted(MEMBERS) if not hasattr(m, a)]
    assert not missing
    declared = set(ModelView.__annotations__) | {k for k in vars(ModelView) if not k.startswith("_")}
    assert MEMBERS <= declared, sorted(MEMBERS - declared)


def test_the_checker_catches_a_protocol_that_reaches_past_the_view(tmp_path):
    bad = tmp_path / "rogue.py"
    bad.write_text("class P:\n    def act(self, actor):\n        m = self.model\n        m.next_move.clear()\n"
                   "        self.model._relief = {}\n")
    assert set(_touched(bad)) == {"next_move", "_relief"}
    assert not set(_touched(bad)) <= MEMBERS
