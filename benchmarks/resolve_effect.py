"""How much beliefs about resolve change runs (docs/ODD.md 7.20): 30 seeds per scenario,
resolve beliefs on against beliefs.resolve: false. Prints, per scenario, the runs that
differ in any of six outcomes and the outcomes' means both ways."""

import numpy as np

import sim

for name in ("baseline", "sanctions_escalation", "russia_engages"):
    sc = sim.load_scenario(name)
    off = sc.model_copy(update={"beliefs": sc.beliefs.model_copy(update={"resolve": False})})
    diff = 0; rows = []
    for s in range(30):
        a = sim.run(sc, seed=s, series=False).outcomes; b = sim.run(off, seed=s, series=False).outcomes
        keys = ["n_agreements", "any_political", "n_threat_carried_out", "n_threat_abandoned", "n_unilateral",
                "n_commitments_broken"]
        if any(a[k] != b[k] for k in keys): diff += 1
        rows.append([a[k] for k in keys] + [b[k] for k in keys])
    r = np.array(rows, dtype=float)
    print(name, "runs that differ", diff, "/30; means on:", r[:, :6].mean(0).round(2),
          "off:", r[:, 6:].mean(0).round(2))
