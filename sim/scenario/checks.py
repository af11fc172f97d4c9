"""Cross-field checks of a scenario that pydantic's per-field types cannot make (unknown
actors and issues, duplicated pairs, history moves by non-controllers, ...): each a
(path, message) pair, reported together with the file and line by
:mod:`sim.scenario.loading`."""

from __future__ import annotations

# nothing of the schema is imported here (it imports this module); ``Scenario`` in the
# annotations is sim.scenario.schema.Scenario


def split_pair(key: str) -> tuple[str, str]:
    """'a-b' -> ('a', 'b') (a channel's key)."""
    a, _, b = key.partition("-")
    return a, b


def _number_problems(data: dict, path: str) -> list[str]:
    cur = data
    for key in path.split("."):
        cur = cur.get(key) if isinstance(cur, dict) else (
            cur[int(key)] if isinstance(cur, list) and key.isdigit() and int(key) < len(cur) else None)
        if cur is None:
            return ["no such field in this scenario"]
    if isinstance(cur, bool) or not isinstance(cur, (int, float)):
        return [f"not a number (it is {cur!r})"]
    return []


def protocol_problems(sc) -> list[tuple[str, str]]:
    """Each registered protocol's checks of its own fields (its module's ``problems``)."""
    from sim.protocols import PROTOCOLS, problems

    return [pr for n in PROTOCOLS for pr in problems(n, sc)]


class _Refs:
    """Collects (path, message) problems, with the scenario's actor and issue ids."""

    def __init__(self, sc):
        self.sc, self.out = sc, []
        self.actors, self.issues = set(sc.actors), set(sc.issues)

    def add(self, path, message):
        self.out.append((path, message))

    def actor(self, path, name):
        if name not in self.actors:
            self.add(path, f"unknown actor '{name}' (actors: {', '.join(sorted(self.actors))})")

    def issue(self, path, name):
        if name not in self.issues:
            self.add(path, f"unknown issue '{name}' (issues: {', '.join(sorted(self.issues))})")


def reference_problems(sc) -> list[tuple[str, str]]:
    """Cross-field checks pydantic's per-field types cannot make: (path, message)."""
    r = _Refs(sc)
    for check in (_issues_and_actors, _channels, _stances_and_protocol, _environment, _uncertain,
                  _history, _events):
        check(r)
    return r.out


def _issues_and_actors(r: _Refs) -> None:
    sc = r.sc
    for iname, issue in sc.issues.items():
        for n, who in enumerate(issue.control):
            r.actor(f"issues.{iname}.control.{n}", who)
            if who in issue.control[:n]:
                r.add(f"issues.{iname}.control.{n}", f"'{who}' is named twice")
    for aname, actor in sc.actors.items():
        for field in ("position", "salience"):
            given = getattr(actor, field)
            for key in given:
                r.issue(f"actors.{aname}.{field}.{key}", key)
            missing = r.issues - set(given)
            if missing:
                r.add(f"actors.{aname}.{field}", f"missing issue(s): {', '.join(sorted(missing))}")
        if actor.salience and sum(actor.salience.values()) <= 0:
            r.add(f"actors.{aname}.salience", "saliences must not all be zero")
        for key in actor.unilateral_cost:
            r.issue(f"actors.{aname}.unilateral_cost.{key}", key)
        for n, member in enumerate(actor.members):
            r.actor(f"actors.{aname}.members.{n}", member)
            if member == aname:
                r.add(f"actors.{aname}.members.{n}", "an actor cannot be its own member")


def _channels(r: _Refs) -> None:
    seen_pairs: dict[frozenset, str] = {}
    for key in r.sc.channels:
        if key == "*":
            continue            # the level of every pair not listed
        a, b = split_pair(key)
        if frozenset((a, b)) in seen_pairs:
            r.add(f"channels.{key}", f"the same pair as '{seen_pairs[frozenset((a, b))]}'")
        seen_pairs[frozenset((a, b))] = key
        if not a or not b or "-" in b:
            r.add(f"channels.{key}", "a channel key is 'actor-actor', e.g. 'poland-belarus'")
            continue
        r.actor(f"channels.{key}", a)
        r.actor(f"channels.{key}", b)
        if a == b:
            r.add(f"channels.{key}", "a channel joins two different actors")


def _stances_and_protocol(r: _Refs) -> None:
    for sid, st in r.sc.stances.items():
        r.out.extend((f"stances.{sid}.{p}", m) for p, m in st.reference_problems(r.actors, r.issues))
    r.out.extend(protocol_problems(r.sc))


def _environment(r: _Refs) -> None:
    sc = r.sc
    env = sc.environment
    for sname, stock in env.stocks.items():
        if sname in r.issues:
            r.add(f"environment.stocks.{sname}", "a stock cannot share its name with an issue")
        for kind in ("inflows", "outflows"):
            for n, flow in enumerate(getattr(stock, kind)):
                for iname in flow.driven_by:
                    r.issue(f"environment.stocks.{sname}.{kind}.{n}.driven_by.{iname}", iname)
    for n, iname in enumerate(env.cost_issues):
        r.issue(f"environment.cost_issues.{n}", iname)
    costly = set(env.stocks) | set(env.cost_issues)
    for aname, actor in sc.actors.items():
        for key in actor.exposure:
            if key not in costly:
                r.add(f"actors.{aname}.exposure.{key}",
                      f"not a stock or cost issue of the environment (it has: {', '.join(sorted(costly)) or 'none'})")


def _uncertain(r: _Refs) -> None:
    sc = r.sc
    if sc.uncertain:
        data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
        for path in sc.uncertain:
            r.out.extend((f"uncertain.{path}", m) for m in _number_problems(data, path))
    for name, obs in sc.observables.items():
        if isinstance(obs.scale, str):
            data = sc.model_dump(mode="json", by_alias=True, exclude={"uncertain"})
            r.out.extend((f"observables.{name}.scale", m.replace("field", f"field '{obs.scale}'"))
                         for m in _number_problems(data, obs.scale))


def _history(r: _Refs) -> None:
    sc = r.sc
    for n, h in enumerate(sc.history):
        path = f"history.{n}"
        if h.date >= sc.start_date:
            r.add(f"{path}.date", f"{h.date} is not before the start date {sc.start_date}: "
                                  "a move on or after it is an event (events:), or what the model predicts")
        r.actor(f"{path}.actor", h.actor)
        r.issue(f"{path}.issue", h.issue)
        if h.issue in sc.issues and h.actor in r.actors:
            ctrl = sc.issues[h.issue].control
            members = {m for c in ctrl if c in sc.actors for m in sc.actors[c].members}
            if h.actor not in ctrl and h.actor not in members:
                r.add(f"{path}.actor", f"'{h.actor}' does not control '{h.issue}' (controllers: {', '.join(ctrl)})")


def _events(r: _Refs) -> None:
    sc = r.sc
    for n, ev in enumerate(sc.events):
        path = f"events.{n}"
        if ev.day > sc.horizon_days:
            r.add(f"{path}.day", f"day {ev.day} is after the horizon ({sc.horizon_days} days)")
        if ev.type == "set_issue":
            r.issue(f"{path}.issue", ev.issue)
        elif ev.type == "set_stock":
            if ev.stock not in sc.environment.stocks:
                r.add(f"{path}.stock", f"unknown stock '{ev.stock}' "
                                       f"(stocks: {', '.join(sorted(sc.environment.stocks)) or 'none'})")
        elif ev.type == "set_channel":
            for who in ev.between:
                r.actor(f"{path}.between", who)
            if ev.between[0] == ev.between[1]:
                r.add(f"{path}.between", "a channel joins two different actors")
        elif ev.type == "add_stance":
            r.out.extend((f"{path}.stance.{p}", m) for p, m in ev.stance.reference_problems(r.actors, r.issues))
        elif ev.type == "remove_stance":
            known = set(sc.stances) | {e.id for e in sc.events if e.type == "add_stance"}
            if ev.id not in known:
                r.add(f"{path}.id", f"unknown stance id '{ev.id}'")
