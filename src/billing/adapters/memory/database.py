"""An in-memory database: tables of domain objects behind one lock.

A unit of work takes the lock for its whole life, which serialises use cases the way
``BEGIN IMMEDIATE`` does on SQLite, so the memory adapter can stand in for SQL in tests,
concurrency tests included.
"""

from __future__ import annotations

import copy
import threading
from collections import defaultdict
from typing import Any

import attrs


@attrs.define
class Tables:
    """Every stored object, keyed by id (products by sku, sequences by (series, year),
    duplicate captures by payment id)."""

    orders: dict[str, Any] = attrs.Factory(dict)
    payment_attempts: dict[str, Any] = attrs.Factory(dict)
    refunds: dict[str, Any] = attrs.Factory(dict)
    disputes: dict[str, Any] = attrs.Factory(dict)
    duplicate_captures: dict[str, Any] = attrs.Factory(dict)
    entitlements: dict[str, Any] = attrs.Factory(dict)
    customers: dict[str, Any] = attrs.Factory(dict)
    invoices: dict[str, Any] = attrs.Factory(dict)
    webhook_events: dict[str, Any] = attrs.Factory(dict)
    products: dict[str, Any] = attrs.Factory(dict)
    outbox: dict[str, Any] = attrs.Factory(dict)
    sent_messages: dict[str, Any] = attrs.Factory(dict)  # by document id
    sequences: defaultdict[tuple[str, int], int] = attrs.Factory(lambda: defaultdict(int))

    def copy(self) -> Tables:
        return copy.deepcopy(self)


@attrs.define
class MemoryDatabase:
    """The committed state, and the lock a unit of work holds while it runs."""

    tables: Tables = attrs.Factory(Tables)
    lock: threading.RLock = attrs.Factory(threading.RLock)
    commits: int = 0
