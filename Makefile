# Two commands set everything up on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
# Test backends: PostgreSQL (asyncpg) and Redis on localhost; .ci/services.sh provides them.
PG_TEST_URL ?= postgresql+asyncpg://postgres:postgres@127.0.0.1:5432/postgres
REDIS_TEST_URL ?= redis://127.0.0.1:6379/15
PYTEST_ARGS ?=

.PHONY: install run test lint typecheck test-sqlite test-postgres services bench clean

$(BIN)/chorus: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Chorus needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[dev]'
	@touch $(BIN)/chorus

install: $(BIN)/chorus

## make run: the demo on SQLite at http://127.0.0.1:8000
run: install
	$(BIN)/chorus migrate
	$(BIN)/chorus demo --if-empty
	$(BIN)/chorus serve --no-migrate

## make test: lint, types, then the whole suite on SQLite and on PostgreSQL (+ Redis)
test: install lint typecheck services test-sqlite test-postgres

lint: install
	$(BIN)/ruff check app tests bench migrations workers

typecheck: install
	$(BIN)/mypy

services:
	@bash .ci/services.sh

test-sqlite: install
	CHORUS_TEST_REDIS_URL=$(REDIS_TEST_URL) $(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

test-postgres: install
	CHORUS_TEST_DATABASE_URL=$(PG_TEST_URL) CHORUS_TEST_REDIS_URL=$(REDIS_TEST_URL) \
		$(BIN)/pytest -q -p no:cacheprovider $(PYTEST_ARGS)

bench: install
	$(BIN)/python -m bench.publisher
	$(BIN)/python -m bench.redirect
	$(BIN)/python -m bench.analytics

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
