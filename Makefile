# The two set-up commands of the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | cksum | cut -d' ' -f1)

.PHONY: run test lint typecheck unit clean bench bench-quick messages

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	rm -f $(VENV)/.installed-* && touch $@

run: $(STAMP)
	BILLING_ENABLED=$${BILLING_ENABLED:-true} BILLING_DEMO_CATALOG=$${BILLING_DEMO_CATALOG:-true} \
		$(BIN)/billing serve --port $${PORT:-8000}

lint: $(STAMP)
	$(BIN)/ruff check src tests
	$(BIN)/ruff format --check src tests
	$(BIN)/lint-imports
	$(BIN)/vulture

typecheck: $(STAMP)
	$(BIN)/mypy

unit: $(STAMP)
	$(BIN)/pytest tests/unit -q

test: lint typecheck
	$(BIN)/pytest -q

# Throughput against the bare-framework ceiling (PostgreSQL on 127.0.0.1:5432 and SQLite);
# writes benchmarks/RESULTS.md. Not part of `make test`.
bench: $(STAMP)
	$(BIN)/python benchmarks/run.py

# A few minutes: shorter loads, PostgreSQL only, no PDFs; prints the table, RESULTS.md untouched.
bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run.py --quick --no-write

# The invoices' words: extract them from the templates, merge them into each locale's .po,
# and compile the .mo files the package ships (commit both).
INVOICE_LOCALE := src/billing/adapters/invoices/locale
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header -o $(INVOICE_LOCALE)/invoices.pot .
	$(BIN)/pybabel update -D invoices -i $(INVOICE_LOCALE)/invoices.pot -d $(INVOICE_LOCALE) \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -D invoices -d $(INVOICE_LOCALE)
	rm $(INVOICE_LOCALE)/invoices.pot

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
