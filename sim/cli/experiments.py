"""batch, sweep, table, ablate, sensitivity, compare-protocols: many runs on an executor,
their tables written to --out and summed up as text (:mod:`sim.viz.text`)."""

from __future__ import annotations

import sys

from sim.cli.common import (
    EXIT_FAILED_RUNS,
    EXIT_OK,
    UsageError,
    command,
    did_you_mean,
    figures,
    listed,
    on_executor,
    out_folder,
    report,
    say_redone,
    scenario_of,
)


def _agg() -> None:
    """Figures are drawn off screen (no display needed)."""
    import matplotlib

    matplotlib.use("Agg")


def _failed(n_failed: int, job) -> int:
    """Exit code 3 with a warning if some runs failed, else 0."""
    if n_failed:
        print(f"warning: {n_failed} of {job.n_runs} runs failed (runs.parquet: status, error)",
              file=sys.stderr)
        return EXIT_FAILED_RUNS
    return EXIT_OK


def _run_experiment(args, job) -> int:
    from sim.experiments.jobs import execute
    from sim.viz.text import format_experiment

    if job.notes:
        print("\n".join(job.notes), file=sys.stderr)
    res = on_executor(args, lambda ex, progress: execute(
        job, ex, args.out, resume=args.resume, command=command(), progress=progress))
    say_redone(res)
    text = "" if args.quiet else format_experiment(res, job)
    written, n_failed = res.written, res.n_failed
    # the report reads back from runs.parquet only the columns it shows: the whole runs
    # table goes first (at 20,000 runs both at once were 32 MiB more of the parent's peak)
    del res
    written += report(args)
    if not args.quiet:
        print(text)
        print("Wrote: " + ", ".join(str(p) for p in listed(args.out, written)))
    return _failed(n_failed, job)


def _replications_job(args):
    """The job of ``batch`` and ``table``: --reps replications of each scenario."""
    from sim.experiments.jobs import make_job

    if args.posterior is not None and args.fixed:
        raise UsageError("--posterior and --fixed exclude each other")
    return make_job(args.scenarios, args.reps, args.seed, series=args.series, days=args.days, yes=args.yes,
                    fixed=args.fixed, posterior=args.posterior, protocol=args.protocol)


def cmd_batch(args) -> int:
    return _run_experiment(args, _replications_job(args))


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
    from sim.experiments.jobs import ExperimentError, execute
    from sim.experiments.table import caption, headline_table, markdown, paired_markdown, paired_table
    from sim.results import atomic_write

    job = _replications_job(args)
    if job.notes:
        print("\n".join(job.notes), file=sys.stderr)
    res = on_executor(args, lambda ex, progress: execute(
        job, ex, args.out, resume=args.resume, command=command(), progress=progress))
    horizons = {name: args.days or d["horizon_days"] for name, d in job.scenarios.items()}
    try:
        table = headline_table(res.runs, args.outcome, horizons)
    except KeyError as exc:
        raise ExperimentError(f"--outcome {exc.args[0]}: not a column of runs.parquet"
                              + did_you_mean(exc.args[0], res.runs.columns)) from None
    text = markdown(table, caption(job, args.reps))
    paired = paired_table(res.runs, horizons, args.outcome)
    if not paired.empty:
        text += "\n\n" + paired_markdown(paired)
        atomic_write(args.out / "paired.csv", paired.to_csv(index=False))
    atomic_write(args.out / "table.md", text + "\n")
    atomic_write(args.out / "table.csv", table.to_csv(index=False))
    if not args.no_report:
        report(args)
    if not args.quiet:
        print(text)
    return _failed(res.n_failed, job)


def cmd_ablate(args) -> int:
    _agg()
    from sim.experiments.ablation import run_ablation
    from sim.results import atomic_write
    from sim.viz.text import format_ablation

    sc = scenario_of(args)
    eff, res = on_executor(args, lambda ex, progress: run_ablation(
        sc, args.reps, args.seed, ex, args.out, args.resume, reverse=not args.no_reverse, days=args.days,
        command=command(), progress=progress, yes=args.yes, fixed=args.fixed))
    say_redone(res)
    written = [atomic_write(args.out / "ablation.csv", eff.to_csv(index=False)), *figures(args.out)]
    written += report(args)
    if not args.quiet:
        print(f"{res.summary['parameters'].iloc[0] if len(res.summary) else ''}".strip())
        print(format_ablation(eff))
        print("Wrote: " + ", ".join(str(p) for p in listed(args.out, [*res.written, *written])))
    return EXIT_FAILED_RUNS if res.n_failed else EXIT_OK


def cmd_sensitivity(args) -> int:
    _agg()
    from sim.experiments.jobs import ExperimentError, Vary
    from sim.experiments.sensitivity import METHODS, plot_convergence, run_sensitivity, warnings_of
    from sim.results import atomic_write
    from sim.viz.text import format_sensitivity

    if args.method not in METHODS:
        raise ExperimentError(f"--method {args.method}: unknown method (use {' or '.join(METHODS)})")
    sc = scenario_of(args)
    varies = [Vary.parse(v) for v in args.vary] or None
    table, X, res = on_executor(args, lambda ex, progress: run_sensitivity(
        sc, varies, args.method, args.n, args.reps, args.seed, ex, args.out, args.resume, args.days,
        command=command(), progress=progress, yes=args.yes, fixed=args.fixed))
    say_redone(res)
    written = [atomic_write(args.out / "sensitivity.csv", table.to_csv(index=False)), *figures(args.out)]
    if (args.out / "convergence.csv").exists():
        written.append(plot_convergence(args.out / "convergence.csv", args.out / "convergence.png"))
    written += report(args)
    for w in warnings_of(table):
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(format_sensitivity(table, len(X), args.reps, args.method))
        print("Wrote: " + ", ".join(str(p) for p in listed(args.out, [*res.written, *written])))
    return EXIT_FAILED_RUNS if res.n_failed else EXIT_OK


def cmd_compare(args) -> int:
    _agg()
    from sim.experiments.compare import compare_protocols, differences_markdown, distances, parse_protocols
    from sim.scenario import load_scenario
    from sim.viz.text import format_comparison

    sc = load_scenario(args.scenario)
    protocols = parse_protocols(args.protocols, sc)
    args.out = out_folder(args.out, f"compare-{sc.name}")
    table, forecasts, res = on_executor(args, lambda ex, progress: compare_protocols(
        sc, protocols, args.reps, args.seed, ex, fixed=args.fixed, days=args.days, out=args.out,
        resume=args.resume, progress=progress, command=command(), yes=args.yes, series=args.series))
    say_redone(res)
    dist = distances(forecasts, sc, args.seed)
    written = _write_comparison(args, sc, table, forecasts, dist, res)
    written += figures(args.out)
    written += report(args)
    if not args.quiet:
        print(format_comparison(table, sc, args.reps, res.summary))
        print(differences_markdown(dist).replace("**", ""))
        print("Wrote: " + ", ".join(str(p) for p in listed(args.out, [*res.written, *written])))
    return EXIT_OK


def _write_comparison(args, sc, table, forecasts, dist, res) -> list:
    """comparison.csv, forecasts.csv, differences.csv and comparison.md (the Markdown
    table with its caption)."""
    from sim.experiments.compare import differences_markdown, markdown
    from sim.results import atomic_write
    from sim.viz.text import plural

    mode = res.summary["parameters"].iloc[0] if len(res.summary) and "parameters" in res.summary else ""
    caption = (f"`{sc.name}`: {plural(args.reps, 'replication')} per protocol, {mode}, root seed {args.seed}, "
               "every protocol on the same parameter draws and random streams. Cells: the protocol's forecast of "
               "the issue, median [5-95% of runs: the spread of the runs, not an interval of a mean]; Δ: its "
               "median distance from the compromise model's forecast of the same run.")
    return [atomic_write(args.out / "comparison.csv", table.to_csv(index=False)),
            atomic_write(args.out / "forecasts.csv", forecasts.to_csv(index=False)),
            atomic_write(args.out / "differences.csv", dist.to_csv(index=False)),
            atomic_write(args.out / "comparison.md", markdown(table, caption) + "\n\n"
                         + differences_markdown(dist) + "\n")]
