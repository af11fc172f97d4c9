"""Every shipped scenario under every protocol, stepped a month as Mesa's tests step examples.

The model's invariants are checked after each step: issue values and
stated positions finite and on [0, 1], agreements signed on the day they are recorded by
distinct actors of the scenario, each voluntary (no party below its floor), the record's
days in order. Thirty days: under seed 7 about a dozen of the pairs sign something by then
(a test below keeps that so, or the voluntary check would be vacuous).

A scenario a protocol cannot run (mediation needs ``protocol.mediator``) must be refused
with a ScenarioError naming what is missing, never fail later inside the day.
"""

from __future__ import annotations

import numpy as np
import pytest

from sim.model import NegotiationModel
from sim.protocols import PROTOCOLS
from sim.results import build_result
from sim.runner import with_protocol
from sim.scenario import SCENARIO_DIR, ScenarioError, load_scenario

SCENARIOS = sorted(p.stem for p in SCENARIO_DIR.glob("*.yaml"))
DAYS = 30
TOL = 1e-9


@pytest.fixture(scope="module")
def loaded():
    return {name: load_scenario(name) for name in SCENARIOS}


def test_the_smoke_test_covers_every_scenario_and_protocol():
    # an empty glob or registry would make the parametrised test below vacuous
    assert len(SCENARIOS) >= 10 and "baseline" in SCENARIOS and "black_sea_grain" in SCENARIOS
    assert set(PROTOCOLS) >= {"alternating_offers", "expected_utility", "compromise", "mediation"}


def check_day(model, day: int, seen_agreements: int) -> int:
    """Check the model's invariants after the step that ended day ``day``."""
    assert model.day == day
    x = np.asarray(model.x, dtype=float)
    assert x.shape == (len(model.issue_ids),)
    assert np.all(np.isfinite(x)), dict(zip(model.issue_ids, x))
    assert np.all((x >= -TOL) & (x <= 1 + TOL)), dict(zip(model.issue_ids, x))
    for a in model.actor_ids:
        pos = np.asarray(model.actors[a].position, dtype=float)
        assert np.all(np.isfinite(pos) & (pos >= -TOL) & (pos <= 1 + TOL)), (a, pos)
    ags = model.agreements
    assert len(ags) >= seen_agreements            # agreements are recorded, never forgotten
    for a in ags[seen_agreements:]:
        assert a.day == day, (a.day, day)         # each is signed on the day it is recorded
        assert len(set(a.parties)) >= 2 and set(a.parties) <= set(model.actor_ids)
        for p in a.parties:                       # voluntary: no party signs below its floor
            assert a.value_to[p] >= a.reservation[p] - TOL, (a.parties, p, a.value_to,
                                                             a.reservation)
        for issue, v in a.values.items():
            assert issue in model.idx and -TOL <= v <= 1 + TOL, (issue, v)
    return len(ags)


SIGNED: dict[tuple[str, str], int] = {}


@pytest.mark.parametrize("protocol", list(PROTOCOLS))
@pytest.mark.parametrize("scenario", SCENARIOS)
def test_every_scenario_steps_under_every_protocol(scenario, protocol, loaded):
    sc = loaded[scenario]
    try:
        sc = with_protocol(sc, protocol)
    except ScenarioError as e:
        assert protocol == "mediation" and "mediator" in str(e), e
        return
    model = NegotiationModel(sc, rng=np.random.default_rng(7), horizon=DAYS)
    assert model.day == 0
    seen = check_day(model, 0, 0)
    for day in range(1, DAYS + 1):
        model.step()
        seen = check_day(model, day, seen)
    SIGNED[scenario, protocol] = seen
    res = build_result(model, 7)
    days = res.record["day"].to_numpy()
    assert np.all(np.diff(days) >= 0), days           # the record's days in order
    assert days.size == 0 or days.max() <= DAYS
    assert len(res.agreements) == seen
    issues = res.issues.index if "issue" not in res.issues else res.issues["issue"]
    assert set(issues) == set(model.issue_ids)


def test_the_smoke_runs_signed_agreements_under_several_protocols():
    # runs after the parametrised test in the same process (pytest keeps file order;
    # xdist --dist loadfile keeps a file on one worker)
    if len(SIGNED) < len(SCENARIOS):
        pytest.skip("run with the parametrised smoke test")
    signing = {p for (s, p), n in SIGNED.items() if n}
    assert sum(1 for n in SIGNED.values() if n) >= 5, SIGNED
    assert {"alternating_offers", "mediation"} <= signing, SIGNED
