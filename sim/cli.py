"""The command line (``python run_sim.py ...``). The library returns; this module prints.

Exit codes: 0 success; 2 bad input (scenario file, argument) with a one-line-per-fault
message and no traceback; 3 an experiment finished but some runs failed; 4 the system
stopped the work (a write failed: disk full, permission; a worker process died), with
the path and how to resume; 130 interrupted; 143 terminated (SIGTERM), with how to resume;
141 stdout closed early (``| head``); 1 an
unexpected internal error.
"""

from __future__ import annotations

import argparse
import sys
import textwrap
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT, EXIT_STOPPED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 0, 2, 4, 141, 143


class UsageError(Exception):
    """Bad command-line input: printed as ``error: ...`` with exit code 2."""


def _nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {v}")
    return v


def _pos_int(text: str) -> int:
    v = _nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


PROTOCOL_HELP = ("negotiation protocol (default: the scenario's own): alternating_offers (bilateral "
                 "package offers on channels), expected_utility (Bueno de Mesquita's challenge model, one "
                 "round a day; Scholz et al. 2011), compromise (capability x salience weighted mean of "
                 "positions: the yardstick), mediation (a mediator's single negotiating text; needs "
                 "protocol.mediator in the scenario). Every protocol gives the same tables and outcomes")


def protocol_option(x) -> None:
    from sim.protocols import PROTOCOLS        # a plain registry: --help stays light

    x.add_argument("--protocol", choices=list(PROTOCOLS), default=None, metavar="NAME",
                   help=PROTOCOL_HELP + f" ({', '.join(PROTOCOLS)})")


RUN_FILES = ["summary.json", "agreements.csv", "record.csv", "offers.csv", "moves.csv", "timeseries.csv",
             "positions.png", "crisis.png", "blame.png", "beliefs.png", "channels.png", "report.html"]
"""Every file ``run`` writes (a test holds this list, ``run --help`` and the README to what it does)."""


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="diplosim" if Path(sys.argv[0]).name == "diplosim" else "run_sim.py",
        description="Simulate multi-party diplomatic negotiation (Mesa). Flagship case: the "
                    "2021 Belarus-EU border crisis, seeded from a TASS article of 23 Nov 2021.",
        epilog="Examples (each one is run by tests/test_cli_help.py):\n"
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
               "  finishes), 141 output pipe closed.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = p.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True

    r = sub.add_parser("run", help="run one scenario once; print a summary, write tables and plots",
                       description="Run one replication of a scenario. Prints the record (agreements, moves "
                                   "made alone, threats and promises), the final state of each issue and the "
                                   "environment; writes to --out: " + ", ".join(RUN_FILES) + " (and "
                                   "trajectories.png under a protocol that moves positions in rounds).")
    r.add_argument("scenario", nargs="?", default="baseline",
                   help="a scenario name in scenarios/ or a path to a YAML file (default: baseline)")
    r.add_argument("--seed", type=_nonneg_int, default=0, help="random seed, an integer >= 0 (default: 0)")
    r.add_argument("--days", type=_pos_int, default=None,
                   help="days to simulate (default: the scenario's horizon_days)")
    r.add_argument("--out", type=Path, default=None,
                   help="folder for the result files (default: out/SCENARIO)")
    protocol_option(r)
    r.add_argument("--no-plots", action="store_true", help="skip the figures (and the report)")
    r.add_argument("--no-report", action="store_true", help="skip report.html")
    r.add_argument("--quiet", action="store_true", help="print nothing but errors")

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

    def experiment_options(x, what, reps=100, out_default=None, protocol=True):
        x.add_argument("--reps", type=_pos_int, default=reps, help=f"replications of each {what} (default: {reps})")
        x.add_argument("--seed", type=_nonneg_int, default=0,
                       help="root seed: replicate r uses SeedSequence(seed).spawn(reps)[r] (default: 0)")
        x.add_argument("--workers", type=_pos_int, default=None,
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
        x.add_argument("--days", type=_pos_int, default=None, help="days per run (default: each scenario's horizon)")
        x.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
        x.add_argument("--no-report", action="store_true", help="skip report.html")
        x.add_argument("--yes", action="store_true",
                       help="run a job beyond the size limits (200,000 runs, 10,000 design points)")
        x.add_argument("--fixed", action="store_true",
                       help="run at the scenario's point values; by default each replicate draws the "
                            "'uncertain:' parameters from their priors (for studying mechanics)")
        if protocol:
            protocol_option(x)

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
    w.add_argument("--samples", type=_pos_int, default=None, help="design points for --design lhs")
    experiment_options(w, "design point")

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
    se.add_argument("--n", type=_pos_int, default=64,
                    help="Sobol': base sample size, a power of 2 (runs = n x (fields + 2) x reps); "
                         "Morris: trajectories (runs = n x (fields + 1) x reps). Default 64")
    experiment_options(se, "sample point", reps=1)

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

    sc_ = sub.add_parser("score", help="score the scenario's forecast against an observed record",
                         description="Run the scenario --reps times (parameters drawn from the priors unless "
                                     "--fixed) and score its forecast of each observation of the record (a YAML "
                                     "list of {outcome: COLUMN, observed: ..., source: ...} or {series: VARIABLE, "
                                     "day: N, observed: ..., source: ...}): the forecast probability and Brier "
                                     "score (yes/no), or the median, 90% interval and CRPS (numbers); whether "
                                     "the observation is inside the interval; and the skill against the naive "
                                     "forecast that the status quo persists. Exit code 0 whatever the score.")
    sc_.add_argument("scenario", help="a scenario name or YAML path")
    sc_.add_argument("--record", type=Path, required=True, help="the record (YAML), e.g. tests/data/record_example.yaml")
    sc_.add_argument("--reps", type=_pos_int, default=200, help="replications (default: 200)")
    sc_.add_argument("--seed", type=_nonneg_int, default=0, help="root seed (default: 0)")
    sc_.add_argument("--workers", type=_pos_int, default=None, help="worker processes (default: all cores)")
    sc_.add_argument("--fixed", action="store_true", help="run at the point values (no priors)")
    sc_.add_argument("--posterior", type=Path, default=None, metavar="DIR",
                     help="draw the calibrated parameters from the posterior in DIR (run_sim.py calibrate)")
    sc_.add_argument("--json", action="store_true", help="print JSON (observations and totals) instead of a table")
    sc_.add_argument("--figure", type=Path, default=None, metavar="PNG",
                     help="write the PIT histogram / reliability diagram (with >= 10 observations of a kind)")
    protocol_option(sc_)
    sc_.add_argument("--quiet", action="store_true", help="no progress bar")

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
    ca.add_argument("--population", type=_pos_int, default=200,
                    help="simulations in generation 0 (default: 200); each later generation simulates "
                         "population x (1 - alpha)")
    ca.add_argument("--alpha", type=float, default=0.5, help="share of particles kept per generation (default: 0.5)")
    ca.add_argument("--min-acceptance", type=float, default=0.05,
                    help="stop when fewer new simulations than this share beat the tolerance (default: 0.05)")
    ca.add_argument("--max-generations", type=_pos_int, default=50,
                    help="a safety valve: at most this many generations, with a warning if it, not the stopping "
                         "rule, ends the run (default: 50)")
    ca.add_argument("--target-ess", type=_pos_int, default=None, metavar="N",
                    help="size the population for this effective sample size (population = N / alpha; "
                         "overrides --population); a warning if the final ESS falls short")
    ca.add_argument("--predictive", type=_pos_int, default=200,
                    help="posterior-predictive simulations for the figure (default: 200)")
    ca.add_argument("--seed", type=_nonneg_int, default=0, help="root seed (default: 0)")
    ca.add_argument("--workers", type=_pos_int, default=None, help="worker processes (default: all cores)")
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

    sd = sub.add_parser("seeds", help="print the stance table: actor, stance, grounding quote",
                        description="Print the stance table of seeds/ with each stance's "
                                    "quote from the source article and its offsets.")
    sd.add_argument("--table", type=Path, default=None, help="a stance table (default: seeds/stances.yaml)")
    return p


# ------------------------------------------------------------------ commands
def cmd_run(args) -> int:
    import sim
    from sim.runner import with_protocol
    from sim.scenario import load_scenario

    sc = with_protocol(load_scenario(args.scenario), args.protocol)
    if args.days is not None and args.days > 3650:
        raise UsageError(f"--days {args.days} is more than 3650")
    from sim.scenario.loading import MAX_RUN_BYTES, run_bytes, run_size_message

    if args.days is not None and run_bytes(sc, args.days) > MAX_RUN_BYTES:
        raise UsageError(f"--days {args.days}: {run_size_message(sc, args.days)}")
    default = sc.name if sc.protocol.name == "alternating_offers" else f"{sc.name}-{sc.protocol.name}"
    out = _out_folder(args.out, default)
    _check_run_folder(out)
    res = sim.run(sc, seed=args.seed, days=args.days)
    res.command = ["run_sim.py", *sys.argv[1:]]
    written = res.write(out)
    if not args.no_plots:
        written += _write_figures(res, out)
        if not args.no_report:
            from sim.viz.report import write_report

            written.append(write_report(out))
    if not args.quiet:
        print(format_summary(res, sc))
        print("\nWrote: " + ", ".join(str(w) for w in written))
    return EXIT_OK


def _check_run_folder(out: Path) -> None:
    """``run`` overwrites a previous run's files only: a folder holding anything else
    (a subfolder, a file a run does not write) is refused before anything is written."""
    if not out.is_dir():
        return
    other = sorted(p.name for p in out.iterdir() if not p.name.startswith(".") and not (
        p.is_file() and (p.suffix in (".csv", ".png") or p.name in ("summary.json", "report.html"))))
    if other:
        raise UsageError(f"--out {out} holds files a run does not write ({', '.join(other[:3])}"
                         f"{', ...' if len(other) > 3 else ''}); choose an empty folder or a previous run's")


def _scenario(args):
    """The scenario of ``args.scenario``, under ``--protocol`` if given."""
    from sim.runner import with_protocol
    from sim.scenario import load_scenario

    return with_protocol(load_scenario(args.scenario), getattr(args, "protocol", None))


def _out_folder(out: Path | None, default_name: str) -> Path:
    """--out, or ``out/<default_name>``, which must stay inside ``out/`` whatever the
    scenario's name (the schema makes names slugs; this is the second lock)."""
    from sim.experiments.jobs import inside

    folder = out if out is not None else inside(Path("out"), default_name)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} exists and is not a folder")
    return folder


def cmd_compare(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from sim.experiments.compare import compare_protocols, parse_protocols
    from sim.results import atomic_write
    from sim.scenario import load_scenario

    sc = load_scenario(args.scenario)
    protocols = parse_protocols(args.protocols, sc)
    args.out = _out_folder(args.out, f"compare-{sc.name}")
    table, forecasts, res = _on_executor(args, lambda ex, progress: compare_protocols(
        sc, protocols, args.reps, args.seed, ex, fixed=args.fixed, days=args.days, out=args.out,
        resume=args.resume, progress=progress, command=["run_sim.py", *sys.argv[1:]], yes=args.yes,
        series=args.series))
    _say_redone(res)
    from sim.experiments.compare import differences_markdown, distances, markdown

    dist = distances(forecasts, sc, args.seed)
    mode = res.summary["parameters"].iloc[0] if len(res.summary) and "parameters" in res.summary else ""
    caption = (f"`{sc.name}`: {_plural(args.reps, 'replication')} per protocol, {mode}, root seed {args.seed}, "
               "every protocol on the same parameter draws and random streams. Cells: the protocol's forecast of "
               "the issue, median [5-95% of runs: the spread of the runs, not an interval of a mean]; Δ: its "
               "median distance from the compromise model's forecast of the same run.")
    written = [atomic_write(args.out / "comparison.csv", table.to_csv(index=False)),
               atomic_write(args.out / "forecasts.csv", forecasts.to_csv(index=False)),
               atomic_write(args.out / "differences.csv", dist.to_csv(index=False)),
               atomic_write(args.out / "comparison.md", markdown(table, caption) + "\n\n"
                            + differences_markdown(dist) + "\n")]
    written += _figures(args.out)
    written += _report(args)
    if not args.quiet:
        print(format_comparison(table, sc, args.reps, res.summary))
        print(differences_markdown(dist).replace("**", ""))
        print("Wrote: " + ", ".join(str(p) for p in _listed(args.out, [*res.written, *written])))
    return EXIT_OK


def _interval(r) -> str:
    return f"{r['median']:.2f} [{r['p05']:.2f}, {r['p95']:.2f}]"


def format_comparison(table, sc, reps: int, summary=None) -> str:
    """Issues as rows, protocols as columns: median [5-95%] of the forecast, then each
    protocol's distance from the compromise model."""
    protocols = list(dict.fromkeys(table["protocol"]))
    mode = ""
    if summary is not None and len(summary) and "parameters" in summary:
        mode = f", {summary['parameters'].iloc[0]}"
    lines = [f"{sc.name}: each protocol's forecast of each issue over {_plural(reps, 'replication')} "
             f"(same parameter draws and random streams for every protocol{mode}); median [5-95%] on the "
             "issue's own scale"]
    width = max(18, *(len(p) + 2 for p in protocols))
    lines.append(f"  {'issue':<22}{'status quo':>10}" + "".join(f"{p:>{width}}" for p in protocols))
    for issue, g in table.groupby("issue", sort=False):
        g = g.set_index("protocol")
        cells = "".join(_interval(g.loc[p]).rjust(width) for p in protocols)
        lines.append(f"  {issue:<22}{g['status_quo'].iloc[0]:>10.2f}{cells}")
    return "\n".join(lines)


def _write_figures(res, out: Path) -> list[Path]:
    """Every figure of a run, drawn from the files just written (the same code as `plot`)."""
    from sim.viz.report import save_figures

    return save_figures(out)


def format_summary(res, sc) -> str:
    o = res.outcomes
    labels = res.actor_labels
    end = sc.date_of(res.horizon)
    from sim.protocols import protocol_class

    cls = protocol_class(res.protocol)
    lines = [f"Scenario {sc.name}: {sc.title or ''}".rstrip(": "),
             f"Seed {res.seed}; {res.horizon} days, {sc.start_date} to {end}",
             f"Protocol {res.protocol} ({cls.classifier['source']}): forecast = {cls.classifier['forecast']}", ""]
    rec = res.record
    lines.append(f"Record ({len(rec)} acts: the record before day 0, agreements, unilateral moves, threats and promises, broken "
                 "commitments, breaches, renewals, expiries, exits, offers not made, events):" if len(rec)
                 else "Record: no agreement and no unilateral move")
    for r in rec.itertuples():
        who = " - ".join(labels.get(a, a) for a in str(r.actors).split(";") if a)
        what = r.changes if isinstance(r.changes, str) and r.changes else r.label
        lines.append(f"  day {r.day:>3}  {r.date}  {r.type:<10} {who}"
                     f"{f'  [{r.level}]' if isinstance(r.level, str) and r.level else ''}  {what}")
        if r.type not in ("unilateral", "agreement") and isinstance(r.reason, str) and r.reason:
            lines.append(f"      why: {r.reason}")       # the rest: record.csv's reason column
    ag = res.agreements
    if len(ag) and "pareto_gap" in ag:
        lines.append("")
        lines.append("Agreements against the bargaining benchmark (each party's value of the deal; the Nash "
                     "solution of the channel):")
        for r in ag.itertuples():
            gap = "on the Pareto frontier" if abs(r.pareto_gap) < 1e-6 else f"Pareto gap {r.pareto_gap:.3f}"
            values = dict(kv.split("=", 1) for kv in str(r.values_to).split(";") if "=" in kv)
            who = ", ".join(f"{labels.get(k, k)} {float(v):.3f}" for k, v in values.items())
            if r.nash_share == r.nash_share:
                nash = (f"Nash solution {r.nash_value_a:.3f}, {r.nash_value_b:.3f} (the deal's Nash product is "
                        f"{r.nash_share:.2f} of the solution's)")
            else:
                nash = "no Nash solution computed (three or more signatories)" if len(values) > 2 else "no Nash solution"
            lines.append(f"  day {r.day:>3}  {who}; {gap}; {nash}")
    lines.append("")
    lines += format_forecasts(res, sc)
    lines.append("")
    for name, st in sc.environment.stocks.items():
        s0 = res.series[(res.series["variable"] == f"stock:{name}") & (res.series["day"] == 0)]["value"] \
            if res.series is not None else ()     # day 0 as run (a continuation's: where its history ended)
        lines.append(f"{name.capitalize()}: start {float(s0.iloc[0]) if len(s0) else st.initial:.2f}, peak {o[f'stock_peak:{name}']:.2f}, "
                     f"final {o[f'stock_final:{name}']:.2f}, cumulative {o[f'stock_cumulative:{name}']:.1f} level-days")
    first = o["time_to_first_agreement"]
    window = sc.protocol.stalemate_window
    stale = ("n/a (the run is shorter than the {}-day window)".format(window) if res.horizon < window
             else "n/a (the protocol makes no agreements)" if o["stalemate"] is None
             else ("yes" if o["stalemate"] else "no"))
    lines.append(f"Unilateral moves {o['n_unilateral']}; first agreement "
                 f"{'none' if first != first else f'on day {int(first)}'}; stalemate: {stale}")
    return "\n".join(lines)


def format_forecasts(res, sc) -> list[str]:
    """Each issue: status quo, implemented value at the end, the protocol's forecast and
    how it ended on the issue, and the compromise model's forecasts (the yardstick), on
    the issue's own scale; for a protocol that moves positions in rounds, the first rounds
    of its weighted median and mean."""
    from sim.protocols.expected_utility import to_scale

    def own(j, v):
        return float(to_scale(sc, j, v))

    lines = [f"  {'issue':<22}{'kind':<11}{'status quo':>10}{'final':>8}{'forecast':>10}  {'how':<26}"
             f"{'CM mean':>8}{'CM median':>10}  agreed"]
    for r in res.issues.itertuples():
        agreed = f"day {int(r.first_agreed_day)}" if r.agreed else "no"
        how = r.forecast_status + (f" ({int(r.forecast_rounds)} rounds)" if r.forecast_rounds == r.forecast_rounds
                                   and r.forecast_rounds > 0 else "")
        lines.append(f"  {r.issue:<22}{r.kind:<11}{own(r.issue, r.status_quo):>10.2f}{own(r.issue, r.final_value):>8.2f}"
                     f"{own(r.issue, r.forecast):>10.4f}  {how:<26}{own(r.issue, r.cm_mean):>8.4f}"
                     f"{own(r.issue, r.cm_median):>10.4f}  {agreed}")
    if len(res.moves) and res.series is not None:
        from sim.protocols.expected_utility import rounds_table

        rt = rounds_table(res, sc)
        lines.append("")
        lines.append("  Rounds (one a day): the weighted median (the forecast) and mean of the positions")
        for j, g in rt.groupby("issue", sort=False):
            cells = [f"{int(r.round)}: {r.median:.4f} / {r.mean:.4f}" for r in g.head(11).itertuples()]
            more = f" ... ({len(g) - 11} more)" if len(g) > 11 else ""
            lines.append(f"  {j}: round: median / mean  " + "; ".join(cells) + more)
    return lines


def cmd_scenarios(args) -> int:
    from sim.protocols import PROTOCOLS
    from sim.scenario import ScenarioError, list_scenarios, load_scenario

    listed = list_scenarios()
    if args.protocol is not None:
        from sim.runner import with_protocol

        if args.protocol not in PROTOCOLS:
            raise UsageError(f"--protocol {args.protocol}: unknown protocol (protocols: {', '.join(PROTOCOLS)})")
        keep = []
        for name, desc in listed:
            try:
                own = load_scenario(name).protocol.name
                with_protocol(load_scenario(name), args.protocol)
            except ScenarioError:
                continue
            keep.append((name, desc, f" [written for {own}]"))
        listed = keep
    for name, desc, *tag in listed:
        tag = tag[0] if tag else ""
        if args.short:
            print(textwrap.fill(_question(desc) + tag, 100, initial_indent=f"{name:<24} ",
                                subsequent_indent=" " * 25))
            continue
        print(name)
        print(textwrap.indent(textwrap.fill((tag.strip() + " " + desc).strip(), 88), "    "))
        print()
    return EXIT_OK


def _question(desc: str) -> str:
    """The question a scenario asks: its "What if ...?" sentence, else its "Question: ...",
    else its first sentence."""
    import re

    for pat in (r"What if[^?]*\?", r"Question:\s*([^?]*\?)"):
        m = re.search(pat, desc)
        if m:
            q = m.group(m.lastindex or 0)
            return q[:1].upper() + q[1:]
    return re.split(r"(?<=[.?!])\s", desc, maxsplit=1)[0]


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def cmd_validate(args) -> int:
    from sim.scenario import ScenarioError, load_scenario

    bad = 0
    from sim.protocols import PROTOCOLS
    from sim.runner import with_protocol

    if args.protocol is not None and args.protocol not in PROTOCOLS:
        raise UsageError(f"--protocol {args.protocol}: unknown protocol (protocols: {', '.join(PROTOCOLS)})")
    for f in args.files:
        try:
            sc = with_protocol(load_scenario(f), args.protocol)
            print(f"ok    {f} ({sc.name}: {_plural(len(sc.actors), 'actor')}, {_plural(len(sc.issues), 'issue')}, "
                  f"{_plural(len(sc.stances), 'stance')}, {_plural(len(sc.events), 'event')})")
        except ScenarioError as exc:
            bad += 1
            print(f"FAIL  {f}", file=sys.stderr)
            print(textwrap.indent(exc.format(), "      "), file=sys.stderr)
    return EXIT_BAD_INPUT if bad else EXIT_OK


def cmd_seeds(args) -> int:
    from sim.scenario.seeds import DEFAULT_TABLE, load_stance_table

    table = load_stance_table(args.table or DEFAULT_TABLE)
    print(f"Source: {table.source}")
    print(f"Article: {table.article_path.name}\n")
    df = table.to_frame()
    for r in df.itertuples():
        print(f"{r.actor:<11} {r.stance}")
        print(f"            id: {r.id}")
        print(textwrap.indent(textwrap.fill(f"\u201c{r.quote}\u201d [{r.start}:{r.end}]", 84), "            "))
    print(f"\n{_plural(len(df), 'stance')}. Remove one in a scenario file with `stances: {{ID: null}}`.")
    return EXIT_OK


def _run_experiment(args, job) -> int:
    from sim.experiments.jobs import execute

    if job.notes:
        print("\n".join(job.notes), file=sys.stderr)
    res = _on_executor(args, lambda ex, progress: execute(
        job, ex, args.out, resume=args.resume, command=["run_sim.py", *sys.argv[1:]], progress=progress))
    res.written += _report(args)
    _say_redone(res)
    if not args.quiet:
        print(format_experiment(res, job))
        print("Wrote: " + ", ".join(str(p) for p in _listed(args.out, res.written)))
    if res.n_failed:
        print(f"warning: {res.n_failed} of {job.n_runs} runs failed (runs.parquet: status, error)",
              file=sys.stderr)
        return 3
    return EXIT_OK


def _say_redone(res) -> None:
    for what in getattr(res, "redone", []):
        print(f"note: {what}; its runs were computed again", file=sys.stderr)


HEADLINE = ["any_agreement", "any_political", "days_to_first_agreement", "n_unilateral", "stalemate"]


def _short_runs(job, scenario: str) -> int | None:
    """The stalemate window if the runs of ``scenario`` are shorter than it, else None."""
    d = job.scenarios.get(scenario) or {}
    window = (d.get("protocol") or {}).get("stalemate_window", 30)
    days = job.days or d.get("horizon_days") or window
    return window if days < window else None


def format_experiment(res, job) -> str:
    """Per scenario and design point, each headline outcome as the registry sums it up
    (:mod:`sim.outcomes`: a share [Wilson 95%], a median [5-95% of runs]); outcomes that
    vary across the runs first; a sweep's point named by its varied fields only."""
    from sim import outcomes as reg
    from sim.experiments.jobs import design_columns

    lines = [f"{_plural(job.n_runs, 'run')} ({res.skipped} found done on disk), {res.n_failed} failed; "
             f"{job.parameters_label}"]
    runs = res.runs
    ok = runs[runs["status"] == "ok"] if len(runs) else runs
    if not len(ok):
        return lines[0]
    horizons = {n: job.days or (d or {}).get("horizon_days") or 0 for n, d in job.scenarios.items()}
    names = [o for o in HEADLINE if o in ok.columns or o == "days_to_first_agreement"]
    names += [c for c in ok.columns if c.startswith("stock_cumulative:")]
    order = reg.moving_first({o: reg.values(ok, o, horizons) for o in names})
    params = design_columns(runs)
    width = max(len(reg.get(o).label) for o in order) + 2
    for keys, g in ok.groupby(["scenario", "point"], sort=True):
        label = keys[0] + (" " + ", ".join(f"{p[6:]}={g[p].iloc[0]:.3g}" for p in params) if params else "")
        lines.append(f"  {label}  ({_plural(len(g), 'run')})")
        short = _short_runs(job, keys[0])
        for o in order:
            name = reg.get(o).label
            if o == "stalemate" and short:
                lines.append(f"    {name:<{width}}n/a (runs shorter than the {short}-day window)")
                continue
            v = reg.values(g, o, horizons.get(keys[0], 0))
            if v.notna().any():               # another scenario's stock: not this one's outcome
                lines.append(f"    {name:<{width}}{reg.describe(o, v)}")
    lines.append(textwrap.fill("Shares of runs [95% Wilson interval]; numbers: median [5-95% of runs]; no "
                               "agreement counts as day H + 1. Stalemate: " + reg.STALEMATE + ".", 100,
                               initial_indent="  ", subsequent_indent="  "))
    return "\n".join(lines)


def _shorten(text: str, width: int) -> str:
    """``text`` within ``width`` characters, cut at a word boundary with an ellipsis,
    never mid-word ("(Rouhan")."""
    text = " ".join(str(text).split())
    if len(text) <= width:
        return text
    cut = text[:width - 1].rsplit(" ", 1)[0].rstrip(",;:(")
    return cut + "\u2026"


def _did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'baseline'?)`` for a near miss among ``choices``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _executor_for(args):
    from sim.experiments.jobs import make_executor

    if args.dask and args.dask != "local" and args.workers:
        raise UsageError("--workers goes with local runs or --dask local; a Dask scheduler has its own workers")
    return make_executor(args.workers, args.dask)


def _on_executor(args, work):
    """``work(executor, progress)`` on the executor (--workers / --dask) with a progress
    bar on stderr (unless --quiet); both are closed whatever happens."""
    executor, close = _executor_for(args)
    bar, progress = _progress_bar(args)
    try:
        return work(executor, progress)
    finally:
        bar.close()
        close()


class _LazyBar:
    """A tqdm bar drawn at the first progress report: work refused before any run (a bad
    scenario, a busy --out) prints its error alone, without an empty bar."""

    def __init__(self, quiet: bool):
        self.quiet, self.bar = quiet, None

    def __call__(self, done, total):
        if self.bar is None:
            from tqdm import tqdm

            self.bar = tqdm(total=total, unit="run", file=sys.stderr, dynamic_ncols=True, smoothing=0.1)
        self.bar.total = total
        self.bar.update(done - self.bar.n)

    def close(self):
        if self.bar is not None:
            self.bar.close()


def _progress_bar(args):
    bar = _LazyBar(args.quiet)
    return bar, (None if args.quiet else bar)


def _save_figure(fig, path: Path) -> Path:
    import matplotlib.pyplot as plt

    tmp = path.with_name(f".{path.name}.tmp.png")
    fig.savefig(tmp, dpi=110)
    plt.close(fig)
    tmp.replace(path)
    return path


def cmd_ablate(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from sim.experiments.ablation import run_ablation
    from sim.results import atomic_write

    sc = _scenario(args)
    eff, res = _on_executor(args, lambda ex, progress: run_ablation(
        sc, args.reps, args.seed, ex, args.out, args.resume, reverse=not args.no_reverse, days=args.days,
        command=["run_sim.py", *sys.argv[1:]], progress=progress, yes=args.yes, fixed=args.fixed))
    _say_redone(res)
    written = [atomic_write(args.out / "ablation.csv", eff.to_csv(index=False)), *_figures(args.out)]
    written += _report(args)
    if not args.quiet:
        print(f"{res.summary['parameters'].iloc[0] if len(res.summary) else ''}".strip())
        print(format_ablation(eff))
        print("Wrote: " + ", ".join(str(p) for p in _listed(args.out, [*res.written, *written])))
    return 3 if res.n_failed else EXIT_OK


def format_ablation(eff) -> str:
    from sim.outcomes import get
    from sim.viz.plots import ablation_outcomes

    lines = ["Stances ranked by effect (change vs the unchanged scenario, same random streams, 95% CI); the "
             "outcomes some stance moves come first:"]
    labels = dict(zip(eff["outcome"], eff["outcome_label"]))
    keys = {k: (labels.get(k, get(k).label), 100, "pp") if get(k).kind == "share"
            else (labels.get(k, get(k).label), 1, "") for k in ablation_outcomes(eff)}
    for variant, g in eff.groupby("rank", sort=True):
        r0 = g.iloc[0]
        lines.append(f"{int(variant):>3}. {r0['operation']} {r0['actor']}: {r0['stance_rule']}")
        quote = r0["quote"] if isinstance(r0["quote"], str) and r0["quote"] else "(the record or an assumption)"
        lines.append(f"      \u201c{quote[:110]}\u201d")
        if r0.get("carried_share", float("nan")) == r0.get("carried_share"):   # a threat or promise
            lines.append(f"      price of backing down {r0['price']:.3f} on day 0; carried out in "
                         f"{r0['carried_share']:.0%} of runs, abandoned in {r0['abandoned_share']:.0%}")
        elif "price" in r0 and r0["price"] == r0["price"]:       # a commitment: its price and how often it broke
            when = (f", median day {r0['broken_day_median']:.0f}" if r0["broken_day_median"] == r0["broken_day_median"]
                    else "")
            lines.append(f"      price of backing down {r0['price']:.3f} on day 0; broken in "
                         f"{r0['broken_share']:.0%} of runs{when}")
        else:
            lines.append("      not a commitment (or hard): no price, never broken")
        parts = []
        for k, (label, scale, unit) in keys.items():
            r = g[g["outcome"] == k].iloc[0]
            lo, hi = r["ci_low"], r["ci_high"]
            if scale == 100:                  # a difference of two shares lies within +-100 points
                lo, hi = max(lo, -1.0), min(hi, 1.0)
            ci = "" if lo != lo or hi != hi else f" [{lo * scale:+.1f}, {hi * scale:+.1f}]"
            parts.append(f"{label} {r['effect'] * scale:+.1f}{unit}{ci}")
        lines.append("      " + "; ".join(parts))
    return "\n".join(lines)


def cmd_sensitivity(args) -> int:
    import matplotlib

    matplotlib.use("Agg")
    from sim.experiments.jobs import ExperimentError, Vary
    from sim.results import atomic_write
    from sim.experiments.sensitivity import METHODS, run_sensitivity

    if args.method not in METHODS:
        raise ExperimentError(f"--method {args.method}: unknown method (use {' or '.join(METHODS)})")
    sc = _scenario(args)
    varies = [Vary.parse(v) for v in args.vary] or None
    table, X, res = _on_executor(args, lambda ex, progress: run_sensitivity(
        sc, varies, args.method, args.n, args.reps, args.seed, ex, args.out, args.resume, args.days,
        command=["run_sim.py", *sys.argv[1:]], progress=progress, yes=args.yes, fixed=args.fixed))
    _say_redone(res)
    written = [atomic_write(args.out / "sensitivity.csv", table.to_csv(index=False)), *_figures(args.out)]
    from sim.experiments.sensitivity import plot_convergence, warnings_of

    if (args.out / "convergence.csv").exists():
        written.append(plot_convergence(args.out / "convergence.csv", args.out / "convergence.png"))
    written += _report(args)
    for w in warnings_of(table):
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        main_index = "ST" if args.method == "sobol" else "mu_star"
        print(f"{_plural(len(X), 'sample point')} x {_plural(args.reps, 'replication')}; "
              f"{main_index} [95% interval] by outcome, largest first; a shared rank (=) means the "
              "intervals overlap: the sample cannot order those parameters:")
        for outcome, g in table.groupby("outcome", sort=False):
            g = g[g["index"] == main_index]
            label = g["outcome_label"].iloc[0] if "outcome_label" in g else outcome   # the registry's label
            if g["value"].isna().all():
                print(f"  {label}: {g['note'].iloc[0]}")
                continue
            top = g.sort_values("value", ascending=False).head(3)
            tied = g["rank"].value_counts()
            print(f"  {label}: " + "; ".join(
                f"{int(r.rank)}{'=' if tied[r.rank] > 1 else ''} {r.parameter} {r.value:.2f} "
                f"[{r.ci_low:.2f}, {r.ci_high:.2f}]" for r in top.itertuples()))
        print("Wrote: " + ", ".join(str(p) for p in _listed(args.out, [*res.written, *written])))
    return 3 if res.n_failed else EXIT_OK


def _listed(out: Path, written: list) -> list:
    """What an experiment wrote, with its manifest.json (written first, by the runner)."""
    m = Path(out) / "manifest.json"
    return [*written, m] if m.exists() and m not in map(Path, written) else list(written)


def _figures(out: Path) -> list[Path]:
    """The folder's figures, drawn from its saved files (the same code as `plot`)."""
    from sim.viz.report import save_figures

    return save_figures(out)


def _report(args) -> list[Path]:
    if getattr(args, "no_report", False):
        return []
    from sim.viz.report import write_report

    return [write_report(args.out)]


def cmd_report(args) -> int:
    from sim.viz.report import write_report

    print(f"Wrote {write_report(args.folder, args.protocol)}")
    return EXIT_OK


def cmd_plot(args) -> int:
    from sim.viz.report import save_figures

    written = save_figures(args.folder, args.protocol)
    print("Wrote: " + ", ".join(str(p) for p in written) if written else f"{args.folder} has no figures to draw")
    return EXIT_OK


def cmd_batch(args) -> int:
    from sim.experiments.jobs import make_job

    if args.posterior is not None and args.fixed:
        raise UsageError("--posterior and --fixed exclude each other")
    job = make_job(args.scenarios, args.reps, args.seed, series=args.series, days=args.days, yes=args.yes,
                   fixed=args.fixed, posterior=args.posterior, protocol=args.protocol)
    return _run_experiment(args, job)


def cmd_sweep(args) -> int:
    from sim.experiments.jobs import ExperimentError, Vary, make_job

    if args.design == "lhs" and not args.samples:
        raise ExperimentError("--design lhs needs --samples N")
    if args.design == "grid" and args.samples:
        raise ExperimentError("--samples goes with --design lhs (a grid's size comes from STEPS)")
    varies = [Vary.parse(v) for v in args.vary]
    job = make_job([args.scenario], args.reps, args.seed, varies, args.design, args.samples,
                   args.series, args.days, yes=args.yes, fixed=args.fixed, protocol=args.protocol)
    return _run_experiment(args, job)


def cmd_table(args) -> int:
    from sim.experiments.jobs import ExperimentError, execute, make_job
    from sim.experiments.table import caption, headline_table, markdown, paired_markdown, paired_table
    from sim.results import atomic_write

    if args.posterior is not None and args.fixed:
        raise UsageError("--posterior and --fixed exclude each other")
    job = make_job(args.scenarios, args.reps, args.seed, series=args.series, days=args.days, yes=args.yes,
                   fixed=args.fixed, posterior=args.posterior, protocol=args.protocol)
    if job.notes:
        print("\n".join(job.notes), file=sys.stderr)
    res = _on_executor(args, lambda ex, progress: execute(
        job, ex, args.out, resume=args.resume, command=["run_sim.py", *sys.argv[1:]], progress=progress))
    horizons = {name: args.days or d["horizon_days"] for name, d in job.scenarios.items()}
    try:
        table = headline_table(res.runs, args.outcome, horizons)
    except KeyError as exc:
        raise ExperimentError(f"--outcome {exc.args[0]}: not a column of runs.parquet"
                              + _did_you_mean(exc.args[0], res.runs.columns)) from None
    text = markdown(table, caption(job, args.reps))
    paired = paired_table(res.runs, horizons, args.outcome)
    if not paired.empty:
        text += "\n\n" + paired_markdown(paired)
        atomic_write(args.out / "paired.csv", paired.to_csv(index=False))
    atomic_write(args.out / "table.md", text + "\n")
    atomic_write(args.out / "table.csv", table.to_csv(index=False))
    if not args.no_report:
        _report(args)
    if not args.quiet:
        print(text)
    if res.n_failed:
        print(f"warning: {res.n_failed} of {job.n_runs} runs failed (runs.parquet: status, error)", file=sys.stderr)
        return 3
    return EXIT_OK


def cmd_calibrate(args) -> int:
    from sim.experiments.calibration import Settings, calibrate

    sc = _scenario(args)
    from sim.experiments.calibration import misfit_sentence, stop_sentence

    settings = Settings(args.population, args.alpha, args.min_acceptance, args.max_generations, args.seed,
                        args.predictive, args.target_ess)
    held = None
    if args.fit_until:
        import datetime

        from sim.experiments.calibration import holdout

        try:
            datetime.date.fromisoformat(args.fit_until)
        except ValueError:
            raise UsageError(f"--fit-until {args.fit_until}: not a date (YYYY-MM-DD)") from None
        res, held = _on_executor(args, lambda ex, progress: holdout(
            sc, args.data, args.fit_until, args.out, settings, ex, resume=args.resume, progress=progress,
            command=["run_sim.py", *sys.argv[1:]]))
    else:
        res = _on_executor(args, lambda ex, progress: calibrate(
            sc, args.data, args.out, settings, ex, resume=args.resume, progress=progress,
            command=["run_sim.py", *sys.argv[1:]]))
    for w in res.warnings or []:
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        g = res.generations
        print(f"{sc.name}: {len(g)} generations ({res.resumed_from} found on disk), "
              f"{int(g['simulations'].sum()):,} simulations, population {settings.population}; "
              f"final tolerance {g['epsilon'].iloc[-1]:.3g}")
        print("  " + stop_sentence(res.check))
        print("  generation  " + " ".join(f"{int(x):>5}" for x in g["generation"]))
        print("  acceptance  " + " ".join(f"{x:>5.2f}" for x in g["acceptance"]))
        print("  ESS         " + " ".join(f"{x:>5.0f}" for x in g["ess"]))
        print(f"  {'parameter':<36}{'prior 90%':>22}{'posterior median [90%]':>32}{'width':>7}")
        from sim.viz.labels import num

        for r in res.intervals.itertuples():         # 17,300, not 1.73e+04
            print(f"  {r.parameter:<36}{f'[{num(r.prior_q05)}, {num(r.prior_q95)}]':>22}"
                  f"{f'{num(r.posterior_median)} [{num(r.posterior_q05)}, {num(r.posterior_q95)}]':>32}"
                  f"{r.width_ratio:>7.2f}")
        print("  " + misfit_sentence(res.check))
        if held is not None:
            print(f"  out of sample (fitted before {args.fit_until}): CRPS of the posterior forecast; skill = "
                  "1 - CRPS / CRPS of the reference")
            for r in held.itertuples():
                print(f"    {r.variable} {r.date}: observed {r.observed:.4g}, forecast {r.median:.4g} "
                      f"[{r.q05:.4g}, {r.q95:.4g}] ({'inside' if r.inside_90 else 'outside'} the 90% band); "
                      f"CRPS {r.crps:.4g}; skill {r.skill_vs_prior_predictive:+.2f} vs the prior predictive "
                      f"(CRPS {r.crps_prior_predictive:.4g}), {r.skill_vs_persistence:+.2f} vs persistence "
                      f"({r.persistence:.4g})")
        print("Wrote: " + ", ".join(str(w) for w in res.written))
    return EXIT_OK


def cmd_score(args) -> int:
    import json
    import math

    from sim.experiments.scoring import load_record, score

    if args.posterior is not None and args.fixed:
        raise UsageError("--posterior and --fixed exclude each other")
    record = load_record(args.record)
    sc = _scenario(args)
    args.dask = None
    table, totals = _on_executor(args, lambda ex, progress: score(
        sc, record, args.reps, args.seed, ex, fixed=args.fixed, progress=progress, posterior=args.posterior))
    if totals.get("notes"):
        print("\n".join(totals["notes"]), file=sys.stderr)
    if args.figure is not None:
        from sim.experiments.scoring import calibration_figure_note, save_calibration_figure

        made = save_calibration_figure(table, args.figure, f"{sc.name}: forecast calibration over {args.record.name}")
        print(f"{'Wrote ' + str(made) if made else 'No figure'} ({calibration_figure_note(table)})", file=sys.stderr)
    if args.json:
        rows = [{k: (None if (v is None or v is __import__("pandas").NA or (isinstance(v, float) and math.isnan(v)))
                     else v) for k, v in r.items()} for r in table.to_dict(orient="records")]
        print(json.dumps({"totals": totals, "observations": rows}, indent=1, default=str))
        return EXIT_OK
    print(f"{sc.name}: {totals['n_ok']} runs, {totals['parameters']}; record {args.record}")
    # an observation of an issue shows on the issue's own scale (Iran: candidates on 1-10);
    # scores stay those of the model's 0-1 values
    from sim.protocols.expected_utility import to_scale

    def issue_of(o):
        if o.outcome and o.outcome.split(":", 1)[0] in ("final", "forecast") and o.outcome.split(":", 1)[1] in sc.issues:
            return o.outcome.split(":", 1)[1]
        if o.series == "value" and o.issue in sc.issues:
            return o.issue
        return None

    def own(issue, v):
        return v if issue is None or v is None or v != v else float(to_scale(sc, issue, v))

    names = [_shorten(r.observation, 60) for r in table.itertuples()]
    width = max(12, *(len(n) + 2 for n in names))
    scales = {j: tuple(sc.issues[j].scale) for j in map(issue_of, record) if j and sc.issues[j].scale}
    scaled = [f" ({j} on {lo:g}-{hi:g})" for j, (lo, hi) in scales.items() if (lo, hi) != (0.0, 1.0)]
    print(f"  {'observation':<{width}}{'observed':>9}  {'forecast':<26}{'score':>14}{'ref.':>8}{'skill':>8}  in 90%")

    def num(v):
        return "-" if v is None or math.isnan(v) else f"{v:.3g}"
    for r, name, o in zip(table.itertuples(), names, record):
        j = issue_of(o)
        fc = (f"p={r.forecast:.2f}" if r.kind == "binary"
              else f"{own(j, r.median):.3g} [{own(j, r.q05):.3g}, {own(j, r.q95):.3g}]")
        inside = "-" if r.kind == "binary" else ("yes" if r.inside_90 else "no")
        print(f"  {name:<{width}}{own(j, r.observed):>9.3g}  {fc:<26}{r.score_name:>6} {r.score:>7.3g}"
              f"{num(own(j, r.reference)):>8}{num(r.skill):>8}  {inside}")
    if scaled:
        print("  values of an issue on its own scale" + "".join(dict.fromkeys(scaled))
              + "; scores on the model's 0-1 scale")
    parts = []
    if totals["mean_brier"] is not None:
        parts.append(f"mean Brier {totals['mean_brier']:.3f}")
    if totals["coverage_90"] is not None:
        parts.append(f"90% interval coverage {totals['coverage_90']:.2f}")
    if totals["brier_skill"] is not None:
        parts.append(f"Brier skill {totals['brier_skill']:+.2f}")
    if totals["crps_skill"] is not None:
        parts.append(f"CRPS skill {totals['crps_skill']:+.2f}")
    print("  " + "; ".join(parts))
    print(f"  reference: {totals['reference']}; skill = 1 - (summed score) / (summed reference score), "
          "Brier and CRPS apart")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "scenarios": cmd_scenarios, "validate": cmd_validate, "seeds": cmd_seeds,
            "batch": cmd_batch, "sweep": cmd_sweep, "ablate": cmd_ablate, "sensitivity": cmd_sensitivity,
            "compare-protocols": cmd_compare, "report": cmd_report, "plot": cmd_plot, "score": cmd_score,
            "calibrate": cmd_calibrate, "table": cmd_table}


def main(argv: list[str] | None = None) -> int:
    from sim.terminal import CleanStream

    out, err = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = CleanStream(out), CleanStream(err)   # no control sequence reaches the terminal
    try:
        return _main(argv)
    finally:
        sys.stdout, sys.stderr = out, err


def _main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)      # --help and argument errors end here, before the imports

    import signal

    from sim.errors import ExperimentError, JobStopped, ReportError, Terminated
    from sim.scenario import ScenarioError
    from sim.scenario.seeds import StanceTableError

    def on_term(signum, frame):     # SIGTERM: stop as Ctrl-C does (files closed, parts kept), then say so
        raise Terminated()
    try:
        old_term = signal.signal(signal.SIGTERM, on_term)
    except ValueError:              # not the main thread (main() called from a thread): leave it
        old_term = None
    try:
        _overwrite(args)
        code = COMMANDS[args.command](args)
        sys.stdout.flush()          # a closed pipe shows here, not at the interpreter's exit
        return code
    except ScenarioError as exc:
        print(f"error: invalid scenario\n{exc.format()}", file=sys.stderr)
    except (UsageError, StanceTableError, ExperimentError, ReportError) as exc:
        print(f"error: {exc}", file=sys.stderr)
    except BrokenPipeError:
        return _broken_pipe()
    except JobStopped as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_STOPPED
    except OSError as exc:          # a write failed (disk full, permission): not bad input
        where = exc.filename or getattr(args, "out", None)
        more = ("; what is finished is kept: free the space, then run the same command with --resume"
                if hasattr(args, "resume") else "")
        print(f"error: {exc.strerror or exc}{f' ({where})' if where else ''}{more}", file=sys.stderr)
        return EXIT_STOPPED
    except KeyboardInterrupt as exc:
        out = getattr(args, "out", None)
        more = (f": finished runs are kept in {out}; run the same command with --resume to finish"
                if hasattr(args, "resume") else "")
        if isinstance(exc, Terminated):
            print(f"terminated (SIGTERM){more}", file=sys.stderr)
            return EXIT_TERMINATED
        print(f"interrupted{more}", file=sys.stderr)
        return 130
    finally:
        if old_term is not None:
            signal.signal(signal.SIGTERM, old_term)
    return EXIT_BAD_INPUT


def _overwrite(args) -> None:
    """``--overwrite``: empty --out first if it holds results of ours (never a folder of
    other files, never one a running job holds)."""
    if not getattr(args, "overwrite", False):
        return
    if getattr(args, "resume", False):
        raise UsageError("--overwrite and --resume exclude each other")
    if getattr(args, "out", None) is None:
        return
    from sim.experiments.jobs import clear_folder

    clear_folder(args.out, ("state.json",) if args.command == "calibrate" else ("manifest.json",))


def _broken_pipe() -> int:
    """stdout was closed early (``... | head``): stop quietly, as a killed-by-SIGPIPE
    program would; results already written stay written."""
    import os

    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())       # so the interpreter's final flush is silent
    except (OSError, ValueError):
        pass
    return EXIT_BROKEN_PIPE
