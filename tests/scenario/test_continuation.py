"""One chain from the record to the forecast (issue 22 item 1): a scenario that
``starts_from`` a history starts where the history's run ends; the history's
parameters come from its priors or a posterior, per replicate, on the replicate's own
streams; fields the forecast lacks are named in a note; a broken chain is one clear
line."""

from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import sim
from sim.cli import main
from sim.experiments import jobs as ex
from sim.experiments.jobs import ExperimentError
from sim.model.model import run_history
from sim.scenario import ScenarioError, load_scenario
from sim.scenario.continuation import PREFIX, history_seed
from sim.scenario.priors import Posterior

ROOT = Path(__file__).resolve().parents[2]
RATE = "environment.stocks.pressure.inflows.0.rate"
OUT = "environment.stocks.pressure.outflows.0.rate"


@pytest.fixture(scope="module")
def baseline():
    return load_scenario("baseline")


def _day0_stock(series: pd.DataFrame) -> pd.Series:
    s = series[(series["variable"] == "stock:pressure") & (series["day"] == 0)]
    return s.set_index("run_id")["value"]


def test_baseline_day0_is_where_history_2021_ends(baseline):
    """The baseline's day-0 issues are what history_2021's recorded events leave on 23
    Nov (equal to the values its file writes for the reader), its stock is the level the
    history run left on that seed, and the history's moves are the record before day 0."""
    assert baseline.starts_from.name == "history_2021"
    for j, spec in baseline.issues.items():
        assert baseline.day0(j) == pytest.approx(spec.status_quo), j
    for seed in (1, 2):
        st = run_history(baseline, seed)
        m = sim.NegotiationModel(baseline, rng=np.random.default_rng(seed), collect=False)
        for j, v in st.issues.items():
            assert float(m.status_quo[m.idx[j]]) == v == pytest.approx(baseline.day0(j))
        assert m.env.stocks["pressure"].level == st.stocks["pressure"] != 0.5      # not the file's hand-set 0.5
        hist = [a for a in m.registry.record if a.type == "history"]
        assert [a.day for a in hist] == sorted(a.day for a in hist) and all(a.day < 0 for a in hist)
        assert {"repatriation", "routes", "sanctions", "migrant_flow"} <= {j for a in hist for j in a.changes}
        # the history's blame above its public level adds to the article's public blame
        i, k = m.aidx["poland"], m.aidx["belarus"]
        assert m.blame[i, k] == pytest.approx(min(1.0, m.blames.b0[i, k] + st.blame[("poland", "belarus")]))
    # the stock differs between seeds: the history is rerun, not a constant
    assert run_history(baseline, 1).stocks != run_history(baseline, 2).stocks


def test_the_forecast_stream_is_the_same_whatever_the_history():
    """The history runs on a branch of the replicate's seed: the forecast's own model
    stream is the one default_rng(seed) gives, and int, SeedSequence and Generator
    seeds name the same branch."""
    seq = np.random.SeedSequence(7, spawn_key=(3,))
    h = history_seed(seq)
    assert h.spawn_key == (3, history_seed.__globals__["HISTORY_KEY"]) and h.entropy == 7
    assert history_seed(np.random.default_rng(seq)).spawn_key == h.spawn_key
    from_int, from_rng = history_seed(5), history_seed(np.random.default_rng(5))
    assert from_int.generate_state(2).tolist() == from_rng.generate_state(2).tolist()
    assert history_seed(5).generate_state(2).tolist() != np.random.SeedSequence(5).generate_state(2).tolist()


def _history_posterior(**values) -> Posterior:
    """A one-particle posterior over history_2021's calibrated fields."""
    fields = (RATE, OUT, "events.0.value", "events.2.value", "observables.attempted_crossings_pl.scale")
    base = {RATE: 0.04, OUT: 0.01, "events.0.value": 0.35, "events.2.value": 0.1,
            "observables.attempted_crossings_pl.scale": 15000.0}
    base.update({k.replace("__", "."): v for k, v in values.items()})
    return Posterior(fields, (tuple(base[f] for f in fields),), (1.0,))


def test_batch_baseline_with_a_history_posterior(baseline):
    """`batch baseline --posterior` of a history_2021 calibration runs (it failed:
    "posterior field 'events.0.value' is not a field of scenario 'baseline'"): every
    calibrated field sets the history run, the environment's rates set the forecast
    too, and the fields the baseline lacks are named in one note."""
    post = _history_posterior()
    job = ex.make_job(["baseline"], 2, 0, posterior=post, series=True)
    assert len(job.notes) == 1 and "\n" not in job.notes[0]
    assert "does not share events.0.value, events.2.value, observables.attempted_crossings_pl.scale" in job.notes[0]
    assert RATE not in job.notes[0] and "history_2021" in job.notes[0]
    chunk = job.chunks()[0]
    p = ex.replicate_params(chunk, np.random.SeedSequence(0, spawn_key=(0,)))
    assert p[f"{PREFIX}.events.0.value"] == 0.35 and p[f"{PREFIX}.{OUT}"] == 0.01 and p[OUT] == 0.01
    assert p[RATE] == p[f"{PREFIX}.{RATE}"] == 0.04
    assert "events.0.value" not in p                # the baseline's own events are not touched


def test_the_posterior_moves_the_day0_state(baseline):
    """Two posteriors that differ only in how fast people leave the border give day-0
    stocks that differ as they must (a faster outflow leaves fewer at the border on 23
    Nov), on the same seeds; each run's day-0 stock is its own history run's end."""
    stocks = {}
    for rate in (0.005, 0.05):
        job = ex.make_job(["baseline"], 3, 4, posterior=_history_posterior(**{OUT.replace(".", "__"): rate}),
                          series=True, days=2)
        res = ex.execute(job)
        day0 = _day0_stock(res.runs.attrs["series"])
        stocks[rate] = day0
        for _, row in res.runs.iterrows():
            seq = np.random.SeedSequence(int(row["seed_entropy"]), spawn_key=tuple(eval(row["seed_spawn_key"])))
            sc = ex.apply_params(ex.scenario_data(baseline), {k[6:]: row[k] for k in row.index
                                                                if k.startswith("param:") and pd.notna(row[k])})
            assert run_history(sc, seq).stocks["pressure"] == day0[row["run_id"]]
    assert (stocks[0.005].to_numpy() > stocks[0.05].to_numpy()).all()


def test_chain_is_bit_identical_whatever_the_workers():
    """Under the history's priors (no --posterior), the same seed gives the same runs
    in this process and on two worker processes."""
    job = ex.make_job(["baseline"], 4, 3, days=5)
    a = ex.execute(job).runs
    with ProcessPoolExecutor(2) as pool:
        b = ex.execute(ex.make_job(["baseline"], 4, 3, days=5), pool).runs
    pd.testing.assert_frame_equal(a.sort_values("run_id").reset_index(drop=True),
                                  b.sort_values("run_id").reset_index(drop=True))
    drawn = [c for c in a.columns if c.startswith(f"param:{PREFIX}.")]
    assert f"param:{PREFIX}.events.0.value" in drawn and a[f"param:{PREFIX}.events.0.value"].nunique() == 4
    assert (a[f"param:{OUT}"] == a[f"param:{PREFIX}.{OUT}"]).all()      # one outflow rate through the chain


def test_a_design_point_on_the_forecast_s_own_field_leaves_the_history_alone():
    """Varying the forecast's horizon (its own, not the world's) does not change the
    history's (every run failed: the history then ended before the start date); varying
    an environment rate sets both runs."""
    job = ex.make_job(["baseline"], 1, 0, points=[{"horizon_days": 10, RATE: 0.05}],
                      varies=[ex.Vary.parse("horizon_days=10:20:2"), ex.Vary.parse(f"{RATE}=0.02:0.05:2")])
    p = ex.replicate_params(job.chunks()[0], np.random.SeedSequence(0, spawn_key=(0,)))
    assert p["horizon_days"] == 10 and f"{PREFIX}.horizon_days" not in p
    assert p[RATE] == p[f"{PREFIX}.{RATE}"] == 0.05
    assert ex.apply_params(job.scenarios["baseline"], p).starts_from.scenario["horizon_days"] == 114


def test_a_posterior_field_of_neither_is_an_error():
    post = Posterior(("actors.nobody.capability",), ((0.1,),), (1.0,))
    with pytest.raises(ExperimentError, match="not a field of scenario 'baseline' nor of the history"):
        ex.make_job(["baseline"], 1, 0, posterior=post)


def _write(tmp_path, name, text):
    p = tmp_path / f"{name}.yaml"
    p.write_text(text)
    return p


HIST = """extends: {root}/scenarios/history_2021.yaml
name: {name}
horizon_days: {days}
"""


@pytest.mark.parametrize("case, text, field, words", [
    ("unknown", "starts_from: histroy_2021\n", "starts_from", "no history scenario 'histroy_2021'"),
    ("late", "starts_from: h_short\n", "starts_from", "ends on 2021-11-20"),
    ("moves", "history:\n  - {date: 2021-11-12, actor: turkey, issue: routes, delta: 0.15, label: ban}\n",
     "history", "makes the record's moves before day 0"),
    ("prior", "uncertain:\n  environment.stocks.pressure.inflows.0.rate: [0.01, 0.09]\n",
     "uncertain.environment.stocks.pressure.inflows.0.rate", "give it one prior"),
    ("nested", "starts_from: h_chain\n", "starts_from", "itself starts from"),
    ("typed", "starts_from: 3\n", "starts_from", "must be the name"),
])
def test_a_broken_chain_is_one_clear_line(tmp_path, case, text, field, words):
    """Each fault of a chain names the file, the field and what is wrong, in one line,
    and the CLI's validate exits 2 without a traceback."""
    _write(tmp_path, "h_short", HIST.format(root=ROOT, name="h_short", days=111))
    _write(tmp_path, "h_chain", HIST.format(root=ROOT, name="h_chain", days=114) + "starts_from: baseline\n")
    p = _write(tmp_path, case, f"extends: {ROOT}/scenarios/baseline.yaml\nname: {case}\n" + text)
    with pytest.raises(ScenarioError) as exc:
        load_scenario(p)
    lines = str(exc.value).splitlines()
    assert any(f" {field}:" in line and words in line for line in lines), lines
    assert len([line for line in lines if words in line]) == 1


def test_validate_exits_2_on_a_broken_chain(tmp_path, capsys):
    p = _write(tmp_path, "bad", f"extends: {ROOT}/scenarios/baseline.yaml\nname: bad\nstarts_from: nowhere\n")
    assert main(["validate", str(p)]) == 2
    err = capsys.readouterr()
    assert "starts_from" in err.out + err.err and "Traceback" not in err.out + err.err


def test_cutting_the_chain_gives_the_file_its_day0_back(tmp_path):
    """starts_from: null in a child scenario cuts the chain: day 0 is the file's own
    (the stock's hand-set 0.5), as before the chain."""
    p = _write(tmp_path, "cut", f"extends: {ROOT}/scenarios/baseline.yaml\nname: cut\nstarts_from: null\n")
    m = sim.NegotiationModel(load_scenario(p), rng=np.random.default_rng(1), collect=False)
    assert m.env.stocks["pressure"].level == 0.5
    assert not [a for a in m.registry.record if a.type == "history"]


def test_run_prints_the_stock_the_history_left(tmp_path, capsys, baseline):
    """`run baseline` says the pressure starts where the history left it (it printed the
    file's hand-set 0.50)."""
    assert main(["run", "baseline", "--seed", "1", "--days", "3", "--out", str(tmp_path / "o")]) == 0
    level = run_history(baseline, 1).stocks["pressure"]
    assert f"Pressure: start {level:.2f}," in capsys.readouterr().out and f"{level:.2f}" != "0.50"


def test_a_history_run_hands_out_its_own_copy_of_the_state_on_a_miss_and_on_a_hit(baseline):
    """run_history caches each (history, seed): the state a caller gets is a copy, so a
    model that changes it (its acts, its stocks) cannot change the next run's start."""
    from sim.model import model as M

    seed = np.random.SeedSequence(424242)
    M._HISTORIES.clear()
    first = run_history(baseline, seed)                       # a miss: runs the history
    cached = next(iter(M._HISTORIES.values()))[1]
    assert first == cached and first is not cached
    assert first.acts is not cached.acts and first.stocks is not cached.stocks
    first.acts.clear()
    first.stocks["pressure"] = -1.0
    second = run_history(baseline, seed)                      # a hit: the same state, untouched
    assert second == cached and second is not cached and second.acts
