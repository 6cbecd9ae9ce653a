# Two commands matter: `make demo` and `make test`. Both build .venv from pyproject.toml first.
PY ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
DEMO_DB ?= sqlite:///isocycle-demo.db

.PHONY: demo test test-busy lint pytest bench screenshots clean

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

# The tests that depend on timing (processes started and killed, Prefect's server and worker, a
# slow SMTP server), run beside `stress-ng --cpu 2` so that they are proven on a busy machine.
BUSY_TESTS := tests/test_serve.py tests/test_scheduler.py tests/test_reminder_faults.py \
	tests/test_reminder_flows.py tests/test_prefect_server.py tests/test_delivery_claims.py

test-busy: $(STAMP)
	@command -v stress-ng >/dev/null || { echo "stress-ng is missing (apt-get install stress-ng)"; exit 1; }
	@stress-ng --cpu 2 --timeout 3600 --quiet & hog=$$!; \
	trap "kill $$hog 2>/dev/null" EXIT; \
	$(BIN)/pytest -p no:cacheprovider $(wildcard $(BUSY_TESTS)) && \
	if [ -n "$$ISOCYCLE_TEST_DATABASE_URL" ]; then \
		ISOCYCLE_TEST_BACKEND=postgres $(BIN)/pytest -p no:cacheprovider $(wildcard $(BUSY_TESTS)); \
	fi

# The README's pictures (docs/screenshots/*.png), taken again from the demo province by the browser
# test that `make test` runs with its pictures in a temporary directory. Needs Debian's chromium.
screenshots: $(STAMP)
	ISOCYCLE_SCREENSHOTS=$(CURDIR)/docs/screenshots $(BIN)/pytest -q -p no:cacheprovider \
		tests/test_documents_pictures.py \
		tests/test_web_browser.py -k readme_screenshots

bench: $(STAMP)
	$(BIN)/python -m bench.core
	$(BIN)/python -m bench.reminders
	$(BIN)/python -m bench.iso
	$(BIN)/python -m bench.scores 5000
	$(BIN)/python -m bench.dossier_import 5000
	$(BIN)/python -m bench.documents 5000
	$(BIN)/python -m bench.web 300
	$(BIN)/python -m bench.cli
	$(BIN)/python -m bench.documents_agency

clean:
	rm -rf $(VENV) isocycle-demo.db* outbox
