"""The argument parser, built command group by command group in the order ``--help``
lists them. It imports nothing heavy: ``--help`` stays instant."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sim.cli.common import RUN_FILES, nonneg_int, pos_int, protocol_option

EPILOG = ("Examples (each one is run by tests/cli/test_cli_help.py):\n"
          "  python run_sim.py run baseline --seed 1 --out out\n"
          "  python run_sim.py scenarios\n  python run_sim.py validate scenarios/*.yaml\n"
          "  python run_sim.py batch baseline poland_political_talks --reps 1000 --out out/batch\n"
          "  python run_sim.py table baseline poland_political_talks --reps 200 --out out/table\n"
          "  python run_sim.py sweep baseline --vary commitments.price=0:0.2:5 --reps 60 --out out/price-sweep\n"
          "  python run_sim.py ablate baseline --reps 200 --out out/ablation\n"
          "  python run_sim.py sensitivity baseline --method morris --n 16 --out out/sensitivity\n"
          "  python run_sim.py compare-protocols baseline --reps 100 --out out/compare-baseline\n"
          "  python run_sim.py calibrate history_2021 --data data/attempted_crossings_pl_2021.csv "
          "--out out/calibration\n"
          "  python run_sim.py score baseline --record tests/data/record_example.yaml --reps 200\n"
          "  python run_sim.py report out/batch\n"
          "  python run_sim.py run ec_emissions --protocol expected_utility\n"
          "  python run_sim.py seeds\n"
          "An --out that holds an earlier experiment: add --overwrite to replace it, --resume to finish it.\n"
          "Exit codes: 0 ok, 2 bad input, 3 some runs failed, 4 stopped by the system (disk full,\n"
          "  a worker killed: --resume finishes), 130 interrupted, 143 terminated (SIGTERM; --resume\n"
          "  finishes), 141 output pipe closed.")


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="diplosim" if Path(sys.argv[0]).name == "diplosim" else "run_sim.py",
        description="Simulate multi-party diplomatic negotiation (Mesa). Flagship case: the "
                    "2021 Belarus-EU border crisis, seeded from a TASS article of 23 Nov 2021.",
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    for add in (_add_run, _add_scenario_checks, _add_batch_sweep, _add_compare_ablate_sensitivity,
                _add_folder_commands, _add_score, _add_table, _add_calibrate, _add_seeds):
        add(sub)
    return p


def experiment_options(x, what, reps=100, out_default=None, protocol=True):
    """The options every experiment command shares (replications, seed, executor, --out, resume)."""
    x.add_argument("--reps", type=pos_int, default=reps, help=f"replications of each {what} (default: {reps})")
    x.add_argument("--seed", type=nonneg_int, default=0,
                   help="root seed: replicate r uses SeedSequence(seed).spawn(reps)[r] (default: 0)")
    x.add_argument("--workers", type=pos_int, default=None,
                   help="worker processes (default: the number of cores; 1 runs in this process); "
                        "with --dask local, the embedded cluster's workers")
    x.add_argument("--dask", metavar="ADDRESS", default=None,
                   help="send runs to a Dask scheduler at ADDRESS, or 'local' for an embedded "
                        "LocalCluster (needs: pip install '.[dask]')")
    if out_default is None:
        x.add_argument("--out", type=Path, required=True, help="folder for runs.parquet, summary.csv, manifest.json")
    else:
        x.add_argument("--out", type=Path, default=None,
                       help=f"folder for the tables, figure and report (default: {out_default})")
    x.add_argument("--resume", action="store_true",
                   help="finish an interrupted experiment in --out (same command); no run is repeated")
    x.add_argument("--overwrite", action="store_true",
                   help="replace the experiment --out holds (a folder of other files is refused)")
    x.add_argument("--series", action="store_true", help="also write the daily series (series.parquet)")
    x.add_argument("--days", type=pos_int, default=None, help="days per run (default: each scenario's horizon)")
    x.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    x.add_argument("--no-report", action="store_true", help="skip report.html")
    x.add_argument("--yes", action="store_true",
                   help="run a job beyond the size limits (200,000 runs, 10,000 design points)")
    x.add_argument("--fixed", action="store_true",
                   help="run at the scenario's point values; by default each replicate draws the "
                        "'uncertain:' parameters from their priors (for studying mechanics)")
    if protocol:
        protocol_option(x)


def _add_run(sub) -> None:
    """run: one replication."""
    r = sub.add_parser("run", help="run one scenario once; print a summary, write tables and plots",
                       description="Run one replication of a scenario. Prints the record (agreements, moves "
                                   "made alone, threats and promises), the final state of each issue and the "
                                   "environment; writes to --out: " + ", ".join(RUN_FILES) + " (and "
                                   "trajectories.png under a protocol that moves positions in rounds).")
    r.add_argument("scenario", nargs="?", default="baseline",
                   help="a scenario name in scenarios/ or a path to a YAML file (default: baseline)")
    r.add_argument("--seed", type=nonneg_int, default=0, help="random seed, an integer >= 0 (default: 0)")
    r.add_argument("--days", type=pos_int, default=None,
                   help="days to simulate (default: the scenario's horizon_days)")
    r.add_argument("--out", type=Path, default=None,
                   help="folder for the result files (default: out/SCENARIO)")
    protocol_option(r)
    r.add_argument("--no-plots", action="store_true", help="skip the figures (and the report)")
    r.add_argument("--no-report", action="store_true", help="skip report.html")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")


def _add_scenario_checks(sub) -> None:
    """scenarios, validate."""
    s = sub.add_parser("scenarios", help="list the scenarios with the question each asks",
                       description="List the scenario files in scenarios/ with their descriptions.")
    s.add_argument("--short", action="store_true", help="one line per scenario")
    s.add_argument("--protocol", default=None, metavar="NAME",
                   help="only the scenarios that can run under this protocol (mediation needs a mediator), "
                        "each with the protocol it is written for")

    v = sub.add_parser("validate", help="check scenario files; report every fault",
                       description="Validate scenario files (schema, references, extends). "
                                   "Exit code 2 if any file is invalid.")
    v.add_argument("files", nargs="+", help="scenario names or YAML paths")
    v.add_argument("--protocol", default=None, metavar="NAME",
                   help="also check that each file can run under this protocol (e.g. mediation needs "
                        "protocol.mediator)")


def _add_batch_sweep(sub) -> None:
    """batch, sweep."""
    b = sub.add_parser("batch", help="Monte Carlo replications of one or more scenarios",
                       description="Run --reps replications of each scenario with independent random "
                                   "streams (common to all scenarios, so they compare on the same "
                                   "streams). Results stream to --out as runs finish; an interrupted "
                                   "batch resumes with --resume. Exit code 3 if some runs failed.")
    b.add_argument("scenarios", nargs="+", help="scenario names or YAML paths")
    experiment_options(b, "scenario")
    b.add_argument("--posterior", type=Path, default=None, metavar="DIR",
                   help="draw the calibrated parameters from the posterior in DIR (run_sim.py calibrate)")

    w = sub.add_parser("sweep", help="vary scenario parameters over a grid or a Latin hypercube",
                       description="Run --reps replications at every design point. FIELD is a dotted "
                                   "path into the scenario, e.g. actors.poland.tactic.e or "
                                   "commitments.price; it is checked against the schema before "
                                   "anything runs. Exit code 3 if some runs failed.")
    w.add_argument("scenario", help="a scenario name or YAML path")
    w.add_argument("--vary", action="append", required=True, metavar="FIELD=LO:HI[:STEPS]",
                   help="a varied field and its range (STEPS for the grid, default 5); repeatable")
    w.add_argument("--design", choices=["grid", "lhs"], default="grid",
                   help="grid: every combination of the STEPS values; lhs: a Latin hypercube (default: grid)")
    w.add_argument("--samples", type=pos_int, default=None, help="design points for --design lhs")
    experiment_options(w, "design point")


def _add_compare_ablate_sensitivity(sub) -> None:
    """compare-protocols, ablate, sensitivity."""
    cp = sub.add_parser("compare-protocols", help="one scenario under several protocols, issue by issue, "
                        "against the compromise model",
                        description="Run the scenario under each protocol of --protocols, --reps replications "
                                    "each on the same random streams and parameter draws (common random "
                                    "numbers), and print, issue by issue, each protocol's forecast (median and "
                                    "5-95% range over the replications, on the issue's own scale) and its "
                                    "distance from the compromise model's (capability x salience weighted "
                                    "mean; Thomson et al. 2006), which always runs as the yardstick. Writes "
                                    "comparison.csv, forecasts.csv, comparison.png, report.html and the "
                                    "batch's files (runs.parquet, manifest.json: --resume finishes an "
                                    "interrupted comparison).")
    cp.add_argument("scenario", help="a scenario name or YAML path")
    cp.add_argument("--protocols", default=None, metavar="A,B,...",
                    help="comma-separated protocols (default: alternating_offers, expected_utility, compromise, "
                         "and mediation if the scenario names a protocol.mediator)")
    experiment_options(cp, "protocol", out_default="out/compare-SCENARIO", protocol=False)
    ab = sub.add_parser("ablate", help="what each stance does: remove (or reverse) it, compare outcomes",
                        description="For each stance of the scenario (each grounded in a quote of the "
                                    "article), run the scenario without it - and, for channel stances, "
                                    "with it reversed - on the same random streams as the unchanged "
                                    "scenario, and report the change in each headline outcome with a 95% "
                                    "interval. Writes ablation.csv and ablation.png (plus runs.parquet, "
                                    "summary.csv, manifest.json).")
    ab.add_argument("scenario", help="a scenario name or YAML path")
    ab.add_argument("--no-reverse", action="store_true", help="only remove stances, do not reverse any")
    experiment_options(ab, "variant")

    se = sub.add_parser("sensitivity", help="global sensitivity analysis (SALib: Sobol' or Morris)",
                        description="Vary the modelling choices the article does not fix (the scenario's "
                                    "'uncertain:' mapping, or --vary FIELD=LO:HI) over a SALib sample, run "
                                    "it through the experiment runner, and write first-order and total "
                                    "Sobol' indices (or Morris mu*, sigma) with 95% intervals for each "
                                    "headline outcome: sensitivity.csv and sensitivity.png.")
    se.add_argument("scenario", help="a scenario name or YAML path")
    se.add_argument("--vary", action="append", default=[], metavar="FIELD=LO:HI",
                    help="an uncertain field and its range (repeatable; default: the scenario's 'uncertain:')")
    se.add_argument("--method", default="sobol", choices=["sobol", "morris"],
                    help="sobol (default: first-order and total indices) or morris (mu*, sigma)")
    se.add_argument("--n", type=pos_int, default=64,
                    help="Sobol': base sample size, a power of 2 (runs = n x (fields + 2) x reps); "
                         "Morris: trajectories (runs = n x (fields + 1) x reps). Default 64")
    experiment_options(se, "sample point", reps=1)


def _add_folder_commands(sub) -> None:
    """report, plot: from a results folder."""
    rp = sub.add_parser("report", help="write DIR/report.html from saved results (self-contained)",
                        description="Write a self-contained HTML report (figures embedded, no network "
                                    "access needed) of a results folder: a run, a batch, a sweep, an "
                                    "ablation or a sensitivity analysis.")
    rp.add_argument("folder", type=Path, help="a folder written by run, batch, sweep, ablate, sensitivity or "
                                               "compare-protocols")
    pl = sub.add_parser("plot", help="redraw the figures of a results folder as PNG, without re-running",
                        description="Redraw every figure of a results folder from its saved files.")
    pl.add_argument("folder", type=Path, help="a folder written by run, batch, sweep, ablate, sensitivity or "
                                               "compare-protocols")
    for x in (rp, pl):
        x.add_argument("--protocol", default=None, metavar="NAME",
                       help="a comparison: keep only this protocol (and the compromise yardstick); any other "
                            "folder: check that it holds runs of this protocol (exit 2 if not)")


def _add_score(sub) -> None:
    """score: the forecast against a record."""
    sc_ = sub.add_parser("score", help="score the scenario's forecast against an observed record",
                         description="Run the scenario --reps times (parameters drawn from the priors unless "
                                     "--fixed) and score its forecast of each observation of the record (a YAML "
                                     "list of {outcome: COLUMN, observed: ..., source: ...} or {series: VARIABLE, "
                                     "day: N, observed: ..., source: ...}): the forecast probability and Brier "
                                     "score (yes/no), or the median, 90% interval and CRPS (numbers); whether "
                                     "the observation is inside the interval; and the skill against the naive "
                                     "forecast that the status quo persists. Exit code 0 whatever the score.")
    sc_.add_argument("scenario", help="a scenario name or YAML path")
    sc_.add_argument("--record", type=Path, required=True,
                     help="the record (YAML), e.g. tests/data/record_example.yaml")
    sc_.add_argument("--reps", type=pos_int, default=200, help="replications (default: 200)")
    sc_.add_argument("--seed", type=nonneg_int, default=0, help="root seed (default: 0)")
    sc_.add_argument("--workers", type=pos_int, default=None, help="worker processes (default: all cores)")
    sc_.add_argument("--fixed", action="store_true", help="run at the point values (no priors)")
    sc_.add_argument("--posterior", type=Path, default=None, metavar="DIR",
                     help="draw the calibrated parameters from the posterior in DIR (run_sim.py calibrate)")
    sc_.add_argument("--json", action="store_true", help="print JSON (observations and totals) instead of a table")
    sc_.add_argument("--figure", type=Path, default=None, metavar="PNG",
                     help="write the PIT histogram / reliability diagram (with >= 10 observations of a kind)")
    protocol_option(sc_)
    sc_.add_argument("--quiet", action="store_true", help="no progress bar")


def _add_table(sub) -> None:
    """table: the headline table of scenarios."""
    tb = sub.add_parser("table", help="the headline table of scenarios (Markdown), from one batch",
                        description="Run a batch of the scenarios (under their priors unless --fixed) and print "
                                    "the headline table as Markdown: yes/no outcomes as the share of runs with "
                                    "a 95% Wilson interval, numbers as the median with the 5-95% range of runs. "
                                    "The caption names the parameter mode. With two scenarios or more, a "
                                    "second table gives each scenario minus the first, replicate by "
                                    "replicate (common random numbers), with 95%% intervals. Writes table.md "
                                    "(and paired.csv) and the batch's files to --out.")
    tb.add_argument("scenarios", nargs="+", help="scenario names or YAML paths")
    tb.add_argument("--outcome", action="append", default=None, metavar="COLUMN",
                    help="a column of runs.parquet to show (repeatable; default: the headline outcomes). "
                         "pair:A-B columns show the share of runs with an agreement between A and B")
    experiment_options(tb, "scenario")
    tb.add_argument("--posterior", type=Path, default=None, metavar="DIR",
                    help="draw the calibrated parameters from the posterior in DIR")


def _add_calibrate(sub) -> None:
    """calibrate: ABC-SMC."""
    ca = sub.add_parser("calibrate", help="fit the scenario's uncertain parameters to observed data (ABC-SMC)",
                        description="Fit the scenario's 'uncertain:' priors to observed data by approximate "
                                    "Bayesian computation (ABC-SMC, adaptive population Monte Carlo; docs/ODD.md, "
                                    "Calibration). --data is a tidy CSV (date, variable, value, source[, unit, "
                                    "note]); the scenario's 'observables:' say how a run produces each variable. "
                                    "Writes posterior.parquet, generations.csv, intervals.csv, predictive.csv, "
                                    "posterior_predictive.png and report.html to --out; a checkpoint after each "
                                    "generation lets --resume continue an interrupted calibration.")
    ca.add_argument("scenario", help="a scenario name or YAML path")
    ca.add_argument("--data", type=Path, required=True, help="observed data, tidy CSV")
    ca.add_argument("--out", type=Path, required=True, help="folder for the posterior, figure and report")
    ca.add_argument("--population", type=pos_int, default=200,
                    help="simulations in generation 0 (default: 200); each later generation simulates "
                         "population x (1 - alpha)")
    ca.add_argument("--alpha", type=float, default=0.5, help="share of particles kept per generation (default: 0.5)")
    ca.add_argument("--min-acceptance", type=float, default=0.05,
                    help="stop when fewer new simulations than this share beat the tolerance (default: 0.05)")
    ca.add_argument("--max-generations", type=pos_int, default=50,
                    help="a safety valve: at most this many generations, with a warning if it, not the stopping "
                         "rule, ends the run (default: 50)")
    ca.add_argument("--target-ess", type=pos_int, default=None, metavar="N",
                    help="size the population for this effective sample size (population = N / alpha; "
                         "overrides --population); a warning if the final ESS falls short")
    ca.add_argument("--predictive", type=pos_int, default=200,
                    help="posterior-predictive simulations for the figure (default: 200)")
    ca.add_argument("--seed", type=nonneg_int, default=0, help="root seed (default: 0)")
    ca.add_argument("--workers", type=pos_int, default=None, help="worker processes (default: all cores)")
    ca.add_argument("--dask", metavar="ADDRESS", default=None, help="a Dask scheduler, or 'local'")
    ca.add_argument("--resume", action="store_true", help="continue an interrupted calibration in --out")
    ca.add_argument("--fit-until", metavar="DATE", default=None,
                    help="an out-of-sample check: fit only the data rows dated before DATE, then forecast the "
                         "later rows and score them (CRPS; skill against the prior predictive and against "
                         "persistence): holdout.csv")
    ca.add_argument("--overwrite", action="store_true",
                    help="replace the calibration --out holds (a folder of other files is refused)")
    ca.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    protocol_option(ca)


def _add_seeds(sub) -> None:
    """seeds: the stance table."""
    sd = sub.add_parser("seeds", help="print the stance table: actor, stance, grounding quote",
                        description="Print the stance table of seeds/ with each stance's "
                                    "quote from the source article and its offsets.")
    sd.add_argument("--table", type=Path, default=None, help="a stance table (default: seeds/stances.yaml)")
