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

# The words of the invoices and of the shopper's pages: extract them from the templates (and the
# messages marked N_("…") in the code), merge them into each locale's .po, and compile the .mo
# files the package ships (commit both). $(call catalog,DOMAIN,LOCALE DIR,SOURCE DIRS)
INVOICE_LOCALE := src/billing/adapters/invoices/locale
PAGE_LOCALE := src/billing/entrypoints/views/locale
define catalog
	$(BIN)/pybabel extract -F babel.cfg --no-location --omit-header -o $(2)/$(1).pot $(3)
	$(BIN)/pybabel update -D $(1) -i $(2)/$(1).pot -d $(2) \
		--no-fuzzy-matching --ignore-obsolete --ignore-pot-creation-date
	$(BIN)/pybabel compile -D $(1) -d $(2)
	rm $(2)/$(1).pot
endef
messages: $(STAMP)
	$(call catalog,invoices,$(INVOICE_LOCALE),src/billing/adapters/invoices)
	$(call catalog,pages,$(PAGE_LOCALE),src/billing/entrypoints src/billing/adapters/sandbox)

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache
