#!/usr/bin/env python3
"""Command line of the negotiation simulator: ``python run_sim.py --help``.

Run it with the project's virtual environment (``make run`` creates it):
``.venv/bin/python run_sim.py ...`` or, after ``source .venv/bin/activate``,
``diplosim ...``.
"""

import sys

SETUP = ("  Set up once with `make run` (it creates .venv and installs diplosim), then run commands\n"
         "  with the environment's Python:  .venv/bin/python run_sim.py --help\n"
         "  or activate it first:          source .venv/bin/activate && diplosim --help\n")

if sys.version_info < (3, 12):
    sys.stderr.write(f"error: diplosim needs Python 3.12 or newer; this is {sys.version.split()[0]} "
                     f"({sys.executable}).\n" + SETUP)
    sys.exit(1)

# The package imports its dependencies when a command needs them (so --help is instant):
# check up front that they are installed, to say what to do rather than fail mid-command.
from importlib.util import find_spec  # noqa: E402

for module, package in (("mesa", "mesa"), ("networkx", "networkx"), ("numpy", "numpy"), ("pandas", "pandas"),
                        ("matplotlib", "matplotlib"), ("yaml", "pyyaml"), ("pydantic", "pydantic"),
                        ("pyarrow", "pyarrow"), ("tqdm", "tqdm"), ("scipy", "scipy"), ("SALib", "SALib")):
    if find_spec(module) is None:
        sys.stderr.write(f"error: the package '{package}' is not installed for this Python ({sys.executable}).\n"
                         + SETUP)
        sys.exit(1)

try:
    from sim.cli import main
except ModuleNotFoundError as exc:
    sys.stderr.write(f"error: the package '{exc.name}' is not installed for this Python ({sys.executable}).\n"
                     + SETUP)
    sys.exit(1)

if __name__ == "__main__":
    sys.exit(main())
