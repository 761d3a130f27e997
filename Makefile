# The two commands of the README:  `make run`  and  `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# The Czech catalog, compiled by the build (GNU gettext's msgfmt; no compiled catalog in git).
CATALOGS := $(patsubst %.po,%.mo,$(wildcard compliance_monitor/locale/*/LC_MESSAGES/django.po))

.PHONY: run test lint typecheck bench chaos screenshots clean

$(STAMP): requirements.lock
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -r requirements.lock
	touch $(STAMP)

%.mo: %.po
	msgfmt --check -o $@ $<

## Run the service (embedded profile: SQLite + filesystem broker, demo data). Ctrl-C stops all of it.
run: $(STAMP) $(CATALOGS)
	$(BIN)/python manage.py serve

## Run the whole test suite on both profiles (SQLite + filesystem broker, PostgreSQL + Redis).
test: $(STAMP) $(CATALOGS)
	./scripts/test

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy compliance_monitor

bench: $(STAMP) $(CATALOGS)
	./scripts/bench

## Fault injection at full counts (CI runs each case once): results in docs/reliability.md.
chaos: $(STAMP) $(CATALOGS)
	./scripts/chaos

## Retake the dashboard screenshots in docs/screenshots (a browser test against real workers).
screenshots: $(STAMP) $(CATALOGS)
	./scripts/ensure-chromium
	CM_SCREENSHOT_DIR=docs/screenshots $(BIN)/pytest -q tests/acceptance/test_dashboard_browser.py -k screenshots

clean:
	rm -rf var .pytest_cache .mypy_cache .ruff_cache
