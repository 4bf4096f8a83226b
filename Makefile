# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Test backends: PostgreSQL (asyncpg) and Redis on localhost; .ci/services.sh provides them.
PG_TEST_URL ?= postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
REDIS_PG_TEST_URL ?= redis://127.0.0.1:6379/14
PYTEST_ARGS ?=

# Modules for `make mutation`; empty: the rule modules tools/mutation.py names.
MODULES ?=

.PHONY: install run test lint typecheck test-sqlite test-postgres services bench clean lock mutation \
	translations

# Exactly the versions in requirements-dev.lock (hashes checked), then Chorus, editable.
$(BIN)/chorus: pyproject.toml requirements-dev.lock
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Chorus needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --require-hashes --no-deps -r requirements-dev.lock
	$(BIN)/pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python tools/check_lock.py --sync
	@touch $(BIN)/chorus

install: $(BIN)/chorus

## make run: the demo on SQLite at http://127.0.0.1:8000
run: install
	$(BIN)/chorus migrate
	$(BIN)/chorus demo --if-empty
	$(BIN)/chorus serve --no-migrate

## make test: lint, types, then the whole suite on SQLite and on PostgreSQL (+ Redis), the two
# passes side by side (tools/test_both.sh). The pages and the browser (tests/web,
# tests/browser) add nothing database-specific over the API tests, so they run once, in the
# SQLite pass.
test: install lint typecheck services
	bash tools/test_both.sh

lint: install
	$(BIN)/ruff check app tests bench migrations workers tools

typecheck: install
	$(BIN)/mypy

services:
	@bash .ci/services.sh

test-sqlite: install
	CHORUS_TEST_REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install
	CHORUS_TEST_DATABASE_URL=$(PG_TEST_URL) CHORUS_TEST_REDIS_URL=$(REDIS_PG_TEST_URL) \
		$(BIN)/pytest -q -p no:cacheprovider --ignore=tests/web --ignore=tests/browser \
		$(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.publisher
	$(BIN)/python -m bench.redirect
	$(BIN)/python -m bench.analytics
	$(BIN)/python -m bench.pages
	$(BIN)/python -m bench.jobs

## make lock: the newest versions pyproject.toml allows, pinned with every file's hash, for
# Python 3.11: requirements-dev.lock (all, for make install and CI) and requirements.lock (its
# runtime part, for the Docker image). setuptools and wheel are pinned too: they build Chorus.
LOCK_ARGS = --generate-hashes --python-version 3.11 --custom-compile-command 'make lock' --quiet
lock: install
	printf 'setuptools>=69\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - --extra dev \
		--upgrade $(LOCK_ARGS) -o requirements-dev.lock
	printf 'setuptools>=69\nwheel\n' | $(BIN)/uv pip compile pyproject.toml - \
		--constraint requirements-dev.lock $(LOCK_ARGS) -o requirements.lock

## make mutation [MODULES="content/mix.py auth/throttle.py"]: mutmut on the rules, kill ratios
mutation: install
	$(BIN)/python tools/mutation.py $(MODULES)

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis .mutation

## make translations [DOMAINS="app"]: the pages' strings extracted, merged into each
# language's catalogs (one per page area, see app/web/i18n.py) and compiled. Translate the
# new (empty) msgstr it names, then run it again to compile: tests/web/test_translations.py
# fails until both are done.
DOMAINS ?=
translations: install
	$(BIN)/python tools/translations.py $(DOMAINS)
