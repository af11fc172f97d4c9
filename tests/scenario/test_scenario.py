"""Scenario files: loading, extends/deep merge, and a clear error for every fault."""

import textwrap

import pytest

from sim.scenario import SCENARIO_DIR, ScenarioError, deep_merge, list_scenarios, load_scenario

SHIPPED = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
REQUIRED = {"baseline", "russia_engages", "eu_direct_channel", "poland_political_talks",
            "sanctions_escalation", "opposition_at_table"}


def test_the_six_design_scenarios_ship():
    assert REQUIRED <= set(SHIPPED)


@pytest.mark.parametrize("name", SHIPPED)
def test_every_shipped_scenario_loads_and_asks_a_question(name):
    sc = load_scenario(name)
    assert sc.name == name
    assert "?" in sc.description and len(sc.description.split()) >= 25


def test_baseline_starts_on_the_article_date_with_90_days():
    sc = load_scenario("baseline")
    assert str(sc.start_date) == "2021-11-23" and sc.horizon_days == 90
    assert {"migrant_flow", "humanitarian_access", "sanctions", "regime_legitimacy", "russia_role"} <= set(sc.issues)
    assert {"poland", "russia", "belarus", "opposition", "eu"} <= set(sc.actors)


def test_extends_overrides_and_deletes():
    base = load_scenario("baseline")
    pol = load_scenario("poland_political_talks")
    assert "poland_technical_only_belarus" in base.stances
    assert "poland_technical_only_belarus" not in pol.stances          # null deleted it
    assert set(pol.stances) == set(base.stances) - {"poland_technical_only_belarus", "poland_opposition_counterpart"}
    assert pol.actors == base.actors                                    # the rest is inherited
    opp = load_scenario("opposition_at_table")
    assert opp.issues["regime_legitimacy"].control == ["poland", "eu", "belarus"]   # list replaced
    assert opp.issues["regime_legitimacy"].kind == "political"                      # sibling kept


def test_deep_merge_rules():
    """Mappings merge, null deletes, lists and scalars replace."""
    parent = {"a": {"x": 1, "y": 2, "z": 0}, "l": [1, 2], "k": 1}
    child = {"a": {"y": 3, "z": None}, "l": [3], "k": None}
    assert deep_merge(parent, child) == {"a": {"x": 1, "y": 3}, "l": [3]}


def test_list_scenarios_gives_descriptions():
    rows = dict(list_scenarios())
    assert REQUIRED <= set(rows)
    assert all(not d.startswith("(invalid") for d in rows.values())


# ------------------------------------------------------------------ errors
def _write(tmp_path, text, name="bad.yaml"):
    p = tmp_path / name
    p.write_text(textwrap.dedent(text), encoding="utf-8")
    return p


def _error(path) -> ScenarioError:
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    return info.value


def _extends_baseline(tmp_path, body, name="bad.yaml"):
    return _write(tmp_path, f"extends: {SCENARIO_DIR / 'baseline.yaml'}\n" + textwrap.dedent(body), name)


def test_unknown_actor_in_a_channel(tmp_path):
    err = _error(_extends_baseline(tmp_path, "channels:\n  poland-atlantis: political\n"))
    msg = str(err)
    assert "bad.yaml" in msg and "channels.poland-atlantis" in msg and "unknown actor 'atlantis'" in msg


def test_position_outside_unit_interval(tmp_path):
    err = _error(_extends_baseline(tmp_path, "actors:\n  poland:\n    position:\n      sanctions: 1.4\n"))
    p = err.problems[0]
    assert p.path == "actors.poland.position.sanctions"
    assert "less than or equal to 1" in p.message and "1.4" in p.message
    assert p.line == 5                     # the line of 'sanctions: 1.4' in the file


def test_event_after_the_horizon(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        events:
          - {day: 120, type: set_issue, issue: sanctions, delta: 0.1}
        """))
    assert any(p.path == "events.0.day" and "after the horizon (90 days)" in p.message for p in err.problems)


def test_unknown_stance_type(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        stances:
          poland_sulks:
            actor: poland
            type: sulks
        """))
    p = err.problems[0]
    assert p.path == "stances.poland_sulks" and "unknown type 'sulks'" in p.message
    assert "technical_only" in p.message          # the message lists the valid types


def test_yaml_syntax_error_names_its_line(tmp_path):
    path = _write(tmp_path, "name: x\ndescription: y\nissues:\n  a: [1, 2\n  b: 3\n")
    err = _error(path)
    assert "YAML syntax error" in str(err) and err.problems[0].line is not None
    assert str(path) in str(err)


def test_a_typo_in_a_field_name_suggests_the_right_one(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        actors:
          poland:
            salince: {sanctions: 1}
        stances:
          x: {actor: poland, type: technical_only, wth: belarus}
        events:
          - {day: 3, type: set_stock, stok: pressure, value: 0.1}
        """))
    msgs = {p.path: p.message for p in err.problems}
    assert msgs["actors.poland.salince"] == "unknown field (did you mean 'salience'?)"
    assert msgs["stances.x.wth"] == "unknown field (did you mean 'with'?)"
    assert msgs["events.0.stok"] == "unknown field (did you mean 'stock'?)"
    assert [p.line for p in err.problems] == sorted(p.line for p in err.problems)


def test_missing_issue_in_an_actors_position(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        issues:
          visas: {kind: technical, low: none, high: all, status_quo: 0.2, control: [poland]}
        """))
    paths = {p.path for p in err.problems}
    assert "actors.poland.position" in paths and "actors.belarus.salience" in paths
    assert any("missing issue(s): visas" in p.message for p in err.problems)


def test_stance_referring_to_unknown_issue(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        stances:
          russia_denies_role: {actor: russia, type: denies_responsibility, issue: russias_role}
        """))
    assert any(p.path == "stances.russia_denies_role.issue" and "unknown issue 'russias_role'" in p.message
               for p in err.problems)


def test_circular_extends(tmp_path):
    _write(tmp_path, "extends: b.yaml\n", "a.yaml")
    _write(tmp_path, "extends: a.yaml\n", "b.yaml")
    err = _error(tmp_path / "a.yaml")
    assert "circular extends" in str(err)


def test_extends_a_missing_parent(tmp_path):
    err = _error(_write(tmp_path, "extends: no_such_parent\n"))
    assert err.problems[0].path == "extends" and "no_such_parent" in err.problems[0].message


def test_missing_file_names_the_known_scenarios():
    err = _error("no_such_scenario")
    assert "baseline" in str(err)


def test_all_faults_of_a_file_are_reported_together(tmp_path):
    err = _error(_extends_baseline(tmp_path, """\
        horizon_days: 0
        actors: {eu: {capability: 2}}
        """))
    paths = {p.path for p in err.problems}
    assert {"horizon_days", "actors.eu.capability"} <= paths


def test_removing_a_stance_that_does_not_exist_is_an_error(tmp_path):
    err = _error(_extends_baseline(tmp_path, "stances:\n  poland_technical_only_belarrus: null\n"))
    p = err.problems[0]
    assert p.path == "stances.poland_technical_only_belarrus" and "cannot remove" in p.message
    assert p.line == 3


def test_a_channel_given_twice(tmp_path):
    err = _error(_extends_baseline(tmp_path, "channels:\n  belarus-poland: closed\n"))
    assert any(p.path == "channels.belarus-poland" and "same pair" in p.message for p in err.problems)
