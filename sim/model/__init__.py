"""The agent-based model: one Mesa step is one day.

:mod:`.model` (the day), :mod:`.agents` (actors), :mod:`.stances` (typed stance rules),
:mod:`.environment` (the crisis). Imported lazily so that the scenario schema can use
:mod:`.stances` without loading the model.
"""


def __getattr__(name):
    if name in ("NegotiationModel", "Agreement", "Channel"):
        from sim.model import model

        return getattr(model, name)
    raise AttributeError(name)


__all__ = ["Agreement", "Channel", "NegotiationModel"]
