# The two commands of the README are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format bench clean

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

# Web, worker, clock, an embedded Redis, SQLite and the local outbox on http://127.0.0.1:5000
run: $(STAMP)
	$(BIN)/python -m campaign.devserver

test: $(STAMP)
	$(BIN)/python -m pytest $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check campaign tests bench worker.py wsgi.py
	$(BIN)/ruff format --check campaign tests bench worker.py wsgi.py

format: $(STAMP)
	$(BIN)/ruff format campaign tests bench worker.py wsgi.py
	$(BIN)/ruff check --fix campaign tests bench worker.py wsgi.py

clean:
	rm -rf $(VENV) instance .pytest_cache
