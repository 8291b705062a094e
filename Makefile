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

demo: $(STAMP)
	$(BIN)/driftmon --help

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
