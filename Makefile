# capscore front door. `make run` and `make test` work on a fresh machine.
SHELL := /bin/bash
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DATA_ROOT ?= data
ENTERPRISES ?= 2000
SEED ?= 42
# Years of monthly history before the two-week window (0-6): with history the
# validation has its out-of-time backtest; only the dates a drop landed on are built.
HISTORY_YEARS ?= 0
BACKFILL_FLAGS := $(if $(filter 0,$(HISTORY_YEARS)),,--landing-dates-only)

export GX_ANALYTICS_ENABLED := false
export CAPSCORE_DATA_ROOT := $(abspath $(DATA_ROOT))
export DAGSTER_HOME := $(abspath $(DATA_ROOT))/dagster_home

.PHONY: setup run test lint typecheck unit ui bench clean browser-deps

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[dev]"
	touch $(STAMP)

setup: $(STAMP)

browser-deps:
	bash scripts/setup_browser.sh

run: setup
	@if [ ! -d "$(DATA_ROOT)/landing" ]; then \
		$(BIN)/capscore generate --data-root "$(DATA_ROOT)" --enterprises $(ENTERPRISES) --seed $(SEED) \
			--history-years $(HISTORY_YEARS); \
	fi
	$(BIN)/capscore backfill --data-root "$(DATA_ROOT)" $(BACKFILL_FLAGS)
	@$(BIN)/capscore where --data-root "$(DATA_ROOT)"

lint: setup
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

typecheck: setup
	$(BIN)/mypy .

# Two test processes (pytest-xdist), a file at a time each: most of an end-to-end
# test is single-threaded (Dagster's events, Great Expectations, small polars frames).
TEST_WORKERS ?= 2

unit: setup
	bash scripts/pytest.sh -q -n $(TEST_WORKERS) --dist loadfile

test: setup browser-deps lint typecheck unit

ui: setup
	@mkdir -p "$(DAGSTER_HOME)"
	$(BIN)/dagster dev -w workspace.yaml

SPLINK_ROOT := bench_data/er_vs_splink_20000

bench: setup
	$(BIN)/python -m benchmarks.run
	@if [ ! -d "$(SPLINK_ROOT)/lake" ]; then \
		$(BIN)/capscore generate --data-root "$(SPLINK_ROOT)" --enterprises 20000 --seed 42 && \
		$(BIN)/capscore run --data-root "$(SPLINK_ROOT)"; \
	fi
	$(BIN)/python -m benchmarks.er_vs_splink --data-root "$(SPLINK_ROOT)"

clean:
	rm -rf "$(DATA_ROOT)" tests/artifacts .pytest_cache .mypy_cache .ruff_cache
