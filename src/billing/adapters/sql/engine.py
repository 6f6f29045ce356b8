"""Engines for SQLite (embedded default) and PostgreSQL (production), with the same behaviour.

SQLite: SQLAlchemy emits ``BEGIN IMMEDIATE`` itself (the pysqlite recipe: the driver's own
transaction handling is switched off), so every unit of work takes the write lock when it
starts and writers serialise (a connection in ``AUTOCOMMIT`` only reads, and takes none); a
busy timeout makes them wait for each other instead of failing. Foreign keys are enforced and
the journal is write-ahead. PostgreSQL: psycopg 3, READ COMMITTED, connections checked before
use; row locks come from ``SELECT … FOR UPDATE``; with ``timeouts`` (``budgets.py``) no wait
on the server outlasts a request's budget.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

from .budgets import SqlTimeouts, bound_connections

DEFAULT_DATABASE_URL = "sqlite:///./var/billing.db"
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer's lock
#: The isolation level of a connection that only reads, one statement at a time.
AUTOCOMMIT = "AUTOCOMMIT"


def make_engine(
    database_url: str | URL = DEFAULT_DATABASE_URL,
    *,
    connect_args: Mapping[str, Any] | None = None,
    sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    timeouts: SqlTimeouts | None = None,
    echo: bool = False,
) -> Engine:
    """An engine for ``database_url``; nothing connects until a unit of work starts.

    A SQLite file's directory is created if missing. ``sqlite://`` (in memory) shares one
    connection, so it suits single-threaded tests only. PostgreSQL with ``timeouts``: bounded
    connecting, statements, locks and pool checkouts; without, libpq's and SQLAlchemy's own.
    """
    url = make_url(database_url)
    args = dict(connect_args or {})
    if url.get_backend_name() != "sqlite":
        if timeouts is None:
            return create_engine(url, connect_args=args, pool_pre_ping=True, echo=echo)
        in_url = url.query.get("options")  # e.g. ?options=-csearch_path%3Dschema
        if in_url and "options" not in args:
            args["options"] = in_url if isinstance(in_url, str) else " ".join(in_url)
        bounded = create_engine(
            url,
            connect_args=timeouts.connect_args(args),
            pool_pre_ping=True,
            pool_timeout=timeouts.pool,
            echo=echo,
        )
        bound_connections(bounded, timeouts.answer_within)
        return bounded
    args.setdefault("timeout", sqlite_busy_timeout)
    database = url.database or ""
    in_memory = database in ("", ":memory:") or database.startswith("file::memory:")
    if in_memory:
        args["check_same_thread"] = False
        engine = create_engine(url, connect_args=args, poolclass=StaticPool, echo=echo)
    else:
        Path(database).expanduser().parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args=args, echo=echo)
    _serialise_sqlite_writers(engine, wal=not in_memory)
    return engine


def _serialise_sqlite_writers(engine: Engine, *, wal: bool) -> None:
    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection: Any, connection_record: Any) -> None:
        # Stop the driver from emitting BEGIN itself; SQLAlchemy emits ours below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("PRAGMA foreign_keys = ON")
            if wal:
                cursor.execute("PRAGMA journal_mode = WAL")
        finally:
            cursor.close()

    @event.listens_for(engine, "checkout")
    def on_checkout(dbapi_connection: Any, connection_record: Any, proxy: Any) -> None:
        # Returning from an AUTOCOMMIT read, the pool resets the isolation level, which hands
        # transactions back to the driver: take them back.
        dbapi_connection.isolation_level = None

    @event.listens_for(engine, "begin")
    def on_begin(connection: Connection) -> None:
        # A reader in autocommit (each statement its own read snapshot) takes no write lock.
        if connection.get_execution_options().get("isolation_level") != AUTOCOMMIT:
            connection.exec_driver_sql("BEGIN IMMEDIATE")
