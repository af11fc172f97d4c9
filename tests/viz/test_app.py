"""The interactive app, rendered with Solara's test utilities (as Mesa tests its apps):
find the controls, change them, step, and check the model and the panels changed.
The browser test is tests/viz/test_app_browser.py."""

import functools
import os
import time
import xml.etree.ElementTree as ET

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "False")   # nothing reaches the network

import ipyvuetify as v  # noqa: E402
import numpy as np  # noqa: E402
import pytest  # noqa: E402
import solara  # noqa: E402

import app  # noqa: E402
import sim  # noqa: E402
from sim.experiments.jobs import scenario_data  # noqa: E402
from sim.scenario import validate_mapping  # noqa: E402
from sim.scenario.priors import priors_of  # noqa: E402
from sim.viz import live, live_beliefs, svg  # noqa: E402
from sim.viz.app_components import OddsPanel, _colors  # noqa: E402

TECH_ONLY = "poland_technical_only_belarus"


@pytest.fixture
def page():
    app.scenario.set("baseline")
    box, rc = solara.render(solara.AppLayout(children=[app.Page()]), handle_error=False)
    yield rc
    rc.close()
    app.scenario.set("baseline")


def button(rc, label):
    return rc.find(v.Btn, children=[label]).widget


def log_lines(rc) -> list[str]:
    return [w.children[0] for w in rc.find(v.Html, class_="log-line").widgets]


def page_text(rc) -> str:
    """All text of the rendered page (a walk over the widget tree: ``rc.find`` does not
    look inside an element it has matched)."""
    parts: list[str] = []

    def walk(w):
        if isinstance(w, str):
            parts.append(w)
            return
        for c in getattr(w, "children", None) or []:
            walk(c)
        for attr in ("template", "unsafe_innerHTML"):
            if isinstance(getattr(w, attr, None), str):
                parts.append(getattr(w, attr))

    walk(rc.container)
    return "\n".join(parts)


def shown(rc, text) -> bool:
    return text in page_text(rc)


_models: list = []


@pytest.fixture(autouse=True)
def track_models(monkeypatch):
    """Record every LiveModel the page builds (initial and on each Reset)."""
    _models.clear()
    orig = live.LiveModel.__init__

    @functools.wraps(orig)      # Mesa reads the signature (keyword parameters only)
    def init(self, *a, **k):
        orig(self, *a, **k)
        _models.append(self)

    monkeypatch.setattr(live.LiveModel, "__init__", init)
    yield


# --------------------------------------------------------------------------- controls
def test_controls_come_from_the_scenario(page):
    sc = sim.load_scenario("baseline")
    sliders = {w.label: w for w in page.find(v.Slider).widgets}
    labels = {c.path: c.label for c in live.controls("baseline").params}
    for path, prior in priors_of(sc).items():
        lo, hi = prior.bounds()              # a uniform prior's range: its support
        assert labels[path] in sliders, path
        assert (sliders[labels[path]].min, sliders[labels[path]].max) == pytest.approx((lo, hi))
    boxes = [w.label for w in page.find(v.Checkbox).widgets]
    for sid, st in sc.stances.items():
        # labelled with the article's quote, or (a stance of the record) with its note
        words = (st.quote or st.note).split()[0]
        assert sum(words in b and b.startswith(f"{st.actor}:") for b in boxes) >= 1, sid
    assert any("At the technical level" in b for b in boxes)


def test_scenario_picker_rebuilds_the_controls(page):
    boxes = lambda: [w.label for w in page.find(v.Checkbox).widgets]  # noqa: E731
    assert not any("guarantor" in b for b in boxes())
    app.scenario.set("russia_engages")
    assert any(b.startswith("russia: guarantor") for b in boxes())
    assert not any(b.startswith("russia: denies_responsibility") for b in boxes())
    assert _models[-1].settings.scenario == "russia_engages"


# --------------------------------------------------------------------------- step, toggle, reset
def test_step_advances_the_model_and_redraws(page):
    m = _models[-1]
    assert m.day == 0
    for _ in range(9):
        button(page, "Step").click()
    assert m.day == 9
    assert log_lines(page) == live.log_lines(m)[::-1]            # newest on top
    assert shown(page, "Day 9 of 90")
    assert shown(page, "Channels, day 9")          # the SVG panels were redrawn


def test_toggling_a_stance_off_is_its_removal(page):
    (box,) = [w for w in page.find(v.Checkbox).widgets if "At the technical level" in w.label]
    assert box.v_model is True
    m0 = _models[-1]
    assert m0.channel_level("poland", "belarus") == "technical"
    box.v_model = False
    button(page, "Reset").click()
    m = _models[-1]
    assert m is not m0
    assert TECH_ONLY not in m.stances and m.settings.off == (TECH_ONLY,)
    assert m.channel_level("poland", "belarus") == "political"     # the stance capped it
    button(page, "Run to the end").click()
    assert m.day == m.horizon and not m.running
    # the run is the runner's run of the scenario without the stance, bit for bit
    data = live.without_stances(scenario_data(sim.load_scenario("baseline")), [TECH_ONLY])
    res = sim.run(validate_mapping(data), seed=m.settings.seed, series=False)
    assert [(a.day, a.parties) for a in m.agreements] == \
        [(r.day, (r.party_a, r.party_b)) for r in res.agreements.itertuples()]
    assert log_lines(page) == live.log_lines(m)[::-1]            # newest on top
    assert shown(page, f"stances off: {TECH_ONLY}")


def test_slider_sets_the_parameter(page):
    sl = [w for w in page.find(v.Slider).widgets if w.label.startswith("audience cost of blame")][0]
    sl.v_model = 1.5
    button(page, "Reset").click()
    assert _models[-1].spec.blame.audience_cost == pytest.approx(1.5)
    assert _models[-1].settings.pinned() == {"blame.audience_cost": pytest.approx(1.5)}
    assert shown(page, "parameters moved: audience cost of blame = 1.5")


# --------------------------------------------------------------------------- issue 24: labels, log, state
def test_sliders_are_labelled_in_words_and_show_their_value(page):
    # before: labelled with raw paths (actors.belarus.tactic.e) and no value shown
    sliders = page.find(v.Slider).widgets
    labels = [w.label for w in sliders]
    assert "Belarus: concession exponent e (<1 holds out, >1 concedes) (as written: 1)" in labels or any(
        x.startswith("Belarus: concession exponent e") for x in labels)
    assert not any(x.startswith(("actors.", "blame.", "environment.", "commitments.")) for x in labels)
    assert all(w.thumb_label == "always" for w in sliders)


def test_switching_scenario_clears_the_odds_panel(page):
    # before: the odds of the previous scenario stayed on screen
    sel = [w for w in page.find(v.Select).widgets if w.label == "Runs per side"][0]
    sel.v_model = "10"
    assert shown(page, "Run odds (20 runs)")
    app.scenario.set("russia_engages")
    assert shown(page, "Run odds (100 runs)") and not shown(page, "Run odds (20 runs)")


# --------------------------------------------------------------------------- issue 26, item 2: the server decides
def test_the_server_decides_what_each_control_may_take():
    ctl = {c.path: c for c in live.controls("baseline").params}
    path = "blame.audience_cost"
    s, problems = live.settings_from_kwargs("/etc/passwd", "1", "evil", {})
    assert s.scenario == live.DEFAULT_SCENARIO and s.protocol is None and len(problems) == 2
    s, problems = live.settings_from_kwargs("baseline", "1", None, {
        live.PARAM_KEY + path: "abc", live.PARAM_KEY + "actors.belarus.tactic.e": 1e9,
        live.PARAM_KEY + "no.such.field": 3.0, live.STANCE_KEY + "no_such_stance": False,
        live.STANCE_KEY + TECH_ONLY: "false"})
    assert s.params[path] == ctl[path].value and any("'abc' is not a number" in p for p in problems)
    assert s.params["actors.belarus.tactic.e"] == ctl["actors.belarus.tactic.e"].hi         # clamped
    assert "no.such.field" not in s.params and s.off == ()                               # ignored
    m = live.LiveModel("/etc/passwd", seed="1")
    assert m.settings.scenario == live.DEFAULT_SCENARIO and m.input_problems


def test_runs_per_side_only_takes_the_offered_values(page):
    sel = [w for w in page.find(v.Select).widgets if w.label == "Runs per side"][0]
    sel.v_model = "49995"                              # a 99,990-run job, sent from the console
    assert shown(page, "Run odds (100 runs)")
    assert not shown(page, "99990")


def test_a_page_that_sends_a_path_as_scenario_gets_the_default(page):
    app.scenario.set("/etc/passwd")
    assert _models[-1].settings.scenario == live.DEFAULT_SCENARIO
    assert shown(page, "Day 0 of 90")


def test_the_odds_batch_is_cancelled_when_its_page_goes(monkeypatch):
    # before: a job kept a core busy after the tab was closed (sessions live 24 h)
    seen = {}

    def fake_run_odds(settings, points, reps, progress=None, cancel=None, executor=None):
        deadline = time.time() + 30
        while time.time() < deadline:
            if cancel():
                seen["cancelled"] = time.time()
                raise live.OddsCancelled("cancelled")
            time.sleep(0.05)
        seen["ran_out"] = True
        raise RuntimeError("not cancelled")

    monkeypatch.setattr(live, "run_odds", fake_run_odds)
    model = live.LiveModel("baseline", seed="1")
    box, rc = solara.render(OddsPanel(model, in_process=True, size=10), handle_error=False)
    rc.find(v.Btn, children=["Run odds (20 runs)"]).widget.click()
    time.sleep(0.3)
    closed = time.time()
    rc.close()                                      # the session ends
    deadline = time.time() + 10
    while time.time() < deadline and not seen:
        time.sleep(0.05)
    assert "cancelled" in seen and seen["cancelled"] - closed < 5


def test_make_app_serves_production_mode_and_warns_beyond_localhost():
    import subprocess

    root = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    dry = subprocess.run(["make", "-n", "app"], cwd=root, capture_output=True, text=True).stdout
    assert "--production" in dry and "--no-check-version" in dry and "SOLARA_TELEMETRY_MIXPANEL_ENABLE=False" in dry
    # APP_ARGS=--help: solara prints its help and exits, after make's check of HOST
    wide = subprocess.run(["make", "-s", "app", "HOST=0.0.0.0", "APP_ARGS=--help"], cwd=root, capture_output=True,
                          text=True, timeout=120)
    assert "warning: HOST=0.0.0.0" in wide.stderr
    local = subprocess.run(["make", "-s", "app", "HOST=127.0.0.1", "APP_ARGS=--help"], cwd=root,
                           capture_output=True, text=True, timeout=120)
    assert "warning" not in local.stderr


def test_whole_number_fields_get_whole_number_sliders():
    params = live.model_params("baseline")
    for c in live.controls("baseline").params:
        p = params[live.PARAM_KEY + c.path]
        assert p["type"] == ("SliderInt" if c.integer else "SliderFloat")
        assert (p["min"], p["max"]) == (c.lo, c.hi)
    ints = [c.path for c in live.controls("baseline").params if c.integer]
    if ints:
        m = live.LiveModel("baseline", **{live.PARAM_KEY + ints[0]: 77.0})
        assert not m.input_problems
        assert live._get(live.scenario_data(m.spec), ints[0]) == 77


def test_bad_seed_gives_a_one_line_message(page):
    seed = [w for w in page.find(v.TextField).widgets if w.label == "Seed"][0]
    seed.v_model = "abc"
    seed.fire_event("keyup.enter", None)        # InputText commits on enter or focus out
    button(page, "Reset").click()
    m = _models[-1]
    assert m.input_problems and m.settings.seed == live.DEFAULT_SEED
    assert shown(page, "Seed: 'abc' is not a whole number >= 0; using 1")
    seed.v_model = "5"
    seed.fire_event("keyup.enter", None)
    button(page, "Reset").click()
    assert _models[-1].settings.seed == 5 and not _models[-1].input_problems
    assert not shown(page, "is not a whole number")


# --------------------------------------------------------------------------- the adapter
@pytest.mark.parametrize("seed", [1, 7])
def test_live_model_is_the_runner_model(seed):
    """Stepping the app's model gives exactly sim.run's result for the same scenario and seed."""
    m = live.LiveModel("baseline", seed=str(seed))
    while m.running:
        m.step()
    res = sim.run("baseline", seed=seed, series=False)
    assert len(m.agreements) == len(res.agreements)
    assert [a.day for a in m.agreements] == list(res.agreements["day"])
    assert np.array_equal(m.x, np.array([res.issues.set_index("issue").loc[j, "final_value"] for j in m.issue_ids]))
    for name, st in m.env.stocks.items():
        assert st.cumulative == res.outcomes[f"stock_cumulative:{name}"]


def test_log_lines_say_it_in_words():
    m = live.LiveModel("baseline", seed="1", **{f"{live.STANCE_KEY}{TECH_ONLY}": False})
    while m.running:
        m.step()
    lines = live.log_lines(m)
    others = [r for r in m.registry.record if r.type in ("unilateral", "renewal", "expiry", "breach",
                                                           "commitment_broken", "threat_carried_out",
                                                           "threat_abandoned", "promise_kept", "promise_broken",
                                                           "history")]
    n_moves = sum(len(r.changes) for r in others if r.type == "unilateral")
    assert len(lines) == (len(m.event_log) + len(m.agreements) + len(m.channel_log) + n_moves
                          + sum(r.type != "unilateral" for r in others))
    days = [int(line.split()[1]) for line in lines]
    assert days == sorted(days)
    for ag in m.agreements:
        a, b = (m.spec.actors[p].name for p in ag.parties)
        assert any(line.startswith(f"day {ag.day} (") and f"{a} and {b} agree" in line for line in lines)
    # a threat carried out, a promise kept, a commitment broken: the log says why
    for r in m.registry.record:
        if r.type in ("threat_carried_out", "promise_kept", "commitment_broken"):
            assert any(line.startswith(f"day {r.day} (") and r.reason in line for line in lines)
    assert any(r.type == "threat_carried_out" for r in m.registry.record)
    # a move made alone says why in the actor's terms; the record's moves before day 0 appear
    assert any("acts alone" in line and "worth" in line for line in lines)
    assert any("(the record)" in line and "Turkey" in line for line in lines)


def test_svg_charts_are_well_formed():
    m = live.LiveModel("russia_engages", seed="3")
    for _ in range(40):
        m.step()
    c = _colors(m)
    for text in (svg.network(live.channel_graph(m), c, m.day),
                 svg.issues(live.issue_values(m), live.positions(m), c),
                 svg.stocks(live.stock_history(m), m.horizon, live.stocks(m)),
                 svg.blame(live.blame(m)),
                 svg.beliefs(live.belief_history(m), m.horizon),
                 svg.resolve(live.resolve_history(m), m.horizon)):
        root = ET.fromstring(text)
        assert root.tag.endswith("svg") and len(root) > 5


def test_the_beliefs_panel_follows_the_model():
    """The app's beliefs panel: for each pair whose belief moved, the daily means the
    model recorded and the target's true floor, one line each in the chart."""
    m = live.LiveModel("baseline", seed="1")
    assert live.belief_history(m).empty and "No belief has moved yet" in svg.beliefs(live.belief_history(m), 90)
    for _ in range(30):
        m.step()
    h = live.belief_history(m)
    assert len(h) and set(h.columns) == {"day", "pair", "value", "truth"}
    for pair, g in h.groupby("pair"):
        a, k = pair.split(" about ")
        i = next(n for n, x in enumerate(m.actor_ids) if live.label(m, x) == a)
        j = next(n for n, x in enumerate(m.actor_ids) if live.label(m, x) == k)
        assert g["value"].iloc[-1] == pytest.approx(m.beliefs.mean(m.actor_ids[i], m.actor_ids[j]))
        assert g["truth"].iloc[0] == max(m.actors[m.actor_ids[j]].reservation_value(), 0.0)
    text = svg.beliefs(h, m.horizon)
    assert text.count("<polyline") == h["pair"].nunique()



@pytest.fixture(scope="module")
def grain():
    """The grain scenario (the one with ``delivery:`` terms) stepped to its end in the app's model."""
    m = live.LiveModel("black_sea_grain", seed="1")
    while m.running:
        m.step()
    return m


def test_recording_trust_and_resolve_leaves_the_grain_run_as_it_was(grain):
    """The series now records trust and credibility: the app's run (series on) is still
    exactly sim.run's without a series."""
    res = sim.run("black_sea_grain", seed=1, series=False)
    assert [a.day for a in grain.agreements] == list(res.agreements["day"])
    assert np.array_equal(grain.x, np.array([res.issues.set_index("issue").loc[j, "final_value"]
                                             for j in grain.issue_ids]))


def test_trust_history_follows_the_kalman_belief_and_falls_after_a_shortfall(grain):
    """Each party's trust in each gradual term, day by day (docs/ODD.md 7.19): the last
    row is the model's (mu, sqrt P); each "doubt" the record logs is the history's value
    that day; and after the first shortfall the trust falls below the promise and ends
    lower than it stood that day."""
    base = live.LiveModel("baseline", seed="1")
    for _ in range(20):
        base.step()
    assert live.trust_history(base).empty and not live.has_gradual_terms(base)
    assert live.has_gradual_terms(grain)
    h = live.trust_history(grain)
    assert set(h.columns) == {"day", "pair", "observer", "term", "deal_day", "value", "sd", "capacity"}
    assert h["pair"].nunique() == len(grain.compliance.trust) >= 1
    for (text, j, obs), (mu, var) in grain.compliance.trust.items():
        doc = live_beliefs._text_parties(grain, text)[0]
        g = h[(h["observer"] == obs) & (h["term"] == j) & (h["deal_day"] == doc.day)]
        assert g["value"].iloc[-1] == mu and g["sd"].iloc[-1] == pytest.approx(var ** 0.5)
        # the line ends when the text stops binding (reviewed no more), else today
        assert g["day"].is_monotonic_increasing
        assert g["day"].iloc[-1] == (doc.ended if doc.ended >= 0 else grain.day)
    doubts = [r for r in grain.registry.record if r.type == "doubt"]
    assert doubts
    for r in doubts:
        obs = r.actors[0]
        today = h[(h["observer"] == obs) & (h["day"] == r.day)]
        assert any(f"expects {min(1.0, max(0.0, v)):.0%} of" in r.label for v in today["value"])
    first = min(r.day for r in grain.registry.record if r.type == "shortfall")
    for pair, g in h.groupby("pair"):
        at = g[g["day"] <= first]
        if at.empty:
            continue
        assert g["value"].iloc[-1] < min(1.0, at["value"].iloc[-1])
    text = svg.trust(h, grain.horizon)
    ET.fromstring(text)
    assert text.count("<polyline") == h["pair"].nunique() and "capacity" in text


def test_resolve_history_is_the_credibility_the_target_weighed():
    """The credibility each target gave each threat or promise aimed at it, day by day
    (docs/ODD.md 7.20): what the model's own reading gives that day, with the truth
    (credible on the maker's true resolve) and what the maker did when it came due;
    nothing where no threat exists (the grain scenario)."""
    m = live.LiveModel("baseline", seed="1")
    assert live.resolve_history(m).empty and live.has_conditionals(m)
    weighed = {}
    while m.running:
        m.step()
        for sid, st in m.conditionals():
            got = m._assessed.get(id(st))
            if got is not None and got[1] is not None and sid not in m.executed:
                weighed[(m.day, sid)] = (m.resolve.credibility(st.target, st.actor, got[2], got[3]), got[0])
    h = live.resolve_history(m)
    assert weighed and len(h) == len(weighed)
    for r in h.itertuples():
        p, ok = weighed[(r.day, r.stance)]
        assert r.value == p and r.truth == float(ok)
        st = m.spec.stances[r.stance]
        assert (r.target, r.maker, r.kind) == (st.target, st.actor, st.kind)
        assert r.pair.startswith(f"{live.label(m, st.target)} about {live.label(m, st.actor)}: {st.kind}")
    assert h["value"].min() < 1.0                           # a belief that moved
    done = {r.label: r.day for r in m.registry.record if r.type in ("threat_carried_out", "promise_kept")}
    assert done and {s: d for s, d in zip(h["stance"], h["outcome_day"])} == done
    n, ids = len(m.actor_ids), m.actor_ids
    rho = m.series["resolve"][-1]
    assert all(rho[i, k] == pytest.approx(m.resolve.mean(ids[i], ids[k])) for i in range(n) for k in range(n))
    text = svg.resolve(h, m.horizon)
    ET.fromstring(text)
    assert text.count("<polyline") == 2 * h["pair"].nunique() and "carried out on day" in text
    grain = live.LiveModel("black_sea_grain", seed="1")
    for _ in range(5):
        grain.step()
    assert live.resolve_history(grain).empty and not live.has_conditionals(grain)


def test_trust_and_resolve_panel_says_what_it_has(page):
    """The panel under the beliefs: in the baseline one line on trust (no delivery
    terms), then the threats' chart once Belarus has weighed them; in the grain
    scenario the trust chart after a review, one line on threats."""
    assert shown(page, "nothing here is carried out over time")
    assert shown(page, "none has been weighed by its target yet")
    assert "chart-resolve" not in page_text(page) and "chart-trust" not in page_text(page)
    button(page, "Step").click()
    assert "chart-resolve" in page_text(page) and shown(page, "nothing here is carried out over time")
    app.scenario.set("black_sea_grain")
    assert shown(page, "no gradual term of an agreement has been reviewed yet")
    assert shown(page, "Threats and promises:") and shown(page, " none in this scenario.")
    button(page, "Run to the end").click()
    text = page_text(page)
    assert "chart-trust" in text and "chart-resolve" not in text and "deal of day" in text


# --------------------------------------------------------------------------- the odds
def test_odds_of_unchanged_settings_equal_the_scenario():
    """Same draws, same random streams: with nothing changed both columns agree exactly."""
    t = live.run_odds(live.Settings("baseline"), points=2, reps=2)
    a = t[t["side"] == live.CURRENT].set_index("outcome")["estimate"]
    b = t[t["side"] == live.UNCHANGED].set_index("outcome")["estimate"]
    assert a.equals(b)
    change = t[t["side"] == live.CHANGE]
    assert len(change) == len(a) and (change[["estimate", "ci_low", "ci_high"]] == 0).all().all()
    assert (t["n"] == 4).all()
    assert ((t["ci_low"] <= t["estimate"] + 1e-12) & (t["estimate"] <= t["ci_high"] + 1e-12)).all()


def test_odds_cancel_stops_the_batch():
    seen = []
    with pytest.raises(live.OddsCancelled):
        live.run_odds(live.Settings("baseline"), points=2, reps=10,
                      progress=lambda d, n: seen.append(d), cancel=lambda: len(seen) >= 1)
    assert seen and seen[-1] < 40


def test_odds_panel_runs_and_shows_both_columns():
    m = live.LiveModel("baseline", seed="1", **{f"{live.STANCE_KEY}{TECH_ONLY}": False})
    box, rc = solara.render(OddsPanel(m, reps=2, sizes=(4, 50), size=4, in_process=True), handle_error=False)
    rc.find(v.Btn, children=["Run odds (8 runs)"]).widget.click()
    deadline = time.time() + 60
    while time.time() < deadline and not rc.find(v.Html, class_="odds-table"):
        time.sleep(0.1)
    text = page_text(rc)
    heads = [w.children[0] for w in rc.find(v.Html, tag="th").widgets]
    assert heads == ["outcome", live.UNCHANGED, live.CURRENT, f"{live.CHANGE} (paired)"]
    cells = [w.children[0] for w in rc.find(v.Html, tag="td").widgets]
    assert "P(political agreement)" in cells and len(cells) % 4 == 0
    assert f"4 runs per side; stances off: {TECH_ONLY}" in text
    rc.close()


@pytest.mark.parametrize("name", live.scenario_names())
def test_every_scenario_opens_in_the_app(name):
    params = live.model_params(name)
    m = live.LiveModel(**{k: (p["value"] if isinstance(p, dict) else p) for k, p in params.items()})
    assert m.spec.name == sim.load_scenario(name).name and not m.input_problems
    for _ in range(3):
        m.step()
    # every protocol steps day by day: the app opens each scenario under its own
    assert m.day == 3 and live.status(m)["protocol"] == sim.load_scenario(name).protocol.name


def test_channel_changes_are_logged(tmp_path):
    f = tmp_path / "chan.yaml"
    f.write_text("extends: baseline\nname: chan\ndescription: a channel opens on day 3, closes on day 6\n"
                 "events:\n"
                 "  - {day: 3, type: set_channel, between: [belarus, opposition], level: technical, label: opens}\n"
                 "  - {day: 6, type: set_channel, between: [belarus, opposition], level: closed, label: closes}\n")
    m = live.LiveModel(str(f), allow_path=True)
    for _ in range(8):
        m.step()
    assert [(c["day"], c["old"], c["new"]) for c in m.channel_log] == [(3, "closed", "technical"),
                                                                         (6, "technical", "closed")]
    lines = live.log_lines(m)
    assert "day 3 (26 Nov 2021): the Belarus\u2013Belarusian opposition channel is now technical (was closed)" in lines
    assert "day 6 (29 Nov 2021): the Belarus\u2013Belarusian opposition channel closes (was technical)" in lines
