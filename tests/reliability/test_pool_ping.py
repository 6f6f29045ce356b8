"""A pooled PostgreSQL connection the server closed is replaced, not handed to a use case.

The engine pings a pooled connection before use only when it has sat idle for
``PING_WHEN_IDLE_FOR`` (``adapters/sql/engine.py``); one used just before is handed out at once.
Here the server ends connections itself (``pg_terminate_backend``, as a restart or an idle
timeout would): an idle one is pinged and replaced, so the statement succeeds; one that dies
inside the window fails its next statement as a lost connection, and then every connection the
pool held from before is replaced, so the next unit of work succeeds.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import Engine, create_engine, exc, select, text

from billing.adapters.sql import make_engine
from billing.adapters.sql import tables as t
from billing.adapters.sql.errors import translated
from billing.adapters.sql_common import Prebuilt
from billing.domain.errors import StorageUnavailable

#: A statement that runs on psycopg's own cursor (no listener on these engines).
_NO_ORDER = Prebuilt(select(t.orders.c.id).where(t.orders.c.id == "none"))
_BACKEND = text("SELECT pg_backend_pid()")


@pytest.fixture
def admin(postgres_url: str) -> Iterator[Engine]:
    engine = create_engine(postgres_url)
    yield engine
    engine.dispose()


@pytest.fixture
def schema(admin: Engine) -> Iterator[str]:
    """A schema of its own with the one table the statement reads."""
    name = f"billing_ping_{secrets.token_hex(4)}"
    with admin.begin() as connection:
        connection.execute(text(f'CREATE SCHEMA "{name}"'))
        connection.execute(text(f'CREATE TABLE "{name}".billing_orders (id text)'))
    yield name
    with admin.begin() as connection:
        connection.execute(text(f'DROP SCHEMA "{name}" CASCADE'))


@pytest.fixture
def engine_pinging_after(postgres_url: str, schema: str) -> Iterator[Callable[[float], Engine]]:
    """Engines on the schema that ping a connection idle for the given seconds."""
    made: list[Engine] = []

    def make(idle_for: float) -> Engine:
        options = {"options": f"-csearch_path={schema}"}
        made.append(make_engine(postgres_url, connect_args=options, ping_when_idle_for=idle_for))
        return made[-1]

    yield make
    for engine in made:
        engine.dispose()


def _terminate(admin: Engine, *pids: int) -> None:
    with admin.begin() as connection:
        for pid in pids:
            connection.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


def _pid(engine: Engine) -> int:
    with engine.connect() as connection:
        pid = connection.execute(_BACKEND).scalar_one()
        assert isinstance(pid, int)
        return pid


def _pooled_and_killed(admin: Engine, engine: Engine) -> int:
    """The backend of the connection now back in ``engine``'s pool, which the server ended."""
    killed = _pid(engine)
    _terminate(admin, killed)
    return killed


def test_an_idle_connection_the_server_closed_is_pinged_and_replaced(
    admin: Engine, engine_pinging_after: Callable[[float], Engine]
) -> None:
    engine = engine_pinging_after(0.0)
    killed = _pooled_and_killed(admin, engine)

    with engine.connect() as connection:
        assert len(_NO_ORDER.run(connection)) == 0
        assert connection.execute(_BACKEND).scalar_one() != killed


def test_one_closed_inside_the_window_fails_once_then_every_old_connection_is_replaced(
    admin: Engine, engine_pinging_after: Callable[[float], Engine]
) -> None:
    engine = engine_pinging_after(3600.0)
    with engine.connect() as first, engine.connect() as second:  # two pooled connections
        pids = [c.execute(_BACKEND).scalar_one() for c in (first, second)]
    _terminate(admin, *pids)

    with engine.connect() as connection, pytest.raises(StorageUnavailable), translated():
        _NO_ORDER.run(connection)  # not pinged: used a moment ago
    with engine.connect() as connection:  # the other old one is not handed out either
        assert len(_NO_ORDER.run(connection)) == 0
        assert connection.execute(_BACKEND).scalar_one() not in pids


def test_sqlalchemys_own_statements_are_replaced_the_same_way(
    admin: Engine, engine_pinging_after: Callable[[float], Engine]
) -> None:
    engine = engine_pinging_after(3600.0)
    killed = _pooled_and_killed(admin, engine)

    with engine.connect() as connection, pytest.raises(exc.DBAPIError) as lost:
        connection.execute(_BACKEND)
    assert lost.value.connection_invalidated
    assert _pid(engine) != killed
