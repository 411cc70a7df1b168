# The whole set-up: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Load order matters: readings name the units they belong to.
FIXTURES := fixtures/unit-f3.json fixtures/unit-a-601-2550.json fixtures/readings.json

.PHONY: install run serve test lint format migrations-check check-fixtures clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	$(BIN)/python manage.py loaddata $(FIXTURES)
	$(BIN)/python manage.py seed_demo
	$(BIN)/python manage.py runserver 127.0.0.1:8000

test: install
	$(BIN)/pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: export DEBUG ?= 1
migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

check-fixtures: export DEBUG ?= 1
check-fixtures: install
	$(BIN)/python manage.py check_fixtures $(FIXTURES)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
