"""Figures (:mod:`.plots`) and HTML reports (:mod:`.report`); submodules load on first use."""

import importlib


def __getattr__(name: str):
    try:
        return importlib.import_module(f"sim.viz.{name}")
    except ModuleNotFoundError as exc:
        if exc.name != f"sim.viz.{name}":
            raise
        raise AttributeError(f"module 'sim.viz' has no attribute {name!r}") from None
