"""What every command shares: exit codes, the usage error, argument types, the output
folder, the executor with its progress bar, and the figures and report of a folder."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

EXIT_OK, EXIT_BAD_INPUT, EXIT_STOPPED, EXIT_BROKEN_PIPE, EXIT_TERMINATED = 0, 2, 4, 141, 143
EXIT_FAILED_RUNS = 3


class UsageError(Exception):
    """Bad command-line input: printed as ``error: ...`` with exit code 2."""


def nonneg_int(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if v < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {v}")
    return v


def pos_int(text: str) -> int:
    v = nonneg_int(text)
    if v < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {v}")
    return v


def protocol_help() -> str:
    """--protocol's help: each registered protocol's own ``HELP`` (read without importing it)."""
    from sim.protocols import PROTOCOLS, help_text

    return ("negotiation protocol (default: the scenario's own): "
            + ", ".join(f"{n} ({help_text(n)})" if help_text(n) else n for n in PROTOCOLS)
            + ". Every protocol gives the same tables and outcomes")


def protocol_option(x) -> None:
    from sim.protocols import PROTOCOLS  # a plain registry: --help stays light

    x.add_argument("--protocol", choices=list(PROTOCOLS), default=None, metavar="NAME",
                   help=protocol_help())


RUN_FILES = ["summary.json", "agreements.csv", "record.csv", "offers.csv", "moves.csv", "timeseries.csv",
             "positions.png", "crisis.png", "blame.png", "beliefs.png", "channels.png", "report.html"]
"""Every file ``run`` writes (a test holds this list, ``run --help`` and the README to what it does)."""


def command() -> list[str]:
    """The command line as the manifests record it."""
    return ["run_sim.py", *sys.argv[1:]]


def scenario_of(args):
    """The scenario of ``args.scenario``, under ``--protocol`` if given."""
    from sim.runner import with_protocol
    from sim.scenario import load_scenario

    return with_protocol(load_scenario(args.scenario), getattr(args, "protocol", None))


def out_folder(out: Path | None, default_name: str) -> Path:
    """--out, or ``out/<default_name>``, which must stay inside ``out/`` whatever the
    scenario's name (the schema makes names slugs; this is the second lock)."""
    from sim.experiments.jobs import inside

    folder = out if out is not None else inside(Path("out"), default_name)
    if folder.exists() and not folder.is_dir():
        raise UsageError(f"--out {folder} exists and is not a folder")
    return folder


def say_redone(res) -> None:
    for what in getattr(res, "redone", []):
        print(f"note: {what}; its runs were computed again", file=sys.stderr)


def did_you_mean(word: str, choices) -> str:
    """`` (did you mean 'baseline'?)`` for a near miss among ``choices``, else ``""``."""
    import difflib

    close = difflib.get_close_matches(str(word), [str(c) for c in choices], n=1, cutoff=0.6)
    return f" (did you mean '{close[0]}'?)" if close else ""


def _executor_for(args):
    from sim.experiments.jobs import make_executor

    if args.dask and args.dask != "local" and args.workers:
        raise UsageError("--workers goes with local runs or --dask local; a Dask scheduler has its own workers")
    return make_executor(args.workers, args.dask)


def on_executor(args, work):
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


def listed(out: Path, written: list) -> list:
    """What an experiment wrote, with its manifest.json (written first, by the runner)."""
    m = Path(out) / "manifest.json"
    return [*written, m] if m.exists() and m not in map(Path, written) else list(written)


def figures(out: Path) -> list[Path]:
    """The folder's figures, drawn from its saved files (the same code as `plot`)."""
    from sim.viz.report import save_figures

    return save_figures(out)


def report(args) -> list[Path]:
    if getattr(args, "no_report", False):
        return []
    from sim.viz.report import write_report

    return [write_report(args.out)]

