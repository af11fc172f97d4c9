"""Negotiation protocols behind one interface (:mod:`.base`): each is a class the model
drives day by day, and each yields the same :class:`sim.results.RunResult`.

* ``alternating_offers`` (:mod:`.alternating_offers`): bilateral package offers on channels;
* ``expected_utility`` (:mod:`.expected_utility`): Bueno de Mesquita's challenge model,
  one round a day (Scholz, Calbert & Smith 2011);
* ``compromise`` (:mod:`.compromise`): the capability x salience weighted mean (or
  median) of positions (Thomson et al. 2006), the yardstick every forecast is shown against;
* ``mediation`` (:mod:`.mediation`): a mediator's single negotiating text (Raiffa 1982).

:mod:`.boa` holds the BOA parts (bidding, opponent model, acceptance) actors are
composed of. Protocol modules are imported when first used.
"""

from __future__ import annotations

import importlib

# name -> (module, class); the order is the order tables and figures show them in
PROTOCOLS = {
    "alternating_offers": ("sim.protocols.alternating_offers", "AlternatingOffers"),
    "expected_utility": ("sim.protocols.expected_utility", "ExpectedUtility"),
    "compromise": ("sim.protocols.compromise", "Compromise"),
    "mediation": ("sim.protocols.mediation", "Mediation"),
}


def protocol_class(name: str):
    """The protocol class registered under ``name``."""
    try:
        module, cls = PROTOCOLS[name]
    except KeyError:
        raise ValueError(f"unknown protocol {name!r} (protocols: {', '.join(PROTOCOLS)})") from None
    return getattr(importlib.import_module(module), cls)


__all__ = ["PROTOCOLS", "protocol_class"]
