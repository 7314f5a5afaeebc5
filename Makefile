# The two commands that matter: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install run worker beat test test-postgres lint format migrations-check check-deploy bench clean prod-local reliability chaos

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet -e '.[dev]'
	touch $(STAMP)

.env:
	cp .env.example .env

install: $(STAMP) .env

run: install
	$(BIN)/python -m portal.devrun

worker: install
	$(BIN)/celery -A portal worker --loglevel=INFO

beat: install
	$(BIN)/celery -A portal beat --loglevel=INFO --schedule=.run/celerybeat-schedule

# Two halves: the unit tests in parallel (pytest-xdist; SQLite in memory, or one PostgreSQL test
# database per worker), then the end-to-end tests on their own, since they start a web server and
# a Celery worker that share a file database. Exit code 5 (nothing collected) is not a failure.
TEST_WORKERS ?= auto
test: install
	$(BIN)/pytest -m "not e2e and not reliability" -n $(TEST_WORKERS)
	$(BIN)/pytest -m e2e -p no:xdist || [ $$? -eq 5 ]

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

check-deploy: install
	DEBUG=false SECRET_KEY=check-deploy-only-0123456789abcdefghijklmnopqrstuvwxyz-ABCDEFGH \
	GETT_API_KEY=x GETT_WEBHOOK_SECRETS=x ALLOWED_HOSTS=portal.example.com \
	PUBLIC_BASE_URL=https://portal.example.com \
	$(BIN)/python manage.py check --deploy --fail-level WARNING

# Menu CatalogSet build/validate/publish at 500 and 5,000 items, in a fresh temporary database;
# the webhooks against a bare view and the outbox drain with 2 Celery workers, on a throwaway
# PostgreSQL cluster unless DATABASE_URL is set (BENCH_PORTS=7600-7699 keeps servers in a range);
# then merchant pages and API lists at 100 to 20,000 items and the order pages with 10,000 orders
# (`python -m bench.pages --sizes 100,1000` for a quick subset).
bench: install
	DJANGO_SETTINGS_MODULE=bench.settings $(BIN)/python -m bench.menu && DJANGO_SETTINGS_MODULE=bench.settings $(BIN)/python -m bench.webhooks
	DJANGO_SETTINGS_MODULE=bench.settings $(BIN)/python -m bench.drain
	DJANGO_SETTINGS_MODULE=bench.settings $(BIN)/python -m bench.pages

# The production shape on this machine: PostgreSQL, Redis, moto S3, the Gett sandbox, 2 gunicorn
# web processes, 2 Celery workers and beat, DEBUG off, secrets in .env.prod. Ctrl-C stops it.
prod-local: install
	$(BIN)/python -m portal.prodlocal

# The fault ledger on that stack (needs PostgreSQL and redis-server): CI runs 100 faults in a
# few minutes; `make chaos` runs 1,000.
RELIABILITY_FAULTS ?= 100
reliability: install
	RELIABILITY_FAULTS=$(RELIABILITY_FAULTS) $(BIN)/pytest -m reliability -p no:xdist -s tests/reliability

chaos: install
	RELIABILITY_FAULTS=1000 RELIABILITY_SECONDS=1500 RELIABILITY_ORDERS=600 \
	$(BIN)/pytest -m reliability -p no:xdist -s tests/reliability

clean:
	rm -rf .run staticfiles
