"""Loading scenario files: YAML (safe loader), ``extends`` and ``stances_from``
merges, validation, and errors that name the file, the field path and the line.

A scenario file is read with ``yaml.safe_load``. It may name a parent with
``extends:`` (a scenario name in the same folder, or a path relative to the file);
the child is deep-merged onto the parent:

* mappings merge key by key, recursively;
* a key set to ``null`` in the child deletes that key of the parent (e.g. a stance
  or a channel);
* the lists of things that happen (``events:``, :data:`APPEND_LISTS`) add to the
  parent's: the child's items come after the parent's. ``replace: [events]`` in the
  child makes its list replace the parent's instead;
* other lists (e.g. an issue's ``control``) and scalars replace the parent's value.

``overrides`` (Python API) merge by the same rules, ``replace`` included.

``stances_from:`` names a stance table (``seeds/stances.yaml``); its stances are
loaded first and the file's own ``stances:`` mapping merges onto them.
"""

from __future__ import annotations

import copy
import difflib
import re
from pathlib import Path
from typing import Any

import yaml
from pydantic import BaseModel, ValidationError

# reading a file safely, its faults and limits (re-exported: callers import them from here)
from sim.scenario.reading import (  # noqa: F401
    MAX_CHAIN_BYTES,
    MAX_DEPTH,
    MAX_EXTENDS,
    MAX_FILE_BYTES,
    MAX_FLOWS,
    MAX_INT_DIGITS,
    MAX_NODES,
    MAX_RUN_BYTES,
    MAX_STOCKS,
    MODEL_LIMITS,
    Problem,
    ScenarioError,
    ScenarioLoader,
    _bool_problems,
    _read_yaml,
    parse_yaml,
    run_bytes,
    run_size_message,
    size_problems,
)
from sim.scenario.schema import (
    SCENARIO_DIR,
    AddStanceEvent,
    ChannelEvent,
    RemoveStanceEvent,
    Scenario,
    SetIssueEvent,
    SetStockEvent,
    _ReferenceErrors,
)


# =========================================================================== loading
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
        try:
            if c.is_file():
                return c
        except (OSError, ValueError):     # a name too long for the system, a NUL: no such file
            continue
    import difflib

    names = sorted(x.stem for x in SCENARIO_DIR.glob("*.yaml"))
    close = difflib.get_close_matches(p.stem, names, n=1, cutoff=0.6)
    hint = f"; did you mean '{close[0]}'?" if close else ""
    raise ScenarioError(name_or_path, [Problem("", f"no such scenario file{hint} (known scenarios: "
                                                   f"{', '.join(names)})")])


APPEND_LISTS = ("events",)       # top-level lists a child adds to (unless it says `replace:`)


class MergeError(ValueError):
    def __init__(self, path: tuple, message: str):
        self.path = path
        super().__init__(message)


def deep_merge(parent: Any, child: Any, _path: tuple = (), append: tuple = ()) -> Any:
    """Merge ``child`` onto ``parent``: dicts recurse, ``None`` deletes, the rest replaces,
    except the top-level lists named in ``append``, to which the child's items are added.

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
            elif k in out and not _path and k in append and isinstance(out[k], list) and isinstance(v, list):
                out[k] = [*out[k], *_drop_nones(v)]
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


def _find_line(node: yaml.Node | None, path: tuple) -> int | None:
    """Line (1-based) of ``path`` in a composed YAML tree if the whole path is there."""
    line = None
    for key in path:
        if isinstance(node, yaml.MappingNode):
            hit = next(((k, v) for k, v in node.value if getattr(k, "value", None) == str(key)), None)
            if hit is None:
                return None
            line, node = hit[0].start_mark.line + 1, hit[1]
        elif isinstance(node, yaml.SequenceNode) and isinstance(key, int) and key < len(node.value):
            node = node.value[key]
            line = node.start_mark.line + 1
        else:
            return None
    return line


def _locate(layers: list[tuple[Path, yaml.Node | None]], path: tuple) -> tuple[int | None, str | None]:
    """(line, file) of a field: the first file of the ``extends`` chain (child first)
    that writes the whole path; else the nearest line in the child (file None)."""
    for n, (file, node) in enumerate(layers):
        line = _find_line(node, path)
        if line is not None:
            return line, (str(file) if n else None)
    return _line_of(layers[0][1] if layers else None, path), None


def _problem(layers, path: str | tuple, message: str, inherited_events: int = 0) -> Problem:
    """A fault at ``path`` of the merged mapping, located in the file that wrote it.
    Events add to the parent's (the parent's come first), so a merged ``events.N`` is
    the child's own event ``N - inherited_events``, or one inherited from the parent."""
    parts = _split_path(path) if isinstance(path, str) else tuple(path)
    if len(parts) > 1 and parts[0] == "events" and isinstance(parts[1], int) and inherited_events:
        if parts[1] >= inherited_events:
            parts = ("events", parts[1] - inherited_events, *parts[2:])
            line, file = _locate(layers[:1], parts)
            return Problem(".".join(map(str, parts)), message, line, file)
        message += " (an event inherited from the parent)"
    line, file = _locate(layers, parts)
    return Problem(".".join(map(str, parts)), message, line, file)


def _inherited_events(data: dict, node) -> int:
    """How many of the merged events come from the parent (they precede the file's own)."""
    own = None
    if isinstance(node, yaml.MappingNode):
        own = next((v for k, v in node.value if k.value == "events"), None)
    n_own = len(own.value) if isinstance(own, yaml.SequenceNode) else 0
    events = data.get("events")
    return max(0, len(events) - n_own) if isinstance(events, list) else 0


def load_raw(name_or_path: str | Path, _seen: tuple = ()) -> tuple[dict, Path, yaml.Node | None]:
    """The merged (``extends``, ``stances_from``) but unvalidated mapping of a file."""
    data, path, node, _, _ = _load_raw(name_or_path, _seen)
    return data, path, node


def _load_raw(name_or_path, _seen: tuple = (), _ctx: dict | None = None):
    """(data, path, node, layers, article): layers are (file, node) of the file, then of
    each file it extends or takes stances from, so a fault is reported where it was
    written; article is the text of the stance table's source, if any.

    Files named inside the file (``extends:``, ``stances_from:``) must lie in the folder
    tree of the file asked for or in the project's data folders (:mod:`sim.inputs`);
    the chain is at most :data:`MAX_EXTENDS` files and :data:`MAX_CHAIN_BYTES` bytes."""
    from sim.inputs import InputFileError, check_named

    path = resolve_scenario_path(name_or_path)
    if _ctx is None:
        _ctx = {"roots": (path.parent,), "bytes": 0}
    if path.resolve() in _seen:
        chain = " -> ".join(str(p) for p in (*_seen, path.resolve()))
        raise ScenarioError(path, [Problem("extends", f"circular extends: {chain}")])
    _count_bytes(path, _ctx)
    data, node = _read_yaml(path)
    layers = [(path, node)]
    article = None
    parent_name = data.pop("extends", None)
    append = _appending(data.pop("replace", None), path, node)
    table = data.pop("stances_from", None)
    if table is not None:
        line = _line_of(node, ("stances_from",))
        if not isinstance(table, str) or not table.strip():
            raise ScenarioError(path, [Problem("stances_from", f"must be the path of a stance table, got {table!r}",
                                               line)])
        tpath = (path.parent / table) if not Path(table).is_absolute() else Path(table)
        from sim.scenario.seeds import StanceTableError, load_stance_table

        try:
            check_named(tpath, _ctx["roots"], "stance table")
            _count_bytes(tpath, _ctx, "stances_from", node)
            stance_table = load_stance_table(tpath, roots=_ctx["roots"])
        except (StanceTableError, InputFileError) as exc:
            raise ScenarioError(path, [Problem("stances_from", str(exc), line)]) from None
        own = data.get("stances") or {}
        data["stances"] = _merge(stance_table.scenario_stances(), own, path, node, ("stances",))
        article = stance_table.article
        try:
            _, tnode = parse_yaml(tpath)
            layers.append((tpath, tnode))
        except ScenarioError:
            pass
    if parent_name is not None:
        line = _line_of(node, ("extends",))
        if not isinstance(parent_name, str):
            raise ScenarioError(path, [Problem("extends", "must be a scenario name or path", line)])
        if len(_seen) + 1 >= MAX_EXTENDS:
            raise ScenarioError(path, [Problem("extends", f"the extends chain is longer than {MAX_EXTENDS} files "
                                                          f"(it starts at {_seen[0] if _seen else path})", line)])
        try:
            parent_path = resolve_scenario_path(parent_name, base=path.parent)
        except ScenarioError:
            raise ScenarioError(path, [Problem("extends", f"no scenario '{parent_name}' to extend", line)]) from None
        try:
            check_named(parent_path, _ctx["roots"], "scenario to extend")
        except InputFileError as exc:
            raise ScenarioError(path, [Problem("extends", str(exc), line)]) from None
        parent, _, _, parent_layers, parent_article = _load_raw(parent_path, (*_seen, path.resolve()), _ctx)
        data = _merge(parent, data, path, node, append=append)
        layers += parent_layers
        article = article if article is not None else parent_article
    if not _seen:                 # the file asked for: check the merged stances once
        problems = _all_quote_problems(data, article)
        if problems:
            raise ScenarioError(path, [_problem(layers, p, m) for p, m in problems])
    return data, path, node, layers, article


def _count_bytes(path: Path, ctx: dict, field: str = "", node=None) -> None:
    """Add the file's size to what the scenario reads; past :data:`MAX_CHAIN_BYTES`, refuse."""
    try:
        size = path.stat().st_size
    except OSError:
        return                      # the read names the fault
    ctx["bytes"] += size
    if ctx["bytes"] > MAX_CHAIN_BYTES:
        raise ScenarioError(path, [Problem(field, f"the files this scenario reads (its extends chain and stance "
                                                  f"tables) hold more than {MAX_CHAIN_BYTES / 1e6:g} MB together",
                                           _line_of(node, (field,)) if field else None)])


def _all_quote_problems(data: dict, article: str | None) -> list[tuple[str, str]]:
    problems = _quote_problems(data.get("stances"), article, "stances")
    events = data.get("events")
    for n, ev in enumerate(events if isinstance(events, list) else []):
        if isinstance(ev, dict) and isinstance(ev.get("stance"), dict):
            problems += _quote_problems({"stance": ev["stance"]}, article, f"events.{n}")
    return problems


def _quote_problems(stances: Any, article: str | None, prefix: str) -> list[tuple[str, str]]:
    """A stance's ``start``/``end`` must be the offsets of its ``quote``: in the
    article when the stances come from a table, else at least its length."""
    out = []
    if not isinstance(stances, dict):
        return out
    for sid, st in stances.items():
        if not isinstance(st, dict) or (st.get("start") is None and st.get("end") is None):
            continue
        q, s, e = st.get("quote"), st.get("start"), st.get("end")
        where = f"{prefix}.{sid}"
        if not isinstance(s, int) or not isinstance(e, int) or isinstance(s, bool) or isinstance(e, bool):
            out.append((where, "start and end must both be given, as whole-number character offsets"))
        elif not q:
            out.append((f"{where}.quote", "start and end need the quote they locate"))
        elif article is not None and article[s:e] != q:
            out.append((f"{where}.start", f"the article's text at [{s}:{e}] is not the quote "
                                          f"({_first_difference(article[s:e], q)})"))
        elif article is None and e - s != len(q):
            out.append((f"{where}.end", f"end - start is {e - s} but the quote has {len(q)} characters"))
    return out


def _first_difference(text: str, quote: str) -> str:
    """Where ``text`` departs from ``quote``, without quoting ``text`` (it comes from
    another file, which an error about this one must not echo)."""
    n = next((i for i, (a, b) in enumerate(zip(text, quote)) if a != b), min(len(text), len(quote)))
    if n == len(text) == len(quote):
        return "they are equal"
    if n < min(len(text), len(quote)):
        return f"they differ from character {n} of the quote"
    return f"the text has {len(text)} characters, the quote {len(quote)}"


def _appending(replace, path, node) -> tuple:
    """The lists that add to the parent's, given a child's ``replace:`` field."""
    if replace is None:
        return APPEND_LISTS
    if isinstance(replace, str):
        replace = [replace]
    bad = [r for r in replace if r not in APPEND_LISTS] if isinstance(replace, list) else [replace]
    if bad:
        raise ScenarioError(path, [Problem("replace", f"{bad[0]!r} is not a list that adds to the parent's "
                                                      f"(replace: takes {', '.join(APPEND_LISTS)})",
                                           _line_of(node, ("replace",)))])
    return tuple(k for k in APPEND_LISTS if k not in replace)


def _merge(parent, child, path, node, prefix: tuple = (), append: tuple = ()):
    try:
        return deep_merge(parent, child, append=append)
    except MergeError as exc:
        where = (*prefix, *exc.path)
        raise ScenarioError(path, [Problem(".".join(map(str, where)), str(exc), _line_of(node, where))]) from None


def _default_name(stem: str) -> str:
    """A file's stem as a scenario name (letters, digits, ``_``, ``-``)."""
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", stem).lstrip("_-")
    return name or "scenario"


def load_scenario(name_or_path: str | Path, overrides: dict | None = None) -> Scenario:
    """Load, merge and validate a scenario by name (``"baseline"``) or path.

    ``overrides`` is deep-merged last (same rules as ``extends``). Raises
    :class:`ScenarioError` on any fault.
    """
    data, path, node, layers, _ = _load_raw(name_or_path)
    if overrides:
        overrides = dict(overrides)
        append = _appending(overrides.pop("replace", None), "overrides", None)
        data = _merge(data, overrides, "overrides", None, append=append)
    data.setdefault("name", _default_name(path.stem))
    return validate_mapping(data, path, node, layers)


# ``starts_from:`` (a scenario that continues another's history): its two steps, embedding
# the named history and checking the chain, are registered here by
# sim.scenario.continuation when sim.scenario is imported (it reads scenarios with this
# module, so this module cannot import it).
CHAIN: dict = {}


def validate_mapping(data: dict, file: str | Path = "<scenario>", node: yaml.Node | None = None,
                     layers: list | None = None, check_priors: bool = True, check_text: bool = True) -> Scenario:
    """The scenario in ``data``, validated, or :class:`ScenarioError` listing every
    problem. ``check_priors=False`` skips the check that each ``uncertain:`` prior is
    allowed at both ends of its support (a model validation per end): experiments make
    that check once per job and then set drawn values replicate by replicate.
    ``check_text=False`` skips the walk for yes/no values and invalid Unicode over the
    whole data, for a caller that checked what it changed in data that passed it
    (:func:`sim.experiments.design.apply_params`)."""
    layers_given = layers is not None
    layers = layers if layers is not None else [(Path(str(file)), node)]
    too_big = size_problems(data)
    if too_big:         # before anything costs time in proportion to the model's size
        raise ScenarioError(file, [_problem(layers, p, m) for p, m in too_big])
    # load_scenario checked the quotes (against the article, if any); data built in code here
    quotes = _all_quote_problems(data, None) if not layers_given else []
    inh = _inherited_events(data, layers[0][1])
    problems = [_problem(layers, p, m, inh) for p, m in quotes + (_bool_problems(data) if check_text else [])]
    if isinstance(data, dict) and data.get("starts_from") is not None:     # the history it continues
        data, chain = CHAIN["embed"](data, layers[0][0] if layers_given else file)
        problems += [_problem(layers, p, m, inh) for p, m in chain]
        if chain:           # one line for the fault, not a second one from the schema
            data = {k: v for k, v in data.items() if k != "starts_from"}
    try:
        sc = Scenario.model_validate(data)
    except ValidationError as exc:
        typos = _misspelt_actors(data, exc.errors())
        for a, near in typos.items():
            problems.append(_problem(layers, ("actors", a), f"unknown actor '{a}' (did you mean '{near}'?)", inh))
        for err in exc.errors():
            if err["type"] == "missing" and tuple(err["loc"][:2]) in {("actors", a) for a in typos}:
                continue
            ctx_err = (err.get("ctx") or {}).get("error")
            if isinstance(ctx_err, _ReferenceErrors):
                for p, m in ctx_err.problems:
                    problems.append(_problem(layers, p, m, inh))
                continue
            loc = tuple(x for x in err["loc"] if not _is_union_tag(x))
            p = ".".join(str(x) for x in loc)
            msg = _message(err)
            if err["type"] == "extra_forbidden":
                close = difflib.get_close_matches(str(err["loc"][-1]), _fields_at(err["loc"][:-1]), n=1)
                if close:
                    msg = f"unknown field (did you mean '{close[0]}'?)"
            problems.append(_problem(layers, loc, msg, inh))
        sc = None
    if sc is not None:
        est = run_bytes(sc)
        if est > MAX_RUN_BYTES:
            problems.append(_problem(layers, ("horizon_days",), run_size_message(sc, sc.horizon_days), inh))
    if sc is not None and sc.starts_from is not None:
        problems += [_problem(layers, p, m, inh) for p, m in CHAIN["problems"](sc)]
    if sc is not None and check_priors and not problems:
        problems += [_problem(layers, p, m, inh) for p, m in _uncertain_problems(sc)]
    if problems:
        problems.sort(key=lambda q: (q.file is not None, q.file or "", q.line or 0))
        raise ScenarioError(file, problems)
    return sc


def _uncertain_problems(sc: Scenario) -> list[tuple[str, str]]:
    """Each ``uncertain:`` prior must be allowed by the schema at both ends of its
    support (what experiments draw and ``sensitivity`` runs), so a bad prior fails
    ``validate``, not the analysis."""
    if not sc.uncertain:
        return []
    from sim.scenario.priors import priors_of

    base = sc.model_dump(mode="json", by_alias=True, exclude_none=True, exclude={"uncertain"})
    out = []
    for path, prior in priors_of(sc).items():
        bounds = prior.extremes()
        keys = path.split(".")
        for bound in bounds:
            d = copy.deepcopy(base)
            cur = d
            try:
                for key in keys[:-1]:
                    cur = cur[int(key)] if isinstance(cur, list) else cur[key]
                current = cur[int(keys[-1])] if isinstance(cur, list) else cur[keys[-1]]
                value = round(bound) if isinstance(current, int) and not isinstance(current, bool) else bound
                if isinstance(cur, list):
                    cur[int(keys[-1])] = value
                else:
                    cur[keys[-1]] = value
            except (KeyError, IndexError, ValueError, TypeError):
                break                           # reported by the schema's reference checks
            try:
                Scenario.model_validate(d)
            except ValidationError as exc:
                first = exc.errors()[0]
                ctx_err = (first.get("ctx") or {}).get("error")
                why = (ctx_err.problems[0][1] if isinstance(ctx_err, _ReferenceErrors) else _message(first))
                out.append((f"uncertain.{path}", f"{bound:g} is outside what the field allows: {why}"))
                break
    return out


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


def _misspelt_actors(data: dict, errors: list) -> dict[str, str]:
    """Actor id -> the id it is a near miss of, for an actor that lacks required fields
    and whose id is close to a complete actor's (``polnad`` for ``poland``: a child file
    that meant to change an inherited actor made a new, incomplete one)."""
    actors = data.get("actors") if isinstance(data, dict) else None
    if not isinstance(actors, dict):
        return {}
    lacking = {str(e["loc"][1]) for e in errors if e["type"] == "missing" and len(e["loc"]) == 3
               and e["loc"][0] == "actors"}
    whole = [str(a) for a in actors if str(a) not in lacking]
    out = {}
    for a in sorted(lacking):
        close = difflib.get_close_matches(a, whole, n=1, cutoff=0.6)
        if close:
            out[a] = close[0]
    return out


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
    if t == "string_pattern_mismatch" and tuple(err.get("loc") or ()) == ("name",):
        return ("a name may hold only letters, digits, '_', '-' and '~', and must not start with '-' or '~' "
                f"(it names the output folder out/NAME) (got {err.get('input')!r})")
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
