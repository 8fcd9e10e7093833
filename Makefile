# OpsPortal: `make run` for a working portal, `make test` for the suite.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
PIP := $(PY) -m pip
HOST ?= 127.0.0.1
PORT ?= 8000

# `make run` is for a laptop: debug on, SQLite under var/ unless DATABASE_URL says otherwise.
RUN_ENV := DEBUG=$${DEBUG:-1} LOG_FORMAT=$${LOG_FORMAT:-text}

.PHONY: run test install install-test migrate lint check-migrations clean

$(PY):
	@$(PYTHON) -c 'import sys; sys.exit("OpsPortal needs Python 3.11 or newer") if sys.version_info < (3, 11) else None'
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.installed: $(PY) pyproject.toml
	$(PIP) install --quiet -e .
	@touch $@

$(VENV)/.installed-test: $(PY) pyproject.toml
	$(PIP) install --quiet -e '.[test]'
	@touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

migrate: install
	$(RUN_ENV) $(PY) manage.py migrate --noinput
	$(RUN_ENV) $(PY) manage.py setup_schedules

run: install migrate
	$(RUN_ENV) $(PY) manage.py seed_demo
	$(RUN_ENV) HOST=$(HOST) PORT=$(PORT) PY=$(PY) bin/run-dev

test: install-test
	$(PY) -m pytest $(PYTEST_ARGS)

lint: install-test
	$(VENV)/bin/ruff check .

check-migrations: install
	DEBUG=1 $(PY) manage.py makemigrations --check --dry-run

clean:
	rm -rf $(VENV) var .pytest_cache .ruff_cache
