# `make run` and `make test` set themselves up: a .venv with the bot and its dev tools.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test test-postgres lint format messages clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "mentor-bot needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@rm -f $(VENV)/.installed-*
	@touch $@

## run: migrate the database (SQLite by default) and serve Slack on $PORT (3000)
run: $(STAMP)
	$(BIN)/mentor-bot migrate
	$(BIN)/mentor-bot serve

## test: the whole test suite (SQLite; set TEST_DATABASE_URL for PostgreSQL)
test: $(STAMP)
	$(BIN)/pytest

## test-postgres: the whole suite against the local PostgreSQL server
test-postgres: $(STAMP)
	TEST_DATABASE_URL=$${TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/postgres} $(BIN)/pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: $(STAMP)
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

## messages: extract translatable text from the code into bot/i18n/locales/*/messages.po
messages: $(STAMP)
	$(BIN)/python -m bot.i18n.catalogs

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache
