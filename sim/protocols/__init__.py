"""Negotiation protocols behind one interface (see :mod:`.alternating_offers`,
:mod:`.expected_utility`, :mod:`.compromise`); :mod:`.boa` holds the BOA parts actors
are composed of."""
