"""Shared helpers: small synthetic scenarios built in code (no files)."""

import copy

import pytest

from sim.scenario import deep_merge, validate_mapping


def mirror_trade(**overrides) -> dict:
    """Two actors, two issues, each controlled by one actor; each wants the other's
    issue moved and cares about it three times as much as about its own: a trade
    gains both (log-rolling). Symmetric under swapping (a, i1) with (b, i2)."""
    base = {
        "name": "mirror",
        "description": "two symmetric actors trade concessions on two issues",
        "start_date": "2021-01-01",
        "horizon_days": 60,
        "issues": {
            "i1": {"kind": "technical", "low": "a keeps", "high": "a concedes", "status_quo": 0.0, "control": ["a"]},
            "i2": {"kind": "technical", "low": "b keeps", "high": "b concedes", "status_quo": 0.0, "control": ["b"]},
        },
        "actors": {
            "a": {"name": "A", "capability": 0.5, "position": {"i1": 0.0, "i2": 1.0},
                  "salience": {"i1": 0.25, "i2": 0.75}, "tactic": {"e": 1.0}, "reservation": 0.05},
            "b": {"name": "B", "capability": 0.5, "position": {"i1": 1.0, "i2": 0.0},
                  "salience": {"i1": 0.75, "i2": 0.25}, "tactic": {"e": 1.0}, "reservation": 0.05},
        },
        "channels": {"a-b": "technical"},
        "protocol": {"cooldown_days": 1000, "deadline_days": 60},
    }
    return deep_merge(base, overrides)


def build(data: dict):
    return validate_mapping(copy.deepcopy(data), "<test>")


@pytest.fixture
def mirror():
    return mirror_trade


def institution(rule: str, **issue) -> dict:
    """A bloc ``eu`` with two members ``m1`` (capability 0.3) and ``m2`` (0.2) decides
    issue ``s`` (status quo 0.5) by ``rule``; an outsider ``o`` wants it at 0. The bloc
    wants it at 1, m1 at 1, m2 at 0.4. Nobody negotiates (no channels): only the
    decision rule and unilateral moves act."""
    return {
        "name": "institution",
        "description": "a bloc, its members and an outsider",
        "start_date": "2021-01-01",
        "horizon_days": 60,
        "issues": {"s": {"kind": "political", "low": "none", "high": "max", "status_quo": 0.5,
                         "control": ["eu"], "decision": rule, **issue}},
        "actors": {
            "eu": {"name": "Bloc", "capability": 0.5, "members": ["m1", "m2"],
                   "position": {"s": 1.0}, "salience": {"s": 1.0}},
            "m1": {"name": "M1", "capability": 0.3, "position": {"s": 1.0}, "salience": {"s": 1.0}},
            "m2": {"name": "M2", "capability": 0.2, "position": {"s": 0.4}, "salience": {"s": 1.0}},
            "o": {"name": "Outsider", "capability": 0.5, "position": {"s": 0.0}, "salience": {"s": 1.0}},
        },
        "blame": {"harm_aversion": 0.0},
        "unilateral": {"cost": 0.0},
    }


def pytest_terminal_summary(terminalreporter):
    """Say loudly when the browser test of the app (tests/viz/test_app_browser.py) was skipped."""
    for rep in terminalreporter.stats.get("skipped", []):
        reason = str(rep.longrepr[-1]) if isinstance(rep.longrepr, tuple) else str(rep.longrepr)
        if "BROWSER TEST SKIPPED" in reason:
            terminalreporter.write_sep("!", "BROWSER TEST SKIPPED", red=True, bold=True)
            terminalreporter.write_line(reason.split("BROWSER TEST SKIPPED: ", 1)[-1], red=True, bold=True)
            break


def negotiating_scenarios() -> list[str]:
    """The shipped scenarios whose protocol is alternating offers and that have an open
    channel (those in which agreements can happen)."""
    from sim.model import NegotiationModel
    from sim.scenario import SCENARIO_DIR, load_scenario

    names = []
    for p in sorted(SCENARIO_DIR.glob("*.yaml")):
        sc = load_scenario(p)
        if sc.protocol.name == "alternating_offers" and NegotiationModel(sc, rng=0).channels:
            names.append(p.stem)
    return names


def eu_run(sc, rounds: int | None = None, protocol: str = "expected_utility", **switches):
    """Run ``sc`` (a Scenario or a name) under a forecast protocol for ``rounds`` rounds
    (days; default the protocol's ``max_rounds``) and return the result with the
    round-by-round tables of the first design round's EU result, read off the run:
    ``rounds`` (round, issue, median, mean), ``positions`` (round, issue, actor,
    position), ``forecast`` (issue, median, mean, status, rounds: the last round) and
    ``moves`` (with ``round`` = day), all on the issues' own scales."""
    from types import SimpleNamespace

    import sim
    from sim.analysis.rounds import rounds_table, to_scale
    from sim.runner import with_protocol

    sc = with_protocol(sim.load_scenario(sc) if isinstance(sc, str) else sc, protocol)
    spec = sc.protocol.model_copy(update={**switches, **({"max_rounds": rounds} if rounds else {})})
    sc = sc.model_copy(update={"protocol": spec, "horizon_days": rounds or spec.max_rounds})
    res = sim.run(sc, seed=0)
    rt = rounds_table(res, sc)
    s = res.series[res.series["variable"] == "position"]
    positions = s.rename(columns={"day": "round", "value": "position"})[["round", "issue", "actor", "position"]].copy()
    for j in sc.issues:
        at = positions["issue"] == j
        positions.loc[at, "position"] = to_scale(sc, j, positions.loc[at, "position"])
    last = rt[rt["round"] == rt["round"].max()].set_index("issue")
    iss = res.issues.set_index("issue")
    forecast = pd_frame([{"issue": j, "median": float(to_scale(sc, j, iss.loc[j, "forecast"])),
                          "mean": last.loc[j, "mean"], "median_01": iss.loc[j, "forecast"],
                          "status": iss.loc[j, "forecast_status"], "rounds": iss.loc[j, "forecast_rounds"]}
                         for j in sc.issues])
    moves = res.moves.rename(columns={"day": "round"})
    return SimpleNamespace(result=res, rounds=rt, positions=positions, forecast=forecast, moves=moves,
                           model=None, scenario=sc)


def pd_frame(rows):
    import pandas as pd

    return pd.DataFrame(rows)


def calibration_task(history) -> dict:
    """A calibrate worker's task (``sim.experiments.calibration._simulate``): two
    simulations of ``history`` at its own parameters against the shipped monthly data."""
    from sim.experiments import calibration as cal
    from sim.experiments.jobs import scenario_data

    data = cal.check_data(history, cal.read_data("data/attempted_crossings_pl_2021.csv"))
    return {"task_id": 0, "data": scenario_data(history), "rows": list(zip(data["variable"], data["period_key"])),
            "entropy": 3, "params": [{}, {}], "keys": [(1, 0, 0), (1, 0, 1)]}
