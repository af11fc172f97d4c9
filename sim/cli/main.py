"""The entry point: parse, dispatch to the command, and map every failure to one line
on stderr and an exit code (:mod:`sim.cli`)."""

from __future__ import annotations

import sys

from sim.cli.calibrate import cmd_calibrate, cmd_score
from sim.cli.common import EXIT_BAD_INPUT, EXIT_BROKEN_PIPE, EXIT_STOPPED, EXIT_TERMINATED, UsageError
from sim.cli.experiments import cmd_ablate, cmd_batch, cmd_compare, cmd_sensitivity, cmd_sweep, cmd_table
from sim.cli.parser import build_parser
from sim.cli.run import cmd_plot, cmd_report, cmd_run
from sim.cli.scenarios import cmd_scenarios, cmd_seeds, cmd_validate

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

