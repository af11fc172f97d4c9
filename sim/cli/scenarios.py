"""scenarios, validate, seeds: the scenario files and the stance table."""

from __future__ import annotations

import sys
import textwrap

from sim.cli.common import EXIT_BAD_INPUT, EXIT_OK, UsageError
from sim.viz.text import plural


def cmd_scenarios(args) -> int:
    from sim.scenario import list_scenarios

    listed = list_scenarios()
    if args.protocol is not None:
        listed = _runnable_under(listed, args.protocol)
    for name, desc, *tag in listed:
        tag = tag[0] if tag else ""
        if args.short:
            print(textwrap.fill(_question(desc) + tag, 100, initial_indent=f"{name:<24} ",
                                subsequent_indent=" " * 25))
            continue
        print(name)
        print(textwrap.indent(textwrap.fill((tag.strip() + " " + desc).strip(), 88), "    "))
        print()
    return EXIT_OK


def _runnable_under(listed, protocol: str) -> list[tuple[str, str, str]]:
    """The scenarios of ``listed`` that can run under ``protocol``, each tagged with the
    protocol it is written for."""
    from sim.protocols import PROTOCOLS
    from sim.runner import with_protocol
    from sim.scenario import ScenarioError, load_scenario

    if protocol not in PROTOCOLS:
        raise UsageError(f"--protocol {protocol}: unknown protocol (protocols: {', '.join(PROTOCOLS)})")
    keep = []
    for name, desc in listed:
        try:
            own = load_scenario(name).protocol.name
            with_protocol(load_scenario(name), protocol)
        except ScenarioError:
            continue
        keep.append((name, desc, f" [written for {own}]"))
    return keep


def _question(desc: str) -> str:
    """The question a scenario asks: its "What if ...?" sentence, else its "Question: ...",
    else its first sentence."""
    import re

    for pat in (r"What if[^?]*\?", r"Question:\s*([^?]*\?)"):
        m = re.search(pat, desc)
        if m:
            q = m.group(m.lastindex or 0)
            return q[:1].upper() + q[1:]
    return re.split(r"(?<=[.?!])\s", desc, maxsplit=1)[0]


def cmd_validate(args) -> int:
    from sim.protocols import PROTOCOLS
    from sim.runner import with_protocol
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    if args.protocol is not None and args.protocol not in PROTOCOLS:
        raise UsageError(f"--protocol {args.protocol}: unknown protocol (protocols: {', '.join(PROTOCOLS)})")
    for f in args.files:
        try:
            sc = with_protocol(load_scenario(f), args.protocol)
            print(f"ok    {f} ({sc.name}: {plural(len(sc.actors), 'actor')}, {plural(len(sc.issues), 'issue')}, "
                  f"{plural(len(sc.stances), 'stance')}, {plural(len(sc.events), 'event')})")
        except ScenarioError as exc:
            bad += 1
            print(f"FAIL  {f}", file=sys.stderr)
            print(textwrap.indent(exc.format(), "      "), file=sys.stderr)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_seeds(args) -> int:
    from sim.scenario.seeds import DEFAULT_TABLE, load_stance_table

    table = load_stance_table(args.table or DEFAULT_TABLE)
    print(f"Source: {table.source}")
    print(f"Article: {table.article_path.name}\n")
    df = table.to_frame()
    for r in df.itertuples():
        print(f"{r.actor:<11} {r.stance}")
        print(f"            id: {r.id}")
        print(textwrap.indent(textwrap.fill(f"\u201c{r.quote}\u201d [{r.start}:{r.end}]", 84), "            "))
    print(f"\n{plural(len(df), 'stance')}. Remove one in a scenario file with `stances: {{ID: null}}`.")
    return EXIT_OK
