"""calibrate, score: the model against observations (a fit of the uncertain parameters by
ABC-SMC; a score of the forecast against a record)."""

from __future__ import annotations

import sys

from sim.cli.common import EXIT_OK, UsageError, command, on_executor, scenario_of


def cmd_calibrate(args) -> int:
    from sim.experiments.calibration import Settings, calibrate
    from sim.experiments.outofsample import holdout
    from sim.viz.text import format_calibration

    sc = scenario_of(args)
    settings = Settings(args.population, args.alpha, args.min_acceptance, args.max_generations, args.seed,
                        args.predictive, args.target_ess)
    held = None
    if args.fit_until:
        import datetime

        try:
            datetime.date.fromisoformat(args.fit_until)
        except ValueError:
            raise UsageError(f"--fit-until {args.fit_until}: not a date (YYYY-MM-DD)") from None
        res, held = on_executor(args, lambda ex, progress: holdout(
            sc, args.data, args.fit_until, args.out, settings, ex, resume=args.resume, progress=progress,
            command=command()))
    else:
        res = on_executor(args, lambda ex, progress: calibrate(
            sc, args.data, args.out, settings, ex, resume=args.resume, progress=progress, command=command()))
    for w in res.warnings or []:
        print(f"warning: {w}", file=sys.stderr)
    if not args.quiet:
        print(format_calibration(res, sc.name, settings.population, held, args.fit_until))
        print("Wrote: " + ", ".join(str(w) for w in res.written))
    return EXIT_OK


def cmd_score(args) -> int:
    import json

    from sim.experiments.scoring import load_record, score
    from sim.viz.text import format_score, score_rows

    if args.posterior is not None and args.fixed:
        raise UsageError("--posterior and --fixed exclude each other")
    record = load_record(args.record)
    sc = scenario_of(args)
    args.dask = None
    table, totals = on_executor(args, lambda ex, progress: score(
        sc, record, args.reps, args.seed, ex, fixed=args.fixed, progress=progress, posterior=args.posterior))
    if totals.get("notes"):
        print("\n".join(totals["notes"]), file=sys.stderr)
    if args.figure is not None:
        from sim.experiments.scoring import calibration_figure_note, save_calibration_figure

        made = save_calibration_figure(table, args.figure, f"{sc.name}: forecast calibration over {args.record.name}")
        print(f"{'Wrote ' + str(made) if made else 'No figure'} ({calibration_figure_note(table)})", file=sys.stderr)
    if args.json:
        print(json.dumps({"totals": totals, "observations": score_rows(table)}, indent=1, default=str))
        return EXIT_OK
    print(format_score(table, totals, record, sc, args.record))
    return EXIT_OK
