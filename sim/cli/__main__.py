"""``python -m sim.cli ...``: the same as ``python run_sim.py ...``."""

import sys

from sim.cli.main import main

sys.exit(main())
