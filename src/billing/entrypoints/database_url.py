"""``BILLING_DATABASE_URL``: read, normalised and checked without connecting.

``postgres://`` and ``postgresql://`` (what hosting platforms hand out) mean PostgreSQL
through psycopg 3, the driver this package installs; SQLite and PostgreSQL are supported.
Whether the server answers is checked at start by ``startup.py``.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError

from .configuration import shown, text

SUPPORTED = ("sqlite", "postgresql")
_EXAMPLES = "use sqlite:///path/to/billing.db or postgresql://user@host:5432/dbname"
#: Spellings of PostgreSQL without a driver, and the one they mean here.
_POSTGRES_ALIASES = frozenset({"postgres", "postgresql"})
_POSTGRES_DRIVER = "postgresql+psycopg"


def database_url(value: Any) -> str:
    """The URL to connect with; ``ValueError`` says what is wrong with it."""
    raw = text(value)
    try:
        url = make_url(raw)
    except ArgumentError:
        raise ValueError(f"is not a database URL: {shown(raw)}; {_EXAMPLES}") from None
    if url.drivername in _POSTGRES_ALIASES:
        url = url.set(drivername=_POSTGRES_DRIVER)
    _check_driver(url)
    return url.render_as_string(hide_password=False)


def _check_driver(url: URL) -> None:
    backend = url.get_backend_name()
    if backend not in SUPPORTED:
        raise ValueError(f"{backend} databases are not supported; {_EXAMPLES}")
    try:
        url.get_dialect().import_dbapi()
    except (ImportError, NoSuchModuleError):
        driver = url.get_driver_name()
        raise ValueError(
            f"the {driver} driver of {backend} is not installed; "
            f"use {_POSTGRES_DRIVER}://… (psycopg 3, installed with billing)"
            if backend == "postgresql"
            else f"the {driver} driver of {backend} is not installed"
        ) from None
