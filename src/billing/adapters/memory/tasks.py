"""A task queue that runs each job at once, in the caller's thread (the embedded default)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping

import attrs

log = logging.getLogger(__name__)

Handler = Callable[[Mapping[str, str]], None]


@attrs.define
class Job:
    task: str
    params: dict[str, str]
    error: str | None = None


class InlineTaskQueue:
    """Runs a deferred job immediately; a failing job is logged and kept in ``failed``.

    Services defer only after commit, so a failing job never undoes the change that caused it.
    """

    def __init__(self, handlers: Mapping[str, Handler] | None = None) -> None:
        self._handlers: dict[str, Handler] = dict(handlers or {})
        self.done: list[Job] = []
        self.failed: list[Job] = []

    def defer(self, task: str, params: Mapping[str, str]) -> None:
        job = Job(task, dict(params))
        handler = self._handlers.get(task)
        if handler is None:
            job.error = f"no handler for task {task!r}"
            self.failed.append(job)
            return
        try:
            handler(job.params)
        except Exception as exc:  # a job's failure must not reach the request that queued it
            log.exception("task failed", extra={"task": task, "params": job.params})
            job.error = f"{type(exc).__name__}: {exc}"
            self.failed.append(job)
        else:
            self.done.append(job)
