"""``SqlSandboxStore``: the sandbox's objects, keys and events in the application's database.

Each ``run`` is one transaction (on SQLite it takes the write lock at ``BEGIN``; on PostgreSQL
``get(for_update=True)`` row-locks). When two requests race on the same idempotency key or
event sequence, the unique constraint refuses the loser and the whole ``run`` starts again, and
then finds the winner's row.

The statements of a checkout's PaymentIntent (key lookup, object insert, key insert) are built
once, with bound parameters: built per call, their construction and cache key took about a
third of the store's CPU. Built once, on PostgreSQL they run on psycopg's own cursor
(``sql_common.prebuilt``).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any, TypeVar

import tenacity
from sqlalchemy import Connection, Engine, bindparam, func, insert, select, update
from sqlalchemy.exc import IntegrityError, OperationalError

from billing.adapters.sql_common import Prebuilt, is_transient_conflict
from billing.domain.errors import StorageUnavailable

from .store import Document, SandboxSession, StoredEvent, StoredKey
from .tables import sandbox_events, sandbox_idempotency_keys, sandbox_objects

T = TypeVar("T")
ATTEMPTS = 5


def _dumps(document: Document) -> str:
    return json.dumps(document, sort_keys=True, separators=(",", ":"))


def _event(row: Any) -> StoredEvent:
    return StoredEvent(
        id=row.id,
        type=row.type,
        payload=row.payload,
        created_at=row.created_at,
        attempts=row.attempts,
        delivered_at=row.delivered_at,
        last_error=row.last_error,
        next_attempt_at=row.next_attempt_at,
    )


def _event_values(event: StoredEvent) -> dict[str, Any]:
    return {
        "type": event.type,
        "payload": event.payload,
        "created_at": event.created_at,
        "attempts": event.attempts,
        "delivered_at": event.delivered_at,
        "last_error": event.last_error,
        "next_attempt_at": event.next_attempt_at,
    }


_BY_ID = select(sandbox_objects.c.document).where(sandbox_objects.c.id == bindparam("object_id"))
_OBJECT = Prebuilt(_BY_ID)
_OBJECT_FOR_UPDATE = Prebuilt(_BY_ID.with_for_update())
_INSERT_OBJECT = Prebuilt(insert(sandbox_objects))
_UPDATE_OBJECT = Prebuilt(
    update(sandbox_objects)
    .where(sandbox_objects.c.id == bindparam("object_id"))
    .values(
        object=bindparam("object"),
        payment_intent=bindparam("payment_intent"),
        document=bindparam("document"),
    )
)
_KEY = Prebuilt(
    select(sandbox_idempotency_keys).where(sandbox_idempotency_keys.c.key == bindparam("k"))
)
_INSERT_KEY = Prebuilt(insert(sandbox_idempotency_keys))


def _object_values(document: Document) -> dict[str, Any]:
    refund = document["object"] == "refund"
    return {
        "object": document["object"],
        "payment_intent": document.get("payment_intent") if refund else None,
        "document": _dumps(document),
    }


class _SqlSession:
    def __init__(self, connection: Connection) -> None:
        self._connection = connection

    def get(self, object_id: str, *, for_update: bool = False) -> Document | None:
        query = _OBJECT_FOR_UPDATE if for_update else _OBJECT
        row = query.run(self._connection, {"object_id": object_id}).first()
        return json.loads(row["document"]) if row is not None else None

    def add(self, document: Document) -> None:
        self._insert_object(document, _object_values(document))

    def put(self, document: Document) -> None:
        values = _object_values(document)
        done = _UPDATE_OBJECT.run(self._connection, {"object_id": document["id"], **values})
        if done.rowcount == 0:
            self._insert_object(document, values)

    def _insert_object(self, document: Document, values: dict[str, Any]) -> None:
        created = datetime.fromtimestamp(document["created"], UTC)
        _INSERT_OBJECT.run(
            self._connection, {"id": document["id"], "created_at": created, **values}
        )

    def refunds_of(self, payment_intent_id: str) -> list[Document]:
        table = sandbox_objects
        rows = self._connection.execute(
            select(table.c.document)
            .where(table.c.object == "refund", table.c.payment_intent == payment_intent_id)
            .order_by(table.c.created_at, table.c.id)
        ).scalars()
        return [json.loads(text) for text in rows]

    def find_key(self, key: str) -> StoredKey | None:
        row = _KEY.run(self._connection, {"k": key}).first()
        return StoredKey(row["fingerprint"], row["object_id"]) if row is not None else None

    def add_key(self, key: str, stored: StoredKey) -> None:
        values = {"key": key, "fingerprint": stored.fingerprint, "object_id": stored.object_id}
        _INSERT_KEY.run(self._connection, values)

    def add_event(self, event: StoredEvent) -> None:
        last = self._connection.execute(select(func.max(sandbox_events.c.sequence))).scalar()
        self._connection.execute(
            insert(sandbox_events).values(
                id=event.id, sequence=(last or 0) + 1, **_event_values(event)
            )
        )

    def get_event(self, event_id: str) -> StoredEvent | None:
        row = self._connection.execute(
            select(sandbox_events).where(sandbox_events.c.id == event_id)
        ).one_or_none()
        return _event(row) if row is not None else None

    def save_event(self, event: StoredEvent) -> None:
        self._connection.execute(
            update(sandbox_events)
            .where(sandbox_events.c.id == event.id)
            .values(**_event_values(event))
        )

    def events_since(self, since: datetime) -> list[StoredEvent]:
        rows = self._connection.execute(
            select(sandbox_events)
            .where(sandbox_events.c.created_at >= since)
            .order_by(sandbox_events.c.sequence.desc())
        )
        return [_event(row) for row in rows]

    def undelivered_events(self, limit: int) -> list[StoredEvent]:
        rows = self._connection.execute(
            select(sandbox_events)
            .where(sandbox_events.c.delivered_at.is_(None))
            .order_by(sandbox_events.c.sequence)
            .limit(limit)
        )
        return [_event(row) for row in rows]


class SqlSandboxStore:
    """The sandbox's tables in ``engine``'s database (migrated by ``billing db upgrade``)."""

    def __init__(self, engine: Engine, attempts: int = ATTEMPTS) -> None:
        self._engine = engine
        self._attempts = attempts

    def run(self, work: Callable[[SandboxSession], T]) -> T:
        def once() -> T:
            with self._engine.begin() as connection:
                return work(_SqlSession(connection))

        try:
            return tenacity.Retrying(
                retry=tenacity.retry_if_exception(_racing),
                stop=tenacity.stop_after_attempt(self._attempts),
                reraise=True,
            )(once)
        except (IntegrityError, OperationalError) as error:
            raise StorageUnavailable(
                "the sandbox could not store its change", reason=str(error.orig)
            ) from error


def _racing(error: BaseException) -> bool:
    """Another writer got there first (a key or row inserted meanwhile), or a transient
    conflict: running the change again settles it."""
    return isinstance(error, IntegrityError) or (
        isinstance(error, OperationalError) and is_transient_conflict(error)
    )
