"""How long PostgreSQL may keep a request waiting: connecting, a statement, a lock, the pool.

The server enforces ``statement_timeout`` and ``lock_timeout`` (sent in the connection's
startup ``options``, so no extra round trip). Neither helps when the server, or a proxy in
front of it, stops answering: the client would wait on its socket for ever (until gunicorn
kills the worker). So every wait of a connection on the server is also bounded on our side,
a second after the server's own limit: past it the connection is closed (its protocol state is
unknown), which SQLAlchemy reports as a lost connection and the adapter as
``StorageUnavailable``. Connecting is bounded by ``connect_timeout`` (libpq's rule, which
psycopg follows: at least 2 seconds), a pool checkout by ``pool_timeout``.
"""

from __future__ import annotations

from typing import Any, TypeVar

import attrs
import psycopg
from psycopg import errors as pg_errors
from psycopg.abc import PQGen
from sqlalchemy import Engine, event

#: How much longer than the server's ``statement_timeout`` we wait for its answer: the
#: server's own error (a clean ``57014``) normally arrives first.
CLIENT_MARGIN_SECONDS = 1.0
_MIN_CONNECT_SECONDS = 2  # libpq's floor, which psycopg applies too
RV = TypeVar("RV")


@attrs.frozen
class SqlTimeouts:
    """Seconds: connecting, one statement (server and client side), a lock, a pool checkout."""

    connect: int = attrs.field(default=5, validator=attrs.validators.ge(_MIN_CONNECT_SECONDS))
    statement: float = attrs.field(default=5.0, validator=attrs.validators.gt(0))
    lock: float = attrs.field(default=3.0, validator=attrs.validators.gt(0))
    pool: float = attrs.field(default=5.0, validator=attrs.validators.gt(0))

    @property
    def answer_within(self) -> float:
        """The longest wait for one answer of the server before the connection is given up."""
        return self.statement + CLIENT_MARGIN_SECONDS

    @property
    def worst_case(self) -> float:
        """The longest a unit of work may wait before it starts or fails: the pool, the ping
        of a pooled connection that no longer answers, then a new connection."""
        return self.pool + self.answer_within + self.connect

    def connect_args(self, given: dict[str, Any]) -> dict[str, Any]:
        """``given`` libpq arguments with the connect timeout and the server-side limits
        (appended to any ``options`` already given, e.g. a ``search_path``)."""
        limits = (
            f"-c statement_timeout={round(self.statement * 1000)} "
            f"-c lock_timeout={round(self.lock * 1000)}"
        )
        options = f"{given['options']} {limits}" if given.get("options") else limits
        return {"connect_timeout": self.connect, **given, "options": options}


class BoundedConnection(psycopg.Connection[Any]):
    """A psycopg connection none of whose waits on the server outlasts ``answer_within``."""

    answer_within: float | None = None

    def wait(self, gen: PQGen[RV], interval: float = 0.1, timeout: float | None = None) -> RV:
        if timeout is not None or self.answer_within is None:  # the caller bounds it itself
            return super().wait(gen, interval, timeout)
        try:
            return super().wait(gen, interval, self.answer_within)
        except pg_errors._WaitTimeout:
            # Mid-exchange: the connection cannot be used again. Closed, it is a disconnect
            # for SQLAlchemy, which invalidates it (the pool never hands it out again).
            self.pgconn.finish()
            raise psycopg.OperationalError(
                f"the database did not answer within {self.answer_within:g} s"
            ) from None


def bound_connections(engine: Engine, answer_within: float) -> None:
    """Make ``engine`` (psycopg) open ``BoundedConnection``s that wait at most ``answer_within``."""

    @event.listens_for(engine, "do_connect")
    def connect(dialect: Any, record: Any, cargs: Any, cparams: Any) -> BoundedConnection:
        connection = BoundedConnection.connect(*cargs, **cparams)
        connection.answer_within = answer_within
        return connection
