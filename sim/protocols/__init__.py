"""Negotiation protocols behind one interface (:mod:`.base`): each is a class the model
drives day by day, and each yields the same :class:`sim.results.RunResult`.

* ``alternating_offers`` (:mod:`.alternating_offers`): bilateral package offers on channels;
* ``expected_utility`` (:mod:`.expected_utility`): Bueno de Mesquita's challenge model,
  one round a day (Scholz, Calbert & Smith 2011);
* ``compromise`` (:mod:`.compromise`): the capability x salience weighted mean (or
  median) of positions (Thomson et al. 2006), the yardstick every forecast is shown against;
* ``mediation`` (:mod:`.mediation`): a mediator's single negotiating text (Raiffa 1982).

**A protocol is one module** (CONTRIBUTING.md, "Adding a protocol"). It declares, at
module level:

* ``HELP`` - one line for ``--protocol``'s help (a string literal);
* ``COLOR`` - its colour in figures (a string literal, e.g. ``"#0072B2"``);
* ``Options`` - a :class:`sim.scenario.schema.ProtocolOptions` subclass: the fields of
  the scenario's ``protocol:`` block that only it reads (with defaults and bounds);
* ``problems(sc)`` (optional) - checks of those fields against the scenario, as
  ``(field, message)`` pairs; ``available(sc)`` (optional) - whether the scenario can
  run under it (default: yes);
* its :class:`~sim.protocols.base.Protocol` subclass, whose ``name`` is its key here.

and is registered by one line of :data:`PROTOCOLS` - or, for a protocol kept outside
the package, by the environment variable ``DIPLOSIM_PROTOCOLS="name=module[,...]"``
(read when this package is imported, so process workers see it too). ``HELP`` and
``COLOR`` are read from the module's source without importing it, so ``--help`` stays
light; ``Options``, ``problems`` and the class are imported when a scenario is
validated or run.
"""

from __future__ import annotations

import ast
import functools
import importlib
import importlib.util
import os

# name -> module; the order is the order tables and figures show them in
PROTOCOLS = {
    "alternating_offers": "sim.protocols.alternating_offers",
    "expected_utility": "sim.protocols.expected_utility",
    "compromise": "sim.protocols.compromise",
    "mediation": "sim.protocols.mediation",
}
ENV = "DIPLOSIM_PROTOCOLS"


def _plugins(text: str) -> dict[str, str]:
    out = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, module = part.partition("=")
        if not sep or not name.strip() or not module.strip():
            raise ValueError(f"{ENV}: '{part}' is not name=module")
        out[name.strip()] = module.strip()
    return out


PROTOCOLS.update(_plugins(os.environ.get(ENV, "")))


def _module(name: str):
    try:
        return importlib.import_module(PROTOCOLS[name])
    except KeyError:
        raise ValueError(f"unknown protocol {name!r} (protocols: {', '.join(PROTOCOLS)})") from None


@functools.cache
def declared(name: str) -> dict[str, str]:
    """The protocol's ``HELP`` and ``COLOR``, read from its module's source (not imported)."""
    spec = importlib.util.find_spec(PROTOCOLS[name])
    if spec is None or spec.origin is None:
        raise ValueError(f"protocol {name!r}: module {PROTOCOLS[name]!r} not found")
    with open(spec.origin, encoding="utf-8") as f:
        tree = ast.parse(f.read(), spec.origin)
    out = {"HELP": "", "COLOR": ""}
    for node in tree.body:
        if isinstance(node, ast.Assign) and len(node.targets) == 1 and isinstance(node.targets[0], ast.Name) \
                and node.targets[0].id in out:
            out[node.targets[0].id] = ast.literal_eval(node.value)
    return out


def help_text(name: str) -> str:
    return declared(name)["HELP"]


def color(name: str) -> str:
    return declared(name)["COLOR"]


def protocol_class(name: str):
    """The protocol class registered under ``name``: the module's Protocol subclass
    whose ``name`` is ``name``."""
    from sim.protocols.base import Protocol

    mod = _module(name)
    for obj in vars(mod).values():
        if isinstance(obj, type) and issubclass(obj, Protocol) and obj is not Protocol and obj.name == name:
            return obj
    raise ValueError(f"protocol {name!r}: module {PROTOCOLS[name]!r} defines no Protocol class named {name!r}")


def options_model(name: str):
    """The protocol's ``Options`` model (its own fields of ``protocol:``), or None."""
    return getattr(_module(name), "Options", None)


def problems(name: str, sc) -> list[tuple[str, str]]:
    """What is wrong with the scenario for the protocol's own fields."""
    check = getattr(_module(name), "problems", None)
    return list(check(sc)) if check else []


def available(name: str, sc) -> bool:
    """Whether the scenario can run under the protocol (e.g. mediation needs a mediator)."""
    check = getattr(_module(name), "available", None)
    return bool(check(sc)) if check else True


__all__ = ["PROTOCOLS", "available", "color", "declared", "help_text", "options_model", "problems",
           "protocol_class"]
