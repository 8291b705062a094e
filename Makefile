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

# Demo data with drift injected 12 hours ago (written if missing or stale), then `driftmon serve`
# on it: start-up replays the last 24 hourly windows; the pages at http://127.0.0.1:9650/ and
# http://127.0.0.1:9650/metrics. Ctrl-C stops.
demo: $(STAMP)
	$(BIN)/driftmon demo
	$(BIN)/driftmon serve -c config/demo.yaml

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
