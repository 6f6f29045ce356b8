"""Work a use case leaves for after its commit (rendering an invoice, …)."""

from __future__ import annotations

from collections.abc import Iterable

import attrs

from billing.ports.tasks import TaskQueue

RENDER_DOCUMENT = "render_document"


@attrs.frozen
class Job:
    task: str
    params: tuple[tuple[str, str], ...]

    @classmethod
    def of(cls, task: str, **params: str) -> Job:
        return cls(task, tuple(sorted(params.items())))


def defer_all(tasks: TaskQueue, jobs: Iterable[Job]) -> None:
    """Hand jobs to the queue, after the transaction that produced them committed."""
    for job in dict.fromkeys(jobs):  # the same job twice is one job
        tasks.defer(job.task, dict(job.params))
