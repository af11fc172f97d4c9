"""Text to the terminal without control sequences.

A scenario's title, a label or a field name can hold an escape sequence (``\\x1b[2J``
clears the screen, ``\\x1b]0;...`` sets the window title) or another control character.
The CLI writes through :class:`CleanStream`, which shows each such character as a
visible escape (``\\x1b``) and keeps only newline, tab and carriage return (the
progress bar's). It imports nothing heavy.
"""

from __future__ import annotations

import re

# C0 controls but tab, newline and carriage return; DEL; C1 controls; the bidirectional
# overrides and isolates (they reorder what the terminal shows)
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def clean(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\x1b``)."""
    return _CONTROL.sub(lambda m: m.group().encode("unicode_escape").decode("ascii"), text)


class CleanStream:
    """A text stream that writes :func:`clean` text to the stream it wraps."""

    def __init__(self, stream):
        self._stream = stream

    def write(self, text: str) -> int:
        self._stream.write(clean(text))
        return len(text)

    def writelines(self, lines) -> None:
        for line in lines:
            self.write(line)

    def __getattr__(self, name):        # flush, fileno, isatty, encoding ...
        return getattr(self._stream, name)
