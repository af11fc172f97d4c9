"""run, report, plot: one run, and the report and figures of a results folder."""

from __future__ import annotations

from pathlib import Path

from sim.cli.common import EXIT_OK, UsageError, command, figures, out_folder


def cmd_run(args) -> int:
    import sim
    from sim.runner import with_protocol
    from sim.scenario import load_scenario
    from sim.viz.text import format_summary

    sc = with_protocol(load_scenario(args.scenario), args.protocol)
    if args.days is not None and args.days > 3650:
        raise UsageError(f"--days {args.days} is more than 3650")
    from sim.scenario.loading import MAX_RUN_BYTES, run_bytes, run_size_message

    if args.days is not None and run_bytes(sc, args.days) > MAX_RUN_BYTES:
        raise UsageError(f"--days {args.days}: {run_size_message(sc, args.days)}")
    default = sc.name if sc.protocol.name == "alternating_offers" else f"{sc.name}-{sc.protocol.name}"
    out = out_folder(args.out, default)
    _check_run_folder(out)
    res = sim.run(sc, seed=args.seed, days=args.days)
    res.command = command()
    written = res.write(out)
    if not args.no_plots:
        written += figures(out)
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


def cmd_report(args) -> int:
    from sim.viz.report import write_report

    print(f"Wrote {write_report(args.folder, args.protocol)}")
    return EXIT_OK


def cmd_plot(args) -> int:
    from sim.viz.report import save_figures

    written = save_figures(args.folder, args.protocol)
    print("Wrote: " + ", ".join(str(p) for p in written) if written else f"{args.folder} has no figures to draw")
    return EXIT_OK
