"""Deals are voluntary: at the moment of every agreement each party's value of the
package is at least its reservation value and at least the status quo it gives up
(DESIGN.md, second round). Checked over every shipped scenario that negotiates, under
every protocol that makes agreements (alternating offers; mediation where the scenario
names a mediator), with its ``uncertain:`` parameters drawn from their priors at
hypothesis-chosen quantiles (>= 500 generated cases).

The check is independent of the protocol's own bookkeeping: ``implement`` is wrapped
and each party's value is recomputed from the model's state just before the terms
are implemented, from the actor's utility and the environment's anticipated relief.
"""

import numpy as np
import pytest
from conftest import negotiating_scenarios
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sim.experiments.jobs import apply_params, scenario_data
from sim.model import NegotiationModel
from sim.model.agreements import value_of
from sim.model.control import guarantor_cost
from sim.runner import with_protocol
from sim.scenario import load_scenario
from sim.scenario.priors import priors_of

SCENARIOS = [(n, "alternating_offers") for n in negotiating_scenarios()] + [
    (n, "mediation") for n in negotiating_scenarios() if load_scenario(n).protocol.mediator]
CASES_PER_SCENARIO = max(1, -(-500 // len(SCENARIOS)))     # >= 500 cases in all
DAYS = 60


class Checked(NegotiationModel):
    """The model, with every agreement checked before it is implemented."""

    checked = 0

    def implement(self, channel, proposer, values, value_to=None, reservation=None, mediator="", space=None):
        before = self.x.copy()
        after = before.copy()
        for j, v in zip(channel.issues, values):
            after[j] = v
        for key in channel.key:
            actor = self.actors[key]
            v = value_of(self, actor, before, after)
            v -= sum(guarantor_cost(self.rules[j], channel.key).get(key, 0.0) * abs(after[j] - before[j])
                     for j in channel.issues)
            floor = max(actor.reservation_value(), 0.0)
            assert v >= floor - 1e-9, (self.spec.name, self.day, key, v, floor, dict(zip(channel.issues, values)))
            assert v >= -1e-9                     # never below the status quo it gives up
        type(self).checked += 1
        return super().implement(channel, proposer, values, value_to, reservation, mediator, space)


@pytest.mark.slow
@pytest.mark.parametrize("name,protocol", SCENARIOS)
def test_every_agreement_is_voluntary_for_every_party(name, protocol):
    """The full property: >= 500 generated cases over the scenarios (CI runs it)."""
    _check(name, protocol, CASES_PER_SCENARIO)


@pytest.mark.parametrize("name,protocol", SCENARIOS)
def test_agreements_are_voluntary_quick(name, protocol):
    """The same property on 6 cases per scenario and protocol, for `make test`."""
    _check(name, protocol, 6)


def _check(name, protocol, cases):
    sc = with_protocol(load_scenario(name), protocol)
    data = scenario_data(sc)
    priors = priors_of(data)                   # each uncertain field's prior (uniform or not)
    paths = sorted(priors)
    start = Checked.checked

    @settings(max_examples=cases, deadline=None, derandomize=True,
              suppress_health_check=[HealthCheck.too_slow])
    @given(u=st.lists(st.floats(0.0, 1.0), min_size=len(paths), max_size=len(paths)),
           seed=st.integers(0, 2**32 - 1))
    def case(u, seed):
        params = {}
        for p, q in zip(paths, u):
            params[p] = priors[p].ppf(min(max(q, 1e-9), 1 - 1e-9))   # integer fields come out whole
        drawn = apply_params(data, params)
        m = Checked(drawn, rng=np.random.default_rng(seed), horizon=DAYS, collect=False, log_offers=False)
        m.run()

    case()
    # the property was exercised: deals happened in this scenario's cases
    assert Checked.checked > start, f"no agreement in any case of {name}: the property was not exercised"
