# The two commands of the README:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint typecheck bench chaos screenshots clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $(STAMP)

## Run the service (embedded profile: SQLite + filesystem broker, demo data). Ctrl-C stops all of it.
run: $(STAMP)
	$(BIN)/python manage.py serve

## Run the whole test suite on both profiles (SQLite + filesystem broker, PostgreSQL + Redis).
test: $(STAMP)
	./scripts/test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy compliance_monitor

bench: $(STAMP)
	./scripts/bench

## Fault injection at full counts (CI runs each case once): results in docs/reliability.md.
chaos: $(STAMP)
	./scripts/chaos

## Retake the dashboard screenshots in docs/screenshots (a browser test against real workers).
screenshots: $(STAMP)
	./scripts/ensure-chromium
	CM_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q tests/acceptance/test_dashboard_browser.py -k screenshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
