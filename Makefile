# Two commands matter: `make demo` and `make test`. Both build .venv from pyproject.toml first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= sqlite:///isocycle-demo.db

.PHONY: demo test lint pytest bench clean

$(STAMP): pyproject.toml
	$(PY) -c 'import sys; assert sys.version_info[:2] == (3, 11), "isocycle needs Python 3.11"'
	$(PY) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

demo: $(STAMP)
	$(BIN)/isocycle --db $(DEMO_DB) demo --serve

test: $(STAMP) lint pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/mypy

pytest: $(STAMP)
	$(BIN)/pytest
	@if [ -n "$$ISOCYCLE_TEST_DATABASE_URL" ]; then \
		echo "== the same suite on $$ISOCYCLE_TEST_DATABASE_URL =="; \
		ISOCYCLE_TEST_BACKEND=postgres $(BIN)/pytest; \
	fi

bench: $(STAMP)
	$(BIN)/python -m bench.core
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.iso
	$(BIN)/python -m bench.web 300
	$(BIN)/python -m bench.cli

clean:
	rm -rf $(VENV) isocycle-demo.db* outbox
