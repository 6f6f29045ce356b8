"""Checks against a running instance: ``smoke`` (one order's whole life), ``crawl`` (every
route and page, status codes and links) and ``run_all`` (both, with a summary table) — the
specification's ``smoke.py``, ``crawler.py`` and ``run_all.py``, run by ``billing smoke``,
``billing crawl`` and ``billing run-all``."""
