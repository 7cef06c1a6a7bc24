# mnc_exchange — the two commands: `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
FLASK := $(PY) -m flask --app app
HOST ?= 127.0.0.1
PORT ?= 5000
# Links in e-mails and PDFs point where `make run` serves (override for another address).
SERVER_BASE_URL ?= http://$(HOST):$(PORT)
export SERVER_BASE_URL

.PHONY: run test test-fast lint format translations extract-messages install install-dev migrate clean \
	bench bench-scale load samples screenshots

run: install translations migrate ## set up everything, load demo data if empty, serve on :5000 (+ the outbox worker)
	$(FLASK) seal init-demo
	$(FLASK) demo-data --if-empty
	@# The outbox worker delivers queued e-mail in the background; it stops with the server.
	@$(FLASK) outbox worker & worker=$$!; \
	trap 'kill -TERM $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT; \
	trap 'exit 130' INT; trap 'exit 143' TERM; \
	$(FLASK) run --host $(HOST) --port $(PORT)

test: install-dev translations ## set up and run the whole test suite
	$(PY) -m pytest

test-fast: install-dev translations ## the suite without the browser tests
	$(PY) -m pytest -m "not browser"

$(VENV)/bin/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.runtime-installed: requirements.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements.txt
	touch $@

$(VENV)/.dev-installed: requirements.txt requirements-dev.txt | $(VENV)/bin/python
	$(PY) -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt
	touch $(VENV)/.runtime-installed $@

install: $(VENV)/.runtime-installed
install-dev: $(VENV)/.dev-installed

translations: install ## compile the catalogs (.po -> .mo)
	$(VENV)/bin/pybabel -q compile -d mnc_exchange/translations

extract-messages: install ## re-extract strings and update the French catalog
	$(VENV)/bin/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext \
		-o mnc_exchange/translations/messages.pot .
	$(VENV)/bin/pybabel -q update -i mnc_exchange/translations/messages.pot \
		-d mnc_exchange/translations -l fr

migrate: install ## apply the migrations to DATABASE_URL (default: instance/mnc_exchange.sqlite)
	$(FLASK) db upgrade

bench: install-dev translations ## the benchmarks without a server (matching, agreement PDFs, SQL counts, list pages at 5/50/500 rows)
	$(PY) bench/bench_matching.py
	$(PY) bench/bench_agreements.py
	$(PY) bench/bench_queries.py
	$(PY) bench/bench_list_pages.py

samples: install-dev translations ## PNG pages of the cohort report and the selection minutes in docs/samples/ (needs poppler-utils)
	$(PY) bench/samples.py

bench-scale: install translations ## the figures at scale: PostgreSQL + Redis, demo-data --scale 100, reports, PDF, locust, agreements
	bash bench/scale.sh

screenshots: install-dev translations ## each role's dashboard at 390 and 1280 px -> docs/screenshots/
	$(PY) bench/screenshots.py

load: install translations ## load test: 50 users for 60 s, gunicorn + a throwaway PostgreSQL 15
	bash bench/load/run.sh

lint: install-dev
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .

format: install-dev
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache test-artifacts

.PHONY: samples-agreement
samples-agreement: install-dev translations ## PNG pages of a sealed agreement and certificate in docs/samples/ (needs pdftoppm)
	$(PY) bench/samples_agreement.py
