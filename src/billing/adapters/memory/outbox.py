"""The outbox on the in-memory tables (the unit of work's lock makes every claim atomic)."""

from __future__ import annotations

import builtins
import copy
from datetime import datetime
from typing import Any

from billing.domain.errors import DuplicateRecord, InvalidInput
from billing.domain.outbox import OutboxJob, OutboxJobNotFound, OutboxStatus


class MemoryOutbox:
    def __init__(self, rows: dict[str, Any]) -> None:
        self._rows = rows

    def add(self, job: OutboxJob) -> None:
        if job.id in self._rows:
            raise DuplicateRecord(f"duplicate job {job.id!r}", key=job.id)
        self._rows[job.id] = copy.deepcopy(job)

    def save(self, job: OutboxJob) -> None:
        if job.id not in self._rows:
            raise InvalidInput(f"no job {job.id!r} to update", key=job.id)
        self._rows[job.id] = copy.deepcopy(job)

    def replace(self, expected: OutboxJob, job: OutboxJob) -> bool:
        stored = self._rows.get(expected.id)
        if stored is None or (stored.status, stored.attempts) != (
            expected.status,
            expected.attempts,
        ):
            return False
        self._rows[job.id] = copy.deepcopy(job)
        return True

    def get(self, job_id: str) -> OutboxJob:
        job = self.find(job_id)
        if job is None:
            raise OutboxJobNotFound(f"no job {job_id!r}", job_id=job_id)
        return job

    def find(self, job_id: str) -> OutboxJob | None:
        job = self._rows.get(job_id)
        return copy.deepcopy(job) if job is not None else None

    def claim_due(
        self, now: datetime, stale_before: datetime, limit: int = 100
    ) -> builtins.list[OutboxJob]:
        # The domain's rule (``OutboxJob.is_due``); the SQL adapter says the same in its query.
        due = [job for job in self._rows.values() if job.is_due(now, now - stale_before)]
        due.sort(key=lambda job: (job.created_at, job.id))
        claimed = []
        for job in due[:limit]:
            job.status, job.published_at = OutboxStatus.PUBLISHED, now
            claimed.append(copy.deepcopy(job))
        return claimed

    def list(self, status: OutboxStatus | None = None, limit: int = 100) -> list[OutboxJob]:
        jobs = [job for job in self._rows.values() if status is None or job.status is status]
        jobs.sort(key=lambda job: (job.created_at, job.id), reverse=True)
        return [copy.deepcopy(job) for job in jobs[:limit]]

    def count(self, status: OutboxStatus) -> int:
        return sum(1 for job in self._rows.values() if job.status is status)
