"""Engines for SQLite (embedded default) and PostgreSQL (production), with the same behaviour.

SQLite: SQLAlchemy emits ``BEGIN IMMEDIATE`` itself (the pysqlite recipe: the driver's own
transaction handling is switched off), so every unit of work takes the write lock when it
starts and writers serialise (a connection in ``AUTOCOMMIT`` only reads, and takes none); a
busy timeout makes them wait for each other instead of failing. Foreign keys are enforced and
the journal is write-ahead. PostgreSQL: psycopg 3, READ COMMITTED; a pooled connection idle for a
second or more is checked before use (``_ping_when_idle``); row locks come from ``SELECT … FOR
UPDATE``; with ``timeouts`` (``budgets.py``) no wait on the server outlasts a request's budget.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, exc
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.pool import StaticPool

from .budgets import SqlTimeouts, bound_connections

DEFAULT_DATABASE_URL = "sqlite:///./var/billing.db"
SQLITE_BUSY_TIMEOUT = 30.0  # seconds a writer waits for another writer's lock
#: The isolation level of a connection that only reads, one statement at a time.
AUTOCOMMIT = "AUTOCOMMIT"
#: A pooled PostgreSQL connection back in the pool for less than this many seconds is handed
#: out without a ping (HikariCP's "alive bypass window", 0.5 s there).
PING_WHEN_IDLE_FOR = 1.0


def make_engine(
    database_url: str | URL = DEFAULT_DATABASE_URL,
    *,
    connect_args: Mapping[str, Any] | None = None,
    sqlite_busy_timeout: float = SQLITE_BUSY_TIMEOUT,
    timeouts: SqlTimeouts | None = None,
    ping_when_idle_for: float = PING_WHEN_IDLE_FOR,
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
            engine = create_engine(url, connect_args=args, echo=echo)
            _ping_when_idle(engine, ping_when_idle_for)
            return engine
        in_url = url.query.get("options")  # e.g. ?options=-csearch_path%3Dschema
        if in_url and "options" not in args:
            args["options"] = in_url if isinstance(in_url, str) else " ".join(in_url)
        bounded = create_engine(
            url,
            connect_args=timeouts.connect_args(args),
            pool_timeout=timeouts.pool,
            echo=echo,
        )
        bound_connections(bounded, timeouts.answer_within)
        _ping_when_idle(bounded, ping_when_idle_for)
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


def _ping_when_idle(engine: Engine, idle_for: float) -> None:
    """Check a pooled connection before use only if it has been idle for ``idle_for`` seconds.

    SQLAlchemy's ``pool_pre_ping`` pings on every checkout: one more round trip per unit of
    work, 6 % of a paid event's. Under load a connection comes back to the pool and out again
    within milliseconds; one that sat idle may have been closed by the server, a restart or a
    proxy, and is pinged and, if dead, replaced (SQLAlchemy's documented recipe: the pool
    retries a checkout that raises ``DisconnectionError``). A connection that dies within the
    window fails its next statement instead: that unit of work answers ``StorageUnavailable``
    (503) and, as the connection is invalidated with every other one then in the pool, the
    request after it gets a new one. The timer is the pool's own bookkeeping, not the time of
    any business decision, so it reads the monotonic clock rather than the ``Clock`` port.
    """

    @event.listens_for(engine, "connect")
    @event.listens_for(engine, "checkin")
    def on_return(dbapi_connection: Any, record: Any) -> None:
        record.info[_RETURNED_AT] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def ping_if_idle(dbapi_connection: Any, record: Any, proxy: Any) -> None:
        returned_at = record.info.get(_RETURNED_AT)
        if returned_at is not None and time.monotonic() - returned_at < idle_for:
            return
        dialect = engine.dialect
        try:
            alive = dialect.do_ping(dbapi_connection)
        except dialect.loaded_dbapi.Error as error:
            if not dialect.is_disconnect(error, dbapi_connection, None):
                raise
            alive = False
        if not alive:
            raise exc.DisconnectionError("the pooled connection no longer answers")


_RETURNED_AT = "billing_returned_at"


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
