"""The sent messages' repository: one row per document, claimed with one atomic statement.

A claim is ``INSERT … ON CONFLICT DO NOTHING`` (the first attempt), else one ``UPDATE … WHERE``
the row is claimable (the last attempt failed, or its claim is stale). Of concurrent claims
exactly one changes the row: on PostgreSQL the others wait for its lock, then find it no longer
claimable; SQLite's units of work hold the write lock from their start.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import and_, bindparam, or_, select, update

from billing.adapters.sql_common import Prebuilt
from billing.domain.errors import InvalidInput
from billing.domain.mail import SentMessage, SentStatus

from . import mapping
from . import tables as t
from .repositories import _insert_unless_present, _Repository

_C = t.sent_messages.c
_TAKE_OVER = Prebuilt(
    update(t.sent_messages)
    .where(
        _C.document_id == bindparam("id"),
        or_(
            _C.status == str(SentStatus.FAILED),
            and_(_C.status == str(SentStatus.SENDING), _C.claimed_at <= bindparam("stale")),
        ),
    )
    .values(status=str(SentStatus.SENDING), attempts=_C.attempts + 1, claimed_at=bindparam("at"))
    .returning(*_C)
)
_BY_DOCUMENT = Prebuilt(select(*_C).where(_C.document_id == bindparam("id")))


class SqlSentMessages(_Repository):
    def claim(self, message: SentMessage, stale_before: datetime) -> SentMessage | None:
        insert = _insert_unless_present(self._dialect(), t.sent_messages)
        if self._write(insert, mapping.SENT_MESSAGES.record(message)).first() is not None:
            return message
        params = {"id": message.document_id, "stale": stale_before, "at": message.claimed_at}
        row = self._write(_TAKE_OVER, params).first()
        return mapping.SENT_MESSAGES.from_row(row) if row is not None else None

    def save(self, message: SentMessage) -> None:
        record = mapping.SENT_MESSAGES.record(message)
        del record["document_id"]
        statement = update(t.sent_messages).where(_C.document_id == message.document_id)
        if self._write(statement.values(**record)).rowcount == 0:
            raise InvalidInput(f"no message of {message.document_id!r} to update")

    def find(self, document_id: str) -> SentMessage | None:
        row = self._one(_BY_DOCUMENT, {"id": document_id})
        return mapping.SENT_MESSAGES.from_row(row) if row is not None else None

    def list(self, limit: int = 100) -> builtins.list[SentMessage]:
        statement = select(*_C).order_by(_C.claimed_at.desc(), _C.document_id.desc()).limit(limit)
        return [mapping.SENT_MESSAGES.from_row(row) for row in self._rows(statement)]
