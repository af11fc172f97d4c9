"""Loading scenario files: YAML (safe loader), ``extends`` and ``stances_from``
merges, validation, and errors that name the file, the field path and the line.

A scenario file is read with ``yaml.safe_load``. It may name a parent with
``extends:`` (a scenario name in the same folder, or a path relative to the file);
the child is deep-merged onto the parent:

* mappings merge key by key, recursively;
* a key set to ``null`` in the child deletes that key of the parent (e.g. a stance
  or a channel);
* lists and scalars in the child replace the parent's whole value.

``stances_from:`` names a stance table (``seeds/stances.yaml``); its stances are
loaded first and the file's own ``stances:`` mapping merges onto them.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

from sim.scenario.schema import (SCENARIO_DIR, AddStanceEvent, ChannelEvent, RemoveStanceEvent, Scenario,
                                 SetStockEvent, SetIssueEvent, _ReferenceErrors)

# =========================================================================== loading
@dataclass
class Problem:
    path: str
    message: str
    line: int | None = None


class ScenarioError(Exception):
    """A scenario file is wrong. ``str()`` names the file, each field path and the fault."""

    def __init__(self, file: str | Path, problems: list[Problem]):
        self.file = str(file)
        self.problems = problems
        super().__init__(self.format())

    def format(self) -> str:
        lines = []
        for p in self.problems:
            where = f"{self.file}:{p.line}" if p.line else self.file
            field = f" {p.path}:" if p.path else ""
            lines.append(f"{where}:{field} {p.message}")
        return "\n".join(lines)


def resolve_scenario_path(name_or_path: str | Path, base: Path | None = None) -> Path:
    """A scenario name (``baseline``) in ``scenarios/`` or a path to a YAML file."""
    p = Path(name_or_path)
    candidates = []
    if p.suffix in (".yaml", ".yml") or p.parent != Path("."):
        candidates.append(p if p.is_absolute() or base is None else base / p)
        candidates.append(p)
    else:
        if base is not None:
            candidates.append(base / f"{p}.yaml")
        candidates.append(SCENARIO_DIR / f"{p}.yaml")
        candidates.append(p)
    for c in candidates:
        if c.is_file():
            return c
    known = ", ".join(sorted(x.stem for x in SCENARIO_DIR.glob("*.yaml")))
    raise ScenarioError(name_or_path, [Problem("", f"no such scenario file (known scenarios: {known})")])


def _read_yaml(path: Path) -> tuple[dict, yaml.Node | None]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioError(path, [Problem("", f"cannot read file: {exc.strerror}")]) from None
    try:
        data = yaml.safe_load(text)
        node = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        msg = f"YAML syntax error: {getattr(exc, 'problem', None) or exc}"
        raise ScenarioError(path, [Problem("", msg, line)]) from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ScenarioError(path, [Problem("", "a scenario file must be a mapping of fields", 1)])
    return data, node


class MergeError(ValueError):
    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def deep_merge(parent: Any, child: Any, _path: tuple = ()) -> Any:
    """Merge ``child`` onto ``parent``: dicts recurse, ``None`` deletes, the rest replaces.

    Deleting a key the parent does not have raises :class:`MergeError` (a misspelt
    stance id in a removal must not pass silently).
    """
    if isinstance(parent, dict) and isinstance(child, dict):
        out = dict(parent)
        for k, v in child.items():
            if v is None:
                if k not in out:
                    close = difflib.get_close_matches(str(k), list(map(str, out)), n=1)
                    hint = f"did you mean '{close[0]}'?" if close else \
                        f"it has: {', '.join(map(str, out)) or 'nothing'}"
                    raise MergeError((*_path, k), f"cannot remove '{k}': the parent has no such key ({hint})")
                del out[k]
            elif k in out:
                out[k] = deep_merge(out[k], v, (*_path, k))
            else:
                out[k] = _drop_nones(v)
        return out
    return _drop_nones(child)


def _drop_nones(v):
    if isinstance(v, dict):
        return {k: _drop_nones(x) for k, x in v.items() if x is not None}
    return v


def _line_of(node: yaml.Node | None, path: tuple) -> int | None:
    """Line (1-based) of the deepest node along ``path`` in a composed YAML tree."""
    line = None
    for key in path:
        if node is None:
            break
        line = node.start_mark.line + 1
        if isinstance(node, yaml.MappingNode):
            nxt = None
            for k, v in node.value:
                if k.value == str(key):
                    nxt = v
                    line = k.start_mark.line + 1
                    break
            node = nxt
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
        else:
            node = None
    if node is not None:
        line = node.start_mark.line + 1
    return line


def load_raw(name_or_path: str | Path, _seen: tuple = ()) -> tuple[dict, Path, yaml.Node | None]:
    """The merged (``extends``, ``stances_from``) but unvalidated mapping of a file."""
    path = resolve_scenario_path(name_or_path)
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path.resolve()))
        raise ScenarioError(path, [Problem("extends", f"circular extends: {chain}")])
    data, node = _read_yaml(path)
    parent_name = data.pop("extends", None)
    table = data.pop("stances_from", None)
    if table is not None:
        tpath = (path.parent / table) if not Path(table).is_absolute() else Path(table)
        from sim.scenario.seeds import load_stance_table, StanceTableError

        try:
            stances = load_stance_table(tpath).scenario_stances()
        except StanceTableError as exc:
            raise ScenarioError(path, [Problem("stances_from", str(exc), _line_of(node, ("stances_from",)))]) from None
        data["stances"] = _merge(stances, data.get("stances") or {}, path, node, ("stances",))
    if parent_name is not None:
        if not isinstance(parent_name, str):
            raise ScenarioError(path, [Problem("extends", "must be a scenario name or path",
                                               _line_of(node, ("extends",)))])
        try:
            parent_path = resolve_scenario_path(parent_name, base=path.parent)
        except ScenarioError:
            raise ScenarioError(path, [Problem("extends", f"no scenario '{parent_name}' to extend",
                                               _line_of(node, ("extends",)))]) from None
        parent, _, _ = load_raw(parent_path, (*_seen, path.resolve()))
        data = _merge(parent, data, path, node)
    return data, path, node


def _merge(parent, child, path, node, prefix: tuple = ()):
    try:
        return deep_merge(parent, child)
    except MergeError as exc:
        where = (*prefix, *exc.path)
        raise ScenarioError(path, [Problem(".".join(map(str, where)), str(exc), _line_of(node, where))]) from None


def load_scenario(name_or_path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load, merge and validate a scenario by name (``"baseline"``) or path.

    ``overrides`` is deep-merged last (same rules as ``extends``). Raises
    :class:`ScenarioError` on any fault.
    """
    data, path, node = load_raw(name_or_path)
    if overrides:
        data = _merge(data, overrides, "overrides", None)
    data.setdefault("name", path.stem)
    return validate_mapping(data, path, node)


def validate_mapping(data: dict, file: str | Path = "<scenario>", node: yaml.Node | None = None) -> Scenario:
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            ctx_err = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_err, _ReferenceErrors):
                for p, m in ctx_err.problems:
                    problems.append(Problem(p, m, _line_of(node, _split_path(p))))
                continue
            loc = tuple(x for x in err["loc"] if not _is_union_tag(x))
            p = ".".join(str(x) for x in loc)
            msg = _message(err)
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(err["loc"][-1]), _fields_at(err["loc"][:-1]), n=1)
                if close:
                    msg = f"unknown field (did you mean '{close[0]}'?)"
            problems.append(Problem(p, msg, _line_of(node, loc)))
        problems.sort(key=lambda q: q.line or 0)
        raise ScenarioError(file, problems) from None


def _fields_at(loc: tuple) -> list[str]:
    """Field names (aliases) of the schema model reached by a pydantic error location."""
    import typing

    from sim.model.stances import STANCE_TYPES

    tags = {"set_issue": SetIssueEvent, "set_stock": SetStockEvent, "set_channel": ChannelEvent,
            "add_stance": AddStanceEvent, "remove_stance": RemoveStanceEvent, **STANCE_TYPES}
    cur: Any = Scenario
    for key in loc:
        if isinstance(key, str) and key in tags and not (isinstance(cur, type) and issubclass(cur, BaseModel)):
            cur = tags[key]
            continue
        if isinstance(cur, type) and issubclass(cur, BaseModel):
            field = cur.model_fields.get(key) or next(
                (f for f in cur.model_fields.values() if f.alias == key), None)
            if field is None:
                return []
            cur = field.annotation
        else:
            args = [a for a in typing.get_args(cur) if a is not type(None)]
            cur = args[-1] if args else None          # dict value / list item / optional
        while typing.get_origin(cur) is typing.Annotated:
            cur = typing.get_args(cur)[0]
        if typing.get_origin(cur) in (typing.Union, getattr(__import__("types"), "UnionType", None)):
            models = [a for a in typing.get_args(cur) if isinstance(a, type) and issubclass(a, BaseModel)]
            cur = models[0] if len(models) == 1 else cur
    if isinstance(cur, type) and issubclass(cur, BaseModel):
        return [f.alias or n for n, f in cur.model_fields.items()]
    return []


def _split_path(p: str) -> tuple:
    return tuple(int(x) if x.isdigit() else x for x in p.split("."))


_TAGS = {"set_issue", "set_stock", "set_channel", "add_stance", "remove_stance"}


def _is_union_tag(x) -> bool:
    from sim.model.stances import STANCE_TYPES

    return isinstance(x, str) and (x in _TAGS or x in STANCE_TYPES or x.startswith("function-"))


def _message(err: dict) -> str:
    t, msg = err["type"], err["msg"]
    if t == "extra_forbidden":
        return "unknown field (check the spelling; see docs/ODD.md for the fields)"
    if t == "missing":
        return "required field is missing"
    if t == "union_tag_invalid":
        return msg.replace("Input tag", "unknown type").replace("found using 'type' ", "")
    if t == "union_tag_not_found":
        return "needs a 'type' field"
    if t.startswith("value_error"):
        return re.sub(r"^Value error, ", "", msg)
    inp = err.get("input")
    if isinstance(inp, (int, float, str)) and not isinstance(inp, bool):
        return f"{msg} (got {inp!r})"
    return msg


def list_scenarios(directory: Path = SCENARIO_DIR) -> list[tuple[str, str]]:
    """(name, description) of every scenario file in ``directory``, sorted by name."""
    out = []
    for f in sorted(directory.glob("*.yaml")):
        try:
            sc = load_scenario(f)
            out.append((f.stem, " ".join(sc.description.split())))
        except ScenarioError as exc:
            out.append((f.stem, f"(invalid: {exc.problems[0].message})"))
    return out
