"""The scenario section of a report: the first (or reference) scenario with the stances
that ground it, every other scenario as what it changes."""

from __future__ import annotations

from sim.viz.labels import actor_names, fmt, param_label
from sim.viz.report.page import _e, _table


def _stance_rows(spec: dict, only: set | None = None, tag: dict | None = None) -> list[list[str]]:
    names = actor_names(spec)
    rows = []
    for sid, st in (spec.get("stances") or {}).items():
        if only is not None and sid not in only:
            continue
        params = ", ".join(f"{k}={v}" for k, v in st.items()
                           if k not in ("actor", "type", "quote", "start", "end", "note"))
        quote = st.get("quote") or ""
        note = st.get("note") or ""
        if quote:
            words = f"\u201c{_e(quote)}\u201d"
        elif note:
            words = f'<span class="muted">{_e(note)}</span>'
        else:
            words = '<span class="muted">(no quote: a scenario assumption)</span>'
        rows.append([(tag or {}).get(sid, "") + _e(names.get(st["actor"], st["actor"])),
                     f"<code>{_e(st['type'])}({_e(params)})</code><br><small>{_e(sid)}</small>", words])
    return rows


def _stances_table(spec: dict) -> str:
    rows = _stance_rows(spec)
    return _table(["actor", "stance", "the article's words"], rows) if rows else "<p>No stances.</p>"


def _flatten(d, prefix=""):
    out = {}
    if isinstance(d, dict):
        for k, v in d.items():
            out.update(_flatten(v, f"{prefix}{k}."))
    else:
        out[prefix[:-1]] = d
    return out


def _scenario_diff(spec: dict, ref: dict, ref_name: str) -> str:
    """What ``spec`` changes with respect to ``ref``: stances removed, added or changed,
    events added or removed, other fields changed."""
    a, b = ref.get("stances") or {}, spec.get("stances") or {}
    removed = [s for s in a if s not in b]
    added = [s for s in b if s not in a]
    changed = [s for s in b if s in a and a[s] != b[s]]
    parts = []
    if removed:
        parts.append("<p>Stances removed:</p>" + _table(["actor", "stance", "the article's words"],
                                                        _stance_rows(ref, set(removed))))
    if added or changed:
        tag = {s: "<b>new</b> " for s in added} | {s: "<b>changed</b> " for s in changed}
        parts.append("<p>Stances added or changed:</p>" + _table(["actor", "stance", "the article's words"],
                                                                  _stance_rows(spec, set(added + changed), tag)))
    ev_a, ev_b = ref.get("events") or [], spec.get("events") or []
    gone = [e for e in ev_a if e not in ev_b]
    new = [e for e in ev_b if e not in ev_a]
    if gone or new:
        rows = [["removed", _e(e.get("day")), _e(e.get("label") or e.get("type"))] for e in gone]
        rows += [["added", _e(e.get("day")), _e(e.get("label") or e.get("type"))] for e in new]
        parts.append("<p>Events:</p>" + _table(["", "day", "event"], rows))
    skip = ("stances", "events", "name", "description", "title")
    fa = _flatten({k: v for k, v in ref.items() if k not in skip})
    fb = _flatten({k: v for k, v in spec.items() if k not in skip})
    other = [k for k in sorted(set(fa) | set(fb)) if fa.get(k) != fb.get(k)]
    if other:
        rows = [[_e(param_label(k, spec)) + f" <small><code>{_e(k)}</code></small>", _e(fmt(fa.get(k))),
                 _e(fmt(fb.get(k)))] for k in other]
        parts.append("<p>Other fields:</p>" + _table(["field", ref_name, spec.get("name", "")], rows))
    if not parts:
        return f"<p>Same stances, events and fields as <code>{_e(ref_name)}</code>.</p>"
    return f"<p>Differs from <code>{_e(ref_name)}</code>:</p>" + "".join(parts)


def _scenario_section(specs: dict, ref_name: str | None = None) -> str:
    """The first (or reference) scenario in full; every other as what it changes."""
    if not specs:
        return ""
    ref_name = ref_name if ref_name in specs else next(iter(specs))
    ref = specs[ref_name]
    out = ["<h2>Scenario and the stances that ground it</h2>"]
    for name, d in [(ref_name, ref), *[(n, d) for n, d in specs.items() if n != ref_name]]:
        desc = " ".join(str(d.get("description", "")).split())
        out.append(f"<h3>{_e(name)}</h3><p>{_e(desc)}</p>")
        out.append(_stances_table(d) if name == ref_name else _scenario_diff(d, ref, ref_name))
    return "".join(out)

