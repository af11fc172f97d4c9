"""Figures (:mod:`.plots`) and HTML reports (:mod:`.report`)."""
