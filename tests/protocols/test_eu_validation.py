"""The expected-utility protocol against published figures, and its switches.

Published figures used (facts, as fixtures; no code copied):
- BDM (1994) Table 1, the EC car-emissions inputs (scenarios/ec_emissions.yaml);
- the round-by-round output the public port of Scholz, Calbert & Smith (2011) publishes
  for those inputs (tests/data/ec_emissions_scholz_port.log: for rounds 1-10, who
  moves toward whom, how, to where, with both expected utilities, and each round's
  weighted mean).
Tolerances: positions and weighted means 1e-9 (years), expected utilities 1e-9 (the
port prints 16 digits; we agree to ~1e-12). What is not reproduced is asserted as a gap.
"""

import re
from pathlib import Path

import numpy as np
import pytest
from conftest import eu_run

import sim
from sim.model import NegotiationModel
from sim.protocols.expected_utility import IssueGame

FIXTURE = Path(__file__).parents[1] / "data" / "ec_emissions_scholz_port.log"
KIND = {"loses confrontation to": "confrontation lost", "compromises with": "compromise",
        "capitulates to": "capitulation"}
LARGE_AND_FIRM = ["netherlands", "germany", "france", "italy", "uk", "denmark", "greece"]


def _port_log():
    """{round: {"moves": [(actor, toward, kind, eu_receiver, eu_sender, to)], "mean": m, "median": m}}."""
    rounds, cur = {}, 0
    lines = [ln for ln in FIXTURE.read_text().splitlines() if ln and not ln.startswith("#")]
    rounds[0] = {"moves": []}
    for n, ln in enumerate(lines):
        if ln.startswith("ROUND"):
            cur = int(ln.split()[1])
            rounds[cur] = {"moves": []}
        elif ln.startswith("Median position:"):
            rounds[cur]["median"] = float(ln.split(":")[1])
        elif ln.startswith("Mean position:"):
            rounds[cur]["mean"] = float(ln.split(":")[1])
        elif not ln.startswith("\t"):
            m = re.match(r"(\w+) (loses confrontation to|compromises with|capitulates to) (\w+)", ln)
            eu_recv, eu_send = (float(v) for v in lines[n + 1].strip().split(" vs "))
            to = float(lines[n + 2].split("=")[1])
            rounds[cur]["moves"].append((m[1].lower(), m[3].lower(), KIND[m[2]], eu_recv, eu_send, to))
    return rounds


def _variant(**kw):
    sc = sim.load_scenario("ec_emissions")
    return sc.model_copy(update={"protocol": sc.protocol.model_copy(update=kw)})


@pytest.fixture(scope="module")
def default_run():
    return eu_run("ec_emissions", rounds=10)


def test_fixture_has_ten_rounds_of_three_moves():
    log = _port_log()
    assert sorted(log) == list(range(11)) and all(len(log[r]["moves"]) == 3 for r in range(1, 11))


def test_default_reproduces_the_published_port_round_by_round(default_run):
    """Rounds 1-10: the same three movers, the same partner and kind of move, the same
    new position (1e-9 years) and the same two expected utilities (1e-9)."""
    log = _port_log()
    mv = default_run.moves
    for rnd in range(1, 11):
        ours = mv[mv["round"] == rnd].set_index("actor")
        assert sorted(ours.index) == sorted(m[0] for m in log[rnd]["moves"]), rnd
        for actor, toward, kind, eu_recv, eu_send, to in log[rnd]["moves"]:
            o = ours.loc[actor]
            assert (o["toward"], o["kind"]) == (toward, kind), (rnd, actor)
            assert 4 + 6 * o["to"] == pytest.approx(to, abs=1e-9), (rnd, actor)
            assert o["eu_receiver"] == pytest.approx(eu_recv, abs=1e-9), (rnd, actor)
            assert o["eu_sender"] == pytest.approx(eu_send, abs=1e-9), (rnd, actor)


def test_default_reproduces_the_published_weighted_means(default_run):
    log = _port_log()
    means = default_run.rounds.set_index("round")["mean"]
    for rnd in range(11):
        assert means[rnd] == pytest.approx(log[rnd]["mean"], abs=1e-9), rnd


def test_gap_the_ports_median_line_is_its_mean_not_a_median(default_run):
    """Not reproducible, and documented: after round 0 the port's "Median position"
    equals its mean to the last digit (a quirk of its median routine), so no weighted
    median can match it. Ours (the capability x salience weighted median, BDM's median
    voter) is 8.4159 in round 1 where the port prints 7.4613: a gap of 0.9546 years."""
    log = _port_log()
    assert all(log[r]["median"] == log[r]["mean"] for r in range(1, 11))
    med = default_run.rounds.set_index("round")["median"]
    assert med[1] - log[1]["median"] == pytest.approx(0.954618, abs=1e-6)
    assert med[0] == log[0]["median"] == 7.0


def test_ec_emissions_default_never_converges():
    """Over 100 rounds only Belgium, Luxembourg and Ireland move; the large states and
    the firm small ones never do; the weighted mean stays within [7.23, 7.60] (the port's
    ten rounds: [7.24, 7.59]) and the run ends at the round limit (Scholz et al. discuss
    this convergence problem)."""
    eu = eu_run("ec_emissions")
    assert set(eu.moves["actor"]) == {"belgium", "luxembourg", "ireland"}
    p = eu.positions
    for a in LARGE_AND_FIRM:
        assert p[p["actor"] == a]["position"].nunique() == 1, a
    assert 7.23 <= eu.rounds["mean"].min() and eu.rounds["mean"].max() <= 7.60
    assert eu.forecast.iloc[0]["status"] == "round limit" and eu.forecast.iloc[0]["rounds"] == 100


def test_gap_paper_text_offer_rule_departs_from_the_port_in_round_one():
    """Scholz et al.'s text (and BDM 1994) say an actor takes the offer asking the least
    change (``least_move``); their code, which the port follows (``scholz``, the default),
    takes any confrontation before any compromise. On the EC case the two differ from
    round 1 (Luxembourg compromises with Greece instead of losing a confrontation to
    Belgium): the round-1 weighted mean is 7.4680 against the port's 7.4613."""
    eu = eu_run(_variant(offer_choice="least_move"), rounds=10)
    r1 = eu.moves[eu.moves["round"] == 1].set_index("actor")
    assert r1.loc["luxembourg", "kind"] == "compromise" and r1.loc["luxembourg", "toward"] == "greece"
    mean1 = eu.rounds.set_index("round")["mean"][1]
    assert mean1 - _port_log()[1]["mean"] == pytest.approx(0.006644, abs=1e-6)


ALTERNATIVES = [{"probability": "per_pair"}, {"risk_perspective": "own"}, {"offer_choice": "least_move"},
                {"offer_choice": "largest_eu"}, {"risk_formula": "own_positions"}, {"risk_formula": "neutral"},
                {"q": 0.5, "t": 0.5}]


@pytest.mark.parametrize("kw", ALTERNATIVES, ids=lambda kw: ",".join(f"{k}={v}" for k, v in kw.items()))
def test_every_switch_changes_the_ec_trajectory(kw, default_run):
    """Each reading is a real switch: within ten rounds its positions differ from the
    default's by more than 0.1 year for some actor and round."""
    alt = eu_run(_variant(**kw), rounds=10)
    a = alt.positions.set_index(["round", "actor"])["position"]
    d = default_run.positions.set_index(["round", "actor"])["position"]
    common = a.index.intersection(d.index)
    assert (a[common] - d[common]).abs().max() > 0.1


def _game(**kw):
    """The expected-utility protocol of the EC case and its round-1 game on the issue."""
    m = NegotiationModel(_variant(**kw), rng=0).protocol
    g = IssueGame(m.positions()[:, 0], m.c, m.s[:, 0].copy(), float(m.d[0]))
    return m, g


def test_probability_normalisations():
    """all_triples: the probabilities of all ordered pairs add up to 1/2 (each vote's
    positive part over the sum of all |votes|); per_pair: P(i, j) + P(j, i) = 1 for every
    pair of distinct positions."""
    rng = np.random.default_rng(1)
    m, g = _game()
    r = rng.uniform(0.5, 2.0, len(g.x))
    assert m.probabilities(g, r).sum() == pytest.approx(0.5, abs=1e-12)
    m2, _ = _game(probability="per_pair")
    p = m2.probabilities(g, r)
    differ = g.x[:, None] != g.x[None, :]
    assert np.allclose((p + p.T)[differ], 1.0, atol=1e-12)


def test_risk_exponents():
    """scholz: r in [0.5, 2], the most threatened actor gets 0.5 and the safest 2;
    own_positions: within [0.5, 2]; neutral: all 1."""
    m, g = _game()
    r = m.risk(g)
    assert r.min() == pytest.approx(0.5) and r.max() == pytest.approx(2.0)
    m2, _ = _game(risk_formula="own_positions")
    r2 = m2.risk(g)
    assert ((r2 >= 0.5 - 1e-12) & (r2 <= 2 + 1e-12)).all() and not np.allclose(r2, r)
    m3, _ = _game(risk_formula="neutral")
    assert (m3.risk(g) == 1.0).all()


def test_risk_perspective():
    """receiver: the sender's EU is valued with the receiver's exponent; own: with the
    sender's. With equal exponents the two coincide; with unequal ones they do not."""
    m, g = _game()
    m_own, _ = _game(risk_perspective="own")
    n = len(g.x)
    same = np.full(n, 1.3)
    assert np.allclose(m.offers(g, same)[0], m_own.offers(g, same)[0], atol=1e-12)
    r = m.risk(g)
    send_recv, by_chal = m.offers(g, r)
    send_own, _ = m_own.offers(g, r)
    assert np.allclose(send_own, by_chal) and not np.allclose(send_recv, send_own)
    for j in range(n):      # column j of the receiver's view uses r_j: recompute one entry
        rr = np.full((n, n), r[j])
        mu = float(np.median(g.x))  # not used for q = 1: Ub and Uw carry weight 1 - q = 0
        full = m.expected(g, mu, m.probabilities(g, r), rr)
        assert np.allclose(send_recv[:, j], full[:, j], atol=1e-12)


# ------------------------------------------------------------------ the other public cases
# Inputs as the public ports ship them (facts used as fixtures: decisionmechanics/eum
# Simulator/Data/iranian-election.txt and argentina.txt; minimalgeek/BDM-Expected-Utility-Model
# resources/Iranian_Election.csv holds the same Iranian numbers). No port publishes output
# for them and no published forecast was found (the ports' repositories, logs and READMEs;
# the stored copy of Eftekhari & Rahimi 2014, their probable source, shows no results).
IRAN = {"jalili": (0.24, 1, 0.7), "haddad": (0.08, 2, 1.0), "gharazi": (0.01, 4, 1.0), "rezayi": (0.2, 4, 0.6),
        "ghalibaf": (0.64, 5, 1.0), "velayati": (0.07, 5, 0.25), "ruhani": (0.21, 8, 1.0), "aref": (0.3, 10, 0.7)}
ARGENTINA = {"macri": (0.159058374, 100, 0.99), "ucr": (0.08414188, 90, 0.9), "cc": (0.068236043, 85, 0.9),
             "cfk": (0.045490695, 0, 0.75), "una": (0.05678384, 75, 0.85), "pjgi": (0.052330205, 65, 0.75),
             "public_opinion": (0.090822332, 60, 0.65), "business": (0.040878002, 80, 0.55),
             "unions": (0.052330205, 55, 0.45), "media_for": (0.068236043, 90, 0.6),
             "media_neutral": (0.045490695, 65, 0.45), "media_against": (0.054557022, 35, 0.55),
             "pope": (0.059010657, 85, 0.15), "holdouts": (0.011293145, 90, 0.65), "sfm": (0.022745348, 80, 0.05),
             "finance": (0.04994433, 75, 0.65), "social_orgs": (0.038651185, 20, 0.75)}


@pytest.mark.parametrize("name,table,issue,lo,hi", [("iran_2013_election", IRAN, "candidate_position", 1, 10),
                                                    ("argentina", ARGENTINA, "position", 0, 100)])
def test_the_scenario_holds_the_ports_inputs(name, table, issue, lo, hi):
    """Each actor's capability, position (on the port's scale) and salience as the port's
    data file gives them; round 0 is their capability x salience weighted mean and median."""
    sc = sim.load_scenario(name)
    assert set(sc.actors) == set(table)
    for a, (c, x, s) in table.items():
        sp = sc.actors[a]
        assert sp.capability == c and sp.salience[issue] == s
        assert lo + (hi - lo) * sp.position[issue] == pytest.approx(x, abs=1e-12)
    w = {a: c * s for a, (c, x, s) in table.items()}
    mean = sum(w[a] * table[a][1] for a in table) / sum(w.values())
    order = sorted(table, key=lambda a: table[a][1])
    cum, median = 0.0, None
    for a in order:
        cum += w[a]
        if cum >= sum(w.values()) / 2:
            median = table[a][1]
            break
    r0 = eu_run(sc, rounds=1).rounds.iloc[0]
    assert r0["mean"] == pytest.approx(mean, abs=1e-9) and r0["median"] == pytest.approx(median, abs=1e-9)


@pytest.mark.parametrize("name", ["iran_2013_election", "argentina"])
def test_the_other_public_cases_stop_and_stay_in_range(name):
    """Under the default reading both cases stop (converge or cycle) well before the
    round limit, every position inside the inputs' range, and only along the rules."""
    eu = eu_run(name)
    f = eu.forecast.iloc[0]
    assert f["status"] in ("converged", "cycle") and f["rounds"] < 50
    p, sc = eu.positions, sim.load_scenario(name)
    lo, hi = sc.issues[f["issue"]].scale
    first = p[p["round"] == 0]["position"]
    assert first.min() - 1e-9 <= p["position"].min() and p["position"].max() <= first.max() + 1e-9
    assert lo <= f["median"] <= hi


def test_gap_iran_no_published_forecast_and_the_result_it_misses():
    """The gap, documented: no published forecast exists for these inputs to check ours
    against. What can be checked is the election's result (Rouhani, at 8 on the ports'
    scale, won the first round; data/iran_2013_result.yaml): under the default reading the
    model forecasts Ghalibaf's position (5) and the compromise model 5.44, both more than
    2.5 scale points from the winner, and the expected-utility forecast is no nearer the
    result than the compromise model's (it adds nothing on this case)."""
    eu = eu_run("iran_2013_election").forecast.iloc[0]
    cm = eu_run("iran_2013_election", protocol="compromise", rounds=1).forecast.iloc[0]
    assert eu["median"] == 5.0 and cm["median"] == pytest.approx(5.4383, abs=1e-4)
    assert abs(eu["median"] - 8) > 2.5 and abs(cm["median"] - 8) > 2.5
    assert abs(eu["median"] - 8) >= abs(cm["median"] - 8)
