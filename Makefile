# The two commands of the README are `make run` and `make test`.
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint format clean translations messages docs docs-serve bench-throughput bench-throttle bench-faults bench-digests bench-load

# Interface catalogues: the .po files are kept in git, the .mo files are built here
# (and by setup.py when a wheel is built, or at `pip install -e .`).
CATALOGUES := $(wildcard campaign/translations/*/LC_MESSAGES/messages.po)
COMPILED := $(CATALOGUES:.po=.mo)

$(STAMP): pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

%/LC_MESSAGES/messages.mo: %/LC_MESSAGES/messages.po | $(STAMP)
	$(BIN)/pybabel compile --statistics -i $< -o $@

# Compiled at install: `make run` and `make test` build whatever .po changed.
translations: $(COMPILED)

# After changing interface text: extract the messages, merge them into every catalogue.
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --no-wrap --sort-output \
		--project=campaign -o campaign/translations/messages.pot .
	$(BIN)/pybabel update -i campaign/translations/messages.pot -d campaign/translations \
		--no-wrap --ignore-obsolete

# Web, worker, clock, an embedded Redis, SQLite and the local outbox on http://127.0.0.1:$PORT (5000)
run: $(STAMP) translations
	$(BIN)/python -m campaign.devserver

# Two test processes (pytest-xdist, a file each at a time): the suite mostly waits on
# worker processes, servers and the browser. TEST_PROCESSES=0 runs it in one process.
TEST_PROCESSES ?= 2
test: $(STAMP) translations
	$(BIN)/python -m pytest -n $(TEST_PROCESSES) --dist loadfile $(PYTEST_ARGS)

lint: $(STAMP)
	$(BIN)/ruff check campaign tests bench worker.py wsgi.py setup.py
	$(BIN)/ruff format --check campaign tests bench worker.py wsgi.py setup.py
	$(BIN)/lint-imports

format: $(STAMP)
	$(BIN)/ruff format campaign tests bench worker.py wsgi.py setup.py
	$(BIN)/ruff check --fix campaign tests bench worker.py wsgi.py setup.py

clean:
	rm -rf $(VENV) instance .pytest_cache site

# The documentation site (docs/, mkdocs.yml): MkDocs is needed only here.
DOCS_STAMP := $(VENV)/.installed-docs
$(DOCS_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,docs]'
	touch $(DOCS_STAMP)

# Built into site/ (open site/index.html); --strict fails on a broken link or page.
docs: $(DOCS_STAMP)
	$(BIN)/mkdocs build --strict

# Served on http://127.0.0.1:8000, rebuilt as the pages change.
docs-serve: $(DOCS_STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

# Delivery benchmarks (README "Performance", docs/operators/sending-rate.md); they use
# DATABASE_URL / REDIS_URL when set, and empty that Redis database. ARGS="--latency 0.15"
# has the loopback SendGrid server answer after a distant API's round trip.
bench-throughput: $(STAMP)
	$(BIN)/python bench/throughput.py $(ARGS)

bench-throttle: $(STAMP)
	$(BIN)/python bench/throttle_precision.py $(ARGS)

bench-faults: $(STAMP)
	$(BIN)/python bench/faults.py

bench-digests: $(STAMP)
	$(BIN)/python bench/digest_run.py $(ARGS)

# The load generator (Locust) is needed only here.
BENCH_STAMP := $(VENV)/.installed-bench
$(BENCH_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test,bench]'
	touch $(BENCH_STAMP)

# Supporters under load against a bare Flask endpoint (README "Performance").
bench-load: $(BENCH_STAMP) translations
	$(BIN)/python bench/load.py
