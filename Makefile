# Thin scripts shared by developers and CI. `make test` is the README's test command.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo check test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# Demo data with drift injected 12 hours ago, the last 24 hourly windows scored, the latest shown.
demo: $(STAMP)
	$(BIN)/driftmon demo
	$(BIN)/driftmon backfill -c config/demo.yaml --last 24
	$(BIN)/driftmon run -c config/demo.yaml --monitor checkout-fraud

check: $(STAMP)
	$(BIN)/ruff check driftmon tests migrations
	$(BIN)/ruff format --check driftmon tests migrations
	$(BIN)/mypy
	$(BIN)/lint-imports

test: check
	$(BIN)/python -m pytest

bench: $(STAMP)
	$(BIN)/python -m tests.benchmarks.bench_counting

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
