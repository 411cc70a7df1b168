# The whole set-up: `make run` to try it, `make test` to check it.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# The content fixtures (in any order: the importer resolves what each names).
FIXTURES := fixtures/unit-f3.json fixtures/unit-a-601-2550.json fixtures/readings.json

# `make run PORT=8001` serves on another port.
PORT ?= 8000

.PHONY: install run test screenshots bench bench-cluster lint format migrations-check check-fixtures messages clean

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	touch $@

run: export DEBUG ?= 1
run: install
	$(BIN)/python manage.py migrate --noinput
	# Checked, loaded in one transaction, logged and indexed for search, as the admin's
	# "Import units" page does; the demo units are published (a re-run changes nothing).
	$(BIN)/python manage.py import_units --publish $(FIXTURES)
	$(BIN)/python manage.py seed_demo
	# The workers beside the server: notifications (emails appear in this console) and
	# the queue of background tasks (portfolio exports).
	$(BIN)/python manage.py deliver_notifications --loop --interval 2 & mail=$$!; \
	$(BIN)/python manage.py db_worker --no-reload --interval 1 & tasks=$$!; \
	trap 'kill $$mail $$tasks 2>/dev/null' EXIT INT TERM; \
	$(BIN)/python manage.py runserver 127.0.0.1:$(PORT)

# Browser tests need Debian's chromium and fonts-noto-cjk, the export tests its
# poppler-utils (pdftotext, pdffonts); .ci/run installs them. Without them those
# tests are skipped, and pytest's summary says why.
test: install
	$(BIN)/pytest $(PYTEST_ARGS)

# Retake the README's screenshots (docs/screenshots/) from a real browser run.
screenshots: install
	UPDATE_SCREENSHOTS=1 $(BIN)/pytest tests/e2e/test_keyboard_and_screens.py tests/e2e/test_languages.py \
		tests/e2e/test_quality.py

# Performance on PostgreSQL (not part of make test): see docs/benchmarks.md.
# BENCH_ARGS, e.g. "--scale 10", "--fresh", "--rounds 5" (the floor and each page
# measured interleaved, 3 rounds by default) or, for a quick look that leaves the
# docs alone, "--scale 0.1 --duration 3 --output var/bench.md"; BENCH_PG names the server.
bench: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)
	$(BIN)/python -m benchmark.run $(BENCH_ARGS)

# Two app servers behind nginx on loopback, sharing PostgreSQL and Redis: a session
# through both, and throughput for one and two (docs/deployment.md). BENCH_ARGS as
# "--duration 10" or "--scale 1"; BENCH_REDIS names the Redis database (emptied).
bench-cluster: install
	@command -v wrk >/dev/null || (apt-get update -qq && apt-get install -y -qq --no-install-recommends wrk)
	@command -v nginx >/dev/null || test -x /usr/sbin/nginx || (apt-get update -qq && apt-get install -y -qq --no-install-recommends nginx)
	$(BIN)/python -m benchmark.cluster $(BENCH_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

migrations-check: export DEBUG ?= 1
migrations-check: install
	$(BIN)/python manage.py makemigrations --check --dry-run

# After changing user-facing text: refresh the catalogues (locale/*/LC_MESSAGES/*.po),
# translate what is new, then compile. Needs GNU gettext (Debian's gettext package);
# the compiled .mo files are committed, so running the app never needs it.
LOCALES := sr sr_Latn ko zh_Hans hr hu
MAKEMESSAGES := $(BIN)/python manage.py makemessages $(LOCALES:%=-l %) --no-obsolete --add-location=file \
	--ignore=.venv --ignore=benchmark --ignore=tests --ignore=static/vendor --ignore=staticfiles --ignore=var
messages: export DEBUG ?= 1
messages: install
	$(MAKEMESSAGES) -d django
	$(MAKEMESSAGES) -d djangojs
	$(BIN)/python manage.py compilemessages --ignore=.venv

check-fixtures: export DEBUG ?= 1
check-fixtures: install
	$(BIN)/python manage.py check_fixtures $(FIXTURES)

clean:
	rm -rf $(VENV) var staticfiles .pytest_cache .ruff_cache
