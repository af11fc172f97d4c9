"""A CLI without surprises: what commands print, set-up messages, and `extends` merging lists."""

import subprocess
import sys
from pathlib import Path

import nbformat
import pytest

from sim.scenario import ScenarioError, load_scenario

ROOT = Path(__file__).resolve().parents[2]


def cli(*args, python=sys.executable, flags=()):
    """run_sim.py in a fresh interpreter (for what happens before anything is imported)."""
    return subprocess.run([python, *flags, str(ROOT / "run_sim.py"), *map(str, args)],
                          capture_output=True, text=True, timeout=300)


class Done:
    def __init__(self, returncode, stdout, stderr):
        self.returncode, self.stdout, self.stderr = returncode, stdout, stderr


@pytest.fixture
def run_cli(capsys):
    """The CLI's main() in this process (no interpreter start-up: the suite stays fast)."""
    from sim.cli import main

    def call(*args):
        try:
            rc = main([str(a) for a in args])
        except SystemExit as exc:                  # --help
            rc = exc.code
        out = capsys.readouterr()
        return Done(rc, out.out, out.err)
    return call


# ------------------------------------------------------------------ extends: lists of events add up
EVENT = ("  - day: 20\n    type: set_issue\n    issue: sanctions\n    delta: 0.1\n"
         "    label: a new package\n")


def _child(tmp_path, body: str) -> Path:
    """A child of a parent (itself a child of baseline) that schedules one event."""
    (tmp_path / "parent.yaml").write_text(
        "extends: baseline\nname: parent\nevents:\n  - {day: 5, type: set_issue, issue: sanctions, delta: 0.05, "
        "label: parent's package}\n", encoding="utf-8")
    f = tmp_path / "child.yaml"
    f.write_text("extends: parent.yaml\nname: child\n" + body, encoding="utf-8")
    return f


def test_a_child_events_list_adds_to_the_parents(tmp_path):
    child = load_scenario(_child(tmp_path, "events:\n" + EVENT)).events
    assert [e.label for e in child] == ["parent's package", "a new package"]


def test_replace_events_replaces_them(tmp_path):
    child = load_scenario(_child(tmp_path, "replace: [events]\nevents:\n" + EVENT)).events
    assert [e.label for e in child] == ["a new package"]
    assert load_scenario(_child(tmp_path, "replace: [events]\nevents: []\n")).events == []
    # the shipped scenario whose package comes *instead of* the baseline's says so
    assert [e.day for e in load_scenario("sanctions_escalation").events] == [2]


def test_replace_of_something_that_does_not_add_up_is_an_error(tmp_path):
    with pytest.raises(ScenarioError) as exc:
        load_scenario(_child(tmp_path, "replace: [stances]\n"))
    assert "child.yaml:3: replace:" in exc.value.format() and "takes events" in exc.value.format()


def test_overrides_follow_the_same_rule():
    extra = {"day": 3, "type": "set_issue", "issue": "sanctions", "delta": 0.02}
    n = len(load_scenario("sanctions_escalation").events)
    assert n >= 1
    assert len(load_scenario("sanctions_escalation", overrides={"events": [extra]}).events) == n + 1
    assert len(load_scenario("sanctions_escalation", overrides={"replace": ["events"], "events": [extra]}).events) == 1


# ------------------------------------------------------------------ what commands print
def test_seeds_prints_the_stance_ids(run_cli):
    r = run_cli("seeds")
    assert r.returncode == 0
    for sid, st in load_scenario("baseline").stances.items():
        if st.quote:                                # the article's stances (the record's are in baseline.yaml)
            assert f"id: {sid}" in r.stdout
    assert "stances: {ID: null}" in r.stdout


def test_scenarios_short_shows_each_question_in_full(run_cli):
    r = run_cli("scenarios", "--short")
    assert r.returncode == 0
    entries = []                                   # a name line, then its continuation lines
    for line in r.stdout.splitlines():
        if line.startswith(" "):
            entries[-1] += " " + line.strip()
        else:
            entries.append(line)
    assert len(entries) == len(list((ROOT / "scenarios").glob("*.yaml")))
    assert all(e.endswith("?") for e in entries), entries          # the whole question, never cut
    assert any(e.split(None, 1)[1] == "What if Russia stopped denying a role and mediated?" for e in entries)


def test_sensitivity_help_states_its_real_defaults(run_cli):
    r = run_cli("sensitivity", "--help")
    assert r.returncode == 0
    assert "{sobol,morris}" in r.stdout
    flat = " ".join(r.stdout.split())
    assert "replications of each sample point (default: 1)" in flat


def test_validate_says_1_issue_not_1_issues(run_cli):
    r = run_cli("validate", "ec_emissions")
    assert r.returncode == 0 and "1 issue," in r.stdout and "0 stances" in r.stdout


def test_a_short_run_declares_no_stalemate_and_lists_what_it_wrote(tmp_path, run_cli):
    out = tmp_path / "short"
    r = run_cli("run", "baseline", "--days", "10", "--out", out)
    assert r.returncode == 0, r.stderr
    assert "stalemate: n/a (the run is shorter than the 30-day window)" in r.stdout
    listed = {Path(p.strip()).name for p in r.stdout.split("Wrote:")[1].split(",")}
    assert listed == {p.name for p in out.iterdir() if not p.name.startswith(".")}   # .lock: the writer's lock


def test_an_experiment_lists_every_file_it_wrote(tmp_path, run_cli):
    out = tmp_path / "b"
    r = run_cli("batch", "baseline", "--reps", "2", "--days", "10", "--workers", "1", "--out", out)
    assert r.returncode == 0, r.stderr
    listed = {Path(p.strip()).name for p in r.stdout.split("Wrote:")[1].split(",")}
    assert listed == {p.name for p in out.iterdir() if not p.name.startswith(".")}   # .lock: the writer's lock
    line = next(x for x in r.stdout.splitlines() if x.strip().startswith("P(stalemate)"))
    assert line.split("P(stalemate)")[1].strip() == "n/a (runs shorter than the 30-day window)"


# ------------------------------------------------------------------ set-up
def test_run_sim_without_the_dependencies_says_what_to_do():
    # -S: no site-packages, as with a machine's default Python that lacks the dependencies
    r = cli("run", flags=("-S",))
    assert r.returncode == 1
    assert "is not installed for this Python" in r.stderr and "make run" in r.stderr
    assert ".venv/bin/python run_sim.py" in r.stderr and "Traceback" not in r.stderr


def test_the_console_script_is_declared():
    import tomllib

    meta = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert meta["project"]["scripts"]["diplosim"] == "sim.cli:main"
    from sim.cli import main

    assert callable(main)
    dev = " ".join(meta["project"]["optional-dependencies"]["dev"])
    assert "jupyterlab" in dev and "ipywidgets" in dev


def test_python_m_sim_cli_is_the_same_command_line():
    """``python -m sim.cli`` runs the CLI package's main (help, and exit code 2 on bad input)."""
    ok = subprocess.run([sys.executable, "-m", "sim.cli", "validate", "baseline"], capture_output=True, text=True,
                        cwd=ROOT)
    assert ok.returncode == 0 and ok.stdout.startswith("ok    baseline"), ok.stderr
    bad = subprocess.run([sys.executable, "-m", "sim.cli", "run", "--seed", "-1"], capture_output=True, text=True,
                         cwd=ROOT)
    assert bad.returncode == 2 and "must be 0 or more" in bad.stderr and "Traceback" not in bad.stderr


def test_the_notebook_is_stored_with_its_outputs():
    nb = nbformat.read(ROOT / "notebooks" / "explore.ipynb", as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert all(c.get("outputs") for c in code), "every code cell shows its output on GitHub"
    outs = [o for c in code for o in c["outputs"]]
    assert len([o for o in outs if "image/png" in o.get("data", {})]) >= 7
    assert not [o for o in outs if o.get("output_type") == "error" or o.get("name") == "stderr"]


def test_a_fault_in_an_added_event_names_the_files_own_index_and_line(tmp_path):
    f = _child(tmp_path, "events:\n  - {day: 120, type: set_issue, issue: sanctions, delta: 0.1}\n")
    with pytest.raises(ScenarioError) as exc:
        load_scenario(f)
    p = next(p for p in exc.value.problems if "after the horizon" in p.message)
    assert p.path == "events.0.day" and p.line == 4                # the child's own event 0, on line 4
    assert "child.yaml" in exc.value.format()


def test_help_and_import_sim_stay_light():
    """`--help` (and argument errors) answer before the heavy imports, and `import sim`
    imports nothing heavy until an attribute is used (issue 14: start-up)."""
    code = ("import sys, contextlib, io\n"
            "from sim.cli import main\n"
            "with contextlib.redirect_stdout(io.StringIO()):\n"
            "    try:\n        main(['--help'])\n    except SystemExit:\n        pass\n"
            "import sim\n"
            "heavy = [m for m in ('mesa', 'pandas', 'matplotlib', 'scipy', 'pydantic') if m in sys.modules]\n"
            "print(','.join(heavy))\n"
            "sim.load_scenario\n"
            "print('pydantic' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True)
    heavy, loaded = out.stdout.splitlines()
    assert heavy == "" and loaded == "True", out.stdout


def test_the_cli_and_the_schema_know_the_same_protocols():
    """--protocol's choices come from the light registry (sim.protocols.PROTOCOLS), the
    schema's from its Literal: they must name the same protocols, each a class with the
    interface of sim.protocols.base."""
    from sim.protocols import PROTOCOLS, protocol_class
    from sim.protocols.base import Protocol
    from sim.scenario.schema import PROTOCOL_NAMES

    assert tuple(PROTOCOLS) == PROTOCOL_NAMES
    for name in PROTOCOLS:
        cls = protocol_class(name)
        assert issubclass(cls, Protocol) and cls.name == name
        assert {"makes_agreements", "time", "stochastic", "forecast", "source"} <= set(cls.classifier)
