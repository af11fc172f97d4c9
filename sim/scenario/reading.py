"""Reading a scenario file safely (:mod:`sim.scenario.loading` merges and validates what
this reads): the faults as :class:`ScenarioError` (file, field path, line), the limits
checked before any work (file size, nesting, aliases, digits; the model's size and the
memory of a run), the YAML loader that refuses duplicate keys and text that is not valid
Unicode, and the check for a yes/no where the schema means a number."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel

from sim.scenario.schema import Scenario


@dataclass
class Problem:
    path: str
    message: str
    line: int | None = None
    file: str | None = None       # where the field was written, if not the file loaded (extends)


class ScenarioError(Exception):
    """A scenario file is wrong. ``str()`` names the file, each field path and the fault."""

    def __init__(self, file: str | Path, problems: list[Problem]):
        self.file = str(file)
        self.problems = problems
        super().__init__(self.format())

    def format(self) -> str:
        lines = []
        for p in self.problems:
            file = p.file or self.file
            where = f"{file}:{p.line}" if p.line else file
            field = f" {p.path}:" if p.path else ""
            line = f"{where}:{field} {p.message}"
            lines.append(line.replace("\r", "\\r").replace("\n", "\\n"))    # one line per fault, always
        return "\n".join(lines)


# Limits checked before any work (a scenario file is a few KB, a few levels deep).
MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 50                # nesting levels of mappings and lists
MAX_NODES = 200_000           # values once every alias (``*name``) is expanded
MAX_INT_DIGITS = 30           # digits of a whole number (Python refuses more than 4,300)
MAX_EXTENDS = 10              # files in one ``extends`` chain
MAX_CHAIN_BYTES = 2_000_000   # bytes of every file one scenario reads (its extends chain, stance tables)

# The model's size, checked before validation (the largest scenario shipped has 17
# actors, 8 issues, 16 stances): each is far beyond any real case and keeps validate
# and a run within seconds and memory.
MODEL_LIMITS = {"actors": 100, "issues": 50, "channels": 5_000, "stances": 500, "events": 2_000,
                "history": 2_000, "uncertain": 100, "observables": 100}
MAX_STOCKS, MAX_FLOWS = 50, 50      # stocks of the environment; inflows (or outflows) of one stock
MAX_RUN_BYTES = 2_000_000_000       # the estimated memory of one run (see run_bytes)


class _LimitError(yaml.YAMLError):
    def __init__(self, message: str, mark=None):
        self.problem, self.problem_mark = message, mark
        super().__init__(message)


class ScenarioLoader(yaml.SafeLoader):
    """``yaml.SafeLoader`` that refuses duplicate keys, nesting deeper than
    :data:`MAX_DEPTH` (PyYAML's composer recurses once per level), whole numbers of
    more than :data:`MAX_INT_DIGITS` digits and text that is not valid Unicode (a lone
    surrogate such as ``"\\ud800"``, which no file could be written with)."""

    def __init__(self, stream):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent, index):
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                raise _LimitError(f"nested more than {MAX_DEPTH} levels deep", self.peek_event().start_mark)
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1

    def construct_mapping(self, node, deep=False):
        if isinstance(node, yaml.MappingNode):
            seen: dict = {}
            for key_node, _ in node.value:
                if isinstance(key_node, yaml.ScalarNode) and key_node.tag != "tag:yaml.org,2002:merge":
                    if key_node.value in seen:
                        raise _LimitError(f"duplicate key '{key_node.value}' (first on line "
                                          f"{seen[key_node.value] + 1}; the last would silently win)",
                                          key_node.start_mark)
                    seen[key_node.value] = key_node.start_mark.line
        return super().construct_mapping(node, deep=deep)

    def construct_scalar(self, node):
        value = super().construct_scalar(node)
        if isinstance(value, str) and _SURROGATE.search(value):
            raise _LimitError("text with a lone surrogate (an escape such as \\ud800): not valid Unicode",
                              node.start_mark)
        return value

    def construct_yaml_int(self, node):
        digits = sum(c.isdigit() for c in str(node.value))
        if digits > MAX_INT_DIGITS:
            raise _LimitError(f"a whole number of {digits:,} digits (at most {MAX_INT_DIGITS})", node.start_mark)
        return super().construct_yaml_int(node)


ScenarioLoader.add_constructor("tag:yaml.org,2002:int", ScenarioLoader.construct_yaml_int)
_SURROGATE = re.compile("[\ud800-\udfff]")


def _expanded_size(root: yaml.Node) -> int:
    """Number of values of the document with every alias expanded (an alias names the
    same node object again), counted without expanding anything."""
    memo: dict[int, int] = {}
    open_: set[int] = set()

    def size(node) -> int:
        key = id(node)
        if key in open_:
            raise _LimitError("an alias (*name) refers to a value that contains it (a cycle)", node.start_mark)
        if key not in memo:
            open_.add(key)
            if isinstance(node, yaml.MappingNode):
                n = 1 + sum(size(k) + size(v) for k, v in node.value)
            elif isinstance(node, yaml.SequenceNode):
                n = 1 + sum(size(v) for v in node.value)
            else:
                n = 1
            memo[key] = min(n, MAX_NODES + 1)
            open_.discard(key)
        return memo[key]

    return size(root)


def parse_yaml(path: Path, limit: int = MAX_FILE_BYTES) -> tuple[Any, yaml.Node | None]:
    """(data, composed node tree) of a YAML file, within the limits above; any fault is
    a :class:`ScenarioError` naming the file (and the line where there is one). Only a
    regular file is read (not a device or a FIFO), and at most ``limit`` bytes of it."""
    from sim.inputs import InputFileError, read_bytes

    try:
        raw = read_bytes(path, limit, "file")
    except InputFileError as exc:
        msg = str(exc).removeprefix(f"{path}: ")
        if "larger than" in msg:
            msg += "; a scenario file is a few KB"
        raise ScenarioError(path, [Problem("", msg)]) from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(path, [Problem("", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} at offset "
                                               f"{exc.start}); save the file as UTF-8", line)]) from None
    loader = None
    try:
        loader = ScenarioLoader(text)          # its reader refuses control characters here
        node = loader.get_single_node()
        if node is not None and _expanded_size(node) > MAX_NODES:
            raise _LimitError(f"more than {MAX_NODES:,} values once its aliases (*name) are expanded")
        data = loader.construct_document(node) if node is not None else None
    except yaml.reader.ReaderError as exc:
        line = text[:exc.position].count("\n") + 1
        what = (f"character #x{exc.character:04x}" if isinstance(exc.character, int)
                else "byte" if isinstance(exc.character, bytes) else "character")
        raise ScenarioError(path, [Problem("", f"a control {what} is not allowed in YAML (write it as an "
                                               "escape in a double-quoted string, or remove it)", line)]) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        problem = getattr(exc, "problem", None) or exc
        msg = problem if isinstance(exc, _LimitError) else f"YAML syntax error: {problem}"
        raise ScenarioError(path, [Problem("", str(msg), line)]) from None
    except RecursionError:
        raise ScenarioError(path, [Problem("", f"nested too deeply (limit {MAX_DEPTH} levels)")]) from None
    except ValueError as exc:          # a constructor's own fault (e.g. a date out of range)
        raise ScenarioError(path, [Problem("", f"a value cannot be read: {str(exc).splitlines()[0][:200]}")]) from None
    finally:
        if loader is not None:
            loader.dispose()
    return data, node


def _read_yaml(path: Path) -> tuple[dict, yaml.Node | None]:
    data, node = parse_yaml(path)
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, [Problem("", "a scenario file must be a mapping of fields", 1)])
    return data, node


def size_problems(data: Any) -> list[tuple[str, str]]:
    """The model-size limits (:data:`MODEL_LIMITS`, :data:`MAX_STOCKS`, :data:`MAX_FLOWS`)
    a mapping breaks, as (path, message); checked before validation."""
    if not isinstance(data, dict):
        return []
    out = []
    for key, limit in MODEL_LIMITS.items():
        v = data.get(key)
        if isinstance(v, (dict, list)) and len(v) > limit:
            out.append((key, f"{len(v):,} {key}; at most {limit:,} (see the README, Limits)"))
    env = data.get("environment")
    stocks = env.get("stocks") if isinstance(env, dict) else None
    if isinstance(stocks, dict):
        if len(stocks) > MAX_STOCKS:
            out.append(("environment.stocks", f"{len(stocks):,} stocks; at most {MAX_STOCKS}"))
        for name, st in list(stocks.items())[:MAX_STOCKS]:
            for kind in ("inflows", "outflows"):
                flows = st.get(kind) if isinstance(st, dict) else None
                if isinstance(flows, list) and len(flows) > MAX_FLOWS:
                    out.append((f"environment.stocks.{name}.{kind}", f"{len(flows):,} {kind}; at most {MAX_FLOWS}"))
    return out


def _bool_fields() -> frozenset[str]:
    """Names of the schema's yes/no fields (``enabled``, ``renew``, a stance's ``hard`` ...)."""
    global _BOOL_FIELDS
    if _BOOL_FIELDS is None:
        import typing

        from sim.model.stances import STANCE_TYPES

        names, seen, todo = set(), set(), [Scenario, *STANCE_TYPES.values()]
        while todo:
            m = todo.pop()
            if m in seen:
                continue
            seen.add(m)
            for name, f in m.model_fields.items():
                stack = [f.annotation]
                while stack:
                    t = stack.pop()
                    if t is bool:
                        names.update({name, f.alias or name})
                    elif isinstance(t, type) and issubclass(t, BaseModel):
                        todo.append(t)
                    else:
                        stack.extend(typing.get_args(t))
        _BOOL_FIELDS = frozenset(names)
    return _BOOL_FIELDS


_BOOL_FIELDS = None


def _bool_problems(data: Any, path: tuple = ()) -> list[tuple[tuple, str]]:
    """A yes/no (``yes``, ``true``) where the schema means a number or a name (YAML reads
    ``capability: yes`` as true, which a number field would take as 1), and text that is
    not valid Unicode (a lone surrogate, which no file can be written with)."""
    out = []
    if isinstance(data, str) and _SURROGATE.search(data):       # data built in code (a file is refused on reading)
        return [(path, "text with a lone surrogate: not valid Unicode")]
    if isinstance(data, dict):
        for k, v in data.items():
            if isinstance(k, str) and _SURROGATE.search(k):
                out.append(((*path, k), "a key with a lone surrogate: not valid Unicode"))
            elif isinstance(v, bool) and str(k) not in _bool_fields():
                out.append(((*path, k), f"'{str(v).lower()}' is a yes/no; this field takes a number or a name "
                                        "(YAML reads yes/no/on/off/true/false as yes/no)"))
            elif isinstance(v, (dict, list, str)):
                out += _bool_problems(v, (*path, k))
    elif isinstance(data, list):
        for n, v in enumerate(data):
            if isinstance(v, bool):
                out.append(((*path, n), f"'{str(v).lower()}' is a yes/no; a number or a name is expected here"))
            elif isinstance(v, (dict, list, str)):
                out += _bool_problems(v, (*path, n))
    return out


def run_bytes(sc: Scenario, days: int | None = None) -> int:
    """An estimate of the memory one run of ``sc`` takes (its daily series dominate: a row
    a day per pair of actors, per actor and issue, per issue and stock), from runs of
    10 to 100 actors (about 320 bytes a row over a 200 MB base)."""
    n, i, k = len(sc.actors), len(sc.issues), len(sc.environment.stocks)
    rows_per_day = n * n + n * (i + 1) + 2 * i + 4 * k + 10
    return 200_000_000 + (days or sc.horizon_days) * rows_per_day * 320


def run_size_message(sc: Scenario, days: int) -> str:
    return (f"a run of {len(sc.actors)} actors and {len(sc.issues)} issues over {days:,} days would take about "
            f"{run_bytes(sc, days) / 1e9:.1f} GB of memory (at most {MAX_RUN_BYTES / 1e9:g} GB); "
            "shorten the horizon or the model")
