# Two commands for a newcomer:  `make demo` (the main job, embedded defaults)  and  `make check` (tests).
# `make demo ARGS="--port 0 --no-wait"` passes options to `vtexbridge demo` (see `vtexbridge demo --help`).
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
CODE   := $(wildcard src tests bench)

.PHONY: demo check test lint typecheck install bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit("vtexbridge needs Python 3.11+") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/vtexbridge demo $(ARGS)

lint: $(STAMP)
	$(BIN)/ruff format --check $(CODE)
	$(BIN)/ruff check $(CODE)
	$(BIN)/lint-imports --no-logo

typecheck: $(STAMP)
	$(BIN)/mypy

test: $(STAMP)
	$(BIN)/pytest -q

check: lint typecheck test

bench: $(STAMP)
	@for b in bench/bench_*.py; do m=$$(basename $$b .py); echo "== bench.$$m"; $(BIN)/python -m bench.$$m || exit 1; done

clean:
	rm -rf $(VENV) .mypy_cache .ruff_cache .pytest_cache
