"""Sent messages on the in-memory tables (the unit of work's lock makes every claim atomic)."""

from __future__ import annotations

import builtins
import copy
from datetime import datetime
from typing import Any

from billing.domain.errors import InvalidInput
from billing.domain.mail import SentMessage


class MemorySentMessages:
    def __init__(self, rows: dict[str, Any]) -> None:
        self._rows = rows

    def claim(self, message: SentMessage, stale_before: datetime) -> SentMessage | None:
        row: SentMessage | None = self._rows.get(message.document_id)
        if row is None:
            self._rows[message.document_id] = copy.deepcopy(message)
            return copy.deepcopy(message)
        if not row.claimable(stale_before):
            return None
        row.claim(message.claimed_at)
        return copy.deepcopy(row)

    def save(self, message: SentMessage) -> None:
        if message.document_id not in self._rows:
            raise InvalidInput(f"no message of {message.document_id!r} to update")
        self._rows[message.document_id] = copy.deepcopy(message)

    def find(self, document_id: str) -> SentMessage | None:
        row = self._rows.get(document_id)
        return copy.deepcopy(row) if row is not None else None

    def list(self, limit: int = 100) -> builtins.list[SentMessage]:
        rows = sorted(
            self._rows.values(), key=lambda m: (m.claimed_at, m.document_id), reverse=True
        )
        return [copy.deepcopy(row) for row in rows[:limit]]
