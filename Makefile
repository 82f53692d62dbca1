# Two commands set up and run everything on a fresh machine with Python 3.11+:
#   make run    install what the server needs and start it with a live demo
#   make test   install what the tests need and run them all
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install native clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

# the round's modules compiled with mypyc (arena.native), rebuilt only when a source changed since;
# without a C compiler the sources run, about half as fast
native: $(STAMP)
	@$(BIN)/arena native --if-stale --quiet \
		|| echo "the compiled round could not be built: the pure-Python one runs (see: $(BIN)/arena native)"

run: native
	$(BIN)/arena serve --demo

# lint: ruff (lint and format) over everything, mypy --strict over backend/arena; zero findings
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# the tests of the compiled modules, run once more on their sources (as where nothing is compiled)
SOURCE_TESTS := tests/domain tests/engine tests/agents tests/feeds/test_changes.py tests/feeds/test_replay_errors.py \
	tests/feeds/test_replay_formats.py tests/feeds/test_replay_roundtrip.py tests/store/test_store_plan.py \
	tests/store/test_store_columns.py

# browser tests run in their own pytest session (Playwright must not share a loop with pytest-asyncio)
test: lint native
	$(BIN)/python -m pytest --ignore=tests/browser
	ARENA_NATIVE=0 $(BIN)/python -m pytest -q $(SOURCE_TESTS)
	$(BIN)/python -m pytest tests/browser

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis backend/arena/_native
