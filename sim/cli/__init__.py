"""The command line (``python run_sim.py ...``, ``diplosim``, ``python -m sim.cli``). The
library returns; this package prints.

One module per command group: :mod:`.run` (run, report, plot), :mod:`.scenarios`
(scenarios, validate, seeds), :mod:`.experiments` (batch, sweep, table, ablate,
sensitivity, compare-protocols), :mod:`.calibrate` (calibrate, score); :mod:`.parser`
builds the argument parser group by group, :mod:`.common` holds what the commands share,
:mod:`.main` the entry point. What a command prints is formatted outside the CLI, by
:mod:`sim.viz.text`.

Exit codes: 0 success; 2 bad input (scenario file, argument) with a one-line-per-fault
message and no traceback; 3 an experiment finished but some runs failed; 4 the system
stopped the work (a write failed: disk full, permission; a worker process died), with
the path and how to resume; 130 interrupted; 143 terminated (SIGTERM), with how to resume;
141 stdout closed early (``| head``); 1 an
unexpected internal error.
"""

from __future__ import annotations

from sim.cli.common import (
                            EXIT_BAD_INPUT,
                            EXIT_BROKEN_PIPE,
                            EXIT_OK,
                            EXIT_STOPPED,
                            EXIT_TERMINATED,
                            RUN_FILES,
                            UsageError,
                            protocol_help,
                            protocol_option,
)
from sim.cli.main import COMMANDS, main
from sim.cli.parser import build_parser

__all__ = ["COMMANDS", "EXIT_BAD_INPUT", "EXIT_BROKEN_PIPE", "EXIT_OK", "EXIT_STOPPED", "EXIT_TERMINATED",
           "RUN_FILES", "UsageError", "build_parser", "main", "protocol_help", "protocol_option"]
