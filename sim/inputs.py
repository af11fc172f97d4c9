"""Reading input files safely: every file the program reads goes through here.

A file is read only if it is a regular file (not a device such as ``/dev/zero``, a FIFO
that would block for ever, or a folder) and only up to a size bound, checked before
reading and again while reading (``/proc`` files say they hold 0 bytes). A file named
by another file (``extends:``, ``stances_from:``, a stance table's ``article:``) must
also lie, symlinks resolved, inside the naming scenario's folder tree or one of the
project's data folders (:data:`DATA_DIRS`); files named on the command line may lie
anywhere. Faults are :class:`InputFileError` with a one-line message that names the
file and never quotes its content. The module imports nothing heavy.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
# the project's own data folders: what a scenario file may name wherever it lies
DATA_DIRS = tuple(ROOT / d for d in ("scenarios", "seeds", "data", "tests/data"))


class InputFileError(ValueError):
    """A file that must not be read (or cannot be): the message names it, one line."""


def _mb(n: int) -> str:
    return f"{n / 1e6:g} MB" if n >= 1_000_000 else f"{n:,} bytes"


def read_bytes(path: str | Path, limit: int, what: str = "file") -> bytes:
    """The bytes of the regular file ``path``, at most ``limit`` of them, else
    :class:`InputFileError`. Opened without blocking, so a FIFO swapped in after the
    check cannot hang the read."""
    path = Path(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    except ValueError:                  # a NUL in the path
        raise InputFileError(f"{str(path)!r}: not a file name (it holds a NUL character)") from None
    if not stat.S_ISREG(st.st_mode):
        kind = ("a folder" if stat.S_ISDIR(st.st_mode) else "a FIFO" if stat.S_ISFIFO(st.st_mode)
                else "a device" if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode) else "not a regular file")
        raise InputFileError(f"{path}: the {what} is {kind}, not a regular file")
    if st.st_size > limit:
        raise InputFileError(f"{path}: the {what} is larger than {_mb(limit)}")
    try:
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0) | getattr(os, "O_NOCTTY", 0))
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    try:
        if not stat.S_ISREG(os.fstat(fd).st_mode):          # swapped between stat and open
            raise InputFileError(f"{path}: the {what} is not a regular file")
        chunks, n = [], 0
        while n <= limit:
            block = os.read(fd, min(1 << 20, limit + 1 - n))
            if not block:
                break
            chunks.append(block)
            n += len(block)
        if n > limit:
            raise InputFileError(f"{path}: the {what} is larger than {_mb(limit)}")
        return b"".join(chunks)
    except OSError as exc:
        raise InputFileError(f"{path}: cannot read the {what} ({exc.strerror or exc})") from None
    finally:
        os.close(fd)


def read_text(path: str | Path, limit: int, what: str = "file") -> str:
    """:func:`read_bytes` decoded as UTF-8 (a fault names the offset, not the bytes)."""
    raw = read_bytes(path, limit, what)
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise InputFileError(f"{path}:{line}: the {what} is not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                             f"{exc.start}); save it as UTF-8") from None


def check_named(path: str | Path, roots: tuple[Path, ...] | list[Path], what: str = "file") -> Path:
    """``path`` (named inside another file) if it lies, symlinks resolved, inside one of
    ``roots`` or of the project's data folders; else :class:`InputFileError`."""
    path = Path(path)
    try:
        real = path.resolve()
    except (OSError, RuntimeError) as exc:      # a symlink loop
        raise InputFileError(f"{path}: cannot resolve the {what} path ({exc})") from None
    except ValueError:                  # a NUL in the path
        raise InputFileError(f"{str(path)!r}: not a file name (it holds a NUL character)") from None
    allowed = [Path(r).resolve() for r in roots] + [d.resolve() for d in DATA_DIRS]
    if not any(real == r or real.is_relative_to(r) for r in allowed):
        folder = Path(roots[0]) if roots else "?"
        raise InputFileError(f"{path}: the {what} lies outside the scenario's folder ({folder}) "
                             "and the project's data folders (scenarios/, seeds/, data/): a file a scenario names must "
                             "lie there")
    return path
