"""How much beliefs change the baseline (docs/ODD.md 7.18): 100 replications under the
priors against the same replications with beliefs.enabled: false (complete information:
reservations and resolve). Prints the runs whose number of agreements or first deal day
differ, and the headline shares both ways."""

import sim
from sim.experiments.jobs import execute, make_job

sc = sim.load_scenario("baseline")
off = sc.model_copy(update={"name": "complete", "beliefs": sc.beliefs.model_copy(update={"enabled": False})})
r = execute(make_job([sc, off], reps=100, seed=0)).runs
a = r[r.scenario == "baseline"].sort_values("replicate").reset_index(drop=True)
b = r[r.scenario == "complete"].sort_values("replicate").reset_index(drop=True)
first_a, first_b = a.time_to_first_agreement.fillna(-1), b.time_to_first_agreement.fillna(-1)
diff = ((a.n_agreements != b.n_agreements) | (first_a != first_b)).sum()
print("differ", diff, "P(any)", a.any_agreement.mean(), b.any_agreement.mean(),
      "P(pol)", a.any_political.mean(), b.any_political.mean(),
      "no_offer", a.n_no_offer.mean(), "missed", a.n_missed_by_belief.mean())
