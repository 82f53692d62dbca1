# Two commands set up and run everything on a fresh machine with Python 3.11+:
#   make run    install what the server needs and start it with a live demo
#   make test   install what the tests need and run them all
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint install clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev,bench]"
	touch $(STAMP)

install: $(STAMP)

run: $(STAMP)
	$(BIN)/arena serve --demo

# lint: ruff (lint and format) over everything, mypy --strict over backend/arena; zero findings
lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# browser tests run in their own pytest session (Playwright must not share a loop with pytest-asyncio)
test: lint
	$(BIN)/python -m pytest --ignore=tests/browser
	$(BIN)/python -m pytest tests/browser

clean:
	rm -rf $(VENV) .pytest_cache .hypothesis
