"""The outbox table's repository: jobs written with the change that causes them, claimed by
relays with ``SELECT … FOR UPDATE SKIP LOCKED`` so that concurrent relays never share a job.

SQLite has no row locks: its units of work already hold the write lock (``BEGIN IMMEDIATE``),
so a claim is atomic there too.
"""

from __future__ import annotations

import builtins
from datetime import datetime

from sqlalchemy import and_, bindparam, func, or_, select, update

from billing.adapters.sql_common.prebuilt import Prebuilt
from billing.domain.outbox import OutboxJob, OutboxJobNotFound, OutboxStatus

from . import mapping
from . import tables as t
from .repositories import _Repository


class SqlOutbox(_Repository):
    def add(self, job: OutboxJob) -> None:
        self._insert(t.outbox_jobs, [mapping.OUTBOX.record(job)])

    def save(self, job: OutboxJob) -> None:
        self._update(t.outbox_jobs, job.id, _state_record(job))

    def replace(self, expected: OutboxJob, job: OutboxJob) -> bool:
        record = _state_record(job)
        was = {
            _ID: expected.id,
            _WAS_STATUS: str(expected.status),
            _WAS_ATTEMPTS: expected.attempts,
        }
        return self._write(_REPLACE, {**record, **was}).rowcount == 1

    def get(self, job_id: str) -> OutboxJob:
        job = self.find(job_id)
        if job is None:
            raise OutboxJobNotFound(f"no job {job_id}", job_id=job_id)
        return job

    def find(self, job_id: str) -> OutboxJob | None:
        row = self._one(_JOB_BY_ID, {"id": job_id})
        return mapping.OUTBOX.from_row(row) if row is not None else None

    def claim_due(
        self, now: datetime, stale_before: datetime, limit: int = 100
    ) -> builtins.list[OutboxJob]:
        c = t.outbox_jobs.c
        due = or_(
            and_(c.status == str(OutboxStatus.PENDING), c.available_at <= now),
            and_(c.status == str(OutboxStatus.PUBLISHED), c.published_at <= stale_before),
        )
        locked = (
            select(c.id)
            .where(due)
            .order_by(c.created_at, c.id)
            .limit(limit)
            .with_for_update(skip_locked=True)
        )
        ids = [row["id"] for row in self._rows(locked)]
        if not ids:
            return []
        published = str(OutboxStatus.PUBLISHED)
        self._write(
            update(t.outbox_jobs).where(c.id.in_(ids)).values(status=published, published_at=now)
        )
        rows = self._rows(select(*c).where(c.id.in_(ids)).order_by(c.created_at, c.id))
        return [mapping.OUTBOX.from_row(row) for row in rows]

    def list(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxJob]:
        c = t.outbox_jobs.c
        statement = select(*c).order_by(c.created_at.desc(), c.id.desc()).limit(limit)
        if status is not None:
            statement = statement.where(c.status == str(status))
        return [mapping.OUTBOX.from_row(row) for row in self._rows(statement)]

    def count(self, status: OutboxStatus) -> int:
        c = t.outbox_jobs.c
        row = self._one(select(func.count().label("n")).where(c.status == str(status)))
        return int(row["n"]) if row is not None else 0


def _state_record(job: OutboxJob) -> dict[str, object]:
    """The columns a job's steps change (not what it was created with)."""
    record = mapping.OUTBOX.record(job)
    del record["id"], record["task"], record["params"], record["created_at"]
    return record


# The statements of a worker's every job, built once.
_JOB_BY_ID = Prebuilt(select(*t.outbox_jobs.c).where(t.outbox_jobs.c.id == bindparam("id")))
_ID, _WAS_STATUS, _WAS_ATTEMPTS = "_id", "_was_status", "_was_attempts"
_REPLACE = Prebuilt(
    update(t.outbox_jobs).where(
        t.outbox_jobs.c.id == bindparam(_ID),
        t.outbox_jobs.c.status == bindparam(_WAS_STATUS),
        t.outbox_jobs.c.attempts == bindparam(_WAS_ATTEMPTS),
    )
)
