"""Where the sandbox keeps its Stripe objects, idempotency keys and outgoing events.

The provider only talks to ``SandboxStore``: ``run(work)`` calls ``work`` with a
``SandboxSession`` inside one transaction and commits when it returns (nothing is kept when it
raises). ``MemorySandboxStore`` serves tests and the in-memory app; ``SqlSandboxStore``
(``sql_store.py``) keeps the same data in the application's database.
"""

from __future__ import annotations

import copy
import threading
from collections.abc import Callable
from datetime import datetime
from typing import Any, Protocol, TypeVar

import attrs

T = TypeVar("T")

#: A Stripe object as JSON (``{"id": "pi_…", "object": "payment_intent", …}``), plus the
#: sandbox's own bookkeeping under the ``"_sandbox"`` key, never shown to anyone.
Document = dict[str, Any]


@attrs.frozen
class StoredKey:
    """An idempotency key: the fingerprint of the first request and the object it made."""

    fingerprint: str
    object_id: str


@attrs.frozen
class StoredEvent:
    """An event to deliver; ``payload`` is the exact body that is signed and POSTed."""

    id: str
    type: str
    payload: str
    created_at: datetime
    attempts: int = 0
    delivered_at: datetime | None = None
    last_error: str | None = None
    next_attempt_at: datetime | None = None

    @property
    def delivered(self) -> bool:
        return self.delivered_at is not None


class SandboxSession(Protocol):
    def get(self, object_id: str, *, for_update: bool = False) -> Document | None: ...

    def add(self, document: Document) -> None:
        """Insert a new object (its ``document["id"]`` was never stored)."""
        ...

    def put(self, document: Document) -> None:
        """Insert or replace the object with ``document["id"]``."""
        ...

    def refunds_of(self, payment_intent_id: str) -> list[Document]: ...

    def find_key(self, key: str) -> StoredKey | None: ...

    def add_key(self, key: str, stored: StoredKey) -> None: ...

    def add_event(self, event: StoredEvent) -> None: ...

    def get_event(self, event_id: str) -> StoredEvent | None: ...

    def save_event(self, event: StoredEvent) -> None: ...

    def events_since(self, since: datetime) -> list[StoredEvent]:
        """Events created at or after ``since``, newest first (as Stripe lists them)."""
        ...

    def undelivered_events(self, limit: int) -> list[StoredEvent]:
        """Events not delivered yet, oldest first."""
        ...


class SandboxStore(Protocol):
    def run(self, work: Callable[[SandboxSession], T]) -> T: ...


@attrs.define
class _Tables:
    objects: dict[str, Document] = attrs.Factory(dict)
    keys: dict[str, StoredKey] = attrs.Factory(dict)
    events: dict[str, StoredEvent] = attrs.Factory(dict)


class _MemorySession:
    """Reads the committed tables, writes to a copy that ``MemorySandboxStore`` keeps."""

    def __init__(self, tables: _Tables) -> None:
        self.tables = _Tables(dict(tables.objects), dict(tables.keys), dict(tables.events))

    def get(self, object_id: str, *, for_update: bool = False) -> Document | None:
        found = self.tables.objects.get(object_id)
        return copy.deepcopy(found) if found is not None else None

    def add(self, document: Document) -> None:
        self.put(document)

    def put(self, document: Document) -> None:
        self.tables.objects[document["id"]] = copy.deepcopy(document)

    def refunds_of(self, payment_intent_id: str) -> list[Document]:
        return [
            copy.deepcopy(doc)
            for doc in self.tables.objects.values()
            if doc.get("object") == "refund" and doc.get("payment_intent") == payment_intent_id
        ]

    def find_key(self, key: str) -> StoredKey | None:
        return self.tables.keys.get(key)

    def add_key(self, key: str, stored: StoredKey) -> None:
        self.tables.keys[key] = stored

    def add_event(self, event: StoredEvent) -> None:
        self.tables.events[event.id] = event

    def get_event(self, event_id: str) -> StoredEvent | None:
        return self.tables.events.get(event_id)

    def save_event(self, event: StoredEvent) -> None:
        self.tables.events[event.id] = event

    def events_since(self, since: datetime) -> list[StoredEvent]:
        found = [e for e in self.tables.events.values() if e.created_at >= since]
        return found[::-1]  # insertion order reversed: newest first

    def undelivered_events(self, limit: int) -> list[StoredEvent]:
        pending = [e for e in self.tables.events.values() if not e.delivered]
        return pending[:limit]  # dicts keep insertion order: oldest first


class MemorySandboxStore:
    """The sandbox's tables in memory; one transaction at a time."""

    def __init__(self) -> None:
        self._tables = _Tables()
        self._lock = threading.RLock()

    def run(self, work: Callable[[SandboxSession], T]) -> T:
        with self._lock:
            session = _MemorySession(self._tables)
            result = work(session)
            self._tables = session.tables
            return result
