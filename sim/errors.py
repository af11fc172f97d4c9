"""The exceptions the command line maps to exit codes, in a module that imports
nothing heavy (the CLI imports it before knowing which command runs)."""


class ExperimentError(Exception):
    """Bad experiment input (a --vary, an output folder): the CLI prints it, exits 2."""


class JobStopped(Exception):
    """The system stopped a job (a write failed, a worker process died): finished runs
    are kept on disk and ``--resume`` finishes the rest. The CLI exits 4."""


class ReportError(ValueError):
    """A report or plot cannot be made from the given folder: the CLI prints it, exits 2."""


class Terminated(KeyboardInterrupt):
    """The process was sent SIGTERM: it stops as on Ctrl-C (finished work kept), and the
    CLI says how to resume and exits 143."""
