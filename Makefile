# The two commands a newcomer needs: `make run` and `make test`. Both create .venv if missing.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
PORT   ?= 8050

.PHONY: install run test lint format bench validate design-report clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Python >= 3.11 is needed, found " + sys.version)'
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The default study table, then the app on http://127.0.0.1:$(PORT) until Ctrl-C. `exec`: the server is
# make's own child, so make's SIGTERM (which make passes to its children) stops it, not a shell.
run: install
	exec $(BIN)/twin dash --port $(PORT)

test: install
	$(BIN)/python -m pytest -q

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

validate: install
	$(BIN)/twin weather-validate --dir ../shared/weather

bench: install
	$(BIN)/python -m pip install --quiet nrel-pysam   # PV speed reference, bench environment only
	$(BIN)/python bench/run.py
	$(BIN)/python bench/dash.py   # the Dash app: slider re-run, 20 concurrent users on loopback
	$(BIN)/python bench/scale.py   # sweeps: Dask against serial, CPU per case-year, memory per case
	$(BIN)/python bench/coldstart.py   # cold start: fresh twin processes, CPU and wall, median and range

# The generator's design conditions against ../shared/weather (README "Weather"): make design-report ARGS="--seeds 20"
design-report: install
	$(BIN)/python tests/weather/design_report.py $(ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .ruff_cache
