# Set-up and everyday commands. `make run` and `make test` each build .venv on
# their own from a Python >= 3.12 found on this machine.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

# Find a Python >= 3.12: python3.13, python3.12, python3, then pyenv's 3.12/3.13.
# A pyenv shim that exists but cannot run is skipped (the version check fails).
FIND_PYTHON := for c in python3.13 python3.12 python3 \
	  $$(command -v pyenv >/dev/null 2>&1 && ls -d "$$(pyenv root)"/versions/3.1[2-9]*/bin/python3 2>/dev/null); do \
	  if "$$c" -c 'import sys; sys.exit(0 if sys.version_info >= (3, 12) else 1)' >/dev/null 2>&1; then \
	    echo "$$c"; break; fi; done

.PHONY: run test test-all test-slow bench bench-app app scenario-table protocol-table grain-table holdout-table \
	price-sweep ablation sobol odd-day0 docs docs-check lint clean help

help:
	@echo "make run    - set up .venv, run the baseline scenario, write out/"
	@echo "make test   - set up .venv, run the test suite but its slow tests (see README, Tests)"
	@echo "make test-all - the whole test suite, slow tests included; make test-slow: only those (CI runs make test, then make test-slow)"
	@echo "make app    - set up .venv, open the interactive app (http://localhost:8765)"
	@echo "make scenario-table - the README's scenario table (a 200-replication batch, then its Markdown table)"
	@echo "make protocol-table - the README's protocol comparison (compare-protocols baseline, 100 replications)"
	@echo "make grain-table - the README's Black Sea grain table (the record's facts, 200 runs per protocol)"
	@echo "make holdout-table - the README's out-of-sample checks inside the 2021 record (about 4 minutes)"
	@echo "make price-sweep / ablation / sobol - the README's price sweep, stance ablation (200 reps), Sobol' indices (about 6 min)"
	@echo "make odd-day0 - docs/ODD.md 5's day-0 tables: the baseline's rules, channels and relief at day 0 (seconds)"
	@echo "make docs   - rerun every command the README and docs/ODD.md show output of, rewrite those blocks and figures (about 15 min)"
	@echo "make lint   - ruff check alone (pyflakes, import order, PEP 257 docstring layout, lines of 120); make test runs it first"
	@echo "make bench  - run the benchmarks (prints timings); make bench-app: the app's redraw"
	@echo "make clean  - remove .venv and out/"
	@echo "then: .venv/bin/python run_sim.py --help   (or: source .venv/bin/activate; diplosim --help)"

$(STAMP): pyproject.toml
	@py="$$($(FIND_PYTHON))"; \
	if [ -z "$$py" ]; then \
	  echo "error: no Python >= 3.12 found (tried python3.13, python3.12, python3 and pyenv's 3.12+)." >&2; \
	  echo "       Install Python 3.12 or newer (e.g. 'pyenv install 3.12') and run make again." >&2; \
	  exit 1; \
	fi; \
	echo "using $$py ($$("$$py" --version))"; \
	rm -rf $(VENV) && "$$py" -m venv $(VENV) && \
	$(PY) -m pip install --quiet --upgrade pip && \
	$(PY) -m pip install --quiet -e '.[dev]' && touch $(STAMP)

run: $(STAMP)
	$(PY) run_sim.py run baseline --seed 1 --out out
	@echo ""
	@echo "Next: $(PY) run_sim.py --help   (or: source $(VENV)/bin/activate, then diplosim --help)"

# Two test processes (pytest-xdist), one file per process at a time (module fixtures
# are built once): the suite is CPU-bound and the machine has two cores.
test: $(STAMP)
	$(VENV)/bin/ruff check
	$(PY) -m pytest -q -n 2 --dist loadfile -m "not slow"

test-all: $(STAMP)
	$(PY) -m pytest -q

# What `make test` leaves out: the slow experiment tests and the 500-case property
# test (CI runs them after `make test`).
test-slow: $(STAMP)
	$(PY) -m pytest -q -n 2 --dist loadfile -m slow

# The app runs offline, in production mode (development mode's page requests an outside
# URL and shows tracebacks): its page assets come from the solara-assets package;
# Solara's usage telemetry and its check for a newer version on PyPI are switched off.
# It listens on localhost; HOST=0.0.0.0 make app serves every interface, with a warning
# (anyone who reaches the port can run jobs on this machine). APP_ARGS="--no-open" etc.
# tests/viz/test_app_browser.py runs this very target.
HOST ?= localhost
PORT ?= 8765
app: $(STAMP)
	@case "$(HOST)" in localhost|127.0.0.1|::1) ;; \
	  *) echo "warning: HOST=$(HOST): the app listens beyond this machine; anyone who can reach port $(PORT) can use it and run jobs here" >&2;; esac
	SOLARA_TELEMETRY_MIXPANEL_ENABLE=False $(VENV)/bin/solara run app.py --production --no-check-version \
	  --host $(HOST) --port $(PORT) $(APP_ARGS)

# The README's tables and figures. Each writes under $(DOCS_OUT) (default out/); TABLE_ARGS
# is appended to the command (e.g. TABLE_ARGS=--overwrite to redo one, or a smaller --reps:
# `make docs` runs these targets and sim/docs.py turns what they write into the README's blocks).
DOCS_OUT ?= out

# The README's scenario table: every Belarus scenario, 200 replications each under the
# priors, then the headline table in Markdown ($(DOCS_OUT)/scenarios/table.md).
scenario-table: $(STAMP)
	$(PY) run_sim.py table baseline russia_engages eu_direct_channel poland_political_talks \
	  sanctions_escalation opposition_at_table --reps 200 --out $(DOCS_OUT)/scenarios --quiet $(TABLE_ARGS)

# The README's Black Sea grain table: the share of runs matching each fact of the record
grain-table: $(STAMP)
	$(PY) -m sim.experiments.patterns black_sea_grain data/black_sea_grain_record.yaml \
	  --protocols alternating_offers,mediation --reps 200 $(TABLE_ARGS)

# The README's protocol comparison: the baseline under every protocol, 100 replications
# each on common random numbers ($(DOCS_OUT)/compare-baseline/comparison.md and comparison.png).
protocol-table: $(STAMP)
	$(PY) run_sim.py compare-protocols baseline --protocols alternating_offers,expected_utility,mediation,compromise \
	  --reps 100 --out $(DOCS_OUT)/compare-baseline --quiet $(TABLE_ARGS)
	@cat $(DOCS_OUT)/compare-baseline/comparison.md

# The README's price sweep: P(political agreement) at five prices of backing down
price-sweep: $(STAMP)
	$(PY) run_sim.py sweep baseline --vary commitments.price=0:0.2:5 --reps 60 \
	  --out $(DOCS_OUT)/price-sweep --quiet $(TABLE_ARGS)

# The README's stance ablation of the baseline (ablation.csv, ablation.png)
ablation: $(STAMP)
	$(PY) run_sim.py ablate baseline --reps 200 --out $(DOCS_OUT)/ablation --quiet $(TABLE_ARGS)

# The README's Sobol' indices of the baseline (about 6 minutes on an idle 2-core machine)
sobol: $(STAMP)
	$(PY) run_sim.py sensitivity baseline --method sobol --n 128 --out $(DOCS_OUT)/sensitivity-128 \
	  --quiet $(TABLE_ARGS)

# docs/ODD.md 5's "Derived at day 0" tables: the baseline model built as a run builds it
# (history_2021 first, on the seed sim/docs.py DAY0_SEED) and its decision rules, channels,
# boxes and anticipated relief read at day 0, printed in Markdown (sim/docs.py day0_tables).
odd-day0: $(STAMP)
	$(PY) -m sim.docs --day0 baseline

# Every block of README.md and docs/ODD.md between `<!-- generated: COMMAND -->` and
# `<!-- end generated -->` rerun and rewritten in place, figures copied to docs/ (sim/docs.py);
# docs-check writes nothing and shows the drift. The tests check it too (tests/test_docs.py).
docs: $(STAMP)
	$(PY) -m sim.docs $(DOCS_ARGS)

docs-check: $(STAMP)
	$(PY) -m sim.docs --check $(DOCS_ARGS)

lint: $(STAMP)
	$(VENV)/bin/ruff check $(LINT_ARGS)

# The README's out-of-sample checks inside the record: history_2021 fitted on the months
# before each cut (population 100, half the README's full calibration, to keep it to a
# few minutes) and scored on the months after it ($(DOCS_OUT)/holdout/holdout.md).
holdout-table: $(STAMP)
	$(PY) -m sim.experiments.outofsample history_2021 data/attempted_crossings_pl_2021.csv \
	  --cuts 2021-09-01,2021-10-01,2021-11-01 --population 100 --predictive 100 --out $(DOCS_OUT)/holdout \
	  $(TABLE_ARGS)

bench: $(STAMP)
	$(PY) benchmarks/bench_run.py $(BENCH_ARGS)

bench-app: $(STAMP)
	$(PY) benchmarks/bench_app.py $(BENCH_ARGS)

clean:
	rm -rf $(VENV) out
