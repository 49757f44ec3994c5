# The two commands (DESIGN §7): `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
HOST ?= 127.0.0.1:8000

.PHONY: run test install lint messages

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: requirements.txt requirements-dev.txt | $(BIN)/python
	$(BIN)/pip install --disable-pip-version-check -q -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed

# A fresh clone to the running site on SQLite with the Changji demo data.
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py load_demo
	$(BIN)/python manage.py runserver $(HOST)

# The whole suite: lint, Django's checks, migrations in step with the
# models, then the tests (on PostgreSQL when DATABASE_URL is set).
test: install lint
	$(BIN)/python manage.py check
	$(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

# Regenerate the zh-hans catalogue after changing user-facing strings
# (needs GNU gettext); the compiled .mo is committed so `make run` does not.
messages: install
	$(BIN)/python manage.py makemessages -l zh_Hans --no-obsolete --ignore=$(VENV)
	$(BIN)/python manage.py compilemessages -l zh_Hans --ignore=$(VENV)
