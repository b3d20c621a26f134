# Oversight: `make run` serves the demo district; `make test` runs every check CI runs;
# `make serve` runs the production shape against PostgreSQL and Redis.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run serve test install lint typecheck check pytest messages clean bench

$(BIN)/python:
	@command -v $(PYTHON) >/dev/null 2>&1 || { echo "Python 3.11 is needed (set PYTHON=/path/to/python3.11)"; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Reinstall only when pyproject.toml changes.
$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

# The demo on SQLite, tasks run eagerly: no services needed.
run: export DEBUG ?= true
run: install
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py seed_demo --if-empty
	$(BIN)/python manage.py runserver 127.0.0.1:8000

# The production shape on one machine: gunicorn, one Celery worker and one beat, against
# PostgreSQL (DATABASE_URL) and Redis (REDIS_URL); README, "Production shape: make serve".
serve: install
	@$(BIN)/python -m oversight.serve --check
	$(BIN)/python manage.py migrate --no-input
	$(BIN)/python manage.py collectstatic --no-input
	$(BIN)/python -m oversight.serve

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy

check: export DJANGO_SETTINGS_MODULE = oversight.settings_test
check: install
	$(BIN)/python manage.py check --fail-level WARNING
	$(BIN)/python manage.py makemigrations --check --dry-run

pytest: install
	$(BIN)/python -m pytest $(PYTEST_ARGS)

test: lint typecheck check pytest

# Refresh the translation catalogues after changing user-visible text (needs GNU gettext).
messages: install
	DEBUG=true $(BIN)/python manage.py makemessages --locale zh_Hans --locale en --add-location file \
		--no-obsolete --ignore '.venv/*' --ignore 'staticfiles/*' --ignore 'tests/*' --ignore 'bench/*'
	DEBUG=true $(BIN)/python manage.py compilemessages --ignore '.venv/*'

# Ten years of the district on a fresh PostgreSQL database, then every hot path beside its floor,
# the HTTP write path and a 60-second load against the production shape (bench/README.md).
# The database named by BENCH_DATABASE_URL is dropped and created again (its name must contain
# "bench"); Redis (BENCH_REDIS_URL) serves the Celery side of the served application.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/oversight_bench
BENCH_REDIS_URL ?= redis://127.0.0.1:6379/13
BENCH_YEARS ?= 10
bench: export DATABASE_URL = $(BENCH_DATABASE_URL)
bench: export BENCH_REDIS_URL := $(BENCH_REDIS_URL)
bench: export DEBUG = true
bench: install
	$(BIN)/python bench/generate.py --fresh --years $(BENCH_YEARS)
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) staticfiles .pytest_cache .mypy_cache .ruff_cache
