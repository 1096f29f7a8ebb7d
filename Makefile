# Marina Portal: `make run` serves the demo on http://127.0.0.1:5000 (PORT=5001 make run: another port),
# `make test` runs every test. Both first check the Debian packages they need (scripts/system-packages).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app marina_portal
VENDOR := marina_portal/static/vendor
DB ?= data/portal.sqlite3
PORT ?= 5000

# Debian packages: to run (venv, npm for the assets, Pango and a font for WeasyPrint's PDFs), and to test (a browser
# for the journeys, pdftotext, redis-server). MARINA_SKIP_BROWSER=1 skips the browser journeys, and Chromium.
RUN_PACKAGES := python3-venv npm libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core
TEST_PACKAGES := poppler-utils redis-server $(if $(filter 1,$(MARINA_SKIP_BROWSER)),,chromium)

.PHONY: run test test-postgres lint bench translations setup assets install install-dev clean \
	system-packages system-packages-test

$(BIN)/python: | system-packages
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install -q -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install -q -r requirements-dev.txt
	touch $@

system-packages:
	@sh scripts/system-packages $(RUN_PACKAGES)

system-packages-test:
	@sh scripts/system-packages $(RUN_PACKAGES) $(TEST_PACKAGES)

node_modules/.installed: package.json package-lock.json | system-packages
	npm ci --no-audit --no-fund
	touch $@

$(VENDOR)/.copied: node_modules/.installed
	mkdir -p $(VENDOR)
	cp node_modules/htmx.org/dist/htmx.min.js $(VENDOR)/
	cp node_modules/@picocss/pico/css/pico.min.css $(VENDOR)/
	touch $@

TRANSLATIONS := marina_portal/translations
MO_FILES := $(patsubst %.po,%.mo,$(wildcard $(TRANSLATIONS)/*/LC_MESSAGES/messages.po))

$(TRANSLATIONS)/%/LC_MESSAGES/messages.mo: $(TRANSLATIONS)/%/LC_MESSAGES/messages.po $(VENV)/.installed
	$(BIN)/pybabel compile -d $(TRANSLATIONS)

# Refusals raised with their French words, translated where they are shown (core.refusals.Refusal); the others mark
# their words with N_().
REFUSALS := -k AbsenceRefused -k WaitingListRefused -k MandateError -k SigningRefused -k BankDetailsError
# After changing words on screen: refresh the catalogue, then translate the new empty entries in the .po files.
translations: $(VENV)/.installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k N_ $(REFUSALS) --no-location --sort-output -o $(TRANSLATIONS)/messages.pot .
	$(BIN)/pybabel update -i $(TRANSLATIONS)/messages.pot -d $(TRANSLATIONS) --no-fuzzy-matching

assets: $(VENDOR)/.copied
install: system-packages $(VENV)/.installed assets $(MO_FILES)
install-dev: system-packages-test $(VENV)/.installed-dev assets $(MO_FILES)

# Development defaults (outbox, bank sandbox); any MARINA_* variable set in the environment wins.
# Links in mails and the bank's return pages follow the port served, unless MARINA_BASE_URL is set.
run: export MARINA_BASE_URL ?= http://127.0.0.1:$(PORT)
run: install
	@if [ ! -f "$${MARINA_DATABASE:-$(DB)}" ]; then \
	  MARINA_DEV=1 $(FLASK) init-db && MARINA_DEV=1 $(FLASK) load-demo; \
	else MARINA_DEV=1 $(FLASK) init-db; fi
	MARINA_DEV=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev
	$(BIN)/python -m pytest

# Lint, format and the architecture gate (import-linter contracts in setup.cfg); .ci/run calls it.
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

# The suite on PostgreSQL (browser journeys excluded: they add nothing database-specific);
# MARINA_TEST_DATABASE_URL names an empty database the tests may wipe. PG_WORKERS=2 runs the tests in two
# processes (pytest-xdist), each on a database of its own made beside that one (the role needs CREATEDB).
PG_WORKERS ?= 1
test-postgres: install-dev
	MARINA_TEST_DATABASE_URL=$${MARINA_TEST_DATABASE_URL:-postgresql://marina:marina@127.0.0.1/marina_test} \
	  $(BIN)/python -m pytest -m "not browser" $(if $(filter-out 1,$(PG_WORKERS)),-n $(PG_WORKERS))

# Throughput, latency, query counts and memory on the demo and on a large marina, the yearly invoicing run of
# 5,000 contracts mailed to a local SMTP server (aiosmtpd, a test package) and the FEC; writes bench/results.json.
bench: install $(VENV)/.installed-dev
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq wrk)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) node_modules $(VENDOR)
